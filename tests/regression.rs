//! One test per bug fixed, named after what broke (each says where it was seen). Tests of a
//! behaviour belong with it; this file keeps the bugs, so a reader sees what went wrong once.

use std::process::{Command, Stdio};

fn vigil() -> Command {
    Command::new(vigil_tests::built_binary("vigil"))
}

/// `vigil … | head` made the CLI panic with a backtrace when `head` closed its end of the
/// pipe; it now ends quietly with status 0, as `ls` and `rg` do.
#[test]
fn cli_writing_into_a_closed_pipe_panicked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let demo = vigil()
        .arg("--db")
        .arg(&db)
        .arg("demo")
        .output()
        .expect("demo");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    for args in [
        &["alerts"][..],
        &["--json", "alerts"],
        &["export", "investigations", "--format", "csv"],
    ] {
        let mut child = vigil()
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // The reader goes away before the first line is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stderr.contains("panicked"),
            "vigil {args:?} into a closed pipe: {:?}\n{stderr}",
            out.status
        );
    }
}

/// Finishing what an earlier process left moved into the engine (the first time a process
/// takes the work lock). It first also ran the investigations the import had just queued,
/// before the import could fold the ones that belong together: one WMI persistence became
/// two investigations.
#[test]
fn recovery_ran_the_investigations_an_import_had_just_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let case = vigil_tests::workspace_root().join("tests/golden/cases/wmi_subscription.ndjson");
    let out = vigil()
        .arg("--db")
        .arg(&db)
        .arg("--json")
        .arg("import")
        .arg(&case)
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(summary["investigations_started"], 1, "{summary}");
}
