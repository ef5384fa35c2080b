//! One test per bug fixed, named after what broke (each says where it was seen). Tests of a
//! behaviour belong with it; this file keeps the bugs, so a reader sees what went wrong once.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

fn vigil() -> Command {
    Command::new(vigil_tests::built_binary("vigil"))
}

use vigil_tests::vigil_json as run;

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

/// Investigating a machine again while its investigation waited for approval made a
/// second investigation, which found the alerts taken by the first and said "no threats
/// found" about a machine under attack. It now opens the one already looking at it.
#[test]
fn investigating_a_machine_twice_made_a_second_that_found_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    run(&db, ["demo"]);
    let first = run(&db, ["investigate", "--machine", "client4"]);
    let again = run(&db, ["investigate", "--machine", "client4"]);
    assert_eq!(first["id"], again["id"]);
    assert_eq!(again["status"], "pending_action");
    let list = run(&db, ["investigations"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}

/// A backdoor the threat feed names, dropped in a user's Downloads on one machine and
/// planted in System32 under another name on a second: the System32 copy gave no hash tie
/// (its folder ties nothing), so the two alerts started two investigations, each of which
/// grew into the other machine and proposed the same two quarantines. A planted file's hash
/// now ties it, in one import as in two.
#[test]
fn a_payload_planted_in_system32_made_a_second_investigation_with_the_same_actions() {
    let hash = "9f2b5c61d3a8e47f0b6c2d19e8a7f3c4b5d6e7f8091a2b3c4d5e6f708192a3b4";
    let dropped = |at: &str, host: &str, image: &str, path: &str| {
        serde_json::json!({
            "@timestamp": at, "Hostname": host, "EventID": 11,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "ProcessId": 6024, "Image": image, "TargetFilename": path,
            "Hashes": format!("SHA256={}", hash.to_uppercase()),
        })
        .to_string()
    };
    let first = dropped(
        "2026-11-30T09:05:00Z",
        "client4.corp.local",
        r"C:\Windows\System32\wscript.exe",
        r"C:\Users\alice\Downloads\updater.exe",
    );
    let second = dropped(
        "2026-11-30T09:20:00Z",
        "client7.corp.local",
        r"C:\Windows\System32\svchost.exe",
        r"C:\Windows\System32\wupdsvc.exe",
    );
    for imports in [vec![format!("{first}\n{second}\n")], vec![first, second]] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("vigil.sqlite3");
        let iocs = dir.path().join("iocs.csv");
        std::fs::write(
            &iocs,
            format!("type,value,description\nsha256,{hash},backdoor\n"),
        )
        .expect("write");
        run(
            &db,
            [OsStr::new("intel"), OsStr::new("import"), iocs.as_os_str()],
        );
        for (n, lines) in imports.iter().enumerate() {
            let file = dir.path().join(format!("part{n}.ndjson"));
            std::fs::write(&file, lines).expect("write");
            run(&db, [OsStr::new("import"), file.as_os_str()]);
        }
        let list = run(&db, ["investigations"]);
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        let actions = run(&db, ["actions"]);
        let targets: Vec<&str> = actions
            .as_array()
            .expect("actions")
            .iter()
            .filter_map(|a| a["entity"].as_str())
            .collect();
        assert_eq!(
            targets,
            ["wupdsvc.exe", "updater.exe"],
            "one quarantine per copy"
        );
    }
}

/// Investigations an import queued fold into the one that ran first only while it stayed
/// open: at full automation the first remediated the attack at once, and the alerts tied to
/// it (the script, the run key) started two more investigations of the same attack. The
/// demo office at full automation showed it: three investigations, now one.
#[test]
fn an_attack_remediated_at_once_was_split_into_three_investigations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let demo = run(&db, ["demo", "--level", "Workstations=full"]);
    assert_eq!(demo["investigations"], 1, "{demo}");
    let list = run(&db, ["investigations"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["status"], "remediated");
    assert_eq!(
        list[0]["machine_names"],
        serde_json::json!(["client4", "client7"])
    );
}
