//! BITS transfer jobs (Bits-Client 3 created, 4 transferred, 5 cancelled, 59 transfer
//! started, 60 ended, 61 failed, 16403 file added): the job, the URL it fetches and the
//! file it writes.

use serde_json::{Map, Value};

use super::{Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp, Event};
use crate::normalise::{int, text, text_of, truncate};

/// The job a BITS event is about; the event's URL is the job's, its process the one that
/// created the job.
pub(super) fn extract(raw: &Map<String, Value>, e: &mut Event) -> Option<Artefact> {
    let mut facts = Facts::default();
    let op = match e.event_id {
        3 => {
            if e.image.is_none() {
                e.image = text(raw, "processPath").map(|p| truncate(&p));
                e.pid = int(raw, "processId").or(e.pid);
            }
            ArtefactOp::Created
        }
        16403 => ArtefactOp::Created,
        4 | 59 | 60 | 61 => ArtefactOp::Ran,
        5 => ArtefactOp::Deleted,
        _ => return None,
    };
    // Windows 7 writes job 3 as `string` (title), `string2` (owner), `string3`.
    let title = text_of(raw, &["jobTitle", "name", "string"]);
    let id = text_of(raw, &["jobId", "Id"]);
    let url = text_of(raw, &["url", "RemoteName"]);
    let local = text(raw, "LocalName");
    let name = title
        .clone()
        .or_else(|| id.clone())
        .or_else(|| url.clone())?;
    if title.is_some() {
        facts.maybe("job id", id);
    }
    facts.maybe("owner", text_of(raw, &["jobOwner", "string2"]));
    facts.maybe("created by", text(raw, "processPath"));
    facts.maybe("local file", local.as_deref());
    match e.event_id {
        4 => {
            facts.add("result", "transferred");
            facts.maybe("files", text(raw, "fileCount"));
            facts.maybe("bytes", text(raw, "bytesTransferred"));
        }
        59 => facts.maybe("bytes", size(raw, "bytesTotal")),
        60 | 61 => {
            facts.maybe("result", int(raw, "hr").map(result));
            facts.maybe("bytes", size(raw, "bytesTransferred"));
        }
        _ => {}
    }
    let mut mentions = Mentions::default();
    match &url {
        // A job can copy a local or shared file: its "URL" is then a path.
        Some(url) if !url.contains("://") => mentions.file(url),
        Some(url) => {
            mentions.url(url);
            if e.url.is_none() {
                e.url = Some(truncate(url));
            }
        }
        None => {}
    }
    if let Some(local) = &local {
        mentions.file(local);
    }
    Some(Artefact {
        kind: ArtefactKind::BitsJob,
        op,
        name: truncate(&name),
        value: url.map(|u| truncate(&u)),
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// A byte count, unless it is BITS' "unknown" (all ones).
fn size(raw: &Map<String, Value>, key: &str) -> Option<String> {
    match raw.get(key)? {
        Value::Number(n) if n.as_u64() == Some(u64::MAX) => None,
        Value::String(s) if s == "18446744073709551615" => None,
        _ => text(raw, key).map(|t| t.into_owned()),
    }
}

/// A transfer's `hr`: success, or the error code in hex (`0x80072EE7`).
fn result(hr: i64) -> String {
    match hr {
        0 => "success".to_string(),
        // HRESULTs are 32-bit; the log writes them unsigned.
        hr => format!("{:#010X}", hr as u32).replacen("0X", "0x", 1),
    }
}
