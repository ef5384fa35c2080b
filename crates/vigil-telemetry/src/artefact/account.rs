//! User and computer accounts created, enabled, changed, renamed, deleted, or added to and
//! removed from groups (Security 4720–4767, 4781, 4794): the account acted on, with who did
//! it and what changed. The event's user stays the subject, the one who did it.

use serde_json::{Map, Value};

use super::codes::{self, ACCOUNT_VALUE};
use super::Facts;
use crate::event::{Artefact, ArtefactKind, ArtefactOp};
use crate::normalise::{join_user, text, truncate};

/// The attributes an account event can show changed, with their labels, in the order
/// Windows writes them.
const ATTRIBUTES: &[(&str, &str)] = &[
    ("SamAccountName", "account name"),
    ("DisplayName", "display name"),
    ("UserPrincipalName", "user principal name"),
    ("HomeDirectory", "home directory"),
    ("HomePath", "home path"),
    ("ScriptPath", "logon script"),
    ("ProfilePath", "profile path"),
    ("UserWorkstations", "workstations"),
    ("PasswordLastSet", "password last set"),
    ("AccountExpires", "account expires"),
    ("PrimaryGroupId", "primary group"),
    ("AllowedToDelegateTo", "allowed to delegate to"),
    ("UserAccountControl", "account control"),
    ("UserParameters", "user parameters"),
    ("SidHistory", "SID history"),
    ("LogonHours", "logon hours"),
    ("DnsHostName", "DNS host name"),
    ("ServicePrincipalNames", "service principal names"),
];

/// The account an account-management event acted on.
pub(super) fn extract(raw: &Map<String, Value>, event_id: i64) -> Option<Artefact> {
    let mut facts = Facts::default();
    facts.maybe("by", join_user(raw, "SubjectDomainName", "SubjectUserName"));
    let target = || join_user(raw, "TargetDomainName", "TargetUserName");
    let (op, name) = match event_id {
        4720 | 4741 => (ArtefactOp::Created, target()?),
        4722 => (ArtefactOp::Enabled, target()?),
        4724 => {
            facts.add("change", "password reset");
            (ArtefactOp::Enabled, target()?)
        }
        4723 => {
            facts.add("change", "password changed");
            (ArtefactOp::Changed, target()?)
        }
        4725 => {
            facts.add("change", "disabled");
            (ArtefactOp::Changed, target()?)
        }
        4740 => {
            facts.add("change", "locked out");
            // The domain field of a lockout names the computer it came from.
            facts.maybe("from", text(raw, "TargetDomainName"));
            (
                ArtefactOp::Changed,
                text(raw, "TargetUserName")?.into_owned(),
            )
        }
        4767 => {
            facts.add("change", "unlocked");
            (ArtefactOp::Changed, target()?)
        }
        4738 | 4742 => (ArtefactOp::Changed, target()?),
        4726 | 4743 => (ArtefactOp::Deleted, target()?),
        4781 => {
            let old = text(raw, "OldTargetUserName");
            let new = text(raw, "NewTargetUserName")?;
            facts.maybe("old name", old);
            facts.add("new name", &new);
            let name = match text(raw, "TargetDomainName") {
                Some(domain) => format!("{domain}\\{new}"),
                None => new.into_owned(),
            };
            (ArtefactOp::Changed, name)
        }
        4728 | 4732 | 4756 | 4751 | 4746 | 4761 => {
            facts.maybe("group", text(raw, "TargetUserName"));
            (ArtefactOp::AddedToGroup, member(raw, &mut facts)?)
        }
        4729 | 4733 | 4757 | 4752 | 4747 | 4762 => {
            facts.maybe("group", text(raw, "TargetUserName"));
            (ArtefactOp::RemovedFromGroup, member(raw, &mut facts)?)
        }
        4765 | 4766 => {
            facts.maybe(
                "SID history",
                text(raw, "SidList").or_else(|| text(raw, "SourceSid")),
            );
            facts.maybe("from account", text(raw, "SourceUserName"));
            if event_id == 4766 {
                facts.add("result", "failed");
            }
            (ArtefactOp::Changed, target()?)
        }
        4794 => {
            facts.add("change", "DSRM password set");
            facts.maybe("on", text(raw, "Workstation"));
            facts.maybe("status", text(raw, "Status"));
            (ArtefactOp::Changed, "DSRM administrator".to_string())
        }
        _ => return None,
    };
    if matches!(event_id, 4720 | 4741 | 4738 | 4742) {
        attributes(raw, &name, &mut facts);
    }
    Some(Artefact {
        kind: ArtefactKind::Account,
        op,
        name: truncate(&name),
        value: None,
        facts: facts.0,
        mentions: Vec::new(),
    })
}

/// The account a group change is about: the first `CN=` of its distinguished name
/// (`CN=bob,CN=Users,DC=corp` → `bob`), or its SID when the event names no member.
fn member(raw: &Map<String, Value>, facts: &mut Facts) -> Option<String> {
    let sid = text(raw, "MemberSid");
    match text(raw, "MemberName").and_then(|dn| common_name(&dn)) {
        Some(name) => {
            facts.maybe("member SID", sid);
            Some(name)
        }
        None => sid.map(|s| s.into_owned()),
    }
}

/// The value of a distinguished name's first `CN=`, with its escapes (`\,`) undone.
fn common_name(dn: &str) -> Option<String> {
    let rest = dn.trim();
    let rest = rest
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("CN="))
        .map(|_| &rest[3..])?;
    let mut name = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.extend(chars.next()),
            ',' => break,
            c => name.push(c),
        }
    }
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The attributes a created or changed account shows, in words: flags (`%%2096`) and
/// placeholders (`%%1794`) read, one line per value joined by `, `, unset ones (and an
/// account name that is the account's own) left out.
fn attributes(raw: &Map<String, Value>, account: &str, facts: &mut Facts) {
    for (field, label) in ATTRIBUTES {
        let Some(value) = text(raw, field) else {
            continue;
        };
        // The account's own name is its name already.
        let own_name = account.rsplit('\\').next().unwrap_or(account);
        if *field == "SamAccountName" && value.eq_ignore_ascii_case(own_name) {
            continue;
        }
        let words: Vec<String> = value
            .split_whitespace()
            .filter(|part| *part != "%%1793")
            .map(|part| {
                codes::account_flag(part)
                    .or_else(|| codes::word_for(ACCOUNT_VALUE, part).map(str::to_string))
                    .unwrap_or_else(|| part.to_string())
            })
            .collect();
        // A value of several words on one line (a display name, a date) is one value.
        let joined = if value.contains(['\r', '\n']) {
            words.join(", ")
        } else {
            words.join(" ")
        };
        facts.add(label, joined);
    }
}

#[cfg(test)]
mod tests {
    use super::common_name;

    #[test]
    fn a_members_name_is_its_first_common_name() {
        assert_eq!(
            common_name("CN=honey-pot1,OU=Test-OU,DC=offsec,DC=lan").as_deref(),
            Some("honey-pot1")
        );
        assert_eq!(
            common_name(r"CN=Smith\, John,CN=Users,DC=corp").as_deref(),
            Some("Smith, John")
        );
        assert_eq!(common_name("-"), None);
        assert_eq!(common_name("OU=x,DC=corp"), None);
    }
}
