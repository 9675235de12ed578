//! `certpress new <dir>`: a site that builds straight away. The default theme and the
//! rule packs are embedded in the binary, so `new` works anywhere.

use include_dir::{Dir, include_dir};
use std::fs;
use std::path::Path;

static THEME: Dir = include_dir!("$CARGO_MANIFEST_DIR/themes/default");
static PLUGINS: Dir = include_dir!("$CARGO_MANIFEST_DIR/plugins");
static STARTER: Dir = include_dir!("$CARGO_MANIFEST_DIR/src/scaffold");

fn write_tree(dir: &Dir, to: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    for file in dir.files() {
        let path = to.join(file.path());
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, file.contents())?;
        n += 1;
    }
    for sub in dir.dirs() {
        n += write_tree(sub, to)?;
    }
    Ok(n)
}

/// Writes the new site; returns the exit code.
pub fn run(dir: &Path) -> u8 {
    match create(dir) {
        Ok(n) => {
            println!("Created a new site in {} ({n} files).", dir.display());
            println!(
                "Next: cd {} && certpress issue && certpress build",
                dir.display()
            );
            0
        }
        Err(m) => {
            eprintln!("error: {m}");
            2
        }
    }
}

pub fn create(dir: &Path) -> Result<usize, String> {
    if dir.exists() && fs::read_dir(dir).map_or(true, |mut rd| rd.next().is_some()) {
        return Err(format!("{} already exists and is not empty", dir.display()));
    }
    let mut n =
        write_tree(&STARTER, dir).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
    fs::create_dir_all(dir.join("content/assets")).map_err(|e| e.to_string())?;
    n += write_tree(&THEME, &dir.join("themes/default")).map_err(|e| e.to_string())?;
    n += write_tree(&PLUGINS, &dir.join("plugins")).map_err(|e| e.to_string())?;
    Ok(n)
}
