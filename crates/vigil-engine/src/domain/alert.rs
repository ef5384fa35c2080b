//! An alert as a detection raises it, before it is filed, and what became of it.

use serde::{Deserialize, Serialize};

use super::{Grade, NewEntity, Severity};

/// An alert to raise (an agent sends the ones its sensor raised as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewAlert {
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: String,
    pub technique: String,
    /// `sigma`, `ioc`, `yara`, `heuristic`, `imported`, `manual`.
    pub detection_source: String,
    pub rule_id: String,
    pub machine_id: i64,
    pub user_name: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// The entities it names, the culprit first; each says its part (`NewEntity::role`).
    pub entities: Vec<NewEntity>,
    /// A detection, or a threat-hunting lead (never enough on its own to act on).
    pub grade: Grade,
    /// The logon session of the event that raised it, when the source says.
    pub logon_id: Option<i64>,
}

/// What became of a raised alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The same alert was already open: its last-seen time moved.
    Deduplicated,
    /// It joined an open investigation it is tied to (same process tree, artefact, file or
    /// user session).
    Joined,
    /// An alert policy started an investigation.
    Started,
    /// The machine is not protected: no investigation.
    NotProtected,
    /// No policy routes it: it waits for an analyst.
    Waiting,
}

/// A raised alert and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub alert: i64,
    pub routing: Routing,
    pub investigation: Option<i64>,
}
