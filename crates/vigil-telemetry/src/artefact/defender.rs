//! Threats Microsoft Defender found or acted on (1006–1008, 1015, 1116–1119): the threat,
//! the files it was found in, the process and user, and what Defender did.

use serde_json::{Map, Value};

use super::codes::{self, DEFENDER_ACTION};
use super::{Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp, Event};
use crate::normalise::{int, parse_int_text, text, text_of, truncate};

/// The threat a Defender event reports; the event's image is the process it was found in,
/// its target path the first file.
pub(super) fn extract(raw: &Map<String, Value>, e: &mut Event) -> Option<Artefact> {
    let op = match e.event_id {
        1006 | 1015 | 1116 => ArtefactOp::Detected,
        1007 | 1008 | 1117 | 1118 | 1119 => ArtefactOp::Blocked,
        _ => return None,
    };
    let name = text_of(raw, &["ThreatName", "Threat Name", "Name"])?;
    let path = text(raw, "Path");
    let found = path.as_deref().map(Found::of).unwrap_or_default();
    let process = text_of(raw, &["ProcessName", "Process Name"])
        .filter(|p| !p.eq_ignore_ascii_case("Unknown"));
    let user = text_of(raw, &["DetectionUser", "Detection User", "User"]);

    let mut facts = Facts::default();
    facts.maybe(
        "severity",
        text_of(raw, &["SeverityName", "Severity Name", "Severity"]),
    );
    facts.maybe(
        "category",
        text_of(raw, &["CategoryName", "Category Name", "Category"]),
    );
    facts.maybe("process", process.as_deref());
    facts.maybe("user", user.as_deref());
    if op == ArtefactOp::Blocked {
        facts.maybe("action", action(raw));
        if e.event_id != 1117 && e.event_id != 1007 {
            facts.maybe(
                "result",
                text_of(raw, &["ErrorDescription", "Error Description"]),
            );
        }
    }
    for url in &found.urls {
        facts.add("url", url);
    }

    let mut mentions = Mentions::default();
    for file in &found.files {
        mentions.file(file);
    }
    for url in &found.urls {
        mentions.url(url);
    }
    if let Some(process) = &process {
        mentions.file(process);
    }
    if e.image.is_none() {
        e.image = process.map(|p| truncate(&p));
    }
    e.pid = e.pid.or(found.pid);
    if e.user.is_none() {
        e.user = user.map(|u| truncate(&u));
    }
    if e.target_path.is_none() {
        e.target_path = found.files.first().map(|f| truncate(f));
    }
    let value = if found.files.is_empty() {
        path.map(|p| truncate(&p))
    } else {
        Some(truncate(&found.files.join("; ")))
    };
    Some(Artefact {
        kind: ArtefactKind::AvDetection,
        op,
        name: truncate(&name),
        value,
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// What Defender's `Path` names: `file:_C:\x.exe;process:_pid:123,ProcessStart:…;
/// webfile:_C:\y.htm|http://…|pid:…`, split into its files, URLs and the process id.
#[derive(Debug, Default, PartialEq)]
struct Found {
    files: Vec<String>,
    urls: Vec<String>,
    pid: Option<i64>,
}

impl Found {
    /// What `path` names.
    fn of(path: &str) -> Found {
        let mut found = Found::default();
        for part in path.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, rest) = part.split_once(":_").unwrap_or(("file", part));
            match kind.to_ascii_lowercase().as_str() {
                "file" | "containerfile" => found.files.push(rest.to_string()),
                "webfile" => {
                    let mut pieces = rest.split('|');
                    found.files.extend(pieces.next().map(str::to_string));
                    found
                        .urls
                        .extend(pieces.filter(|p| p.contains("://")).map(str::to_string));
                }
                "process" => {
                    let pid = rest
                        .split(',')
                        .find_map(|p| p.trim().strip_prefix("pid:"))
                        .and_then(parse_int_text);
                    found.pid = found.pid.or(pid);
                }
                _ => {}
            }
        }
        found.files.retain(|f| !f.is_empty());
        found
    }
}

/// What Defender did: `Action Name`, or the words for `Action ID` when the name is a `%%`
/// code.
fn action(raw: &Map<String, Value>) -> Option<String> {
    let named = text_of(raw, &["ActionName", "Action Name"]).filter(|a| !a.starts_with("%%"));
    named.map(|n| n.into_owned()).or_else(|| {
        let id = int(raw, "ActionID").or_else(|| int(raw, "Action ID"))?;
        Some(codes::word(DEFENDER_ACTION, id).map_or_else(|| id.to_string(), str::to_string))
    })
}

#[cfg(test)]
mod tests {
    use super::Found;

    #[test]
    fn defender_paths_split_into_files_urls_and_the_process() {
        let found = Found::of(
            r"file:_C:\Users\x\evil.exe;process:_pid:6812,ProcessStart:132553;webfile:_C:\Users\x\a.htm|https://bad.example/a|pid:1,ProcessStart:2;containerfile:_C:\t\a.zip",
        );
        assert_eq!(
            found,
            Found {
                files: vec![
                    r"C:\Users\x\evil.exe".into(),
                    r"C:\Users\x\a.htm".into(),
                    r"C:\t\a.zip".into()
                ],
                urls: vec!["https://bad.example/a".into()],
                pid: Some(6812),
            }
        );
    }
}
