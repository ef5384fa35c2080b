//! Golden tests of the judge, per technique: telemetry in, the investigations' verdicts out
//! as sorted text (YARA-X style `<case>` → `<case>.verdicts`). The cases are the project's
//! own small logs of each kind of artefact an attack leaves (`tests/golden/cases/*.ndjson`,
//! run anywhere) and the public attack samples of `../shared/fixtures` (skipped with a
//! message when absent; their outputs live in `tests/golden/fixtures/`).
//!
//! A changed output fails the test and prints both; `UPDATE_GOLDEN=1 cargo test --test
//! golden` writes the new ones, to be read and committed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vigil_engine::domain::InvestigationDetails;

/// Everything an admin would read to decide: per investigation, its alerts, its findings
/// in rank order with the strongest reason, its actions, and what Vigil refused to do.
fn render(details: &[InvestigationDetails], alerts_without: &[(String, String)]) -> String {
    let mut out = String::new();
    for d in details {
        let _ = writeln!(
            out,
            "investigation \"{}\" on {}: {}",
            d.summary.title,
            d.summary.machine_names.join(", "),
            d.summary.status.as_str()
        );
        // What the status leaves to the admin (findings to review).
        if d.summary.status == vigil_engine::domain::InvestigationStatus::NoThreatsFound
            && !d.summary.status_detail.is_empty()
        {
            let _ = writeln!(out, "  {}", d.summary.status_detail);
        }
        let mut alerts: Vec<String> = d
            .alerts
            .iter()
            .map(|a| format!("  alert {} \"{}\"", a.severity.as_str(), a.title))
            .collect();
        alerts.sort();
        alerts.dedup();
        for a in alerts {
            let _ = writeln!(out, "{a}");
        }
        for (rank, f) in d.key_findings.iter().enumerate() {
            let why = f.reasons.first().map(|r| r.text.as_str()).unwrap_or("");
            let _ = writeln!(
                out,
                "  finding {} {} \"{}\" {}: {why}",
                rank + 1,
                f.kind_label,
                f.name,
                f.verdict.as_str()
            );
            if let Some(p) = &f.protected {
                let _ = writeln!(out, "    not acted on: {p}");
            }
        }
        for g in &d.finding_groups {
            let _ = writeln!(out, "  group \"{}\" of {}", g.label, g.entity_ids.len());
        }
        let others = d.entities.len() - d.key_findings.len();
        let _ = writeln!(out, "  {others} other entities");
        let mut actions: Vec<String> = d
            .actions
            .iter()
            .map(|a| {
                format!(
                    "  action {} \"{}\" {}",
                    a.label,
                    a.entity.as_deref().unwrap_or(""),
                    a.state.as_str()
                )
            })
            .collect();
        actions.sort();
        for a in actions {
            let _ = writeln!(out, "{a}");
        }
        let users: Vec<&str> = d.users.iter().map(|u| u.name.as_str()).collect();
        if !users.is_empty() {
            let _ = writeln!(out, "  users {}", users.join(", "));
        }
    }
    for (severity, title) in alerts_without {
        let _ = writeln!(out, "alert without investigation {severity} \"{title}\"");
    }
    if out.is_empty() {
        out.push_str("no alert\n");
    }
    out
}

/// Imports `input` into a fresh store and renders what the investigations concluded.
async fn verdicts_of(input: &Path) -> String {
    let (vigil, _dir) = vigil_tests::fresh_store().await;
    vigil
        .import(&[input.to_path_buf()], |_| {})
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let mut list = vigil
        .investigations(&Default::default())
        .await
        .expect("list");
    list.sort_by_key(|i| i.id);
    let mut details = Vec::new();
    for row in list {
        details.push(vigil.investigation(row.id).await.expect("details"));
    }
    let mut without: Vec<(String, String)> = vigil
        .alerts(None)
        .await
        .expect("alerts")
        .into_iter()
        .filter(|a| a.investigation_id.is_none())
        .map(|a| (a.severity.as_str().to_string(), a.title))
        .collect();
    without.sort();
    without.dedup();
    render(&details, &without)
}

/// Compares `actual` with the golden file (or writes it under `UPDATE_GOLDEN`); returns a
/// description of the difference.
fn compare(golden: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Some(parent) = golden.parent() {
            std::fs::create_dir_all(parent).expect("golden folder");
        }
        std::fs::write(golden, actual).expect("write golden");
        return None;
    }
    let expected = std::fs::read_to_string(golden).unwrap_or_default();
    (expected != actual).then(|| {
        format!(
            "{} differs (UPDATE_GOLDEN=1 rewrites it)\n--- expected\n{expected}--- actual\n{actual}",
            golden.display()
        )
    })
}

fn cases() -> PathBuf {
    vigil_tests::workspace_root().join("tests/golden/cases")
}

#[tokio::test]
async fn each_kind_of_artefact_is_named_and_judged_as_its_golden_file_says() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(cases())
        .expect("cases")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 12, "a case per kind of artefact");
    let mut failures = Vec::new();
    for input in &inputs {
        let actual = verdicts_of(input).await;
        if let Some(diff) = compare(&input.with_extension("verdicts"), &actual) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn each_public_attack_sample_is_judged_as_its_golden_file_says() {
    let Some(fixtures) = vigil_tests::shared_fixtures() else {
        return;
    };
    let inputs = vigil_tests::attack_samples(&fixtures);
    assert!(!inputs.is_empty(), "the attack samples are there");
    let goldens = vigil_tests::workspace_root().join("tests/golden/fixtures");
    let mut failures = Vec::new();
    for input in &inputs {
        let name = input
            .strip_prefix(&fixtures)
            .unwrap_or(input)
            .to_string_lossy()
            .replace(['/', ' '], "_");
        let actual = verdicts_of(input).await;
        if let Some(diff) = compare(&goldens.join(format!("{name}.verdicts")), &actual) {
            failures.push(diff);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
