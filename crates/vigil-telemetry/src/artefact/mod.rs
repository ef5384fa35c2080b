//! The artefact an event shows, read out of its flat raw map: the service, registry value,
//! scheduled task, WMI subscription, account, BITS job, antivirus detection, Kerberos
//! service ticket or script an attack leaves behind. Only events of the kinds that can show
//! one are looked at; every other event costs one `match` and allocates nothing.

mod account;
mod bits;
mod codes;
mod decode;
mod defender;
mod mentions;
mod registry;
mod script;
mod service;
mod task;
mod ticket;
mod wmi;

use serde_json::{Map, Value};

use crate::event::{Event, EventKind};
use crate::normalise::cut;
use mentions::Mentions;

pub(crate) use task::command as task_command;

/// The longest decoded string kept as a fact; all of it is looked into for mentions.
const MAX_DECODED_FACT: usize = 2048;

/// Sets the event's artefact, when its kind can show one and it does; an extractor may
/// fill event fields the artefact makes known too (a BITS job's URL, the file a threat
/// was found in).
pub(crate) fn extract(raw: &Map<String, Value>, e: &mut Event) {
    let found = match e.kind {
        EventKind::ServiceInstall => service::extract(raw),
        EventKind::RegistrySet => registry::extract(raw, e),
        EventKind::ScheduledTask => task::extract(raw, e),
        EventKind::WmiSubscription => wmi::extract(raw, e.event_id),
        EventKind::AccountChange => account::extract(raw, e.event_id),
        EventKind::BitsJob => bits::extract(raw, e),
        EventKind::AvDetection => defender::extract(raw, e),
        EventKind::ServiceTicket => ticket::extract(raw),
        EventKind::ScriptBlock => script::extract(raw, e),
        _ => return,
    };
    e.artefact = found.map(Box::new);
}

/// An artefact's facts, in the order they are added; a fact without a value is left out.
#[derive(Debug, Default)]
struct Facts(Vec<(String, String)>);

impl Facts {
    /// Adds `(label, value)` unless the value is empty.
    fn add(&mut self, label: &str, value: impl AsRef<str>) {
        let value = value.as_ref().trim();
        if !value.is_empty() {
            self.0.push((label.to_string(), value.to_string()));
        }
    }

    /// Adds `(label, value)` when there is a value.
    fn maybe<S: AsRef<str>>(&mut self, label: &str, value: Option<S>) {
        if let Some(value) = value {
            self.add(label, value);
        }
    }
}

/// Looks into a command or script: what it names becomes mentions, and the strings it
/// hides (base64, character codes, split text) become `("decoded", …)` facts, looked into
/// for mentions in turn.
fn inspect(text: &str, facts: &mut Facts, mentions: &mut Mentions) {
    mentions.scan(text);
    for hidden in decode::hidden_strings(text) {
        mentions.scan(&hidden);
        facts.add("decoded", cut(&hidden, MAX_DECODED_FACT));
    }
}

/// The program a command line runs: its first word, or the quoted path it starts with
/// (`"C:\Program Files\x.exe" -a` → `C:\Program Files\x.exe`), as written (environment
/// variables left in). An unquoted path with spaces is read as far as it reads as a path.
fn program(command: &str) -> Option<&str> {
    let command = command.trim_start();
    let program = match command.as_bytes().first()? {
        q @ (b'"' | b'\'') => {
            let rest = &command[1..];
            rest.find(char::from(*q)).map_or(rest, |end| &rest[..end])
        }
        _ if mentions::is_path_start(command) => mentions::path_at(command, 0),
        _ => command.split_whitespace().next().unwrap_or(command),
    };
    let program = program.trim();
    (!program.is_empty()).then_some(program)
}

/// `true`, `1`, `yes` and the like.
fn is_true(s: &str) -> bool {
    s.eq_ignore_ascii_case("true") || s == "1" || s.eq_ignore_ascii_case("yes")
}

#[cfg(test)]
mod tests {
    use super::program;

    #[test]
    fn a_commands_program_is_its_quoted_path_or_first_word() {
        for (command, expected) in [
            (
                r#""C:\Program Files\App\svc.exe" -k run"#,
                Some(r"C:\Program Files\App\svc.exe"),
            ),
            (
                r"C:\Program Files\App\svc.exe -k run",
                Some(r"C:\Program Files\App\svc.exe"),
            ),
            (
                r"%SystemRoot%\PSEXESVC.exe",
                Some(r"%SystemRoot%\PSEXESVC.exe"),
            ),
            (r"%COMSPEC% /b /c start", Some("%COMSPEC%")),
            ("cmd.exe /c echo x", Some("cmd.exe")),
            ("  ", None),
        ] {
            assert_eq!(program(command), expected, "{command}");
        }
    }
}
