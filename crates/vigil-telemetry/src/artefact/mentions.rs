//! The URLs, domains, IP addresses and Windows paths a text names, found in one pass:
//! each once, in order of appearance, at most [`MAX_MENTIONS`]. A domain is taken only
//! where it is clearly a host: in a URL, a UNC path or after `-ComputerName` (so neither
//! `System.Net.WebClient` nor `file.exe` is one); an IPv4 address only as four octets of
//! their own (not `Version=1.2.3.4`, nor part of `1.2.3.4.5`).

mod paths;
mod urls;

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::event::{Mention, MentionKind};
pub(crate) use paths::{is_path_start, path_at};
use urls::{url_host, url_len, url_start};

/// The most mentions an artefact keeps.
pub(crate) const MAX_MENTIONS: usize = 32;

/// The mentions found so far.
#[derive(Debug, Default)]
pub(crate) struct Mentions(Vec<Mention>);

impl Mentions {
    /// The mentions, in order.
    pub(crate) fn into_vec(self) -> Vec<Mention> {
        self.0
    }

    /// The first URL mentioned.
    pub(crate) fn first_url(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|m| m.kind == MentionKind::Url)
            .map(|m| m.value.as_str())
    }

    /// Whether no more mentions are kept.
    fn full(&self) -> bool {
        self.0.len() >= MAX_MENTIONS
    }

    /// Adds a mention unless it is empty, already there, or there are enough.
    fn push(&mut self, kind: MentionKind, value: &str) {
        let value = value.trim();
        if value.is_empty() || self.full() {
            return;
        }
        // Windows paths and host names are case-insensitive; URLs are taken as written.
        let same = |m: &Mention| {
            m.kind == kind
                && match kind {
                    MentionKind::Url => m.value == value,
                    _ => m.value.eq_ignore_ascii_case(value),
                }
        };
        if !self.0.iter().any(same) {
            self.0.push(Mention {
                kind,
                value: value.to_string(),
            });
        }
    }

    /// A file, as written.
    pub(crate) fn file(&mut self, path: &str) {
        self.push(MentionKind::File, path);
    }

    /// A URL, and its host as a domain or IP address.
    pub(crate) fn url(&mut self, url: &str) {
        self.push(MentionKind::Url, url);
        if let Some(host) = url_host(url) {
            self.host(host);
        }
    }

    /// A host: an IP address, or a host name (lower-cased).
    pub(crate) fn host(&mut self, host: &str) {
        let host = host.trim().trim_end_matches('.');
        if let Some(ip) = ip_of(host) {
            self.push(MentionKind::Ip, &ip);
        } else if is_host_name(host) {
            self.push(MentionKind::Domain, &host.to_ascii_lowercase());
        }
    }

    /// An IP address field (validated).
    pub(crate) fn ip(&mut self, ip: &str) {
        if let Some(ip) = ip_of(ip.trim()) {
            self.push(MentionKind::Ip, &ip);
        }
    }

    /// Everything `text` names, in order. Only the bytes a mention must hold are looked
    /// at (the `:` of a URL, a drive or an IPv6 address, the `\` of a share, the `%` or `$`
    /// of a variable, the `.` of an IPv4 address, the `-` of a switch) and the text around
    /// them read from there: a 64 KiB script costs one pass of table lookups. A URL is taken
    /// even glued to a word (obfuscation leaves `oH4https://…`).
    pub(crate) fn scan(&mut self, text: &str) {
        const ANCHORS: [bool; 256] = byte_table(b":\\%$.-");
        let b = text.as_bytes();
        let word_before = |at: usize| at > 0 && b[at - 1].is_ascii_alphanumeric();
        // Everything before `done` is read.
        let mut done = 0;
        let mut i = 0;
        while !self.full() {
            match b[i..].iter().position(|c| ANCHORS[usize::from(*c)]) {
                Some(skip) => i += skip,
                None => break,
            }
            let found = match b[i] {
                b':' if b[i + 1..].starts_with(b"//") => url_start(b, i)
                    .filter(|start| *start >= done)
                    .and_then(|start| {
                        let end = start + url_len(&b[start..])?;
                        self.url(&text[start..end]);
                        Some(end)
                    }),
                b':' if i > done
                    && b[i - 1].is_ascii_alphabetic()
                    && !word_before(i - 1)
                    && is_path_start(&text[i - 1..]) =>
                {
                    let path = path_at(text, i - 1);
                    self.file(path);
                    Some(i - 1 + path.len())
                }
                // An IPv6 address goes on after its colons (`fe80::1`, `2001:db8::1`).
                b':' if b
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_hexdigit() || *c == b':') =>
                {
                    let start = run_start(b, i, |c| c.is_ascii_hexdigit() || c == b':');
                    (start >= done && !word_before(start))
                        .then(|| self.ipv6(text, start))
                        .flatten()
                }
                b'\\' if b.get(i + 1) == Some(&b'\\') && (i == 0 || b[i - 1] != b'\\') => {
                    self.unc(text, i)
                }
                b'%' | b'$' if !word_before(i) && is_path_start(&text[i..]) => {
                    let path = path_at(text, i);
                    self.file(path);
                    Some(i + path.len())
                }
                b'.' => {
                    let start = run_start(b, i, |c| c.is_ascii_digit() || c == b'.');
                    let own = start >= done && b[start].is_ascii_digit() && !word_before(start);
                    own.then(|| self.ipv4(text, start)).flatten()
                }
                b'-' if !word_before(i) => self.computer_name(text, i),
                _ => None,
            };
            match found {
                Some(end) if end > i => {
                    i = end;
                    done = end;
                }
                _ => i += 1,
            }
        }
    }

    /// `\\host\share\…` at `i`: the path, and its host. `\\.\` and `\\?\` (devices) are
    /// passed over.
    fn unc(&mut self, text: &str, i: usize) -> Option<usize> {
        let b = text.as_bytes();
        let host_len = b[i + 2..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
            .count();
        let host = &text[i + 2..i + 2 + host_len];
        let after = i + 2 + host_len;
        // `\\root\\cimv2` is a path written with its backslashes escaped, not a share.
        let escaped = b.get(after + 1) == Some(&b'\\');
        if host_len == 0 || host == "." || b.get(after) != Some(&b'\\') || escaped {
            return None;
        }
        let path = path_at(text, i);
        // `\\host\root\cimv2` is a WMI namespace, not a share.
        let share = path
            .get(after + 1 - i..)
            .unwrap_or_default()
            .split('\\')
            .next()
            .unwrap_or_default();
        if !share.eq_ignore_ascii_case("root") {
            self.file(path);
            self.host(host);
        }
        Some(i + path.len())
    }

    /// Four octets of their own at `i`; the run of digits and dots there is read either way.
    fn ipv4(&mut self, text: &str, i: usize) -> Option<usize> {
        let b = text.as_bytes();
        let len = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
        let candidate = text[i..i + len].trim_end_matches('.');
        let end = i + candidate.len();
        let followed = b.get(end).is_some_and(|c| c.is_ascii_alphanumeric());
        let Ok(ip) = candidate.parse::<Ipv4Addr>() else {
            return Some(i + len);
        };
        let version = b[i.saturating_sub(12)..i]
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"version"));
        // `0.x.x.x` and `255.x.x.x` are no host's address: masks, versions, "this network".
        let octet = ip.octets()[0];
        if followed || octet == 0 || octet == 255 || version {
            return Some(end);
        }
        self.push(MentionKind::Ip, candidate);
        Some(end)
    }

    /// An IPv6 address of its own at `i`: hex groups with `::`, or all eight of them.
    fn ipv6(&mut self, text: &str, i: usize) -> Option<usize> {
        let b = text.as_bytes();
        if i > 0 && matches!(b[i - 1], b':' | b'.') {
            return None;
        }
        let len = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.'))
            .count();
        let candidate = &text[i..i + len];
        let colons = candidate.bytes().filter(|c| *c == b':').count();
        let followed = b
            .get(i + len)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if followed || colons < 2 || !(candidate.contains("::") || colons == 7) {
            return None;
        }
        let ip: Ipv6Addr = candidate.parse().ok()?;
        if ip.is_unspecified() || !candidate.bytes().any(|c| c.is_ascii_digit()) {
            return None;
        }
        self.ip(candidate);
        Some(i + len)
    }

    /// `-ComputerName host` at `i`.
    fn computer_name(&mut self, text: &str, i: usize) -> Option<usize> {
        const SWITCH: &str = "-computername";
        let rest = text.get(i..i + SWITCH.len())?;
        if !rest.eq_ignore_ascii_case(SWITCH) {
            return None;
        }
        let after = &text[i + SWITCH.len()..];
        let value = after.trim_start();
        if value.len() == after.len() {
            return None;
        }
        let value = value.trim_start_matches(['\'', '"']);
        let host_len = value
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
            .count();
        self.host(&value[..host_len]);
        Some(i + SWITCH.len())
    }
}

