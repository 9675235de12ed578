//! A command plugin's `command:` (SPEC §5): the program in the plugin's folder that
//! assesses its products, checked when the manifest loads. Running it, and the protocol
//! it speaks, belong to the assess stage (`assess::command`).

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// The default time a command plugin has for a whole build's batch.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 60;

#[derive(Debug, Clone)]
pub struct CommandPlugin {
    /// The program, inside the plugin's folder.
    pub program: PathBuf,
    /// The plugin's folder: the program runs there.
    pub dir: PathBuf,
    pub timeout: Duration,
}

/// Checks the `command:` of a plugin: a relative path inside the plugin's folder that
/// exists and is a file.
pub fn resolve(dir: &Path, command: &str) -> Result<PathBuf, String> {
    let rel = Path::new(command);
    if rel.is_absolute()
        || !rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "command `{command}` must be a relative path inside the plugin's folder"
        ));
    }
    let full = dir.join(rel);
    match (full.canonicalize(), dir.canonicalize()) {
        (Ok(f), Ok(d)) if f.starts_with(&d) && f.is_file() => Ok(f),
        (Ok(_), Ok(_)) => Err(format!(
            "command `{command}` is not a file inside the plugin's folder"
        )),
        _ => Err(format!(
            "command `{command}` does not exist in {}",
            dir.display()
        )),
    }
}
