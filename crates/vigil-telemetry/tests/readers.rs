//! Readers on Vigil's own small fixtures: both JSON-lines styles, zip, bad input.

mod common;

use vigil_telemetry::{
    detect_format, EventKind, Format, Position, ReadOptions, Reader, TelemetryError,
};

#[test]
fn ecs_lines_normalise() {
    let records: Vec<_> = Reader::open(common::data("ecs.ndjson"))
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("all lines read");
    assert_eq!(records.len(), 3);
    let p = &records[0];
    assert_eq!(p.raw["EventID"], 1);
    assert_eq!(p.raw["Channel"], "Microsoft-Windows-Sysmon/Operational");
    assert_eq!(p.raw["Image"], p.event.image.clone().expect("image"));
    let e = &p.event;
    assert_eq!(e.kind, EventKind::ProcessStart);
    assert_eq!(e.ts, "2026-11-20T09:15:02.417Z");
    assert_eq!(e.machine, "laptop-anna");
    assert_eq!(e.domain.as_deref(), Some("corp.example"));
    assert_eq!(e.user.as_deref(), Some("CORP\\anna"));
    assert_eq!(e.pid, Some(4242));
    assert_eq!(e.parent_pid, Some(1111));
    assert_eq!(
        e.sha256.as_deref(),
        Some("aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899")
    );
    assert_eq!(
        e.md5.as_deref(),
        Some("00000000000000000000000000000000"),
        "every hash Sysmon wrote is kept"
    );
    assert_eq!(e.sha1, None, "this record has no SHA-1");
    let logon = &records[1].event;
    assert_eq!(logon.kind, EventKind::Logon);
    assert_eq!(logon.event_id, 4624, "string event ids are read as numbers");
    assert_eq!(logon.user.as_deref(), Some("CORP\\anna"));
    assert_eq!(logon.remote_ip.as_deref(), Some("10.0.0.5"));
    assert_eq!(logon.image, None, "'-' means absent");
    let dns = &records[2].event;
    assert_eq!(dns.kind, EventKind::DnsQuery);
    assert_eq!(dns.dns_domain.as_deref(), Some("evil.example.net"));
    assert_eq!(
        dns.ts, "2026-11-20T09:17:00.500Z",
        "offsets are converted to UTC"
    );
    assert_eq!(records[0].location.position, Position::Line(1));
}

#[test]
fn ecs_hashes_of_their_own_are_read_like_sysmons() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("hashes.ndjson");
    let line = r#"{"@timestamp": "2026-11-20T09:15:02Z", "host": {"name": "pc1"},
        "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1},
        "process": {"executable": "C:\\Temp\\a.exe",
          "hash": {"md5": "0CC175B9C0F1B6A831C399E269772661",
                   "sha1": "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8", "sha256": "not a hash"}}}"#;
    std::fs::write(&file, line.replace('\n', " ")).expect("write");
    let records: Vec<_> = Reader::open(&file)
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("read");
    let e = &records[0].event;
    assert_eq!(e.md5.as_deref(), Some("0cc175b9c0f1b6a831c399e269772661"));
    assert_eq!(
        e.sha1.as_deref(),
        Some("86f7e437faa5a7fce15d1ddcb9eaeaea377667b8")
    );
    assert_eq!(
        e.sha256, None,
        "a value that is not 64 hex digits is no SHA-256"
    );
    assert_eq!(e.image.as_deref(), Some("C:\\Temp\\a.exe"));
}

#[test]
fn flattened_lines_normalise() {
    let records: Vec<_> = Reader::open(common::data("flat.ndjson"))
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("all lines read");
    let kinds: Vec<_> = records.iter().map(|r| r.event.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::RegistrySet,
            EventKind::Other,
            EventKind::ServiceInstall,
            EventKind::ProcessStart
        ]
    );
    let run = &records[0].event;
    assert_eq!(run.machine, "ws01");
    assert_eq!(run.provider, "Microsoft-Windows-Sysmon");
    assert!(run
        .registry_key
        .as_deref()
        .is_some_and(|k| k.ends_with("\\Run\\Updater")));
    assert_eq!(records[2].event.name.as_deref(), Some("PSEXESVC"));
    // Same content, same fingerprint; different content, different fingerprint.
    let again: Vec<_> = Reader::open(common::data("flat.ndjson"))
        .expect("open")
        .flatten()
        .map(|r| r.event.fingerprint)
        .collect();
    let first: Vec<_> = records
        .iter()
        .map(|r| r.event.fingerprint.clone())
        .collect();
    assert_eq!(first, again);
    assert_ne!(first[0], first[1]);
}

