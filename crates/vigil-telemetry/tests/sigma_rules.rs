//! Sigma engine behaviour on Vigil's own fixtures: default rules, logsource gating,
//! load reports.

mod common;

use vigil_telemetry::{Reader, Record, SigmaEngine};

fn records(name: &str) -> Vec<Record> {
    Reader::open(common::data(name))
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("read")
}

fn titles(engine: &SigmaEngine, record: &Record) -> Vec<String> {
    let mut t: Vec<String> = engine
        .evaluate(record)
        .into_iter()
        .map(|m| m.title)
        .collect();
    t.sort();
    t
}

#[test]
fn builtin_rules_all_load() {
    let (engine, report) = SigmaEngine::builtin();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    // 20 files; the PsExec file holds two rules.
    assert_eq!(vigil_telemetry::sigma::BUILTIN_RULES.len(), 20);
    assert_eq!(report.loaded, 21);
    assert_eq!(engine.rule_count(), 21);
}

#[test]
fn builtin_rules_fire_on_own_fixtures() {
    let (engine, _) = SigmaEngine::builtin();
    let ecs = records("ecs.ndjson");
    assert_eq!(
        titles(&engine, &ecs[0]),
        [
            "Office Application Spawning a Script Host or Shell",
            "PowerShell with an Encoded Command"
        ]
    );
    let m = &engine.evaluate(&ecs[0])[0];
    assert!(!m.rule_id.is_empty() && !m.description.is_empty());
    assert!(m.tags.iter().any(|t| t.starts_with("attack.t")));
    assert!(titles(&engine, &ecs[1]).is_empty());

    let flat = records("flat.ndjson");
    assert_eq!(titles(&engine, &flat[0]), ["Run Key Persistence"]);
    assert!(
        titles(&engine, &flat[1]).is_empty(),
        "EventID 1 in the Security channel is not a Sysmon process creation"
    );
    assert_eq!(titles(&engine, &flat[2]), ["PsExec Service Installed"]);
    assert_eq!(
        titles(&engine, &flat[3]),
        ["Office Application Spawning a Script Host or Shell"]
    );
}

#[test]
fn rules_for_other_products_or_broken_yaml_are_reported() {
    let sources = vec![
        (
            "linux.yml".to_string(),
            "title: L\nid: 1\nlogsource: {product: linux, category: process_creation}\ndetection: {s: {Image: x}, condition: s}\n".to_string(),
        ),
        ("broken.yml".to_string(), "title: [unclosed\n".to_string()),
        (
            "bad-condition.yml".to_string(),
            "title: C\nid: 2\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {Image: x}, condition: nope and}\n".to_string(),
        ),
        (
            "ok.yml".to_string(),
            "title: W\nid: 3\nlogsource: {product: windows, service: security}\ndetection: {s: {EventID: 4625}, condition: s}\nlevel: low\n".to_string(),
        ),
    ];
    let (engine, report) = SigmaEngine::from_sources(&sources);
    assert_eq!(report.loaded, 1, "{report:#?}");
    assert_eq!(engine.rule_count(), 1);
    let files: Vec<&str> = report.skipped.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(
        files,
        ["linux.yml", "broken.yml", "bad-condition.yml"],
        "{report:#?}"
    );
    assert!(report.skipped[0].reason.contains("linux"));
}

#[test]
fn from_dirs_loads_recursively_and_refuses_a_missing_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    for (name, text) in vigil_telemetry::sigma::BUILTIN_RULES {
        std::fs::write(dir.path().join("sub").join(name), text).expect("write");
    }
    let (engine, report) = SigmaEngine::from_dirs(&[dir.path().to_path_buf()]).expect("loads");
    assert_eq!(engine.rule_count(), 21);
    assert!(report.skipped.is_empty());
    assert!(SigmaEngine::from_dirs(&[dir.path().join("nope")]).is_err());
}
