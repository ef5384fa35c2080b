//! The demo office as its content file (`content/demo.json`) describes it: groups, users,
//! machines, the threat feed, the catalogue of ordinary activity, the attack's events and
//! the machines' live state.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::domain::{persistence_key, AutomationLevel, GroupRule};
use crate::{clock, Error, Result};

/// The office as `content/demo.json` describes it.
#[derive(Debug, Deserialize)]
pub(super) struct Office {
    /// The machines' DNS domain.
    pub(super) domain: String,
    /// The Windows domain accounts are written in (`NORTHWIND\alice`).
    pub(super) account_domain: String,
    /// The users' mail domain.
    pub(super) mail_domain: String,
    /// Seeds the generator: the same week every time.
    pub(super) seed: u64,
    pub(super) groups: Vec<Group>,
    pub(super) users: Vec<User>,
    pub(super) machines: Vec<Machine>,
    pub(super) threat_feed: Feed,
    pub(super) ordinary: Ordinary,
    pub(super) attack: Attack,
    pub(super) live: Vec<LiveObject>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Group {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) automation_level: AutomationLevel,
    pub(super) rules: Vec<GroupRule>,
}

#[derive(Debug, Deserialize)]
pub(super) struct User {
    pub(super) name: String,
    pub(super) display_name: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Machine {
    pub(super) name: String,
    pub(super) os: String,
    pub(super) os_family: String,
    pub(super) role: String,
    pub(super) tags: Vec<String>,
    pub(super) ip: String,
    /// Who works on it (an account name without its domain).
    pub(super) user: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Feed {
    pub(super) source: String,
    pub(super) indicators: Vec<FeedEntry>,
}

#[derive(Debug, Deserialize)]
pub(super) struct FeedEntry {
    pub(super) kind: String,
    pub(super) value: String,
    pub(super) description: String,
}

/// The catalogue of ordinary activity the generator draws a week from.
#[derive(Debug, Deserialize)]
pub(super) struct Ordinary {
    /// The desktop each day's session starts with.
    pub(super) shell: Shell,
    /// Roles whose machines run desktop programs (the others run server programs).
    pub(super) desktop_roles: Vec<String>,
    pub(super) desktop_programs: Vec<Program>,
    pub(super) server_programs: Vec<Program>,
    /// Where the programs go on the web.
    pub(super) domains: Vec<String>,
    /// The web servers' addresses: this prefix and a number from 1 to 200.
    pub(super) web_address_prefix: String,
    pub(super) web_port: i64,
    /// Roles whose users save documents.
    pub(super) document_roles: Vec<String>,
    /// A saved document's path: `{user}`, `{day}` and `{n}` are filled in.
    pub(super) document_path: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Shell {
    pub(super) image: String,
    pub(super) command_line: String,
    pub(super) parent_pid: i64,
    pub(super) parent_image: String,
    pub(super) logon_type: i64,
}

/// A program of the catalogue; without a parent of its own, the session's shell starts it.
#[derive(Debug, Deserialize)]
pub(super) struct Program {
    pub(super) image: String,
    #[serde(default)]
    pub(super) arguments: String,
    pub(super) parent_pid: Option<i64>,
    pub(super) parent_image: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Attack {
    pub(super) started_minutes_ago: i64,
    pub(super) events: Vec<AttackEvent>,
}

/// One event of the attack, at `minute` from the attack's start, or, with `days_ago`, at
/// `minute` from that many days before now.
#[derive(Debug, Deserialize)]
pub(super) struct AttackEvent {
    pub(super) machine: String,
    pub(super) days_ago: Option<i64>,
    pub(super) minute: i64,
    pub(super) kind: String,
    pub(super) user_name: Option<String>,
    pub(super) pid: Option<i64>,
    pub(super) image: Option<String>,
    pub(super) command_line: Option<String>,
    pub(super) parent_pid: Option<i64>,
    pub(super) parent_image: Option<String>,
    pub(super) target_path: Option<String>,
    pub(super) sha256: Option<String>,
    pub(super) url: Option<String>,
    pub(super) domain: Option<String>,
    pub(super) remote_ip: Option<String>,
    pub(super) remote_port: Option<i64>,
    pub(super) registry_key: Option<String>,
    pub(super) registry_value: Option<String>,
    pub(super) extra: Option<Value>,
}

/// Something present on a machine now (`machine` `*`: on every machine; none: office-wide,
/// like a mailbox), as the `lab` connector shows and changes it.
#[derive(Debug, Deserialize)]
pub(super) struct LiveObject {
    pub(super) machine: Option<String>,
    pub(super) kind: String,
    /// Its key; by default the file's path, the process id, or the persistence entry's key.
    pub(super) key: Option<String>,
    pub(super) data: Map<String, Value>,
    /// A process's start, in minutes before now.
    pub(super) started_minutes_ago: Option<i64>,
}

/// Every machine, in a live object's `machine`.
pub(super) const EVERY_MACHINE: &str = "*";

impl LiveObject {
    /// Its `lab_objects` key.
    pub(super) fn key(&self) -> String {
        let field = |name: &str| match self.data.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let key = match (&self.key, self.kind.as_str()) {
            (Some(key), _) => key.clone(),
            (None, "file") => field("path"),
            (None, "process") => field("pid"),
            (None, "persistence") => {
                persistence_key(&field("mechanism"), &field("location"), &field("name"))
            }
            (None, _) => String::new(),
        };
        key.to_lowercase()
    }

    /// Its data as stored, a process's start time filled in.
    pub(super) fn data(&self, now: OffsetDateTime) -> String {
        let mut data = self.data.clone();
        if let Some(minutes) = self.started_minutes_ago {
            data.insert(
                "started_at".into(),
                clock::format(now - Duration::minutes(minutes)).into(),
            );
        }
        Value::Object(data).to_string()
    }
}

/// The office, parsed once from the embedded content file.
pub(super) fn office() -> Result<&'static Office> {
    static OFFICE: OnceLock<std::result::Result<Office, String>> = OnceLock::new();
    OFFICE
        .get_or_init(|| {
            serde_json::from_str(include_str!("../../content/demo.json"))
                .map_err(|e| format!("content/demo.json: {e}"))
        })
        .as_ref()
        .map_err(|e| Error::InvalidInput(e.clone()))
}