#[test]
fn zipped_lines_stream_and_other_members_are_counted_skips() {
    assert_eq!(
        detect_format(common::data("flat.zip")).expect("zip"),
        Format::Zip
    );
    let mut reader = Reader::open(common::data("flat.zip")).expect("open");
    let records: Vec<_> = reader.by_ref().collect::<Result<_, _>>().expect("read");
    assert_eq!(records.len(), 4);
    assert!(records[0]
        .location
        .file
        .ends_with("flat.zip!dataset/flat_2026-11-21.json"));
    assert_eq!(reader.skipped().count, 1);
    assert!(reader.skipped().reasons[0]
        .location
        .file
        .ends_with("README.txt"));
}

#[test]
fn bad_lines_are_errors_naming_line_and_field_and_reading_goes_on() {
    let file = common::data("bad.ndjson");
    let dir = file.parent().expect("data dir").to_path_buf();
    let items: Vec<_> = Reader::open(common::data("bad.ndjson"))
        .expect("open")
        .collect();
    let messages: Vec<String> = items
        .iter()
        .map(|i| match i {
            Ok(r) => format!("ok {}", r.location),
            Err(e) => e.to_string(),
        })
        .map(|m| m.replace(&format!("{}/", dir.display()), ""))
        .collect();
    assert_eq!(messages.len(), 7, "{messages:#?}");
    assert_eq!(messages[0], "ok bad.ndjson: line 1");
    assert!(
        messages[1].starts_with("bad.ndjson: line 2: not JSON"),
        "{}",
        messages[1]
    );
    assert_eq!(messages[2], "bad.ndjson: line 3: not a JSON object");
    assert_eq!(
        messages[3],
        "bad.ndjson: line 4: field EventID: not a number"
    );
    assert_eq!(
        messages[4],
        "bad.ndjson: line 5: field Computer: missing host name"
    );
    assert!(
        messages[5].starts_with("bad.ndjson: line 7: not valid UTF-8"),
        "{}",
        messages[5]
    );
    assert_eq!(messages[6], "ok bad.ndjson: line 8");
    let TelemetryError::Field { field, .. } = items[3].as_ref().expect_err("error") else {
        panic!("a field error");
    };
    assert_eq!(field, "EventID");
}

#[test]
fn bad_lines_can_be_counted_as_skips_instead() {
    let options = ReadOptions {
        skip_malformed: true,
        ..ReadOptions::default()
    };
    let mut reader = Reader::open_with(common::data("bad.ndjson"), options).expect("open");
    let ok = reader.by_ref().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 2);
    assert_eq!(reader.skipped().count, 5);
    assert_eq!(
        reader.skipped().reasons[0].location.position,
        Position::Line(2)
    );
}

#[test]
fn overlong_lines_are_refused_without_reading_them_whole() {
    let options = ReadOptions {
        max_line_bytes: 64,
        ..ReadOptions::default()
    };
    let items: Vec<_> = Reader::open_with(common::data("flat.ndjson"), options)
        .expect("open")
        .collect();
    assert_eq!(items.len(), 4);
    let e = items[0].as_ref().expect_err("too long");
    assert!(
        e.to_string().ends_with("line 1: line longer than 64 bytes"),
        "{e}"
    );
}

