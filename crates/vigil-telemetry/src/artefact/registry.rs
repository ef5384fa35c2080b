//! Registry keys and values created, set, renamed or deleted (Sysmon 12, 13, 14; Security
//! 4657): the full path with the value name, and the data written.

use serde_json::{Map, Value};

use super::codes::{self, REGISTRY_TYPE};
use super::{inspect, Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp, Event};
use crate::normalise::{registry_path, text, truncate};

/// The registry value a Sysmon or Security event set, created, renamed or deleted.
pub(super) fn extract(raw: &Map<String, Value>, e: &mut Event) -> Option<Artefact> {
    match e.event_id {
        4657 => security(raw, e),
        _ => sysmon(raw),
    }
}

/// Sysmon 12 (key or value created or deleted), 13 (value set), 14 (renamed).
fn sysmon(raw: &Map<String, Value>) -> Option<Artefact> {
    let target = text(raw, "TargetObject")?;
    let name = registry_path(&target).unwrap_or_else(|| target.into_owned());
    let event_type = text(raw, "EventType").unwrap_or_default();
    let op = match event_type.as_ref() {
        "DeleteKey" | "DeleteValue" => ArtefactOp::Deleted,
        "RenameKey" | "RenameValue" => ArtefactOp::Changed,
        _ => ArtefactOp::Created,
    };
    let mut facts = Facts::default();
    if op == ArtefactOp::Changed {
        facts.maybe("new name", text(raw, "NewName"));
    }
    let (value, data_type) = match text(raw, "Details") {
        Some(details) => sysmon_data(&details),
        None => (None, None),
    };
    facts.maybe("type", data_type);
    let mut mentions = Mentions::default();
    if let Some(value) = &value {
        inspect(value, &mut facts, &mut mentions);
    }
    Some(Artefact {
        kind: ArtefactKind::RegistryValue,
        op,
        name: truncate(&name),
        value,
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// Sysmon's `Details` as the data it stands for: `DWORD (0x00000001)` → `1`, `QWORD
/// (0x00000001-0x00000000)` → `4294967296` (the high half first), text as it is with the
/// `%%` Sysmon doubles `%` into undone; with the data's type when Sysmon says it.
fn sysmon_data(details: &str) -> (Option<String>, Option<&'static str>) {
    let hex = |h: &str| u64::from_str_radix(h.trim().trim_start_matches("0x"), 16).ok();
    if let Some(number) = details
        .strip_prefix("DWORD (")
        .and_then(|d| d.strip_suffix(')'))
    {
        if let Some(n) = hex(number) {
            return (Some(n.to_string()), Some("DWORD"));
        }
    }
    if let Some(halves) = details
        .strip_prefix("QWORD (")
        .and_then(|d| d.strip_suffix(')'))
    {
        if let Some((Some(high), Some(low))) = halves.split_once('-').map(|(h, l)| (hex(h), hex(l)))
        {
            return (Some(((high << 32) | low).to_string()), Some("QWORD"));
        }
    }
    match details {
        "Binary Data" => (None, Some("binary")),
        "(Empty)" => (None, Some("empty")),
        text => (Some(truncate(&text.replace("%%", "%"))), None),
    }
}

/// Security 4657 (a value created, modified or deleted): its key and value name joined, the
/// data written and the data it had; the event's registry key and value are set from it.
fn security(raw: &Map<String, Value>, e: &mut Event) -> Option<Artefact> {
    let key = text(raw, "ObjectName")?;
    let key = registry_path(&key).unwrap_or_else(|| key.into_owned());
    let name = match text(raw, "ObjectValueName") {
        Some(value_name) => format!("{key}\\{value_name}"),
        None => key,
    };
    let op = match text(raw, "OperationType").as_deref() {
        Some("%%1904") => ArtefactOp::Created,
        Some("%%1906") => ArtefactOp::Deleted,
        _ => ArtefactOp::Changed,
    };
    let value = text(raw, "NewValue")
        .filter(|_| op != ArtefactOp::Deleted)
        .map(|v| truncate(&v));
    let mut facts = Facts::default();
    if value.is_some() {
        facts.maybe("type", value_type(raw, "NewValueType"));
    }
    facts.maybe("old value", text(raw, "OldValue"));
    let mut mentions = Mentions::default();
    if let Some(value) = &value {
        inspect(value, &mut facts, &mut mentions);
    }
    e.registry_key = Some(truncate(&name));
    e.registry_value.clone_from(&value);
    Some(Artefact {
        kind: ArtefactKind::RegistryValue,
        op,
        name: truncate(&name),
        value,
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// A 4657 value type (`%%1873`) as its name (`REG_SZ`).
fn value_type(raw: &Map<String, Value>, key: &str) -> Option<String> {
    let code = text(raw, key)?;
    Some(codes::word_for(REGISTRY_TYPE, &code).map_or_else(|| code.into_owned(), str::to_string))
}

#[cfg(test)]
mod tests {
    use super::sysmon_data;

    #[test]
    fn sysmon_details_read_as_their_data() {
        assert_eq!(
            sysmon_data("DWORD (0x00000010)"),
            (Some("16".into()), Some("DWORD"))
        );
        assert_eq!(
            sysmon_data("QWORD (0x00000001-0x00000002)"),
            (Some("4294967298".into()), Some("QWORD"))
        );
        assert_eq!(sysmon_data("Binary Data"), (None, Some("binary")));
        assert_eq!(
            sysmon_data(r"%%SystemRoot%%\PSEXESVC.exe"),
            (Some(r"%SystemRoot%\PSEXESVC.exe".into()), None)
        );
    }
}
