//! Tests on the real public telemetry in `../shared/fixtures` (skipped when absent).

mod common;

use vigil_telemetry::{ArtefactKind, EventKind, Reader, Record};

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

/// The events that show an artefact, by channel (lower-cased) and id, with the field an
/// event of them needs to show one (a record without it has nothing to name).
const ARTEFACT_EVENTS: &[(&str, &[i64], ArtefactKind, &[&str])] = &[
    ("system", &[7045], ArtefactKind::Service, &["ServiceName"]),
    ("security", &[4697], ArtefactKind::Service, &["ServiceName"]),
    (
        "microsoft-windows-sysmon/operational",
        &[12, 13, 14],
        ArtefactKind::RegistryValue,
        &["TargetObject"],
    ),
    (
        "security",
        &[4657],
        ArtefactKind::RegistryValue,
        &["ObjectName"],
    ),
    (
        "security",
        &[4698, 4699, 4700, 4701, 4702],
        ArtefactKind::ScheduledTask,
        &["TaskName"],
    ),
    (
        "microsoft-windows-taskscheduler/operational",
        &[106, 129, 140, 141, 142, 200, 201],
        ArtefactKind::ScheduledTask,
        &["TaskName"],
    ),
    (
        "microsoft-windows-sysmon/operational",
        &[19, 20],
        ArtefactKind::WmiSubscription,
        &["Name"],
    ),
    (
        "microsoft-windows-sysmon/operational",
        &[21],
        ArtefactKind::WmiSubscription,
        &["Consumer"],
    ),
    (
        "microsoft-windows-wmi-activity/operational",
        &[5861],
        ArtefactKind::WmiSubscription,
        &["CONSUMER"],
    ),
    (
        "security",
        &[
            4720, 4722, 4723, 4724, 4725, 4726, 4738, 4740, 4767, 4741, 4742, 4743, 4765, 4766,
        ],
        ArtefactKind::Account,
        &["TargetUserName"],
    ),
    (
        "security",
        &[4781],
        ArtefactKind::Account,
        &["NewTargetUserName"],
    ),
    (
        "security",
        &[
            4728, 4729, 4732, 4733, 4756, 4757, 4751, 4752, 4746, 4747, 4761, 4762,
        ],
        ArtefactKind::Account,
        &["MemberSid", "MemberName"],
    ),
    ("security", &[4794], ArtefactKind::Account, &[]),
    (
        "security",
        &[4769],
        ArtefactKind::ServiceTicket,
        &["ServiceName"],
    ),
    (
        "microsoft-windows-bits-client/operational",
        &[3, 4, 5, 59, 60, 61, 16403],
        ArtefactKind::BitsJob,
        &[
            "jobTitle",
            "name",
            "string",
            "jobId",
            "Id",
            "url",
            "RemoteName",
        ],
    ),
    (
        "microsoft-windows-windows defender/operational",
        &[1006, 1007, 1008, 1015, 1116, 1117, 1118, 1119],
        ArtefactKind::AvDetection,
        &["ThreatName", "Threat Name"],
    ),
    (
        "microsoft-windows-powershell/operational",
        &[4104],
        ArtefactKind::ScriptBlock,
        &["ScriptBlockText"],
    ),
    (
        "microsoft-windows-powershell/operational",
        &[4103],
        ArtefactKind::ScriptBlock,
        &["Payload", "Message"],
    ),
    (
        "windows powershell",
        &[800],
        ArtefactKind::ScriptBlock,
        &["Data", "Message"],
    ),
];

/// Every record of the shared fixtures (EVTX, evtx_dump JSON, zipped JSON lines).
fn fixture_records(fixtures: &std::path::Path) -> Vec<Record> {
    let mut files = common::files_with_ext(fixtures, ".evtx");
    files.extend(common::files_with_ext(fixtures, ".zip"));
    files.extend(common::files_with_ext(
        &fixtures.join("sigma-regression"),
        ".json",
    ));
    files
        .iter()
        .flat_map(|f| Reader::open(f).expect("open").map(|r| r.expect("record")))
        .collect()
}

#[test]
fn every_fixture_event_of_an_artefact_kind_shows_its_artefact() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let mut found = std::collections::BTreeMap::new();
    let mut without_field = 0;
    for record in fixture_records(&fixtures) {
        let e = &record.event;
        let channel = e.channel.to_ascii_lowercase();
        let Some((_, _, kind, needs)) = ARTEFACT_EVENTS
            .iter()
            .find(|(c, ids, _, _)| *c == channel && ids.contains(&e.event_id))
        else {
            continue;
        };
        let has_field = |k: &&str| {
            record.raw.get(*k).is_some_and(|v| match v {
                serde_json::Value::String(s) => !s.trim().is_empty() && s.trim() != "-",
                serde_json::Value::Null => false,
                _ => true,
            })
        };
        if !needs.is_empty() && !needs.iter().any(has_field) {
            without_field += 1;
            continue;
        }
        let artefact = e.artefact.as_deref().unwrap_or_else(|| {
            panic!(
                "{} {}: no artefact in {}",
                e.channel, e.event_id, record.raw
            )
        });
        assert_eq!(artefact.kind, *kind, "{} {}", e.channel, e.event_id);
        assert!(!artefact.name.is_empty(), "{} {}", e.channel, e.event_id);
        *found.entry(kind.as_str()).or_insert(0) += 1;
    }
    println!("artefacts by kind: {found:?}; {without_field} records without the field they need");
    for kind in [
        "service",
        "registry_value",
        "scheduled_task",
        "wmi_subscription",
        "script_block",
    ] {
        assert!(
            found.contains_key(kind),
            "no {kind} in the fixtures: {found:?}"
        );
    }
}

#[test]
fn every_fixture_security_event_naming_a_process_has_its_image_and_pid() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let mut checked = 0;
    for record in fixture_records(&fixtures) {
        let e = &record.event;
        if !e.channel.eq_ignore_ascii_case("security") {
            continue;
        }
        let field = |keys: [&str; 2]| {
            keys.iter().find_map(|k| {
                record
                    .raw
                    .get(*k)
                    .map(|v| {
                        v.as_str()
                            .map_or_else(|| v.to_string(), |s| s.trim().to_string())
                    })
                    .filter(|s| !s.is_empty() && s != "-")
            })
        };
        let (Some(image), Some(pid)) = (
            field(["ProcessName", "Application"]),
            field(["ProcessId", "ProcessID"]),
        ) else {
            continue;
        };
        assert_eq!(e.image.as_deref(), Some(image.as_str()), "{}", record.raw);
        assert!(e.pid.is_some(), "{pid} unread in {}", record.raw);
        checked += 1;
    }
    println!("{checked} Security events naming a process");
    assert!(checked > 1000, "only {checked}");
}