#[test]
fn unknown_and_utf16_files_are_refused_clearly() {
    let e = detect_format(common::data("utf16.ndjson")).expect_err("utf-16");
    assert!(e.to_string().contains("UTF-16"), "{e}");
    let e = Reader::open(common::data("not-telemetry.txt")).expect_err("text");
    assert!(e
        .to_string()
        .ends_with("not an EVTX file, JSON lines, or a zip of them"));
    let e = Reader::open(common::data("missing.evtx")).expect_err("missing");
    assert!(matches!(e, TelemetryError::Io { .. }));
}

#[test]
fn an_ioc_list_given_as_telemetry_says_where_it_belongs() {
    for (file, what) in [
        ("iocs.csv", "a list of threat indicators (IOCs)"),
        ("bundle.json", "a STIX bundle of threat indicators"),
    ] {
        let e = Reader::open(common::data(file)).expect_err("not telemetry");
        assert!(
            e.to_string().ends_with(&format!(
                "{what}, not telemetry: import it as threat intelligence (Settings, \
                 \"Import an IOC list…\", or vigil intel import)"
            )),
            "{e}"
        );
        assert!(detect_format(common::data(file)).is_err(), "{file}");
    }
}

#[test]
fn corrupt_evtx_never_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Magic followed by garbage: refused at open.
    let garbage = dir.path().join("garbage.evtx");
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend((0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&garbage, &bytes).expect("write");
    match Reader::open(&garbage) {
        Ok(reader) => reader.for_each(drop),
        Err(e) => assert!(e.to_string().contains("garbage.evtx"), "{e}"),
    }
    // A real sample, truncated and with a chunk overwritten, when the fixtures are present.
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent (truncation part)");
        return;
    };
    let sample = fixtures.join("DeepBlueCLI/evtx/many-events-application.evtx");
    let original = std::fs::read(sample).expect("read sample");
    for (name, cut, smash) in [
        ("cut.evtx", original.len() / 2 + 777, None),
        ("smashed.evtx", original.len(), Some(4096 + 65_536 + 600)),
    ] {
        let mut bytes = original[..cut].to_vec();
        if let Some(at) = smash {
            for b in &mut bytes[at..at + 3000] {
                *b = 0xA5;
            }
        }
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).expect("write");
        let mut reader = Reader::open(&path).expect("header is intact");
        let (mut ok, mut bad) = (0, 0);
        for item in reader.by_ref() {
            match item {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(e.to_string().contains(name), "{e}");
                    bad += 1;
                }
            }
        }
        println!("{name}: {ok} records, {bad} errors");
        assert!(ok > 0);
        assert!(bad > 0, "{name}: the damage is reported");
    }
}

