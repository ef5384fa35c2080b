//! Tests on the real public telemetry in `../shared/fixtures` (skipped when absent).

mod common;

use vigil_telemetry::{EventKind, Reader};

#[test]
fn every_attack_sample_evtx_parses() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let files = common::files_with_ext(&fixtures.join("EVTX-ATTACK-SAMPLES"), ".evtx");
    assert!(!files.is_empty());
    let mut total = 0;
    for file in &files {
        let reader = Reader::open(file).expect("open");
        let mut n = 0;
        for record in reader {
            let record = record.unwrap_or_else(|e| panic!("{e}"));
            assert!(!record.event.machine.is_empty());
            n += 1;
        }
        println!("{n:6} {}", file.display());
        total += n;
    }
    println!(
        "EVTX-ATTACK-SAMPLES: {} files, {total} records",
        files.len()
    );
    assert!(total > 0);
}

#[test]
fn security_datasets_zipped_json_lines_parse() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let files = common::files_with_ext(&fixtures.join("Security-Datasets"), ".zip");
    assert!(!files.is_empty());
    for file in &files {
        let mut reader = Reader::open(file).expect("open");
        let mut n = 0;
        let mut kinds = std::collections::BTreeMap::new();
        for record in reader.by_ref() {
            let record = record.unwrap_or_else(|e| panic!("{e}"));
            *kinds.entry(record.event.kind.as_str()).or_insert(0) += 1;
            n += 1;
        }
        println!("{n:6} {} {kinds:?}", file.display());
        assert!(n > 0);
        assert_eq!(reader.skipped().count, 0, "{:?}", reader.skipped());
        assert!(kinds.len() > 1 || kinds.contains_key(EventKind::Other.as_str()));
    }
}

#[test]
fn an_evtx_dump_export_is_the_same_events_as_its_evtx() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let exports = common::files_with_ext(&fixtures.join("sigma-regression"), ".json");
    let mut pairs = 0;
    for export in &exports {
        let evtx = export.with_extension("evtx");
        if !evtx.is_file() {
            continue;
        }
        let read = |path: &std::path::Path| -> Vec<(String, String, Option<String>)> {
            Reader::open(path)
                .expect("open")
                .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
                .map(|r| (r.event.fingerprint, r.event.ts, r.event.image))
                .collect()
        };
        assert_eq!(read(export), read(&evtx), "{}", export.display());
        pairs += 1;
    }
    println!("{pairs} evtx_dump exports read as the same events as their .evtx");
    assert!(pairs > 100, "only {pairs} pairs");
}
