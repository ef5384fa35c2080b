//! Helpers shared by the integration tests: where the shared fixtures are, and one record
//! read as an event.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vigil_telemetry::{Artefact, Event, Mention, MentionKind, Reader};

/// `../shared/fixtures` relative to the workspace root (or `$VIGIL_SHARED_FIXTURES`, for a
/// checkout that sits elsewhere, such as a git worktree), if it exists.
pub fn shared_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("VIGIL_SHARED_FIXTURES")
        .or_else(|| std::env::var_os("VIGIL_FIXTURES"))
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"));
    dir.is_dir().then_some(dir)
}

/// Our own small fixtures.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Every file under `dir` whose name ends with `ext`, sorted.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(ext))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One flat record (Sigma field names, as Winlogbeat and NXLog lines have them) read as a
/// JSON line into its event; the host and time are filled in when the record has none.
pub fn event_of(mut record: serde_json::Value) -> Event {
    let fields = record.as_object_mut().expect("a JSON object");
    fields
        .entry("Computer")
        .or_insert("ws01.corp.example".into());
    fields
        .entry("TimeCreated")
        .or_insert("2026-11-20T09:15:02.417Z".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("record.ndjson");
    std::fs::write(&file, record.to_string()).expect("write");
    let mut records: Vec<_> = Reader::open(&file)
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("the record reads");
    assert_eq!(records.len(), 1);
    records.remove(0).event
}

/// The artefact of [`event_of`] the record, which must have one.
pub fn artefact_of(record: serde_json::Value) -> Artefact {
    *event_of(record).artefact.expect("an artefact")
}

/// `record` with `fields` added.
pub fn with(mut record: serde_json::Value, fields: serde_json::Value) -> serde_json::Value {
    let more = fields.as_object().expect("a JSON object").clone();
    record.as_object_mut().expect("a JSON object").extend(more);
    record
}

/// Facts as an artefact holds them.
pub fn facts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(label, value)| (label.to_string(), value.to_string()))
        .collect()
}

/// Mentions as an artefact holds them.
pub fn mentions(list: &[(MentionKind, &str)]) -> Vec<Mention> {
    list.iter()
        .map(|(kind, value)| Mention {
            kind: *kind,
            value: value.to_string(),
        })
        .collect()
}

/// The rule ids an `info.yml` of SigmaHQ's regression data names (under `rule_metadata`).
pub fn info_rule_ids(info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_meta = false;
    for line in info.lines() {
        if line.starts_with("rule_metadata:") {
            in_meta = true;
        } else if !line.starts_with(' ') && !line.is_empty() {
            in_meta = false;
        }
        if in_meta {
            if let Some(id) = line.trim().trim_start_matches("- ").strip_prefix("id:") {
                out.push(id.trim().trim_matches('\'').trim_matches('"').to_string());
            }
        }
    }
    out
}
