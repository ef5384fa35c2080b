//! PowerShell scripts and pipelines logged (PowerShell 4104 script block, 4103 module
//! logging, classic 800 pipeline): the script's text, the host that ran it, and what the
//! text and the strings it hides name.

use serde_json::{Map, Value};

use super::{inspect, Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp, Event};
use crate::normalise::{cut, int, truncate};

/// The longest host application kept as a fact (an encoded command is kilobytes).
const MAX_HOST_FACT: usize = 512;

/// The script a PowerShell event logged; the event's URL is the first it names.
pub(super) fn extract(raw: &Map<String, Value>, e: &mut Event) -> Option<Artefact> {
    let script = match e.event_id {
        4104 => script_block(raw)?,
        4103 => module_logging(raw)?,
        800 => pipeline(raw)?,
        _ => return None,
    };
    let mut facts = Facts::default();
    facts.maybe("path", script.path);
    facts.maybe(
        "host application",
        script.host.map(|h| cut(h, MAX_HOST_FACT)),
    );
    facts.maybe("user", script.user);
    if let Some((n, of)) = script.part.filter(|(_, of)| *of > 1) {
        facts.add("part", format!("{n} of {of}"));
    }
    // The host's command line is shown, not looked into: it comes with every pipeline event
    // of its session (kilobytes of encoded command, for a stager), and the process start
    // that shows it once is where it is looked into.
    let mut mentions = Mentions::default();
    inspect(script.text, &mut facts, &mut mentions);
    if e.url.is_none() {
        e.url = mentions.first_url().map(truncate);
    }
    if e.user.as_deref().is_none_or(|u| u.starts_with("S-1-")) {
        e.user = script.user.map(truncate).or(e.user.take());
    }
    let name = match script.id {
        Some(id) => id.to_string(),
        None => short_id(script.host, script.text),
    };
    Some(Artefact {
        kind: ArtefactKind::ScriptBlock,
        op: ArtefactOp::Created,
        name,
        value: Some(truncate(script.text)),
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// What a PowerShell event says about its script, borrowed from the raw map.
#[derive(Debug, Default)]
struct Script<'a> {
    id: Option<&'a str>,
    text: &'a str,
    path: Option<&'a str>,
    host: Option<&'a str>,
    user: Option<&'a str>,
    part: Option<(i64, i64)>,
}

/// A text field, borrowed and trimmed; empty and `-` are absent.
fn field<'a>(raw: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    raw.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

/// 4104: `ScriptBlockText`, `ScriptBlockId`, `Path`, `MessageNumber` of `MessageTotal`.
fn script_block(raw: &Map<String, Value>) -> Option<Script<'_>> {
    let number = int(raw, "MessageNumber");
    let total = int(raw, "MessageTotal");
    Some(Script {
        id: field(raw, "ScriptBlockId"),
        text: field(raw, "ScriptBlockText")?,
        path: field(raw, "Path"),
        part: number.zip(total),
        ..Script::default()
    })
}

/// 4103: `Payload` and `ContextInfo` (`Host Application = …` lines), or both in `Message`
/// when a collector kept only that.
fn module_logging(raw: &Map<String, Value>) -> Option<Script<'_>> {
    let (payload, context) = match (field(raw, "Payload"), field(raw, "ContextInfo")) {
        (None, None) => {
            let message = field(raw, "Message")?;
            let (payload, context) = message.split_once("Context:").unwrap_or((message, ""));
            (Some(payload.trim()), Some(context))
        }
        both => both,
    };
    let [path, host, user] = context_values(
        context.unwrap_or_default(),
        ["Script Name", "Host Application", "User"],
    );
    Some(Script {
        text: payload.filter(|p| !p.is_empty())?,
        path,
        host,
        user,
        ..Script::default()
    })
}

/// 800: the pipeline's command line, its context (`HostApplication=…` lines) and details:
/// the three unnamed `Data` of EVTX, Winlogbeat's `param1`…`param3`, or NXLog's `Message`.
fn pipeline(raw: &Map<String, Value>) -> Option<Script<'_>> {
    let data: Vec<&str> = match raw.get("Data") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => ["param1", "param2", "param3"]
            .iter()
            .map_while(|k| raw.get(*k).and_then(Value::as_str))
            .collect(),
    };
    let (command, context, details) = match data.as_slice() {
        [command, context, details, ..] => (*command, *context, *details),
        [command, context] => (*command, *context, ""),
        _ => message_parts(field(raw, "Message")?),
    };
    let text = [command.trim(), details.trim()]
        .into_iter()
        .find(|t| !t.is_empty())?;
    let [number, total, path, host, user] = context_values(
        context,
        [
            "DetailSequence",
            "DetailTotal",
            "ScriptName",
            "HostApplication",
            "UserId",
        ],
    );
    let number = number.and_then(|n| n.parse().ok());
    let total = total.and_then(|n| n.parse().ok());
    Some(Script {
        text,
        path,
        host,
        user,
        part: number.zip(total),
        ..Script::default()
    })
}

