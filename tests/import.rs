//! Importing telemetry: the project's own small fixtures (run anywhere) and the public
//! attack samples in `../shared/fixtures` (skipped with a message when absent).

use std::path::{Path, PathBuf};

use vigil_engine::domain::{EntityKind, InvestigationStatus, Verdict};
use vigil_engine::{ErrorCode, OpenOptions, Vigil};

async fn fresh() -> (Vigil, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let vigil = Vigil::open(OpenOptions {
        db: Some(dir.path().join("vigil.sqlite3")),
        ..OpenOptions::default()
    })
    .await
    .expect("open");
    (vigil, dir)
}

fn data(name: &str) -> PathBuf {
    vigil_tests::workspace_root().join("tests/data").join(name)
}

fn shared_fixtures() -> Option<PathBuf> {
    let dir = vigil_tests::workspace_root().join("../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared/fixtures is not here (the public attack samples live there)");
        None
    }
}

#[tokio::test]
async fn an_office_macro_import_starts_an_investigation_and_a_reimport_adds_nothing() {
    let (vigil, _dir) = fresh().await;
    let summary = vigil
        .import(&[data("office_macro.ndjson")], |_| {})
        .await
        .expect("import");
    assert_eq!(
        (
            summary.records,
            summary.events_added,
            summary.machines_added
        ),
        (6, 6, 2)
    );
    assert!(summary.alerts >= 1, "{summary:?}");
    assert_eq!(
        summary.investigations_started, 1,
        "the Office rule is high severity"
    );
    let list = vigil
        .investigations(&Default::default())
        .await
        .expect("list");
    let details = vigil.investigation(list[0].id).await.expect("details");
    assert_eq!(details.summary.status, InvestigationStatus::PendingAction);
    let findings: Vec<&str> = details
        .key_findings
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(
        findings.iter().any(|f| f.starts_with("wscript.exe")),
        "{findings:?}"
    );
    // Machines and users from telemetry become known; ws01 has no connector, so its
    // approved actions wait for one.
    let machines = vigil.machines().await.expect("machines");
    assert!(machines
        .iter()
        .any(|m| m.name == "ws01" && m.connector.is_none()));

    let again = vigil
        .import(&[data("office_macro.ndjson")], |_| {})
        .await
        .expect("reimport");
    assert_eq!(
        (again.events_added, again.duplicates, again.alerts),
        (0, 6, 0)
    );
    assert_eq!(vigil.overview().await.expect("overview").events, 6);
}

#[tokio::test]
async fn a_malformed_file_changes_nothing_and_the_error_says_where() {
    let (vigil, dir) = fresh().await;
    let good = std::fs::read_to_string(data("office_macro.ndjson")).expect("fixture");
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(
        3,
        "{\"EventID\": 1, \"Channel\": \"Microsoft-Windows-Sysmon/Operational\", \"ProcessId\": ",
    );
    let bad = dir.path().join("broken.ndjson");
    std::fs::write(&bad, lines.join("\n")).expect("write");
    let error = vigil
        .import(&[data("office_macro.ndjson"), bad], |_| {})
        .await
        .expect_err("bad file");
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    let message = error.to_string();
    assert!(
        message.contains("broken.ndjson") && message.contains("line 4"),
        "{message}"
    );
    let overview = vigil.overview().await.expect("overview");
    assert_eq!(
        (overview.events, overview.machines, overview.alerts),
        (0, 0, 0),
        "nothing was written"
    );
    // An unknown file is refused by name.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").expect("write");
    let error = vigil
        .import(&[text], |_| {})
        .await
        .expect_err("unknown format");
    assert!(error.to_string().contains("notes.txt"), "{error}");
}

#[tokio::test]
async fn an_ioc_list_makes_the_payload_malicious() {
    let (vigil, _dir) = fresh().await;
    assert_eq!(
        vigil.import_intel(&data("iocs.csv")).await.expect("intel"),
        2
    );
    let summary = vigil
        .import(&[data("office_macro.ndjson")], |_| {})
        .await
        .expect("import");
    assert!(
        summary.alerts >= 2,
        "a Sigma alert and an IOC alert: {summary:?}"
    );
    let alerts = vigil.alerts(None).await.expect("alerts");
    assert!(alerts.iter().any(|a| a.detection_source == "ioc"));
    let list = vigil
        .investigations(&Default::default())
        .await
        .expect("list");
    let details = vigil.investigation(list[0].id).await.expect("details");
    let payload = details
        .entities
        .iter()
        .find(|e| e.name == "svc-update.exe")
        .expect("payload");
    assert_eq!(payload.verdict, Verdict::Malicious);
    assert!(payload.reasons.iter().any(|r| r.analyzer == "threat_intel"));
}

