//! The detection rules imports run, as `rules list`, Settings and an alert's page show them.

use serde::{Deserialize, Serialize};

/// Where the SigmaHQ rules in use come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SigmaHqSource {
    /// Built into Vigil.
    Embedded,
    /// Stored by `vigil rules update`.
    Update,
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    /// Vigil's own rules.
    Vigil,
    /// SigmaHQ's, shipped or updated.
    Sigmahq,
    /// A folder the user added.
    User,
}

/// The SigmaHQ rules in use.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct SigmaHqSet {
    pub rules: u32,
    pub source: SigmaHqSource,
    /// The SigmaHQ commit of the embedded set.
    pub commit: Option<String>,
    /// The archive or folder an update took them from, and when.
    pub file: Option<String>,
    pub updated_at: Option<String>,
    /// Shipped rules a user's rule of the same id replaces.
    pub replaced_by_user: u32,
}

/// A rule folder the user added.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct UserRuleDir {
    pub path: String,
    /// Rules loaded from it.
    pub rules: u32,
}

/// The rules imports run, for `rules list` and Settings.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct RuleSets {
    pub vigil_rules: u32,
    pub sigmahq: SigmaHqSet,
    pub user_dirs: Vec<UserRuleDir>,
    /// What the Detection Rule License asks to be said of the SigmaHQ rules.
    pub attribution: String,
}

/// How many rules were passed over for one reason.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u32,
}

/// What `rules update` did.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct SigmaHqUpdate {
    pub source: String,
    pub updated_at: String,
    pub rules: u32,
    pub skipped: u32,
    pub skipped_by_reason: Vec<ReasonCount>,
}

/// A Sigma rule as an alert's page shows it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct SigmaRuleInfo {
    pub rule_id: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub author: String,
    /// Hunting-grade (a lead, not evidence on its own).
    pub hunting: bool,
    pub origin: RuleSource,
    pub file: String,
    /// The attribution its licence asks for (SigmaHQ's rules).
    pub attribution: Option<String>,
}
