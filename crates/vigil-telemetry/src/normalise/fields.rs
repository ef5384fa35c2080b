//! Reading fields out of a flat raw map: text, numbers, accounts, all cut to what an event
//! keeps.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::MAX_EVENT_TEXT;

/// Reads a field as text: strings as they are (trimmed), numbers and booleans printed. An
/// empty string and Windows' `-` placeholder are absent.
pub(crate) fn text<'a>(raw: &'a Map<String, Value>, key: &str) -> Option<Cow<'a, str>> {
    match raw.get(key)? {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && t != "-").then_some(Cow::Borrowed(t))
        }
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

/// [`text`] of the first of `keys` that has one.
pub(crate) fn text_of<'a>(raw: &'a Map<String, Value>, keys: &[&str]) -> Option<Cow<'a, str>> {
    keys.iter().find_map(|k| text(raw, k))
}

/// [`text`], owned and cut to [`MAX_EVENT_TEXT`].
pub(crate) fn owned(raw: &Map<String, Value>, key: &str) -> Option<String> {
    text(raw, key).map(|s| truncate(&s))
}

/// [`owned`] of the first of `keys` that has one.
pub(crate) fn first(raw: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| owned(raw, k))
}

/// `s` cut to [`MAX_EVENT_TEXT`] bytes, on a character boundary.
pub(crate) fn truncate(s: &str) -> String {
    cut(s, MAX_EVENT_TEXT).to_string()
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Parses an integer written as a JSON number, a decimal string or a `0x` hex string.
pub(crate) fn parse_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())),
        Value::String(s) => parse_int_text(s),
        _ => None,
    }
}

/// [`parse_int`] of text.
pub(crate) fn parse_int_text(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// A field as an integer (see [`parse_int`]).
pub(crate) fn int(raw: &Map<String, Value>, key: &str) -> Option<i64> {
    raw.get(key).and_then(parse_int)
}

/// `DOMAIN\user` out of a domain and a user field, or `user` without a domain. A user
/// written `user@REALM` (Kerberos events) is taken as `user`.
pub(crate) fn join_user(raw: &Map<String, Value>, domain: &str, user: &str) -> Option<String> {
    let u = text(raw, user)?;
    let u = match u.split_once('@') {
        Some((name, _)) if !name.is_empty() => name,
        _ => &u,
    };
    match text(raw, domain) {
        Some(d) => Some(format!("{d}\\{u}")),
        None => Some(u.to_string()),
    }
}

/// An IP address field, without the `::ffff:` an IPv4 address is mapped into; `None` for
/// anything that is not an address (`-`, `LOCAL`).
pub(crate) fn address(raw: &Map<String, Value>, key: &str) -> Option<String> {
    let a = text(raw, key)?;
    let a = a.strip_prefix("::ffff:").unwrap_or(&a);
    a.parse::<std::net::IpAddr>().is_ok().then(|| a.to_string())
}
