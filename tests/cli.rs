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

fn json(db: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = vigil(db, &all);
    assert!(
        out.status.success(),
        "vigil {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn the_cli_contract_from_demo_to_remediated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    json(&db, &["demo"]);
    let machines = json(&db, &["machines"]);
    let first = &machines[0];
    for key in ["name", "group", "risk", "os"] {
        assert!(first.get(key).is_some(), "machines[].{key} in {first}");
    }
    assert_eq!(first["name"], "client4", "the machine at risk comes first");

    let inv = json(&db, &["investigate", "--machine", "client4"]);
    assert_eq!(inv["status"], "pending_action");
    let id = inv["id"].as_u64().expect("id").to_string();
    let names: Vec<&str> = inv["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, ["client4", "client7"]);
    assert!(inv["entities"][0]["verdict"].is_string());
    assert!(inv["entities"][0]["remediation_status"].is_string());
    assert!(!inv["key_findings"].as_array().expect("findings").is_empty());
    assert!(!inv["log"].as_array().expect("log").is_empty());

    // Approve by kind until nothing waits.
    loop {
        let pending = json(&db, &["actions", "--pending"]);
        let Some(kind) = pending[0]["kind"].as_str().map(str::to_string) else {
            break;
        };
        let ids: Vec<String> = pending
            .as_array()
            .expect("actions")
            .iter()
            .filter(|a| a["kind"] == kind.as_str())
            .map(|a| a["id"].to_string())
            .collect();
        let mut args = vec!["approve"];
        args.extend(ids.iter().map(String::as_str));
        let approved = json(&db, &args);
        assert!(approved
            .as_array()
            .expect("approved")
            .iter()
            .all(|a| a["state"] == "succeeded"));
    }
    let done = json(&db, &["investigation", &id]);
    assert_eq!(done["status"], "remediated");
    let listed = json(&db, &["investigations", "--status", "remediated"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let status = json(&db, &["status"]);
    assert_eq!(status["pending_actions"], 0);

    let csv = vigil(&db, &["export", "investigations", "--format", "csv"]);
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(text.starts_with("id,status,"), "{text}");
    assert!(text.contains(",remediated,"), "{text}");
}

#[test]
fn bad_arguments_are_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    for (args, needle) in [
        (
            vec!["investigate", "--machine", "nope"],
            "machine not found: nope",
        ),
        (
            vec!["group", "set-level", "Ungrouped machines", "semi"],
            "unknown automation level",
        ),
        (vec!["investigations", "--status", "done"], "unknown status"),
        (vec!["approve", "42"], "action not found: 42"),
    ] {
        let out = vigil(&db, &args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn an_ioc_list_says_where_its_indicators_were_already_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let data = vigil_tests::workspace_root().join("tests/data");
    let telemetry = data.join("office_macro.ndjson");
    json(&db, &["import", telemetry.to_str().expect("utf-8 path")]);

    let list = data.join("iocs.csv");
    let out = vigil(
        &db,
        &["intel", "import", list.to_str().expect("utf-8 path")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            format!("{}: 2 indicators, 2 new", list.display()).as_str(),
            "already seen on ws01: 1 alert raised, 0 investigations started",
        ],
        "the hash joins the investigation ws01 already has"
    );
    let again = json(
        &db,
        &["intel", "import", list.to_str().expect("utf-8 path")],
    );
    assert_eq!(again["added"], 0);
    assert_eq!(again["seen_on"], serde_json::json!([]));
}

#[test]
fn rules_list_names_the_shipped_sigmahq_rules_and_a_refused_update_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let out = vigil(&db, &["rules", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Vigil's own rules: 21",
        "shipped with Vigil, SigmaHQ commit 8eaafff",
        "Detection rules by the SigmaHQ project and its contributors, under the Detection Rule License 1.1",
        "Your rule folders: none",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    let bad = dir.path().join("sigma_core.zip");
    std::fs::write(&bad, "not a zip").expect("write");
    let out = vigil(&db, &["rules", "update", bad.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("sigma_core.zip: not a readable zip archive"),
        "{stderr}"
    );
    let sets = json(&db, &["rules", "list"]);
    assert_eq!(sets["sigmahq"]["source"], "embedded");
}

/// What an attacker named cannot disguise itself or drive the terminal in the CLI's text or
/// in a CSV export: an override, a zero-width space and an escape sequence are written out.
#[test]
fn attacker_strings_are_written_out_in_text_and_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let hash = "ab".repeat(32);
    let iocs = dir.path().join("iocs.csv");
    std::fs::write(
        &iocs,
        format!("type,value,description\nsha256,{hash},back\u{200b}door \u{1b}]0;pwned\u{7}\n"),
    )
    .expect("write");
    let log = dir.path().join("drop.ndjson");
    let record = serde_json::json!({
        "@timestamp": "2026-11-30T09:05:00Z", "Hostname": "ws1.corp.local", "EventID": 11,
        "Channel": "Microsoft-Windows-Sysmon/Operational", "ProcessId": 42,
        "Image": r"C:\Windows\explorer.exe",
        "TargetFilename": "C:\\Users\\a\\Downloads\\invoice\u{202e}fdp.exe",
        "Hashes": format!("SHA256={hash}"),
    });
    std::fs::write(&log, format!("{record}\n")).expect("write");
    for args in [
        vec!["intel", "import", iocs.to_str().expect("path")],
        vec!["import", log.to_str().expect("path")],
    ] {
        let out = vigil(&db, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut shown = String::new();
    for args in [
        &["alerts"][..],
        &["investigation", "1"],
        &["actions"],
        &["export", "investigations", "--format", "csv"],
    ] {
        let out = vigil(&db, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        shown.push_str(&String::from_utf8(out.stdout).expect("utf-8"));
    }
    for hidden in ['\u{202e}', '\u{200b}', '\u{1b}', '\u{7}'] {
        assert!(!shown.contains(hidden), "{hidden:?} in {shown}");
    }
    assert!(shown.contains("invoice⟨U+202E⟩fdp.exe"), "{shown}");
    assert!(
        shown.contains("back⟨U+200B⟩door ⟨U+001B⟩]0;pwned⟨U+0007⟩"),
        "{shown}"
    );
    // JSON for scripts keeps the exact strings.
    let out = vigil(&db, &["--json", "actions"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{202e}'));
}