#[test]
fn evtx_dump_output_reads_like_the_evtx_it_came_from() {
    for name in ["evtx_dump.json", "evtx_dump.jsonl"] {
        let path = common::data(name);
        assert_eq!(detect_format(&path).expect(name), Format::Ndjson, "{name}");
        let records: Vec<_> = Reader::open(&path)
            .expect("open")
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(records.len(), 2, "{name}");
        let start = &records[0].event;
        assert_eq!(start.kind, EventKind::ProcessStart, "{name}");
        assert_eq!(start.machine, "laptop-anna");
        assert_eq!(start.ts, "2026-11-20T09:15:02.417Z");
        assert_eq!(
            start.parent_image.as_deref(),
            Some(r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE")
        );
        assert_eq!(records[0].raw["Provider_Name"], "Microsoft-Windows-Sysmon");
        let dns = &records[1].event;
        assert_eq!(dns.kind, EventKind::DnsQuery, "{name}");
        assert_eq!(dns.dns_domain.as_deref(), Some("evil.example.net"));
    }
    let pretty: Vec<_> = Reader::open(common::data("evtx_dump.json"))
        .expect("open")
        .flatten()
        .map(|r| r.location.position)
        .collect();
    assert_eq!(pretty, [Position::Record(7), Position::Record(8)]);
}

#[test]
fn a_cut_evtx_dump_document_names_its_record() {
    let path = common::data("evtx_dump_broken.json");
    let items: Vec<_> = Reader::open(&path).expect("open").collect();
    assert_eq!(items.len(), 1);
    let err = items[0].as_ref().expect_err("incomplete JSON");
    assert_eq!(
        err.location().map(|l| l.position),
        Some(Position::Record(1))
    );
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[test]
fn pretty_printed_documents_one_after_another_are_read_as_records() {
    let records: Vec<_> = Reader::open(common::data("pretty.json"))
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("both documents read");
    let users: Vec<_> = records
        .iter()
        .map(|r| (r.event.kind, r.event.user.clone(), r.location.position))
        .collect();
    assert_eq!(
        users,
        [
            (
                EventKind::Logon,
                Some("CORP\\anna".to_string()),
                Position::Line(1)
            ),
            (
                EventKind::Logon,
                Some("CORP\\bob".to_string()),
                Position::Line(19)
            ),
        ]
    );
}

/// The same file read from disk and from memory gives the same records, the same skips and
/// the same errors (the fuzzers and, later, agents' uploads read from memory).
#[test]
fn bytes_in_memory_read_as_the_file_does() {
    let mut files = vec![
        common::data("ecs.ndjson"),
        common::data("flat.zip"),
        common::data("bad.ndjson"),
        common::data("evtx_dump.jsonl"),
    ];
    match common::shared_fixtures() {
        Some(fixtures) => files.extend(
            common::files_with_ext(&fixtures.join("EVTX-ATTACK-SAMPLES"), ".evtx")
                .into_iter()
                .take(3),
        ),
        None => eprintln!("shared fixtures not found: the EVTX part of this test is skipped"),
    }
    let seen = |reader: Reader| -> (Vec<String>, u64) {
        let mut reader = reader;
        let items: Vec<String> = reader
            .by_ref()
            .map(|r| match r {
                Ok(record) => format!("{} {}", record.location, record.raw),
                Err(e) => format!("error {e}"),
            })
            .collect();
        (items, reader.skipped().count)
    };
    for file in files {
        let name = file.display().to_string();
        let bytes = std::fs::read(&file).expect("read");
        let options = ReadOptions::default();
        let from_file = seen(Reader::open_with(&file, options.clone()).expect("open"));
        let from_memory = seen(Reader::from_bytes(&name, bytes, options).expect("from bytes"));
        assert!(!from_file.0.is_empty(), "{name}");
        assert_eq!(from_file, from_memory, "{name}");
    }
}

/// A zip written in memory: each member (name, text) deflated.
fn zip_of(members: &[(&str, String)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in members {
        zip.start_file(*name, options).expect("member");
        std::io::Write::write_all(&mut zip, text.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");
    out.into_inner()
}

/// Every reader's bound is named in its error: how deep a record nests, how many members a
/// zip holds, how far a member inflates against its compressed size.
#[test]
fn each_bound_is_named_when_it_is_reached() {
    let first_error = |name: &str, bytes: Vec<u8>, options: ReadOptions| -> String {
        match Reader::from_bytes(name, bytes, options) {
            Err(e) => e.to_string(),
            Ok(reader) => reader
                .filter_map(Result::err)
                .map(|e| e.to_string())
                .next()
                .unwrap_or_default(),
        }
    };
    let deep = format!("{}1{}\n", "{\"a\":".repeat(200), "}".repeat(200));
    let said = first_error("deep.ndjson", deep.into_bytes(), ReadOptions::default());
    assert!(said.contains("nested deeper than 128 levels"), "{said}");

    let line = || "{\"EventID\":1}\n".to_string();
    let many = zip_of(&[("a.json", line()), ("b.json", line()), ("c.json", line())]);
    let options = ReadOptions {
        max_zip_members: 2,
        ..ReadOptions::default()
    };
    let said = first_error("many.zip", many, options);
    assert!(said.contains("holds 3 members, more than the 2"), "{said}");

    let bomb = zip_of(&[("bomb.json", line().repeat(100_000))]);
    let options = ReadOptions {
        max_zip_ratio: 10,
        ..ReadOptions::default()
    };
    let said = first_error("bomb.zip", bomb, options);
    assert!(said.contains("more than 10 times its"), "{said}");
}
