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

/// The shared public fixtures (`../shared/fixtures` beside the checkout, or where
/// `VIGIL_SHARED_FIXTURES` says), or `None` with a message saying the test is skipped.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("VIGIL_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/fixtures"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is not here (the public attack samples live there)",
            dir.display()
        );
        None
    }
}

/// `cargo test` does not rebuild other packages' binaries, so the first call builds them
/// (`cargo build --workspace --bins`, quick when nothing changed).
fn build_binaries() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "--workspace", "--bins"])
            .current_dir(workspace_root())
            .status();
        match status {
            Ok(status) if status.success() => {}
            other => panic!("cannot build the binaries under test: {other:?}"),
        }
    });
}

/// A binary of this workspace, freshly built (`target/<profile>/<name>`).
pub fn built_binary(name: &str) -> PathBuf {
    build_binaries();
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
