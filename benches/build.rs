//! `cargo bench --bench build`: builds synthetic sites of 1,000, 10,000 and 100,000
//! products with the release binary and reports the time, peak memory and what the build
//! wrote (files, folders and bytes, per product, and its size as the tar archive GitHub
//! Pages uploads), against a baseline measured in the same run: the
//! time the file system needs to write a tree of the same folders, file count and file
//! sizes (issue 17: a build within 1.5 times that), so figures from different machines
//! compare as ratios.
//!
//! Then, for sizes up to 10,000, incremental builds on disk against a full build in the
//! same run (issue 17: a rebuild with nothing changed under a tenth of a full build): a
//! rebuild with nothing changed, and one after one product's record changed (which renders
//! only that product's files, its certificates' and the lists, and links the rest unread),
//! with the files each wrote (a new inode or modification time).
//!
//! Sites are generated once under target/bench-sites/. Old output is moved aside and
//! deleted outside the timed part.

#[path = "child.rs"]
mod child;
#[path = "synth.rs"]
mod synth;

use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Run {
    wall: Duration,
    peak_rss_kb: i64,
}

/// Runs the build in a child process, with its peak resident memory.
fn build(bin: &Path, site: &Path, out: &Path) -> Run {
    let m = child::run(
        bin,
        &[
            "build",
            "--root",
            site.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    );
    Run {
        wall: m.wall,
        peak_rss_kb: m.peak_rss_kb,
    }
}

/// What a build wrote: each folder, and each file's path and size.
struct Tree {
    dirs: Vec<PathBuf>,
    files: Vec<(PathBuf, u64)>,
}

impl Tree {
    fn of(out: &Path) -> Tree {
        let mut tree = Tree {
            dirs: Vec::new(),
            files: Vec::new(),
        };
        for e in walkdir::WalkDir::new(out)
            .into_iter()
            .filter_map(Result::ok)
        {
            let rel = e.path().strip_prefix(out).unwrap().to_path_buf();
            if e.file_type().is_dir() {
                tree.dirs.push(rel);
            } else if e.file_type().is_file() {
                tree.files.push((rel, e.metadata().unwrap().len()));
            }
        }
        tree
    }

    fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, n)| n).sum()
    }

    /// The tree's size as an uncompressed tar archive, which is what GitHub Pages uploads
    /// and holds to its 1 GB (each file and folder a 512-byte header, each file's bytes
    /// padded to 512, a longer name than 100 bytes one more header and its blocks, the
    /// archive rounded up to 10,240 bytes).
    fn tar_bytes(&self) -> u64 {
        let block = |n: u64| n.div_ceil(512) * 512;
        let name = |p: &Path| {
            let len = p.as_os_str().len() as u64;
            if len > 100 { 512 + block(len + 1) } else { 0 }
        };
        let dirs: u64 = self.dirs.iter().map(|d| 512 + name(d)).sum();
        let files: u64 = self
            .files
            .iter()
            .map(|(p, n)| 512 + name(p) + block(*n))
            .sum();
        (dirs + files + 1024).div_ceil(10_240) * 10_240
    }

    fn pages(&self) -> usize {
        self.files
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|x| x == "html"))
            .count()
    }
}

/// The baseline: the same folders and files of the same sizes written to `to`, on as many
/// threads as the build uses, each file created, written whole and closed as a build does.
fn write_baseline(tree: &Tree, to: &Path) -> Duration {
    let largest = tree.files.iter().map(|(_, n)| *n).max().unwrap_or(0) as usize;
    // Varied bytes, so no layer below can treat the files as empty or alike.
    let filler: Vec<u8> = (0..largest).map(|i| (i * 131 % 251) as u8).collect();
    let start = Instant::now();
    for d in &tree.dirs {
        fs::create_dir_all(to.join(d)).unwrap();
    }
    tree.files.par_iter().for_each(|(rel, n)| {
        fs::write(to.join(rel), &filler[..*n as usize]).unwrap();
    });
    start.elapsed()
}

/// Each file under `out` with its inode and modification time.
fn stamps(out: &Path) -> std::collections::HashMap<PathBuf, (u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            (e.into_path(), (m.ino(), m.mtime(), m.mtime_nsec()))
        })
        .collect()
}

/// Files written since `before` (new, or another inode or time).
fn rewritten(before: &std::collections::HashMap<PathBuf, (u64, i64, i64)>, out: &Path) -> usize {
    stamps(out)
        .iter()
        .filter(|(p, s)| before.get(*p) != Some(s))
        .count()
}

