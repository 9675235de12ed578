//! Synthetic sites of N products, with lots, evidence and parties, for benchmarks and
//! scale tests. Shared by `benches/build.rs` and `tests/synth.rs`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// Bumped whenever the generated records change, so benchmarks regenerate cached sites
/// (their `.complete` marker holds the version they were made with).
#[allow(dead_code)] // read by the benchmarks; tests/synth.rs includes this file too
pub const VERSION: &str =
    "7: five markets, images, issued certificates, SVG labels, CPSC certifier ids, child care ages";

const CATEGORIES: [(&str, &str); 5] = [
    ("toy", "painted: true\n  small_parts: false"),
    ("toy", "small_parts: true\n  button_battery: true"),
    ("childrens-apparel", "painted: false"),
    ("child-care-article", "plasticized: true"),
    ("sleepwear", "painted: false"),
];

/// GS1 check digit (weights 3,1,3,... from the right).
fn check_digit(data: &str) -> u32 {
    let sum: u32 = data
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Copies the repository's theme and plugins over a cached site's, so a benchmark
/// measures the templates and rule packs of the working tree, not those the site was
/// generated with.
#[allow(dead_code)] // used by the benchmarks; tests/synth.rs includes this file too
pub fn refresh(repo: &Path, dir: &Path) {
    copy_tree(&repo.join("plugins"), &dir.join("plugins"));
    copy_tree(&repo.join("themes/default"), &dir.join("themes/default"));
}

/// A site of `n` products at `dir`, generated unless one of this [`VERSION`] is there
/// (an older one is moved into `trash`: deleting is slow, the caller deletes it after
/// timing), with the repository's plugins and theme. `issue` (the certpress binary)
/// issues its ready certificates, as a real site has them.
#[allow(dead_code)] // used by the benchmarks; tests/synth.rs includes this file too
pub fn ensure(repo: &Path, dir: &Path, n: usize, trash: &Path, issue: Option<&Path>) {
    let marker = dir.join(".complete");
    if fs::read_to_string(&marker).unwrap_or_default() != VERSION {
        if dir.exists() {
            fs::create_dir_all(trash).unwrap();
            let name = dir.file_name().unwrap().to_string_lossy();
            fs::rename(dir, trash.join(format!("{name}-{}", std::process::id()))).unwrap();
        }
        eprintln!("generating a site of {n} products ...");
        generate(repo, dir, n);
        if let Some(bin) = issue {
            if n > ISSUE_CHUNK {
                issue_in_chunks(bin, dir, n);
            } else {
                run_issue(bin, dir);
            }
        }
        fs::write(&marker, VERSION).unwrap();
    }
    refresh(repo, dir);
}

fn run_issue(bin: &Path, dir: &Path) {
    let issued = std::process::Command::new(bin)
        .args(["issue", "--root", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(issued.success(), "certpress issue failed");
}

/// The most products issued at once: `issue` holds the whole site, and a million products
/// would not fit in memory.
const ISSUE_CHUNK: usize = 100_000;

/// Issues a large site's certificates `ISSUE_CHUNK` products at a time: each chunk's
/// product folders are moved (renamed, not copied) into a site beside `dir` with the same
/// configuration and parties, issued there and moved back; the chunks' ledgers are merged
/// in number order, as `issue` would write one ledger (a certificate is one product's, so
/// its lines are all in one chunk; every party is in every chunk from 100,000 products on).
fn issue_in_chunks(bin: &Path, dir: &Path, n: usize) {
    let scratch = dir.with_extension("issuing");
    let mut ledgers = Vec::new();
    for (c, start) in (0..n).step_by(ISSUE_CHUNK).enumerate() {
        let _ = fs::remove_dir_all(&scratch);
        for part in ["plugins", "themes", "content/parties", "content/assets"] {
            copy_tree(&dir.join(part), &scratch.join(part));
        }
        fs::copy(dir.join("site.toml"), scratch.join("site.toml")).unwrap();
        // Folders hold 1,000 products' records per category (see `generate`).
        let folders: Vec<String> = CATEGORIES
            .iter()
            .map(|(c, _)| *c)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .flat_map(|cat| {
                (start / 1000..(start + ISSUE_CHUNK).min(n).div_ceil(1000))
                    .map(move |f| format!("content/products/{cat}/{f:03}"))
            })
            .filter(|f| dir.join(f).is_dir())
            .collect();
        for f in &folders {
            fs::create_dir_all(scratch.join(f).parent().unwrap()).unwrap();
            fs::rename(dir.join(f), scratch.join(f)).unwrap();
        }
        eprintln!("issuing products {start}.. ...");
        run_issue(bin, &scratch);
        for f in &folders {
            fs::rename(scratch.join(f), dir.join(f)).unwrap();
        }
        let ledger = dir.with_extension(format!("ledger-{c}"));
        fs::rename(scratch.join("certificates.lock"), &ledger).unwrap();
        ledgers.push(ledger);
    }
    fs::remove_dir_all(&scratch).unwrap();
    merge_ledgers(&ledgers, &dir.join("certificates.lock"));
    for l in ledgers {
        fs::remove_file(l).unwrap();
    }
}

/// Merges sorted ledgers line by line by certificate number, keeping the first one's
/// header (a ledger's certificates are in number order).
fn merge_ledgers(parts: &[std::path::PathBuf], to: &Path) {
    use std::io::{BufRead, BufWriter, Write};
    let mut readers: Vec<std::io::Lines<std::io::BufReader<fs::File>>> = parts
        .iter()
        .map(|p| std::io::BufReader::new(fs::File::open(p).unwrap()).lines())
        .collect();
    let mut out = BufWriter::new(fs::File::create(to).unwrap());
    let mut heads: Vec<Option<String>> = Vec::new();
    for (i, r) in readers.iter_mut().enumerate() {
        let mut line = r.next().map(Result::unwrap);
        while let Some(l) = line.as_ref().filter(|l| l.starts_with('#')) {
            if i == 0 {
                writeln!(out, "{l}").unwrap();
            }
            line = r.next().map(Result::unwrap);
        }
        heads.push(line);
    }
    let number = |l: &str| l.split(' ').next().unwrap_or("").to_string();
    while let Some(i) = (0..heads.len())
        .filter(|&i| heads[i].is_some())
        .min_by_key(|&i| number(heads[i].as_deref().unwrap()))
    {
        writeln!(out, "{}", heads[i].as_deref().unwrap()).unwrap();
        heads[i] = readers[i].next().map(Result::unwrap);
    }
    out.flush().unwrap();
}

/// Writes a site of `n` products into `dir` (which must not exist), using the plugins
/// and theme of the repository at `repo`.
/// The category (and folder under `content/products/`) of product number `i`.
pub fn category(i: usize) -> &'static str {
    CATEGORIES[i % CATEGORIES.len()].0
}

pub fn generate(repo: &Path, dir: &Path, n: usize) {
    fs::create_dir_all(dir.join("content/parties")).unwrap();
    copy_tree(&repo.join("plugins"), &dir.join("plugins"));
    copy_tree(&repo.join("themes/default"), &dir.join("themes/default"));
    fs::write(
        dir.join("site.toml"),
        // Labels as SVG only: the build benchmark measures pages; benches/labels.rs
        // measures every label format.
        format!("title = \"Synthetic site of {n} products\"\nbase_url = \"https://bench.example\"\nas_of = \"2026-11-23\"\n[labels]\nformats = [\"svg\"]\n"),
    )
    .unwrap();

    // One colour image shared by every product (the EU and UK declarations need one).
    fs::create_dir_all(dir.join("content/assets")).unwrap();
    fs::write(
        dir.join("content/assets/product.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 40\"><rect width=\"40\" height=\"40\" fill=\"#e0a030\"/></svg>\n",
    )
    .unwrap();
    let makers = (n / 500).clamp(2, 200);
    let labs = (n / 1000).clamp(2, 100);
    for i in 0..makers {
        fs::write(
            dir.join(format!("content/parties/maker-{i}.yaml")),
            format!("id: maker-{i}\nkind: manufacturer\nname: Maker {i} Co., Ltd.\naddress: [\"{i} Industrial Road\", \"Ningbo 315000\"]\ncountry: CN\nemail: maker{i}@example.test\nphone: \"+86 574 0000 {i:04}\"\n"),
        )
        .unwrap();
        fs::write(
            dir.join(format!("content/parties/importer-{i}.yaml")),
            format!("id: importer-{i}\nkind: importer\nname: Importer {i} LLC\naddress: [\"{i} Harbor Street\", \"Portland, OR 97201\"]\ncountry: US\nemail: imports{i}@example.test\nphone: \"+1 503 555 {i:04}\"\ncpsc_certifier_id: SYNTH-IMPORTER-{i}\n"),
        )
        .unwrap();
    }
    // Importers established in the EU (Netherlands) and Great Britain, the operators the
    // EU and UK packs look for.
    for (prefix, country, city) in [("eu", "NL", "Rotterdam"), ("gb", "GB", "Felixstowe")] {
        for i in 0..makers {
            fs::write(
                dir.join(format!("content/parties/{prefix}-importer-{i}.yaml")),
                format!("id: {prefix}-importer-{i}\nkind: importer\nname: Importer {i} {country}\naddress: [\"{i} Dock Road\", \"{city}\"]\ncountry: {country}\nemail: {prefix}{i}@example.test\n"),
            )
            .unwrap();
        }
    }
    for i in 0..labs {
        fs::write(
            dir.join(format!("content/parties/lab-{i}.yaml")),
            format!("id: lab-{i}\nkind: lab\nname: Testing Lab {i}\naddress: [\"{i} Science Park\", \"Shenzhen 518000\"]\ncountry: CN\nemail: lab{i}@example.test\nphone: \"+86 755 0000 {i:04}\"\naccreditations: {{ cpsc: \"{}\", iso17025: \"L{i}\" }}\n", 1000 + i),
        )
        .unwrap();
    }
    fs::write(
        dir.join("content/parties/keeper.yaml"),
        "id: keeper\nkind: person\nname: Kim Keeper\naddress: [\"1 Harbor Street\", \"Portland, OR 97201\"]\ncountry: US\nemail: kim@example.test\nphone: \"+1 503 555 0100\"\n",
    )
    .unwrap();

    for i in 0..n {
        let (category, attributes) = (category(i), CATEGORIES[i % CATEGORIES.len()].1);
        let folder = dir.join(format!("content/products/{category}/{:03}", i / 1000));
        if i % 1000 < CATEGORIES.len() {
            fs::create_dir_all(&folder).unwrap();
        }
        let data = format!("095212{:07}", i);
        let gtin = format!("{data}{}", check_digit(&data));
        let maker = i % makers;
        let lab = i % labs;
        // A child care article is for children 3 and younger (the US pack warns otherwise).
        let (min_months, max_months) = if category == "child-care-article" {
            (6 + (i % 3) * 12, 36)
        } else {
            (12 + (i % 4) * 12, 60 + (i % 4) * 12)
        };
        let mut y = String::with_capacity(1200);
        let _ = write!(
            y,
            "id: product-{i}\nname: Synthetic product {i}\nbrand: Bench Brand\nmodel: BB-{i:06}\ngtin: \"{gtin}\"\nsku: BB-{i:06}-EA\ndescription: A synthetic product used to measure build speed. Number {i}.\nimage: assets/product.svg\ncategories: [{category}]\nage: {{ min_months: {}, max_months: {} }}\nattributes:\n  {attributes}\nmarkets: [US, EU, GB, CA, AU]\nmanufacturer: maker-{maker}\nimporters: {{ US: importer-{maker}, EU: eu-importer-{maker}, GB: gb-importer-{maker}, CA: importer-{maker} }}\nrecords_custodian: keeper\nlots:\n",
            min_months, max_months
        );
        for l in 0..2 {
            let _ = writeln!(
                y,
                "  - {{ lot: \"L{i}-{l}\", made: 2026-0{}, place: \"Ningbo, China\", factory: maker-{maker} }}",
                l + 3
            );
        }
        y.push_str("evidence:\n");
        for (r, covers) in [
            "\"16 CFR 1303\", \"15 U.S.C. 1278a\", \"16 CFR 1307\"",
            "\"16 CFR 1250\", \"16 CFR 1501\", \"16 CFR 1610\", \"16 CFR 1615\", \"16 CFR 1616\"",
            "\"Directive 2009/48/EC\", \"SI 2011/1881\", \"EN 71-1\", \"EN 71-2\", \"EN 71-3\"",
            "\"SOR/2011-17\", \"SOR/2011-17 s. 23\", \"SOR/2018-83\", \"SOR/2016-188\"",
            "\"Consumer Goods (Toys for Children up to and including 36 Months of Age) Safety Standard 2023\", \"Consumer Goods (Products Containing Button/Coin Batteries) Safety Standard 2020\"",
        ]
        .iter()
        .enumerate()
        {
            let _ = write!(
                y,
                "  - report: R-{i}-{r}\n    lab: lab-{lab}\n    date: 2026-04-{:02}\n    place: Shenzhen, China\n    covers: [{covers}]\n    result: pass\n",
                10 + r
            );
        }
        y.push_str("declarations: { tracking-label: true }\n");
        fs::write(folder.join(format!("product-{i}.yaml")), y).unwrap();
    }
}