/// NXLog's 800 `Message`: `Pipeline execution details for command line: … \r\n\r\nContext
/// Information: \r\n\t…\r\n\r\nDetails: \r\n…`.
fn message_parts<'a>(message: &'a str) -> (&'a str, &'a str, &'a str) {
    let split = |text: &'a str, at: Option<usize>, len: usize| match at {
        Some(at) => (&text[..at], &text[at + len..]),
        None => (text, ""),
    };
    const CONTEXT: &str = "Context Information:";
    const DETAILS: &str = "\nDetails:";
    let (head, rest) = split(
        message,
        memchr::memmem::find(message.as_bytes(), CONTEXT.as_bytes()),
        CONTEXT.len(),
    );
    let (context, details) = split(
        rest,
        memchr::memmem::find(rest.as_bytes(), DETAILS.as_bytes()),
        DETAILS.len(),
    );
    let command = head
        .split_once("command line:")
        .map_or(head, |(_, c)| c)
        .trim()
        .trim_end_matches('.');
    (command, context, details)
}

/// The values of `keys` in the `key=value` (4103: `key = value`) lines of a PowerShell
/// event's context, read in one pass that ends when all are found. A line is only
/// compared with the keys' names: most lines are none of them.
fn context_values<'a, const N: usize>(context: &'a str, keys: [&str; N]) -> [Option<&'a str>; N] {
    let mut values = [None; N];
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', context.as_bytes()).chain([context.len()]);
    for end in ends {
        let line = context[start..end].trim_start();
        start = (end + 1).min(context.len());
        for (k, key) in keys.iter().enumerate() {
            let Some(rest) = line.strip_prefix(key) else {
                continue;
            };
            let Some(value) = rest.trim_start_matches(' ').strip_prefix('=') else {
                continue;
            };
            let value = value.trim();
            if values[k].is_none() && !value.is_empty() {
                values[k] = Some(value);
            }
        }
        if values.iter().all(Option::is_some) {
            break;
        }
    }
    values
}

/// The file name of the program a host application runs (`C:\…\powershell.exe -nop` →
/// `powershell.exe`): up to its `.exe`, or its first word.
fn host_program(host: &str) -> Option<&str> {
    let host = host.trim_start_matches(['"', '\'', ' ']);
    // A path is at most 260 characters.
    let exe = host.as_bytes()[..host.len().min(264)]
        .windows(4)
        .position(|w| w.eq_ignore_ascii_case(b".exe"))
        .map(|at| &host[..at + 4]);
    let program = exe.unwrap_or_else(|| host.split_whitespace().next().unwrap_or(host));
    program.rsplit(['\\', '/']).next().filter(|p| !p.is_empty())
}

/// A short id that stays the same for the same script run by the same program: the host
/// program's file name and a hash of the text (`powershell.exe#3f2a9c1b`).
fn short_id(host: Option<&str>, text: &str) -> String {
    let program = host.and_then(host_program).unwrap_or("script");
    format!("{program}#{:08x}", stable_hash(text.as_bytes()))
}

/// A 32-bit hash of `bytes` that is the same on every machine and in every release (unlike
/// the standard library's), eight bytes a step: FxHash's mixing, folded.
fn stable_hash(bytes: &[u8]) -> u32 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    let mut hash = words.by_ref().fold(bytes.len() as u64, |hash, w| {
        mix(
            hash,
            u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
        )
    });
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    hash = mix(hash, u64::from_le_bytes(tail));
    (hash >> 32) as u32 ^ hash as u32
}

#[cfg(test)]
mod tests {
    use super::{context_values, message_parts, short_id};

    #[test]
    fn an_nxlog_pipeline_message_splits_into_command_context_and_details() {
        let message = "Pipeline execution details for command line: Start-Sleep -Seconds 5. \r\n\r\nContext Information: \r\n\tUserId=CORP\\bob\r\n\tHostApplication=powershell.exe -nop\r\n\r\nDetails: \r\nCommandInvocation(Start-Sleep): \"Start-Sleep\"\r\n";
        let (command, context_text, details) = message_parts(message);
        assert_eq!(command, "Start-Sleep -Seconds 5");
        assert_eq!(
            context_values(context_text, ["HostApplication", "UserId", "ScriptName"]),
            [Some("powershell.exe -nop"), Some("CORP\\bob"), None]
        );
        assert!(details.contains("CommandInvocation(Start-Sleep)"));
    }

    #[test]
    fn the_stable_hash_does_not_change() {
        // Ids already handed out depend on these.
        assert_eq!(format!("{:08x}", super::stable_hash(b"")), "00000000");
        assert_eq!(
            format!("{:08x}", super::stable_hash(b"Start-Sleep -Seconds 5")),
            super::short_id(None, "Start-Sleep -Seconds 5").trim_start_matches("script#")
        );
        assert_ne!(
            super::stable_hash(b"whoami"),
            super::stable_hash(b"whoami ")
        );
    }

    #[test]
    fn short_ids_name_the_host_program_and_change_with_the_text() {
        let host = Some(r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -nop");
        let a = short_id(host, "whoami");
        assert!(
            a.starts_with("powershell.exe#") && a.len() == "powershell.exe#".len() + 8,
            "{a}"
        );
        assert_eq!(a, short_id(host, "whoami"));
        assert_ne!(a, short_id(host, "hostname"));
        assert!(short_id(None, "x").starts_with("script#"));
    }
}
