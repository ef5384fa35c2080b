//! IOC lists: CSV and plain-text lists as feeds and reports publish them, and STIX 2.1
//! bundles, normalised so the engine can compare them with event fields.

use std::net::IpAddr;

use serde_json::Value;

use crate::error::{Result, TelemetryError};

/// What an indicator's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndicatorKind {
    /// SHA-256 file hash (64 lower-case hex digits).
    Sha256,
    /// SHA-1 file hash (40 lower-case hex digits).
    Sha1,
    /// MD5 file hash (32 lower-case hex digits).
    Md5,
    /// A URL (scheme and host lower-case).
    Url,
    /// A DNS name (lower-case, no trailing dot).
    Domain,
    /// An IPv4 or IPv6 address (canonical text form).
    Ip,
}

impl IndicatorKind {
    /// The stable name: `sha256`, `sha1`, `md5`, `url`, `domain`, `ip`.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Sha256 => "sha256",
            IndicatorKind::Sha1 => "sha1",
            IndicatorKind::Md5 => "md5",
            IndicatorKind::Url => "url",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Ip => "ip",
        }
    }

    /// Reads a type name as written in CSV lists (`sha256`, `SHA-256`, `domain-name`, `ipv4`…).
    pub fn parse(name: &str) -> Option<IndicatorKind> {
        let n = name
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "");
        Some(match n.as_str() {
            "sha256" => IndicatorKind::Sha256,
            "sha1" => IndicatorKind::Sha1,
            "md5" => IndicatorKind::Md5,
            "url" | "uri" => IndicatorKind::Url,
            "domain" | "domainname" | "hostname" | "fqdn" => IndicatorKind::Domain,
            "ip" | "ipv4" | "ipv6" | "ipaddr" | "ipv4addr" | "ipv6addr" | "ipaddress" => {
                IndicatorKind::Ip
            }
            _ => return None,
        })
    }
}

/// One indicator of compromise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Indicator {
    /// What the value is.
    pub kind: IndicatorKind,
    /// The normalised value.
    pub value: String,
    /// What the list says about it (may be empty).
    pub description: String,
}

/// Undoes common defanging: `hxxp`, `[.]`, `(.)`, `[:]`.
fn refang(s: &str) -> String {
    let s = s
        .trim()
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":");
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("hxxp") {
        format!("http{}", &s[4..])
    } else {
        s
    }
}

/// Normalises a value of a kind, or says why it is not one.
pub fn normalise_value(kind: IndicatorKind, value: &str) -> Result<String, String> {
    let v = refang(value);
    if v.is_empty() {
        return Err("empty value".into());
    }
    let hex = |len: usize| {
        if v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(v.to_ascii_lowercase())
        } else {
            Err(format!(
                "not a {} ({len} hex digits): {v:.80}",
                kind.as_str()
            ))
        }
    };
    match kind {
        IndicatorKind::Sha256 => hex(64),
        IndicatorKind::Sha1 => hex(40),
        IndicatorKind::Md5 => hex(32),
        // `203.0.113.9:443` and `[2001:db8::1]:443` (feeds of C2 servers) name the address.
        IndicatorKind::Ip => v
            .parse::<IpAddr>()
            .or_else(|_| v.parse::<std::net::SocketAddr>().map(|s| s.ip()))
            .map(|ip| ip.to_string())
            .map_err(|_| format!("not an IP address: {v:.80}")),
        IndicatorKind::Domain => {
            let d = v.trim_end_matches('.').to_ascii_lowercase();
            let ok = d.contains('.')
                && d.len() <= 253
                && d.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                });
            if ok {
                Ok(d)
            } else {
                Err(format!("not a domain name: {v:.80}"))
            }
        }
        IndicatorKind::Url => {
            let Some((scheme, rest)) = v.split_once("://") else {
                return Err(format!("not a URL (no scheme): {v:.80}"));
            };
            if scheme.is_empty()
                || !scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            {
                return Err(format!("not a URL: {v:.80}"));
            }
            let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (host, tail) = rest.split_at(split);
            if host.is_empty() || host.chars().any(char::is_whitespace) {
                return Err(format!("not a URL (no host): {v:.80}"));
            }
            Ok(format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                tail
            ))
        }
    }
}

mod lists;
mod stix;

pub use lists::{parse_csv, ParsedList};

/// Parses a STIX 2.x bundle: every `indicator` object with a STIX pattern comparing a
/// file hash, URL, domain name or IP address (`=`, OR-ed comparisons allowed; of ANDed
/// ones only the file hashes are taken). Indicators whose pattern names nothing Vigil
/// matches (other objects, other pattern languages) are passed over, counted and said; a
/// malformed bundle, object or pattern is an error naming the object, and so is a bundle
/// with nothing usable.
pub fn parse_stix(text: &str, source_name: &str) -> Result<ParsedList> {
    let err = |item: String, reason: String| TelemetryError::Intel {
        source_name: source_name.to_string(),
        item,
        reason,
    };
    let bundle: Value =
        serde_json::from_str(text).map_err(|e| err("bundle".into(), format!("not JSON: {e}")))?;
    let objects = match &bundle {
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("bundle") => m
            .get("objects")
            .and_then(Value::as_array)
            .ok_or_else(|| err("bundle".into(), "no objects array".into()))?,
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("indicator") => {
            std::slice::from_ref(&bundle)
        }
        _ => return Err(err("bundle".into(), "not a STIX bundle".into())),
    };
    let mut out = ParsedList::default();
    for (i, obj) in objects.iter().enumerate() {
        if obj.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        let item = obj
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("object {}", i + 1), str::to_string);
        if let Some(other) = obj
            .get("pattern_type")
            .and_then(Value::as_str)
            .filter(|t| *t != "stix")
        {
            out.skip_item(
                &item,
                format!("a {other:.20} pattern, which Vigil does not read"),
            );
            continue;
        }
        let pattern = obj
            .get("pattern")
            .and_then(Value::as_str)
            .ok_or_else(|| err(item.clone(), "indicator has no pattern".into()))?;
        let description = [obj.get("name"), obj.get("description")]
            .iter()
            .filter_map(|v| v.and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(": ");
        let comparisons = stix::comparisons(pattern)
            .map_err(|reason| err(item.clone(), format!("pattern: {reason}")))?;
        if comparisons.is_empty() {
            out.skip_item(
                &item,
                format!("its pattern names nothing Vigil matches: {pattern:.80}"),
            );
        }
        for (kind, value) in comparisons {
            let value = normalise_value(kind, &value).map_err(|r| err(item.clone(), r))?;
            out.indicators.push(Indicator {
                kind,
                value,
                description: description.clone(),
            });
        }
    }
    if out.indicators.is_empty() && out.skipped > 0 {
        return Err(err(
            "bundle".into(),
            format!(
                "no indicator Vigil can match ({} passed over; first: {})",
                out.skipped,
                out.skip_reasons.first().map(String::as_str).unwrap_or("")
            ),
        ));
    }
    Ok(out)
}
