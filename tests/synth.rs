//! The benchmark's synthetic sites must stay valid, or the benchmark measures failures.

mod common;
#[path = "../benches/synth.rs"]
mod synth;

use common::*;

#[test]
fn synthetic_sites_check_clean_and_build() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    synth::generate(&repo(), &site, 60);
    let o = certpress(&["issue", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 blocked by gaps"), "{}", stdout(&o));
    let o = certpress(&["check", "--json", "--root", site.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["products"].as_array().unwrap().len(), 60);
    assert!(
        json["diagnostics"].as_array().unwrap().is_empty(),
        "{json:#}"
    );
    let o = certpress(&["build", "--root", site.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(site.join("public/products/product-59/index.html").is_file());
    assert!(
        site.join("public/certificates/CERT-PRODUCT-59-US-CPC/index.html")
            .is_file()
    );
}
