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

#[test]
fn a_large_evtx_read_in_runs_of_chunks_is_the_same_records_as_read_whole() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let sample = fixtures.join("DeepBlueCLI/evtx/many-events-application.evtx");
    let len = std::fs::metadata(&sample).expect("sample").len();
    let chunks = vigil_telemetry::evtx_chunks(len);
    assert!(chunks > 8, "{chunks} chunks");
    let fingerprints = |reader: Reader| -> Vec<String> {
        reader
            .map(|r| r.unwrap_or_else(|e| panic!("{e}")).event.fingerprint)
            .collect()
    };
    let mut whole = fingerprints(Reader::open(&sample).expect("open"));
    let mut parts = Vec::new();
    for start in (0..chunks).step_by(5) {
        let part = Reader::open_chunks(&sample, start..start + 5).expect("open part");
        parts.extend(fingerprints(part));
    }
    assert!(whole.len() > 2000, "{} records", whole.len());
    whole.sort();
    parts.sort();
    assert_eq!(whole, parts);

    // Truncated: only the part that reaches the end says so; the others read cleanly.
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("cut.evtx");
    let bytes = std::fs::read(&sample).expect("read");
    std::fs::write(&cut, &bytes[..bytes.len() - 1000]).expect("write");
    let last = vigil_telemetry::evtx_chunks(len - 1000);
    let errors = |range: std::ops::Range<u64>| -> Vec<String> {
        Reader::open_chunks(&cut, range)
            .expect("open part")
            .filter_map(|r| r.err().map(|e| e.to_string()))
            .collect()
    };
    assert_eq!(errors(0..last - 1), Vec::<String>::new());
    let tail = errors(last - 1..last);
    assert_eq!(tail.len(), 1, "{tail:?}");
    assert!(
        tail[0].contains("cut.evtx") && tail[0].contains("truncated"),
        "{tail:?}"
    );

    // Only EVTX files are read by chunk.
    let json = common::data("flat.ndjson");
    let e = Reader::open_chunks(&json, 0..1).expect_err("not EVTX");
    assert!(e.to_string().contains("flat.ndjson"), "{e}");
}