/// A full build into a fresh folder, a rebuild with nothing changed, and a rebuild after
/// one product's name changed (put back afterwards): times, and files written.
fn incremental(bin: &Path, site: &Path, n: usize, out: &Path) {
    let full = build(bin, site, out);
    let files = stamps(out);
    let same = build(bin, site, out);
    let same_written = rewritten(&files, out);
    let record = walkdir::WalkDir::new(site.join("content/products"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .expect("a product record")
        .into_path();
    let text = fs::read_to_string(&record).unwrap();
    fs::write(&record, text.replacen("\nname: ", "\nname: Renamed ", 1)).unwrap();
    let files = stamps(out);
    let one = build(bin, site, out);
    fs::write(&record, text).unwrap();
    let one_written = rewritten(&files, out);
    let (f, s, o) = (
        full.wall.as_secs_f64(),
        same.wall.as_secs_f64(),
        one.wall.as_secs_f64(),
    );
    println!(
        "{n:>8} {f:>8.2} {s:>10.2} {:>8.3} {same_written:>9} {o:>11.2} {:>9.3} {one_written:>9} {:>8}",
        s / f,
        o / f,
        files.len()
    );
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_certpress"));
    let sizes = child::sizes("1000,10000,100000");
    let root = repo.join("target/bench-sites");
    let scratch = root.join("scratch");
    let trash = root.join("trash");
    fs::create_dir_all(&scratch).unwrap();
    fs::create_dir_all(&trash).unwrap();

    println!(
        "{:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>9} {:>10} {:>8} {:>8} {:>9} {:>11}",
        "products",
        "pages",
        "files",
        "folders",
        "MB",
        "tar MB",
        "KB/prod",
        "files/prod",
        "build s",
        "peak MB",
        "write s",
        "build/write"
    );
    let mut per_product: Vec<(usize, f64, f64)> = Vec::new();
    for n in sizes.iter().copied() {
        let site = root.join(format!("site-{n}"));
        synth::ensure(&repo, &site, n, &trash, Some(&bin));
        let runs = if n >= 100_000 { 1 } else { 3 };
        let mut best: Option<Run> = None;
        let mut write = Duration::MAX;
        let mut tree = None;
        for r in 0..runs {
            let out = scratch.join(format!("out-{n}-{r}"));
            let run = build(&bin, &site, &out);
            let t = Tree::of(&out);
            let copy_to = scratch.join(format!("write-{n}-{r}"));
            write = write.min(write_baseline(&t, &copy_to));
            tree = Some(t);
            // Move outputs aside; they are deleted after all timing is done.
            let manifest = out.with_file_name(format!(".out-{n}-{r}.manifest"));
            for p in [&out, &copy_to, &manifest] {
                fs::rename(
                    p,
                    trash.join(format!(
                        "{}-{}",
                        p.file_name().unwrap().to_string_lossy(),
                        std::process::id()
                    )),
                )
                .unwrap();
            }
            if best.as_ref().is_none_or(|b| run.wall < b.wall) {
                best = Some(run);
            }
        }
        let (run, tree) = (best.unwrap(), tree.unwrap());
        let secs = run.wall.as_secs_f64();
        let mb = run.peak_rss_kb as f64 / 1024.0;
        let bytes = tree.bytes() as f64;
        println!(
            "{n:>8} {:>8} {:>8} {:>8} {:>9.1} {:>8.1} {:>9.1} {:>10.1} {:>8.2} {:>8.1} {:>9.2} {:>11.2}",
            tree.pages(),
            tree.files.len(),
            tree.dirs.len(),
            bytes / 1e6,
            tree.tar_bytes() as f64 / 1e6,
            bytes / 1e3 / n as f64,
            tree.files.len() as f64 / n as f64,
            secs,
            mb,
            write.as_secs_f64(),
            secs / write.as_secs_f64()
        );
        per_product.push((n, secs / n as f64, mb));
    }
    if let Some(&(n0, t0, m0)) = per_product.first() {
        println!("\nscaling against {n0} products (1.00 = linear):");
        for &(n, t, m) in &per_product {
            println!(
                "{n:>8}: time per product x{:.2}, peak memory x{:.2} for x{:.0} products",
                t / t0,
                m / m0,
                n as f64 / n0 as f64
            );
        }
    }
    let small: Vec<usize> = sizes.iter().copied().filter(|n| *n <= 10_000).collect();
    if !small.is_empty() {
        println!(
            "\nincremental builds (seconds; ratio to the full build in the same run; files written):"
        );
        println!(
            "{:>8} {:>8} {:>10} {:>8} {:>9} {:>11} {:>9} {:>9} {:>8}",
            "products",
            "full s",
            "same s",
            "same/full",
            "written",
            "one prod s",
            "one/full",
            "written",
            "files"
        );
    }
    for n in small {
        let out = scratch.join(format!("incremental-{n}"));
        incremental(&bin, &root.join(format!("site-{n}")), n, &out);
        for p in [
            out.clone(),
            out.with_file_name(format!(".incremental-{n}.manifest")),
        ] {
            let _ = fs::rename(
                &p,
                trash.join(format!(
                    "{}-{}",
                    p.file_name().unwrap().to_string_lossy(),
                    std::process::id()
                )),
            );
        }
    }
    // Deletion is slow on some disks: it happens here, after all timing.
    let _ = fs::remove_dir_all(&trash);
}