/// A table of the bytes in `set`.
pub(super) const fn byte_table(set: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut k = 0;
    while k < set.len() {
        table[set[k] as usize] = true;
        k += 1;
    }
    table
}

/// Where the run of bytes `in_run` that holds `at` starts.
fn run_start(b: &[u8], at: usize, in_run: impl Fn(u8) -> bool) -> usize {
    let before = b[..at].iter().rev().take_while(|c| in_run(**c)).count();
    at - before
}

/// An IP address as it is written, if `s` is one (an IPv4 address mapped into IPv6 as the
/// IPv4 address).
fn ip_of(s: &str) -> Option<String> {
    let s = s.strip_prefix("::ffff:").unwrap_or(s);
    s.parse::<std::net::IpAddr>().ok().map(|_| s.to_string())
}

/// Letters, digits, dots and hyphens, with a letter: a name a host can have.
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().any(|c| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        && !s.starts_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `text` mentions, as (kind, value).
    pub(super) fn found(text: &str) -> Vec<(MentionKind, String)> {
        let mut m = Mentions::default();
        m.scan(text);
        m.into_vec()
            .into_iter()
            .map(|m| (m.kind, m.value))
            .collect()
    }

    /// `values`, each of `kind`.
    pub(super) fn of(kind: MentionKind, values: &[&str]) -> Vec<(MentionKind, String)> {
        values.iter().map(|v| (kind, v.to_string())).collect()
    }

    #[test]
    fn dotted_names_that_are_not_hosts_are_not_domains() {
        assert_eq!(
            found("New-Object System.Net.WebClient; Start-Process file.exe; $a.b.c"),
            vec![]
        );
    }

    #[test]
    fn ipv4_addresses_stand_alone_and_versions_are_not_addresses() {
        assert_eq!(
            found("ping 192.168.1.20 & Version=4.0.0.0, 1.2.3.4.5, 300.1.1.1, v10.0.0.1, 0.0.1.0, 255.255.255.0"),
            of(MentionKind::Ip, &["192.168.1.20"])
        );
        assert_eq!(
            found("connect fe80::1ff:fe23:4567:890a and [Convert]::FromBase64String and 12:30:45"),
            of(MentionKind::Ip, &["fe80::1ff:fe23:4567:890a"])
        );
    }

    #[test]
    fn computer_names_are_hosts() {
        assert_eq!(
            found("Invoke-Command -ComputerName 'dc01.corp.example' -ScriptBlock {}"),
            of(MentionKind::Domain, &["dc01.corp.example"])
        );
    }

    #[test]
    fn each_mention_is_kept_once_and_at_most_the_cap() {
        let text = (0..100)
            .map(|i| format!(r"C:\t\{i}.exe C:\T\{i}.EXE "))
            .collect::<String>();
        let all = found(&text);
        assert_eq!(all.len(), MAX_MENTIONS);
        assert_eq!(
            all[1].1, r"C:\t\1.exe",
            "the upper-case twin is the same file"
        );
    }
}
