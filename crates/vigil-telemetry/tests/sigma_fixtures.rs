//! Sigma on real telemetry: the SigmaHQ regression oracle, Vigil's default rules on attack
//! samples and on a benign log (skipped when `../shared/fixtures` is absent).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use vigil_telemetry::{Reader, SigmaEngine};

/// The pass count reached on SigmaHQ's regression data (commit 8eaafff); the test fails
/// below it.
const ORACLE_MIN_PASS: usize = 202;

fn fired(engine: &SigmaEngine, file: &Path) -> Result<BTreeSet<String>, String> {
    let mut ids = BTreeSet::new();
    let reader = Reader::open(file).map_err(|e| e.to_string())?;
    for record in reader {
        let record = record.map_err(|e| e.to_string())?;
        ids.extend(engine.evaluate(&record).into_iter().map(|m| m.rule_id));
    }
    Ok(ids)
}

#[test]
fn sigmahq_regression_oracle() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let rules = fixtures.join("sigma-rules");
    let (engine, report) = SigmaEngine::from_dirs(&[rules]).expect("rules load");
    println!(
        "loaded {} rules, skipped {}",
        report.loaded,
        report.skipped.len()
    );
    let mut reasons = std::collections::BTreeMap::new();
    for s in &report.skipped {
        let key = s.reason.split(':').next().unwrap_or_default().to_string();
        *reasons.entry(key).or_insert(0) += 1;
    }
    println!("skip reasons: {reasons:#?}");
    let infos = common::files_with_ext(
        &fixtures.join("sigma-regression/regression_data"),
        "info.yml",
    );
    let mut pass = 0;
    let mut applicable = 0;
    let mut misses = Vec::new();
    for info in &infos {
        let dir = info.parent().expect("info.yml has a folder");
        let text = std::fs::read_to_string(info).expect("info.yml");
        let ids = common::info_rule_ids(&text);
        let evtx = common::files_with_ext(dir, ".evtx");
        if !text.contains("\nregression_tests_info:") {
            println!("NOT APPLICABLE {}: no regression_tests_info", dir.display());
            continue;
        }
        applicable += 1;
        let Some(id) = ids.first() else {
            misses.push(format!("{}: no rule id in info.yml", dir.display()));
            continue;
        };
        let Some(file) = evtx.first() else {
            misses.push(format!("{id}: no EVTX beside info.yml"));
            continue;
        };
        match fired(&engine, file) {
            Ok(set) if set.contains(id) => pass += 1,
            Ok(set) => {
                let why = match report.skipped.iter().find(|s| {
                    std::fs::read_to_string(&s.file).is_ok_and(|t| t.contains(id.as_str()))
                }) {
                    Some(s) => format!("rule skipped: {}", s.reason),
                    None => format!("rule did not fire (fired: {set:?})"),
                };
                misses.push(format!("{id} {}: {why}", dir.display()));
            }
            Err(e) => misses.push(format!("{id}: {e}")),
        }
    }
    println!(
        "ORACLE: {pass}/{applicable} applicable regression tests pass ({} info.yml files)",
        infos.len()
    );
    for m in &misses {
        println!("MISS {m}");
    }
    assert!(
        pass >= ORACLE_MIN_PASS,
        "pass count {pass} fell below {ORACLE_MIN_PASS}"
    );
}

/// Vigil's rule ids by file stem, read from the embedded rule texts.
fn builtin_id(stem: &str) -> String {
    let (_, text) = vigil_telemetry::sigma::BUILTIN_RULES
        .iter()
        .find(|(name, _)| name.trim_end_matches(".yml") == stem)
        .expect("builtin rule exists");
    text.lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("rule has an id")
        .trim()
        .to_string()
}

/// Golden expectations: attack sample file -> a Vigil rule (file stem) that must fire.
const EXPECTED: &[(&str, &str)] = &[
    (
        "sideloading_uacbypass_rundll32_injection_c2.evtx",
        "office_spawns_script_host",
    ),
    (
        "sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx",
        "lsass_access",
    ),
    ("temp_scheduled_task_4698_4699.evtx", "scheduled_task_4698"),
    ("rundll32_cmd_schtask.evtx", "schtasks_create"),
    (
        "LM_wmiexec_impacket_sysmon_whoami.evtx",
        "wmiprvse_spawns_shell",
    ),
    (
        "evasion_persis_hidden_run_keyvalue_sysmon_13.evtx",
        "run_key_persistence",
    ),
    (
        "sysmon_20_21_1_CommandLineEventConsumer.evtx",
        "wmi_event_consumer",
    ),
];

#[test]
fn default_rules_on_attack_samples() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let (engine, report) = SigmaEngine::builtin();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let samples = fixtures.join("EVTX-ATTACK-SAMPLES");
    let mut office_samples = 0;
    for file in common::files_with_ext(&samples, ".evtx") {
        let set = fired(&engine, &file).expect("sample reads");
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let stems: BTreeSet<&str> = vigil_telemetry::sigma::BUILTIN_RULES
            .iter()
            .map(|(n, _)| n.trim_end_matches(".yml"))
            .filter(|stem| set.contains(&builtin_id(stem)))
            .collect();
        println!("{name}: {stems:?}");
        for (sample, stem) in EXPECTED {
            if name == *sample {
                assert!(
                    stems.contains(stem),
                    "{name}: expected {stem}, got {stems:?}"
                );
            }
        }
        // A sample in which an Office application starts a child must raise the rule.
        let office_parent = Reader::open(&file).expect("open").flatten().any(|r| {
            r.event.parent_image.as_deref().is_some_and(|p| {
                let p = p.to_ascii_lowercase();
                [
                    "\\winword.exe",
                    "\\excel.exe",
                    "\\powerpnt.exe",
                    "\\outlook.exe",
                ]
                .iter()
                .any(|o| p.ends_with(o))
            })
        });
        if office_parent {
            office_samples += 1;
            assert!(
                set.contains(&builtin_id("office_spawns_script_host")),
                "{}: Office spawning script host did not fire",
                file.display()
            );
        }
    }
    assert!(office_samples > 0, "no Office-macro sample found");
}

#[test]
fn default_rules_raise_nothing_on_a_benign_application_log() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let (engine, _) = SigmaEngine::builtin();
    let file = fixtures.join("DeepBlueCLI/evtx/many-events-application.evtx");
    let mut n = 0;
    for record in Reader::open(&file).expect("open") {
        let record = record.expect("benign log parses");
        let matches = engine.evaluate(&record);
        assert!(matches.is_empty(), "{}: {matches:?}", record.location);
        n += 1;
    }
    println!("{n} benign records, no alert");
    assert!(n > 2000);
}
