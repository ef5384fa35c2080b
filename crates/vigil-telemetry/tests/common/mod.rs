//! Helpers shared by the integration tests: where the shared fixtures are.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/fixtures` relative to the workspace root (or `$VIGIL_SHARED_FIXTURES`, for a
/// checkout that sits elsewhere, such as a git worktree), if it exists.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("VIGIL_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"));
    dir.is_dir().then_some(dir)
}

/// Our own small fixtures.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Every file under `dir` whose name ends with `ext`, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(ext))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
