//! WMI permanent event subscriptions (Sysmon 19 filter, 20 consumer, 21 binding;
//! WMI-Activity 5861 binding): the consumer and what it runs, the filter and its query.

use serde_json::{Map, Value};

use super::{inspect, program, Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp};
use crate::normalise::{text, truncate};

/// An event filter (a part's `type` fact is its WMI class).
const FILTER: &str = "__EventFilter";
/// A filter bound to a consumer.
const BINDING: &str = "__FilterToConsumerBinding";
/// A consumer that runs a command line.
const COMMAND_LINE: &str = "CommandLineEventConsumer";
/// A consumer that runs a script.
const SCRIPT: &str = "ActiveScriptEventConsumer";

/// The subscription part a WMI event registered or removed.
pub(super) fn extract(raw: &Map<String, Value>, event_id: i64) -> Option<Artefact> {
    let mut facts = Facts::default();
    let mut mentions = Mentions::default();
    let (name, value) = match event_id {
        19 => {
            facts.add("type", FILTER);
            facts.maybe("namespace", mof(raw, "EventNamespace"));
            (mof(raw, "Name")?, mof(raw, "Query"))
        }
        20 => {
            // Sysmon names the two consumers that run something; any other as it says.
            let written = text(raw, "Type");
            let class = match written.as_deref() {
                Some("Command Line") => COMMAND_LINE,
                Some("Script") => SCRIPT,
                other => other.unwrap_or_default(),
            };
            facts.add("type", class);
            let destination = mof(raw, "Destination");
            if let Some(program) = destination
                .as_deref()
                .filter(|_| class == COMMAND_LINE)
                .and_then(program)
            {
                mentions.file(program);
            }
            (mof(raw, "Name")?, destination)
        }
        21 => {
            let consumer = mof(raw, "Consumer")?;
            let (class, name) = instance_path(&consumer);
            facts.add("type", BINDING);
            facts.add("consumer", class);
            facts.maybe(
                "filter",
                mof(raw, "Filter").map(|f| instance_path(&f).1.to_string()),
            );
            (name.to_string(), None)
        }
        5861 => return activity(raw),
        _ => return None,
    };
    if let Some(value) = &value {
        inspect(value, &mut facts, &mut mentions);
    }
    let op = match text(raw, "Operation").as_deref() {
        Some("Deleted") => ArtefactOp::Deleted,
        Some("Modified") => ArtefactOp::Changed,
        _ => ArtefactOp::Created,
    };
    Some(Artefact {
        kind: ArtefactKind::WmiSubscription,
        op,
        name: truncate(&name),
        value: value.map(|v| truncate(&v)),
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// WMI-Activity 5861: a filter bound to a consumer, both described in `PossibleCause`
/// (`Binding EventFilter: instance of __EventFilter { … Query = "…"; }; Perm. Consumer:
/// instance of CommandLineEventConsumer { CommandLineTemplate = "…"; Name = "…"; };`).
fn activity(raw: &Map<String, Value>) -> Option<Artefact> {
    let consumer = text(raw, "CONSUMER")?;
    let (class, name) = match consumer.split_once('=') {
        Some((class, name)) => (class.trim(), name.trim().trim_matches('"')),
        None => ("", consumer.as_ref()),
    };
    let cause = text(raw, "PossibleCause").unwrap_or_default();
    let (filter_part, consumer_part) = cause
        .split_once("Perm. Consumer:")
        .unwrap_or((cause.as_ref(), ""));
    let value = ["CommandLineTemplate", "ScriptText", "ExecutablePath"]
        .iter()
        .find_map(|property| mof_property(consumer_part, property));
    let mut facts = Facts::default();
    facts.add("type", class);
    facts.maybe("filter", text(raw, "ESS"));
    facts.maybe("query", mof_property(filter_part, "Query"));
    facts.maybe(
        "namespace",
        mof_property(filter_part, "EventNamespace")
            .or_else(|| text(raw, "Namespace").map(|n| n.into_owned())),
    );
    let mut mentions = Mentions::default();
    if let Some(value) = &value {
        if class == COMMAND_LINE {
            if let Some(program) = program(value) {
                mentions.file(program);
            }
        }
        inspect(value, &mut facts, &mut mentions);
    }
    Some(Artefact {
        kind: ArtefactKind::WmiSubscription,
        op: ArtefactOp::Created,
        name: truncate(name),
        value: value.map(|v| truncate(&v)),
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// A Sysmon WMI field as the value it holds: Sysmon writes them as MOF strings
/// (` "root\\CimV2"`), quoted and escaped.
fn mof(raw: &Map<String, Value>, key: &str) -> Option<String> {
    let v = text(raw, key)?;
    let v = v.trim();
    let unquoted = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .map(unescape_mof);
    Some(unquoted.unwrap_or_else(|| v.to_string())).filter(|v| !v.is_empty())
}

/// The string property `name = "…";` of a MOF instance, unescaped.
fn mof_property(mof: &str, name: &str) -> Option<String> {
    let mut rest = mof;
    while let Some(at) = rest.find(name) {
        let after = &rest[at + name.len()..];
        let before_ok = rest[..at]
            .bytes()
            .last()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if let Some(value) = after.trim_start().strip_prefix('=') {
            if let Some(quoted) = value.trim_start().strip_prefix('"').filter(|_| before_ok) {
                let end = closing_quote(quoted)?;
                return Some(unescape_mof(&quoted[..end])).filter(|v| !v.is_empty());
            }
        }
        rest = after;
    }
    None
}

/// Where the MOF string `s` (after its opening quote) closes.
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(i),
            _ => {}
        }
    }
    None
}

/// A MOF string's text: each `\x` is `x`.
fn unescape_mof(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `\\.\ROOT\subscription:CommandLineEventConsumer.Name="evil"` → (class, name).
fn instance_path(path: &str) -> (&str, &str) {
    let object = path.rsplit_once(':').map_or(path, |(_, o)| o);
    match object.split_once(".Name=") {
        Some((class, name)) => (class, name.trim_matches('"')),
        None => ("", object),
    }
}

#[cfg(test)]
mod tests {
    use super::{instance_path, mof_property};

    #[test]
    fn mof_string_properties_are_read_unescaped() {
        let cause = r#"instance of CommandLineEventConsumer { CommandLineTemplate = "cmd /c \"C:\\t\\x.exe\""; Name = "n"; };"#;
        assert_eq!(
            mof_property(cause, "CommandLineTemplate").as_deref(),
            Some(r#"cmd /c "C:\t\x.exe""#)
        );
        assert_eq!(mof_property(cause, "Name").as_deref(), Some("n"));
        assert_eq!(
            mof_property(cause, "Template"),
            None,
            "a name is matched whole"
        );
    }

    #[test]
    fn an_instance_path_names_its_class_and_instance() {
        assert_eq!(
            instance_path(r#"\\.\ROOT\subscription:__EventFilter.Name="Updater""#),
            ("__EventFilter", "Updater")
        );
    }
}
