//! Helpers for Vigil's cross-crate tests: where the built binaries are, a virtual display,
//! and tauri-driver for driving the real window.

pub mod window;

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The shared public fixtures (`../shared/fixtures` beside the checkout, or where
/// `VIGIL_SHARED_FIXTURES` or `VIGIL_FIXTURES` says, for a checkout elsewhere such as a
/// worktree), or `None` with a message saying the test is skipped.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("VIGIL_SHARED_FIXTURES")
        .or_else(|| std::env::var_os("VIGIL_FIXTURES"))
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

/// The fixtures' attack samples (EVTX-ATTACK-SAMPLES' `.evtx` files and Security-Datasets'
/// zips), sorted.
pub fn attack_samples(fixtures: &Path) -> Vec<PathBuf> {
    let mut samples = Vec::new();
    for folder in ["EVTX-ATTACK-SAMPLES", "Security-Datasets"] {
        let mut stack = vec![fixtures.join(folder)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "evtx" || e == "zip") {
                    samples.push(path);
                }
            }
        }
    }
    samples.sort();
    samples
}

/// A new store in a folder of its own (kept while the folder lives).
pub async fn fresh_store() -> (vigil_engine::Vigil, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let vigil = vigil_engine::Vigil::open(vigil_engine::OpenOptions {
        db: Some(dir.path().join("vigil.sqlite3")),
        ..vigil_engine::OpenOptions::default()
    })
    .await
    .expect("open");
    (vigil, dir)
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

/// Reads a store file that other processes write: opens it in a runtime of its own, lets
/// `read` query its pool, and closes it again.
pub fn read_store<T>(db: &Path, read: impl AsyncFnOnce(&sqlx::SqlitePool) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let vigil = vigil_engine::Vigil::open(vigil_engine::OpenOptions {
            db: Some(db.to_path_buf()),
            ..vigil_engine::OpenOptions::default()
        })
        .await
        .expect("open");
        let out = read(vigil.pool_for_tests()).await;
        vigil.close().await;
        out
    })
}

/// Runs the built `vigil --db DB --json ARGS`, which must succeed, and returns what it
/// printed (null when it printed nothing).
pub fn vigil_json<I>(db: &Path, args: I) -> serde_json::Value
where
    I: IntoIterator,
    I::Item: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().into()).collect();
    let out = std::process::Command::new(built_binary("vigil"))
        .arg("--db")
        .arg(db)
        .arg("--json")
        .args(&args)
        .output()
        .expect("run vigil");
    assert!(
        out.status.success(),
        "vigil {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}
