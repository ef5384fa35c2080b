//! Turns a flat Sigma-style field map (Sysmon / Security field names) into an [`Event`].

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Location, Result, TelemetryError};
use crate::event::{Event, EventKind};

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

/// Reads a field as text: strings as they are, numbers and booleans printed.
pub(crate) fn text<'a>(
    raw: &'a Map<String, Value>,
    key: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    match raw.get(key)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && t != "-").then_some(std::borrow::Cow::Borrowed(t))
        }
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(std::borrow::Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn owned(raw: &Map<String, Value>, key: &str) -> Option<String> {
    text(raw, key).map(|s| truncate(&s))
}

fn first(raw: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| owned(raw, k))
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_EVENT_TEXT {
        return s.to_string();
    }
    let mut end = MAX_EVENT_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Parses an integer written as a JSON number, a decimal string or a `0x` hex string.
pub(crate) fn parse_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())),
        Value::String(s) => {
            let s = s.trim();
            if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                i64::from_str_radix(hex, 16).ok()
            } else {
                s.parse().ok()
            }
        }
        _ => None,
    }
}

fn int(raw: &Map<String, Value>, key: &str) -> Option<i64> {
    raw.get(key).and_then(parse_int)
}

/// Normalises a timestamp to RFC 3339 UTC with milliseconds. Accepts RFC 3339 with any
/// offset, and offset-less `YYYY-MM-DD HH:MM:SS[.fff]` (Sysmon's UtcTime, taken as UTC).
pub fn normalise_ts(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some(fast) = utc_ts_to_millis(s) {
        return Some(fast);
    }
    let ts = match s.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => {
            let dt: jiff::civil::DateTime = s.parse().ok()?;
            dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp()
        }
    };
    Some(format_ts(ts))
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z`, the form every event log time is rendered in, cut to
/// milliseconds without a calendar parse; `None` for anything else (or an impossible date),
/// which takes the full parse.
fn utc_ts_to_millis(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|(i, c)| b[*i] != *c) || b.last() != Some(&b'Z') {
        return None;
    }
    let fraction = &b[19..b.len() - 1];
    let fraction = match fraction.split_first() {
        None => &[][..],
        Some((b'.', f)) if !f.is_empty() && f.len() <= 9 && f.iter().all(u8::is_ascii_digit) => f,
        Some(_) => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    // jiff's timestamps end late on 9999-12-30; the last year takes the full parse.
    if !(1..=9998).contains(&year)
        || day == 0
        || day > month_days
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut out = String::with_capacity(24);
    out.push_str(&s[..19]);
    out.push('.');
    for i in 0..3 {
        out.push(char::from(*fraction.get(i).unwrap_or(&b'0')));
    }
    out.push('Z');
    Some(out)
}

/// Formats a timestamp as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn format_ts(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
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

fn join_user(raw: &Map<String, Value>, domain: &str, user: &str) -> Option<String> {
    let u = text(raw, user)?;
    match text(raw, domain) {
        Some(d) => Some(format!("{d}\\{u}")),
        None => Some(u.into_owned()),
    }
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `<Command>` and `<Arguments>` out of a scheduled task's XML.
fn task_command(xml: &str) -> Option<String> {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = xml.find(&open)? + open.len();
        let end = xml[start..].find(&format!("</{name}>"))? + start;
        Some(unescape_xml(xml[start..end].trim()))
    };
    let cmd = tag("Command")?;
    Some(match tag("Arguments") {
        Some(args) if !args.is_empty() => format!("{cmd} {args}"),
        _ => cmd,
    })
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
    let security = e
        .channel
        .eq_ignore_ascii_case(crate::event::channels::SECURITY);
    match (kind, security) {
        (EventKind::ProcessStart, true) => {
            e.user = join_user(raw, "SubjectDomainName", "SubjectUserName");
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
            e.remote_ip = owned(raw, "IpAddress");
            e.remote_port = int(raw, "IpPort").filter(|p| *p > 0);
            e.name = owned(raw, "LogonType").map(|t| format!("logon type {t}"));
        }
        (EventKind::ServiceInstall, _) => {
            e.user = join_user(raw, "SubjectDomainName", "SubjectUserName");
            e.name = owned(raw, "ServiceName");
            e.target_path = first(raw, &["ServiceFileName", "ImagePath"]);
        }
        (EventKind::ScheduledTask, _) => {
            e.user = join_user(raw, "SubjectDomainName", "SubjectUserName");
            e.name = owned(raw, "TaskName");
            e.command_line = text(raw, "TaskContent").and_then(|x| task_command(&x));
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
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn utc_times_are_cut_to_milliseconds_as_the_calendar_parse_does() {
        let full = |s: &str| {
            let ts: jiff::Timestamp = s.parse().ok()?;
            Some(super::format_ts(ts))
        };
        for s in [
            "2019-03-19T23:50:48.1234567Z",
            "2019-03-19T23:50:48.9999999Z",
            "2019-03-19T23:50:48Z",
            "2019-03-19T23:50:48.1Z",
            "2019-03-19T23:50:48.12Z",
            "2019-03-19T23:50:48.123456789Z",
            "2024-02-29T00:00:00.000Z",
            "1601-01-01T00:00:00.0000000Z",
            "9998-12-31T23:59:59.9999999Z",
        ] {
            assert_eq!(super::utc_ts_to_millis(s), full(s), "{s}");
            assert!(
                super::utc_ts_to_millis(s).is_some(),
                "{s} takes the fast path"
            );
        }
        // Not the fast path's form, or not a real time: the full parse decides.
        for s in [
            "2023-02-29T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "2019-04-31T00:00:00Z",
            "2019-03-19T24:00:00Z",
            "2019-03-19T23:60:00Z",
            "2019-03-19T23:50:60Z",
            "2019-03-19 23:50:48.123",
            "2019-03-19T23:50:48.Z",
            "2019-03-19T23:50:48.1234567890Z",
            "2019-03-19T23:50:48+01:00",
            "2019-03-19T23:50:48.12a4Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "2019-03-19T23:50",
            "",
        ] {
            assert_eq!(super::utc_ts_to_millis(s), None, "{s}");
        }
        assert_eq!(
            super::normalise_ts("2019-03-19 23:50:48.123").as_deref(),
            Some("2019-03-19T23:50:48.123Z")
        );
        assert_eq!(
            super::normalise_ts("2019-03-20T00:50:48.1234+01:00").as_deref(),
            Some("2019-03-19T23:50:48.123Z")
        );
    }

    #[test]
    fn fingerprint_is_the_first_128_bits_of_sha256_in_hex() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(fingerprint(b"abc"), "ba7816bf8f01cfea414140de5dae2223");
    }
}