async fn investigation_of_sample(path: &Path) -> Result<Vec<(EntityKind, String)>, String> {
    let (vigil, _dir) = fresh().await;
    let summary = vigil
        .import(&[path.to_path_buf()], |_| {})
        .await
        .map_err(|e| e.to_string())?;
    if summary.alerts == 0 {
        return Err("no alert".into());
    }
    // Routed by policy, or started from the first alert in one click.
    let mut list = vigil
        .investigations(&Default::default())
        .await
        .map_err(|e| e.to_string())?;
    if list.is_empty() {
        let alert = vigil
            .alerts(None)
            .await
            .map_err(|e| e.to_string())?
            .remove(0);
        vigil
            .investigate_alert(alert.id, "test")
            .await
            .map_err(|e| e.to_string())?;
        list = vigil
            .investigations(&Default::default())
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut findings = Vec::new();
    for row in list {
        let details = vigil
            .investigation(row.id)
            .await
            .map_err(|e| e.to_string())?;
        findings.extend(details.key_findings.into_iter().map(|f| (f.kind, f.name)));
    }
    Ok(findings)
}

#[tokio::test]
async fn every_attack_sample_yields_an_investigation_that_names_the_culprit() {
    let Some(fixtures) = shared_fixtures() else {
        return;
    };
    let mut samples = Vec::new();
    let mut stack = vec![fixtures.join("EVTX-ATTACK-SAMPLES")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "evtx") {
                samples.push(path);
            }
        }
    }
    samples.sort();
    assert!(!samples.is_empty());
    let mut misses = Vec::new();
    for sample in &samples {
        let name = sample
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match investigation_of_sample(sample).await {
            Ok(findings) => {
                let culprit = findings.iter().find(|(kind, _)| {
                    matches!(
                        kind,
                        EntityKind::Process | EntityKind::File | EntityKind::User
                    )
                });
                match culprit {
                    Some((kind, what)) => eprintln!("{name}: key finding {kind:?} {what}"),
                    None => misses.push(format!(
                        "{name}: no process, file or user among {findings:?}"
                    )),
                }
            }
            Err(why) => misses.push(format!("{name}: {why}")),
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} samples missed:\n{}",
        misses.len(),
        samples.len(),
        misses.join("\n")
    );
}

#[tokio::test]
async fn the_benign_application_log_starts_nothing() {
    let Some(fixtures) = shared_fixtures() else {
        return;
    };
    let (vigil, _dir) = fresh().await;
    let summary = vigil
        .import(&[fixtures.join("DeepBlueCLI")], |_| {})
        .await
        .expect("import");
    assert!(summary.records > 2000, "{summary:?}");
    assert_eq!((summary.alerts, summary.investigations_started), (0, 0));
}

#[tokio::test]
async fn the_same_import_makes_the_same_alerts_whatever_order_the_workers_finish_in() {
    let Some(fixtures) = shared_fixtures() else {
        return;
    };
    let mut runs = Vec::new();
    for _ in 0..3 {
        let (vigil, _dir) = fresh().await;
        vigil
            .import(&[fixtures.join("EVTX-ATTACK-SAMPLES")], |_| {})
            .await
            .expect("import");
        let alerts: Vec<_> = vigil
            .alerts(None)
            .await
            .expect("alerts")
            .into_iter()
            .map(|a| (a.rule_id, a.machine, a.user, a.first_seen, a.last_seen))
            .collect();
        let investigations: Vec<_> = vigil
            .investigations(&Default::default())
            .await
            .expect("investigations")
            .into_iter()
            .map(|i| (i.title, i.status))
            .collect();
        runs.push((alerts, investigations));
    }
    assert!(!runs[0].0.is_empty(), "the attack samples raise alerts");
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[1], runs[2]);
}
