//! Blocking a domain: lines Vigil owns in the hosts file, each marked with its action id,
//! so undo removes exactly them and a restart can see whether they were written.

use std::path::Path;

use vigil_engine::{Error, Result};

use super::os_error;

/// The marker that ends every line Vigil writes.
fn marker(action_id: i64) -> String {
    format!("# vigil-block action={action_id}")
}

/// A domain fit for a hosts file (letters, digits, dots, hyphens; no spaces or comments).
pub fn check_domain(domain: &str) -> Result<String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(d)
    } else {
        Err(Error::InvalidInput(format!(
            "{domain:?} is not a domain name Vigil can block"
        )))
    }
}

/// The host part of a URL (or the text itself when it is a bare domain).
pub fn host_of(url_or_domain: &str) -> &str {
    let rest = url_or_domain
        .split_once("://")
        .map_or(url_or_domain, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.split(':').next().unwrap_or(host)
}

fn read(hosts: &Path) -> Result<String> {
    match std::fs::read_to_string(hosts) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(os_error(format!("cannot read {}", hosts.display()), e)),
    }
}

fn write(hosts: &Path, text: &str) -> Result<()> {
    std::fs::write(hosts, text)
        .map_err(|e| os_error(format!("cannot write {}", hosts.display()), e))
}

/// Whether the hosts file has this action's lines.
pub fn is_blocked(hosts: &Path, action_id: i64) -> Result<bool> {
    let marker = marker(action_id);
    Ok(read(hosts)?
        .lines()
        .any(|l| l.trim_end().ends_with(&marker)))
}

/// Adds the action's block lines (IPv4 and IPv6) for `domain`; nothing when already there.
pub fn block(hosts: &Path, action_id: i64, domain: &str) -> Result<bool> {
    let domain = check_domain(domain)?;
    if is_blocked(hosts, action_id)? {
        return Ok(false);
    }
    let mut text = read(hosts)?;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let marker = marker(action_id);
    text.push_str(&format!(
        "0.0.0.0 {domain} {marker}\n:: {domain} {marker}\n"
    ));
    write(hosts, &text)?;
    Ok(true)
}

/// Removes the action's lines; false when there were none.
pub fn unblock(hosts: &Path, action_id: i64) -> Result<bool> {
    let text = read(hosts)?;
    let marker = marker(action_id);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_end().ends_with(&marker))
        .collect();
    if kept.len() == text.lines().count() {
        return Ok(false);
    }
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    write(hosts, &out)?;
    Ok(true)
}
