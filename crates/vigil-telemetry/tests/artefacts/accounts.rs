//! Accounts and their groups, and Kerberos service tickets.

use serde_json::json;
use vigil_telemetry::ArtefactKind::*;
use vigil_telemetry::ArtefactOp::*;
use vigil_telemetry::MentionKind::Ip;
use vigil_telemetry::{Artefact, EventKind};

use crate::common::{artefact_of, event_of, facts, mentions, with};

#[test]
fn a_group_member_named_by_distinguished_name_is_its_common_name() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 4728,
        "MemberName": "CN=bob smith,OU=Staff,DC=corp,DC=example", "MemberSid": "S-1-5-21-1-2-3-1104",
        "TargetUserName": "Domain Admins", "TargetDomainName": "CORP", "TargetSid": "S-1-5-21-1-2-3-512",
        "SubjectUserName": "mallory", "SubjectDomainName": "CORP", "SubjectLogonId": "0x5a3c1",
        "PrivilegeList": "-",
    }));
    assert_eq!(event.kind, EventKind::AccountChange);
    assert_eq!(
        event.user.as_deref(),
        Some("CORP\\mallory"),
        "the one who did it"
    );
    assert_eq!(event.logon_id, Some(0x5a3c1));
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: Account,
            op: AddedToGroup,
            name: "bob smith".into(),
            value: None,
            facts: facts(&[
                ("by", r"CORP\mallory"),
                ("group", "Domain Admins"),
                ("member SID", "S-1-5-21-1-2-3-1104"),
            ]),
            mentions: vec![],
        })
    );
    let local = artefact_of(json!({
        "Channel": "Security", "EventID": 4733, "MemberName": "-",
        "MemberSid": "S-1-5-21-9-9-9-1001", "TargetUserName": "Administrators",
        "TargetDomainName": "Builtin", "SubjectUserName": "admin", "SubjectDomainName": "CORP",
    }));
    assert_eq!(
        (local.op, local.name.as_str(), local.facts),
        (
            RemovedFromGroup,
            "S-1-5-21-9-9-9-1001",
            facts(&[("by", r"CORP\admin"), ("group", "Administrators")])
        ),
        "without a name, the member is its SID"
    );
}

#[test]
fn account_creation_renaming_and_flag_changes_say_what_changed() {
    let security = |id: i64, fields: serde_json::Value| {
        let record = json!({"Channel": "Security", "EventID": id,
            "SubjectUserName": "admin", "SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7"});
        artefact_of(with(record, fields))
    };
    assert_eq!(
        security(
            4720,
            json!({"TargetUserName": "support", "TargetDomainName": "CORP",
                "SamAccountName": "support", "DisplayName": "%%1793", "PasswordLastSet": "%%1794",
                "PrimaryGroupId": "513", "OldUacValue": "0x0", "NewUacValue": "0x15",
                "UserAccountControl": "\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084"})
        ),
        Artefact {
            kind: Account,
            op: Created,
            name: r"CORP\support".into(),
            value: None,
            facts: facts(&[
                ("by", r"CORP\admin"),
                ("password last set", "<never>"),
                ("primary group", "513"),
                (
                    "account control",
                    "Account Disabled, Password Not Required - Enabled, Normal Account - Enabled"
                ),
            ]),
            mentions: vec![],
        }
    );
    assert_eq!(
        security(
            4738,
            json!({"TargetUserName": "svc-sql", "TargetDomainName": "CORP",
                "UserAccountControl": "\r\n\t\t%%2096", "SamAccountName": "-"})
        )
        .facts,
        facts(&[
            ("by", r"CORP\admin"),
            ("account control", "Don't Require Preauth - Enabled")
        ])
    );
    let renamed = security(
        4781,
        json!({"OldTargetUserName": "DC012$", "NewTargetUserName": "ws-dc01",
            "TargetDomainName": "CORP"}),
    );
    assert_eq!(
        (renamed.op, renamed.name.as_str(), renamed.facts),
        (
            Changed,
            r"CORP\ws-dc01",
            facts(&[
                ("by", r"CORP\admin"),
                ("old name", "DC012$"),
                ("new name", "ws-dc01")
            ])
        )
    );
    let reset = security(
        4724,
        json!({"TargetUserName": "krbtgt", "TargetDomainName": "CORP"}),
    );
    assert_eq!(
        (reset.op, reset.facts),
        (
            Enabled,
            facts(&[("by", r"CORP\admin"), ("change", "password reset")])
        )
    );
    let history = security(
        4765,
        json!({"TargetUserName": "bob", "TargetDomainName": "CORP",
            "SourceUserName": "corp.example\\Domain Admins", "SourceSid": "S-1-5-21-1-2-3-512",
            "SidList": "-"}),
    );
    assert_eq!(
        history.facts,
        facts(&[
            ("by", r"CORP\admin"),
            ("SID history", "S-1-5-21-1-2-3-512"),
            ("from account", r"corp.example\Domain Admins"),
        ])
    );
}

#[test]
fn an_rc4_service_ticket_says_it_is_weak_and_who_asked_from_where() {
    let event = event_of(json!({
        "Channel": "Security", "EventID": 4769,
        "TargetUserName": "bob@CORP.EXAMPLE", "TargetDomainName": "CORP.EXAMPLE",
        "ServiceName": "svc-sql", "ServiceSid": "S-1-5-21-1-2-3-1120",
        "TicketOptions": "0x40810000", "TicketEncryptionType": "0x17",
        "IpAddress": "::ffff:10.0.0.23", "IpPort": "49823", "Status": "0x0",
    }));
    assert_eq!(event.kind, EventKind::ServiceTicket);
    assert_eq!(event.user.as_deref(), Some("CORP.EXAMPLE\\bob"));
    assert_eq!(event.remote_ip.as_deref(), Some("10.0.0.23"));
    assert_eq!(event.remote_port, Some(49823));
    assert_eq!(
        event.artefact.as_deref(),
        Some(&Artefact {
            kind: ServiceTicket,
            op: Created,
            name: "svc-sql".into(),
            value: Some("RC4-HMAC (weak)".into()),
            facts: facts(&[
                ("requested by", r"CORP.EXAMPLE\bob"),
                ("from", "10.0.0.23"),
                ("status", "success"),
                ("ticket options", "0x40810000"),
            ]),
            mentions: mentions(&[(Ip, "10.0.0.23")]),
        })
    );
}
