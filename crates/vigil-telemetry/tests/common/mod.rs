//! Helpers shared by the integration tests: where the shared fixtures are.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/fixtures` relative to the workspace root (or the folder `VIGIL_FIXTURES`
/// names, for a checkout that is not beside `shared/`), if it exists.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = match std::env::var_os("VIGIL_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"),
    };
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

/// The rule ids an `info.yml` of SigmaHQ's regression data names (under `rule_metadata`).
pub fn info_rule_ids(info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_meta = false;
    for line in info.lines() {
        if line.starts_with("rule_metadata:") {
            in_meta = true;
        } else if !line.starts_with(' ') && !line.is_empty() {
            in_meta = false;
        }
        if in_meta {
            if let Some(id) = line.trim().trim_start_matches("- ").strip_prefix("id:") {
                out.push(id.trim().trim_matches('\'').trim_matches('"').to_string());
            }
        }
    }
    out
}
