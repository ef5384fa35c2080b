//! BITS jobs and antivirus detections.

use serde_json::json;
use vigil_telemetry::ArtefactKind::*;
use vigil_telemetry::ArtefactOp::*;
use vigil_telemetry::MentionKind::{Domain, File, Ip, Url};
use vigil_telemetry::{Artefact, EventKind};

use crate::common::{artefact_of, event_of, facts, mentions};

#[test]
fn a_bits_transfer_names_its_job_url_and_host() {
    let event = event_of(json!({
        "Channel": "Microsoft-Windows-Bits-Client/Operational", "EventID": 59,
        "transferId": "{b78f5411-669a-4b66-98b4-97bb0f7c5bad}", "name": "updater",
        "Id": "{316d5a72-c392-42ac-820f-8f390d3371e5}",
        "url": "https://files.example.net/a/payload.exe", "peer": "",
        "fileTime": "2026-11-20T09:00:00.0000000Z", "fileLength": 302592, "bytesTotal": 302592,
        "bytesTransferred": 0,
    }));
    assert_eq!(event.kind, EventKind::BitsJob);
    assert_eq!(
        event.url.as_deref(),
        Some("https://files.example.net/a/payload.exe")
    );
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: BitsJob,
            op: Ran,
            name: "updater".into(),
            value: Some("https://files.example.net/a/payload.exe".into()),
            facts: facts(&[
                ("job id", "{316d5a72-c392-42ac-820f-8f390d3371e5}"),
                ("bytes", "302592"),
            ]),
            mentions: mentions(&[
                (Url, "https://files.example.net/a/payload.exe"),
                (Domain, "files.example.net"),
            ]),
        })
    );
    let created = event_of(json!({
        "Channel": "Microsoft-Windows-Bits-Client/Operational", "EventID": 3,
        "jobTitle": "updater", "jobId": "{316d5a72-c392-42ac-820f-8f390d3371e5}",
        "jobOwner": "CORP\\bob", "processPath": "C:\\Windows\\System32\\bitsadmin.exe",
        "processId": 4242,
    }));
    assert_eq!(
        (created.image.as_deref(), created.pid),
        (Some(r"C:\Windows\System32\bitsadmin.exe"), Some(4242)),
        "the process that created the job"
    );
    assert_eq!(
        created.artefact.as_deref().map(|a| (a.op, a.facts.clone())),
        Some((
            Created,
            facts(&[
                ("job id", "{316d5a72-c392-42ac-820f-8f390d3371e5}"),
                ("owner", r"CORP\bob"),
                ("created by", r"C:\Windows\System32\bitsadmin.exe"),
            ])
        ))
    );
    let added = artefact_of(json!({
        "Channel": "Microsoft-Windows-Bits-Client/Operational", "EventID": 16403,
        "jobTitle": "updater", "RemoteName": "http://198.51.100.20/x.ps1",
        "LocalName": "C:\\Users\\Public\\x.ps1",
    }));
    assert_eq!(
        (added.op, added.facts, added.mentions),
        (
            Created,
            facts(&[("local file", r"C:\Users\Public\x.ps1")]),
            mentions(&[
                (Url, "http://198.51.100.20/x.ps1"),
                (Ip, "198.51.100.20"),
                (File, r"C:\Users\Public\x.ps1"),
            ])
        )
    );
}

#[test]
fn a_defender_detection_splits_its_path_into_files_and_names_the_process() {
    let detection = |id: i64, action: &str, action_id: &str| {
        event_of(json!({
            "Channel": "Microsoft-Windows-Windows Defender/Operational", "EventID": id,
            "Threat Name": "Trojan:Win32/Meterpreter.A", "Threat ID": "2147723440",
            "Severity Name": "Severe", "Category Name": "Trojan",
            "Path": "file:_C:\\Users\\bob\\Downloads\\inv.exe;file:_C:\\Users\\bob\\AppData\\Local\\Temp\\inv.tmp;process:_pid:6812,ProcessStart:132553",
            "Process Name": "C:\\Windows\\explorer.exe", "Detection User": "CORP\\bob",
            "Action Name": action, "Action ID": action_id,
        }))
    };
    let found = detection(1116, "%%887", "9");
    assert_eq!(found.kind, EventKind::AvDetection);
    assert_eq!(found.image.as_deref(), Some(r"C:\Windows\explorer.exe"));
    assert_eq!(found.pid, Some(6812));
    assert_eq!(found.user.as_deref(), Some("CORP\\bob"));
    assert_eq!(
        found.target_path.as_deref(),
        Some(r"C:\Users\bob\Downloads\inv.exe")
    );
    let expected = Artefact {
        kind: AvDetection,
        op: Detected,
        name: "Trojan:Win32/Meterpreter.A".into(),
        value: Some(
            r"C:\Users\bob\Downloads\inv.exe; C:\Users\bob\AppData\Local\Temp\inv.tmp".into(),
        ),
        facts: facts(&[
            ("severity", "Severe"),
            ("category", "Trojan"),
            ("process", r"C:\Windows\explorer.exe"),
            ("user", r"CORP\bob"),
        ]),
        mentions: mentions(&[
            (File, r"C:\Users\bob\Downloads\inv.exe"),
            (File, r"C:\Users\bob\AppData\Local\Temp\inv.tmp"),
            (File, r"C:\Windows\explorer.exe"),
        ]),
    };
    assert_eq!(found.artefact.as_deref(), Some(&expected));
    let mut blocked = expected;
    blocked.op = Blocked;
    blocked.facts.push(("action".into(), "Quarantine".into()));
    assert_eq!(
        detection(1117, "%%809", "2").artefact.as_deref(),
        Some(&blocked),
        "an action written as a code reads as its id's name"
    );
}
