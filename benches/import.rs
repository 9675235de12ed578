//! `cargo bench --bench import`: imports the sheets `export csv` writes of a synthetic site
//! of 10,000 products (`CERTPRESS_BENCH_SIZES` for others) into a copy of the site without
//! its product records, with the release binary, and times it against `check` of the site
//! it leaves (issue 16: at most three times as long). Both run in child processes; the
//! best of three runs of each is reported.

#[path = "child.rs"]
mod child;
#[path = "synth.rs"]
mod synth;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_certpress"));
    let sizes = child::sizes("10000");
    let root = repo.join("target/bench-sites");
    let trash = root.join("trash");
    fs::create_dir_all(&trash).unwrap();
    println!(
        "{:>8} {:>8} {:>10} {:>9} {:>13} {:>15}",
        "products", "rows", "import s", "check s", "import/check", "import peak MB"
    );
    for n in sizes {
        let site = root.join(format!("site-{n}"));
        synth::ensure(&repo, &site, n, &trash, Some(&bin));
        let sheets = root.join(format!("sheets-{n}"));
        let _ = fs::remove_dir_all(&sheets);
        child::run(
            &bin,
            &[
                "export",
                "csv",
                "--root",
                site.to_str().unwrap(),
                "--output",
                sheets.to_str().unwrap(),
            ],
        );
        let files: Vec<String> = ["products.csv", "lots.csv", "evidence.csv"]
            .iter()
            .map(|f| sheets.join(f).to_string_lossy().into_owned())
            .collect();
        let rows: usize = files
            .iter()
            .map(|f| {
                fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .count()
                    .saturating_sub(1)
            })
            .sum();
        let mut import = Duration::MAX;
        let mut check = Duration::MAX;
        let mut peak_kb = 0;
        for r in 0..3 {
            let copy = root.join(format!("import-{n}-{r}"));
            let _ = fs::remove_dir_all(&copy);
            copy_without_products(&site, &copy);
            let mut args = vec!["import", "--root", copy.to_str().unwrap()];
            args.extend(files.iter().map(String::as_str));
            let m = child::run(&bin, &args);
            import = import.min(m.wall);
            peak_kb = peak_kb.max(m.peak_rss_kb);
            check = check.min(child::run(&bin, &["check", "--root", copy.to_str().unwrap()]).wall);
            fs::rename(
                &copy,
                trash.join(format!("import-{n}-{r}-{}", std::process::id())),
            )
            .unwrap();
        }
        println!(
            "{n:>8} {rows:>8} {:>10.3} {:>9.3} {:>13.2} {:>15.1}",
            import.as_secs_f64(),
            check.as_secs_f64(),
            import.as_secs_f64() / check.as_secs_f64(),
            peak_kb as f64 / 1024.0
        );
    }
    // Deletion is slow on some disks: it happens here, after all timing.
    let _ = fs::remove_dir_all(&trash);
}

/// The site at `from` without its product records (site.toml, parties, plugins, theme,
/// assets and the ledger kept).
fn copy_without_products(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(from).unwrap();
        if rel.starts_with("content/products") || rel.starts_with("public") {
            continue;
        }
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}
