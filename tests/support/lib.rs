//! Helpers for Vigil's cross-crate tests: where the built binaries are, a virtual display,
//! and tauri-driver for driving the real window.

pub mod window;

use std::path::PathBuf;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// A binary built by this `cargo test` run (`target/<profile>/<name>`).
pub fn built_binary(name: &str) -> PathBuf {
    // A test binary lives in target/<profile>/deps/.
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug"));
    profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Where tests put screenshots and other artifacts worth looking at.
pub fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join("tests/artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}
