//! The `vigil` CLI contract, run as a real process on a real store file.

use std::process::Command;

use serde_json::Value;

fn vigil(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(vigil_tests::built_binary("vigil"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run vigil")
}

#[test]
fn status_on_a_fresh_store_counts_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fresh/vigil.sqlite3");
    let out = vigil(&db, &["--json", "status"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: Value = serde_json::from_slice(&out.stdout).expect("json");
    for key in [
        "machines",
        "alerts",
        "investigations",
        "events",
        "pending_actions",
    ] {
        assert_eq!(status[key], 0, "{key} in {status}");
    }
    assert!(db.exists(), "a fresh start creates the store");
}

#[test]
fn an_unusable_store_path_is_one_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").expect("write");
    let out = vigil(&file.join("vigil.sqlite3"), &["status"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
}
