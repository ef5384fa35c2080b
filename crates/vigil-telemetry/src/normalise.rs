//! Turns a flat Sigma-style field map (Sysmon / Security field names) into an [`Event`].

mod fields;
mod security;
mod time;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Location, Result, TelemetryError};
use crate::event::{channels, Event, EventKind};

pub(crate) use fields::{
    address, cut, first, int, join_user, owned, parse_int, parse_int_text, text, text_of, truncate,
};
pub(crate) use security::registry_path;
pub(crate) use time::format_ts;
pub use time::normalise_ts;

/// The longest text kept in an [`Event`] field; the full value stays in the record's raw map.
pub const MAX_EVENT_TEXT: usize = 64 * 1024;

/// Canonical raw field names every reader fills in.
pub(crate) mod keys {
    pub const EVENT_ID: &str = "EventID";
    pub const CHANNEL: &str = "Channel";
    pub const PROVIDER: &str = "Provider_Name";
    pub const COMPUTER: &str = "Computer";
    pub const TIME: &str = "TimeCreated";
}

/// A hex SHA-256 prefix (128 bits) of `bytes`, used as an event fingerprint.
pub fn fingerprint(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// Splits `HOST.example.com` into (`host`, `Some("example.com")`).
pub fn split_host(computer: &str) -> (String, Option<String>) {
    let lower = computer.trim().to_ascii_lowercase();
    match lower.split_once('.') {
        Some((host, domain)) if !host.is_empty() && !domain.is_empty() => {
            (host.to_string(), Some(domain.to_string()))
        }
        _ => (lower, None),
    }
}

/// The file hashes (SHA-256, SHA-1, MD5, lower-case) out of Sysmon's `Hashes` field
/// (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`, one pass), or out of fields of their own (`sha256`,
/// `sha1`, `md5`).
fn hashes_of(raw: &Map<String, Value>) -> [Option<String>; 3] {
    const KINDS: [(&str, &str, usize); 3] = [
        ("SHA256", "sha256", 64),
        ("SHA1", "sha1", 40),
        ("MD5", "md5", 32),
    ];
    let mut out: [Option<String>; 3] = Default::default();
    if let Some(h) = text(raw, "Hashes").or_else(|| text(raw, "Hash")) {
        for part in h.split([',', ';']) {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            for (slot, (name, _, digits)) in out.iter_mut().zip(KINDS) {
                if slot.is_none() && k.eq_ignore_ascii_case(name) && is_hex(v, digits) {
                    *slot = Some(v.to_ascii_lowercase());
                }
            }
        }
    }
    for (slot, (_, field, digits)) in out.iter_mut().zip(KINDS) {
        if slot.is_none() {
            *slot = text(raw, field)
                .filter(|v| is_hex(v, digits))
                .map(|v| v.to_ascii_lowercase());
        }
    }
    out
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Builds the normalised event out of a flat raw field map. Its fingerprint is left empty
/// for the reader to fill in.
pub(crate) fn normalise(raw: &Map<String, Value>, location: &Location) -> Result<Event> {
    let event_id = match raw.get(keys::EVENT_ID) {
        None | Some(Value::Null) => {
            return Err(TelemetryError::field(location, keys::EVENT_ID, "missing"))
        }
        Some(v) => parse_int(v)
            .ok_or_else(|| TelemetryError::field(location, keys::EVENT_ID, "not a number"))?,
    };
    let channel = owned(raw, keys::CHANNEL).unwrap_or_default();
    let provider = owned(raw, keys::PROVIDER).unwrap_or_default();
    let computer = text(raw, keys::COMPUTER)
        .ok_or_else(|| TelemetryError::field(location, keys::COMPUTER, "missing host name"))?;
    let (machine, domain) = split_host(&computer);
    let ts_text = text(raw, keys::TIME)
        .ok_or_else(|| TelemetryError::field(location, keys::TIME, "missing timestamp"))?;
    let ts = normalise_ts(&ts_text).ok_or_else(|| {
        TelemetryError::field(
            location,
            keys::TIME,
            format!("not a timestamp: {ts_text:.40}"),
        )
    })?;
    let kind = EventKind::classify(&channel, &provider, event_id);
    let [sha256, sha1, md5] = hashes_of(raw);

    let mut e = Event {
        ts,
        machine,
        domain,
        kind,
        user: None,
        pid: None,
        image: None,
        command_line: None,
        parent_pid: None,
        parent_image: None,
        target_path: None,
        sha256,
        sha1,
        md5,
        url: owned(raw, "url"),
        dns_domain: None,
        remote_ip: None,
        remote_port: None,
        registry_key: None,
        registry_value: None,
        name: None,
        channel,
        provider,
        event_id,
        logon_id: None,
        artefact: None,
        fingerprint: String::new(),
    };
    let security = e.channel.eq_ignore_ascii_case(channels::SECURITY);
    match (kind, security) {
        (EventKind::ProcessStart, true) => {
            // The new process runs as the target account when Windows names one (4688
            // version 2), as its creator's otherwise.
            e.user = join_user(raw, "TargetDomainName", "TargetUserName")
                .or_else(|| join_user(raw, "SubjectDomainName", "SubjectUserName"));
            e.pid = int(raw, "NewProcessId");
            e.image = owned(raw, "NewProcessName");
            e.parent_pid = int(raw, "ProcessId");
            e.parent_image = owned(raw, "ParentProcessName");
            e.command_line = owned(raw, "CommandLine");
        }
        (EventKind::Logon, _) => {
            e.user = join_user(raw, "TargetDomainName", "TargetUserName");
            e.pid = int(raw, "ProcessId");
            e.image = owned(raw, "ProcessName");
            e.remote_ip = address(raw, "IpAddress");
            e.remote_port = int(raw, "IpPort").filter(|p| *p > 0);
            e.name = owned(raw, "LogonType").map(|t| format!("logon type {t}"));
        }
        (EventKind::ServiceInstall, _) => {
            e.user = join_user(raw, "SubjectDomainName", "SubjectUserName");
            e.name = owned(raw, "ServiceName");
            e.target_path = first(raw, &["ServiceFileName", "ImagePath"]);
        }
        (EventKind::ScheduledTask, _) => {
            // Who registered, changed or deleted it (Security's subject, Task Scheduler's
            // user).
            e.user = join_user(raw, "SubjectDomainName", "SubjectUserName")
                .or_else(|| first(raw, &["UserContext", "UserName"]));
            e.name = owned(raw, "TaskName");
            e.command_line = text_of(raw, &["TaskContent", "TaskContentNew"])
                .and_then(|xml| crate::artefact::task_command(&xml));
        }
        (EventKind::ProcessAccess, _) => {
            e.user = owned(raw, "SourceUser");
            e.pid = int(raw, "SourceProcessId");
            e.image = owned(raw, "SourceImage");
            e.target_path = owned(raw, "TargetImage");
        }
        (EventKind::ScriptBlock, _) => {
            e.command_line = owned(raw, "ScriptBlockText");
            e.target_path = owned(raw, "Path");
            e.pid = int(raw, "ProcessId");
            // The account running the script, as its SID when that is all the log has.
            e.user = first(raw, &["User", "UserID"]);
        }
        (_, true) => security::fill(raw, &mut e),
        _ => {
            e.user = owned(raw, "User")
                .or_else(|| join_user(raw, "SubjectDomainName", "SubjectUserName"));
            e.pid = int(raw, "ProcessId");
            e.image = owned(raw, "Image");
            e.command_line = owned(raw, "CommandLine");
            e.parent_pid = int(raw, "ParentProcessId");
            e.parent_image = owned(raw, "ParentImage");
            e.target_path = first(raw, &["TargetFilename", "ImageLoaded", "Destination"]);
            e.dns_domain = first(raw, &["QueryName", "DestinationHostname"]);
            e.remote_ip = owned(raw, "DestinationIp");
            e.remote_port = int(raw, "DestinationPort");
            e.registry_key = owned(raw, "TargetObject");
            e.registry_value = owned(raw, "Details");
            e.name = first(raw, &["Name", "Consumer"]);
        }
    }
    e.logon_id = if security {
        security::logon_id(raw, event_id)
    } else {
        int(raw, "LogonId").filter(|id| *id != 0)
    };
    crate::artefact::extract(raw, &mut e);
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprint_is_the_first_128_bits_of_sha256_in_hex() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(fingerprint(b"abc"), "ba7816bf8f01cfea414140de5dae2223");
    }
}
