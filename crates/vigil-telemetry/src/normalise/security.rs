//! Security-log events that name an acting process, account or address without being a
//! process start or a logon: object access, privilege use, account changes, service
//! tickets, registry changes, WFP connections, logons with explicit credentials. Their
//! process is `ProcessName` / `ProcessId` (WFP: `Application` / `ProcessID`), its id
//! written in hex (`0x1a4`).

use serde_json::{Map, Value};

use super::{address, first, int, join_user, text, truncate};
use crate::event::{Event, EventKind};

/// Fills the acting account, process, object and remote address of a Security event.
pub(super) fn fill(raw: &Map<String, Value>, e: &mut Event) {
    e.user = match e.kind {
        // A ticket request has no subject: the account is the one that asked.
        EventKind::ServiceTicket => join_user(raw, "TargetDomainName", "TargetUserName"),
        _ => join_user(raw, "SubjectDomainName", "SubjectUserName"),
    };
    e.pid = int(raw, "ProcessId").or_else(|| int(raw, "ProcessID"));
    e.image = first(raw, &["ProcessName", "Application"]);
    e.remote_ip = address(raw, "IpAddress").or_else(|| address(raw, "DestAddress"));
    e.remote_port = int(raw, "IpPort")
        .or_else(|| int(raw, "DestPort"))
        .filter(|p| *p > 0);
    if let Some(object) = text(raw, "ObjectName") {
        object_named(raw, &object, e);
    }
    if e.kind == EventKind::PrivilegeUse {
        e.name = first(raw, &["PrivilegeList", "EnabledPrivilegeList"]);
    } else if e.event_id == 4648 {
        // The account whose credentials were used.
        e.name = join_user(raw, "TargetDomainName", "TargetUserName");
    }
}

/// Files and processes an object event names are its target path, registry keys its key;
/// any other object (a directory object, a service, a SAM domain) is its name.
fn object_named(raw: &Map<String, Value>, object: &str, e: &mut Event) {
    let of_type = |t: &str| text(raw, "ObjectType").is_some_and(|ty| ty.eq_ignore_ascii_case(t));
    let registry = registry_path(object);
    if of_type("File") || of_type("Process") || is_path(object) {
        e.target_path = Some(truncate(object));
    } else if of_type("Key") || registry.is_some() {
        e.registry_key = Some(registry.unwrap_or_else(|| truncate(object)));
    } else {
        e.name = Some(truncate(object));
    }
}

/// A kernel registry path in the hive names Sysmon and the tools use (`\REGISTRY\MACHINE\…`
/// → `HKLM\…`, `\REGISTRY\USER\…` → `HKU\…`); `None` for anything else.
pub(crate) fn registry_path(path: &str) -> Option<String> {
    const HIVES: [(&str, &str); 2] = [("\\REGISTRY\\MACHINE", "HKLM"), ("\\REGISTRY\\USER", "HKU")];
    let head = path.get(..10)?;
    if !head.eq_ignore_ascii_case("\\REGISTRY\\") {
        return None;
    }
    for (kernel, hive) in HIVES {
        if let Some(rest) = path.get(kernel.len()..) {
            let matches = path[..kernel.len()].eq_ignore_ascii_case(kernel);
            if matches && (rest.is_empty() || rest.starts_with('\\')) {
                return Some(format!("{hive}{rest}"));
            }
        }
    }
    Some(path.to_string())
}

/// `C:\…`, `\Device\…` or `\\host\…`.
fn is_path(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || s.starts_with("\\Device\\")
        || s.starts_with("\\\\")
}

/// The logon session the acting account is in, by event: a logon or logoff its own (the
/// target's), a process started with another account's token that account's, anything
/// else its subject's. A failed logon opens none (its subject is the service that tried).
pub(super) fn logon_id(raw: &Map<String, Value>, event_id: i64) -> Option<i64> {
    let session = |field: &str| int(raw, field).filter(|id| *id != 0);
    match event_id {
        4624 | 4627 | 4634 | 4647 | 4964 => session("TargetLogonId"),
        4625 => None,
        4688 => session("TargetLogonId").or_else(|| session("SubjectLogonId")),
        _ => session("SubjectLogonId"),
    }
}

#[cfg(test)]
mod tests {
    use super::registry_path;

    #[test]
    fn kernel_registry_paths_read_as_hives() {
        assert_eq!(
            registry_path(r"\REGISTRY\MACHINE\SOFTWARE\Run").as_deref(),
            Some(r"HKLM\SOFTWARE\Run")
        );
        assert_eq!(
            registry_path(r"\Registry\User\S-1-5-21-1\Software").as_deref(),
            Some(r"HKU\S-1-5-21-1\Software")
        );
        assert_eq!(
            registry_path(r"\REGISTRY\MACHINEX").as_deref(),
            Some(r"\REGISTRY\MACHINEX")
        );
        assert_eq!(registry_path(r"HKLM\SOFTWARE"), None);
    }
}
