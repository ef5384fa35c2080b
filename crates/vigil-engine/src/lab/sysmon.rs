//! The demo office's events as the Sysmon log a real office's machines would give: a JSON
//! object per process start, connection, file, registry value and DNS query, in Sysmon's
//! field names, so that the ordinary readers and rules meet them as they meet an import.

use serde_json::{json, Value};

use crate::domain::NewEvent;

/// The Sysmon record of `event` on the machine `host` (its full name), or `None` for a
/// kind Sysmon does not log.
pub fn sysmon_json(event: &NewEvent, host: &str) -> Option<Value> {
    let id = match event.kind.as_str() {
        "process_start" => 1,
        "network_connection" => 3,
        "file_create" => 11,
        "registry_set" => 13,
        "dns_query" => 22,
        _ => return None,
    };
    let mut record = json!({
        "@timestamp": event.ts,
        "Hostname": host,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "SourceName": "Microsoft-Windows-Sysmon",
        "EventID": id,
        "User": event.user_name,
        "ProcessId": event.pid,
        "Image": event.image,
        "CommandLine": event.command_line,
        "ParentProcessId": event.parent_pid,
        "ParentImage": event.parent_image,
    });
    let fields = record.as_object_mut()?;
    if let Some(sha) = &event.sha256 {
        fields.insert(
            "Hashes".into(),
            format!("SHA256={}", sha.to_uppercase()).into(),
        );
    }
    match id {
        11 => drop(fields.insert("TargetFilename".into(), event.target_path.clone().into())),
        13 => {
            fields.insert("EventType".into(), "SetValue".into());
            fields.insert("TargetObject".into(), event.registry_key.clone().into());
            fields.insert("Details".into(), event.registry_value.clone().into());
        }
        22 => drop(fields.insert("QueryName".into(), event.domain.clone().into())),
        3 => {
            fields.insert("DestinationIp".into(), event.remote_ip.clone().into());
            fields.insert("DestinationPort".into(), event.remote_port.into());
            fields.insert("DestinationHostname".into(), event.domain.clone().into());
        }
        _ => {}
    }
    fields.retain(|_, v| !v.is_null());
    Some(record)
}
