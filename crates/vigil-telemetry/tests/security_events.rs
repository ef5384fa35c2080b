//! Security-log events that name a process, an account's session or an address without
//! being a process start: the process, user and session an investigation follows.

mod common;

use common::event_of;
use serde_json::json;
use vigil_telemetry::EventKind;

#[test]
fn a_privilege_use_names_its_process_from_hex_ids() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 4673,
        "SubjectUserSid": "S-1-5-21-1-2-3-1104", "SubjectUserName": "bob",
        "SubjectDomainName": "CORP", "SubjectLogonId": "0x2ba622",
        "ObjectServer": "Security", "Service": "-", "PrivilegeList": "SeTcbPrivilege",
        "ProcessId": "0x670", "ProcessName": "C:\\Users\\bob\\mimikatz.exe",
    }));
    assert_eq!(event.kind, EventKind::PrivilegeUse);
    assert_eq!(event.image.as_deref(), Some(r"C:\Users\bob\mimikatz.exe"));
    assert_eq!(event.pid, Some(0x670));
    assert_eq!(event.user.as_deref(), Some("CORP\\bob"));
    assert_eq!(event.logon_id, Some(0x2ba622));
    assert_eq!(event.name.as_deref(), Some("SeTcbPrivilege"));
}

#[test]
fn an_object_access_names_the_process_and_the_file_or_key_it_opened() {
    let lsass = event_of(json!({
        "Channel": "Security", "EventID": 4663,
        "SubjectUserName": "bob", "SubjectDomainName": "CORP", "SubjectLogonId": "0x33392",
        "ObjectServer": "Security", "ObjectType": "Process",
        "ObjectName": "\\Device\\HarddiskVolume1\\Windows\\System32\\lsass.exe",
        "AccessMask": "0x10", "ProcessId": "0x1688", "ProcessName": "C:\\Windows\\System32\\cscript.exe",
    }));
    assert_eq!(lsass.kind, EventKind::ObjectAccess);
    assert_eq!(
        lsass.image.as_deref(),
        Some(r"C:\Windows\System32\cscript.exe")
    );
    assert_eq!(lsass.pid, Some(0x1688));
    assert_eq!(
        lsass.target_path.as_deref(),
        Some(r"\Device\HarddiskVolume1\Windows\System32\lsass.exe")
    );
    let key = event_of(json!({
        "Channel": "security", "EventID": 4656, "ObjectType": "Key",
        "ObjectName": "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control\\Lsa",
        "ProcessId": "0x670", "ProcessName": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    }));
    assert_eq!(
        key.kind,
        EventKind::ObjectAccess,
        "the channel's case does not matter"
    );
    assert_eq!(
        key.registry_key.as_deref(),
        Some(r"HKLM\SYSTEM\ControlSet001\Control\Lsa")
    );
    assert_eq!(key.target_path, None);
}

#[test]
fn a_permitted_connection_names_its_application_and_destination() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 5156,
        "ProcessID": 1648,
        "Application": "\\device\\harddiskvolume2\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe",
        "Direction": "%%14593", "SourceAddress": "172.18.39.5", "SourcePort": "65372",
        "DestAddress": "10.10.10.5", "DestPort": "80", "Protocol": "6",
    }));
    assert_eq!(event.kind, EventKind::NetworkConnection);
    assert_eq!(event.pid, Some(1648));
    assert_eq!(
        event.image.as_deref(),
        Some(r"\device\harddiskvolume2\windows\system32\windowspowershell\v1.0\powershell.exe")
    );
    assert_eq!(event.remote_ip.as_deref(), Some("10.10.10.5"));
    assert_eq!(event.remote_port, Some(80));
}

#[test]
fn explicit_credentials_name_the_account_used_and_where_to() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 4648,
        "SubjectUserName": "bob", "SubjectDomainName": "CORP", "SubjectLogonId": "0x3069d",
        "TargetUserName": "Administrator", "TargetDomainName": "CORP",
        "TargetServerName": "dc01", "ProcessId": "0x1f4",
        "ProcessName": "C:\\Windows\\System32\\runas.exe",
        "IpAddress": "::ffff:10.0.0.9", "IpPort": "445",
    }));
    assert_eq!(event.user.as_deref(), Some("CORP\\bob"), "who used them");
    assert_eq!(event.name.as_deref(), Some("CORP\\Administrator"));
    assert_eq!(
        event.image.as_deref(),
        Some(r"C:\Windows\System32\runas.exe")
    );
    assert_eq!(event.pid, Some(0x1f4));
    assert_eq!(event.remote_ip.as_deref(), Some("10.0.0.9"));
    assert_eq!(event.logon_id, Some(0x3069d));
}

#[test]
fn each_event_names_the_session_of_the_account_that_acted() {
    let session = |record: serde_json::Value| event_of(record).logon_id;
    // A logon: the session it opened, not the service's that made it.
    assert_eq!(
        session(
            json!({"Channel": "Security", "EventID": 4624, "LogonType": 3,
            "SubjectLogonId": "0x3e7", "TargetLogonId": "0x5a3c1",
            "TargetUserName": "bob", "TargetDomainName": "CORP"})
        ),
        Some(0x5a3c1)
    );
    // A failed logon opens none.
    assert_eq!(
        session(json!({"Channel": "Security", "EventID": 4625,
            "SubjectLogonId": "0x3e7", "TargetUserName": "bob"})),
        None
    );
    // Special privileges: the subject is the new logon.
    assert_eq!(
        session(json!({"Channel": "Security", "EventID": 4672,
            "SubjectUserName": "bob", "SubjectLogonId": "0x5a3c1"})),
        Some(0x5a3c1)
    );
    // A process started with another account's token runs in that account's session.
    let runas = event_of(json!({"Channel": "Security", "EventID": 4688,
        "SubjectUserName": "WS01$", "SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7",
        "TargetUserName": "bob", "TargetDomainName": "CORP", "TargetLogonId": "0x5a3c1",
        "NewProcessId": "0x1a4", "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
        "ProcessId": "0x2480"}));
    assert_eq!(
        (runas.logon_id, runas.user.as_deref()),
        (Some(0x5a3c1), Some("CORP\\bob"))
    );
    let own = event_of(json!({"Channel": "Security", "EventID": 4688,
        "SubjectUserName": "bob", "SubjectDomainName": "CORP", "SubjectLogonId": "0x5a3c1",
        "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0",
        "NewProcessId": "0x1a4", "NewProcessName": "C:\\Windows\\System32\\cmd.exe"}));
    assert_eq!(
        (own.logon_id, own.user.as_deref()),
        (Some(0x5a3c1), Some("CORP\\bob"))
    );
    // Sysmon's process start, in decimal or hex.
    assert_eq!(
        session(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
            "Image": "C:\\Windows\\System32\\cmd.exe", "ProcessId": 4242, "LogonId": "0x33392"})
        ),
        Some(0x33392)
    );
}
