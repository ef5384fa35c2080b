//! The nouns of Sigma detection: where a rule comes from, what a match says, what loading
//! reported, and which rules to load.

use std::path::PathBuf;

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleOrigin {
    /// Vigil's own rules (`rules/`).
    Vigil,
    /// SigmaHQ's, shipped or from `vigil rules update`.
    SigmaHq,
    /// A folder the user added.
    User,
}

/// A rule that fired on a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigmaMatch {
    /// The rule's id (its title when it has none).
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical`, as the rule says (empty
    /// when unset).
    pub level: String,
    /// Tags, e.g. `attack.execution`, `attack.t1059.001`.
    pub tags: Vec<String>,
    /// The rule's description (empty when unset).
    pub description: String,
    /// `stable`, `test`, `experimental`… as the rule says (empty when unset).
    pub status: String,
    /// Hunting-grade: tagged `detection.threat-hunting` or from a `rules-threat-hunting`
    /// folder. Such a hit is a lead for an analyst, not evidence on its own.
    pub hunting: bool,
    /// The rule's author (the Detection Rule License asks that what is raised on a
    /// SigmaHQ rule's match names it).
    pub author: String,
    /// Where the rule comes from.
    pub origin: RuleOrigin,
}

/// A rule or document that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSkip {
    /// The file it came from (`builtin:<name>` for Vigil's rules, `sigmahq:<path>` for the
    /// embedded SigmaHQ rules).
    pub file: String,
    /// The rule's title, when it got that far.
    pub title: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// What loading a rule set did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// How many rules are loaded: indexed and gated, less those whose partition compiled
    /// and refused them.
    pub loaded: usize,
    /// What was skipped, with file and reason, in load order.
    pub skipped: Vec<RuleSkip>,
}

/// How many rules of each origin are loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleCounts {
    pub vigil: usize,
    pub sigmahq: usize,
    pub user: usize,
}

/// What has been compiled so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompileStats {
    /// Partitions compiled, of all.
    pub partitions: usize,
    pub partitions_total: usize,
    /// Rules in the compiled partitions.
    pub rules: usize,
}

/// What is known of one loaded rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The id (the title when it has none).
    pub rule_id: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub author: String,
    pub tags: Vec<String>,
    pub hunting: bool,
    pub origin: RuleOrigin,
    /// The file (`builtin:…`, `sigmahq:…`, or a path).
    pub file: String,
}

/// Which SigmaHQ rules to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigmaHqRules {
    /// The set built into the binary (commit [`COMMIT`](crate::sigma::sigmahq::COMMIT)).
    Embedded,
    /// A folder `vigil rules update` wrote (with its index).
    Folder(PathBuf),
    /// None.
    Off,
}

/// The rules an engine loads: always Vigil's own, then these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSources {
    pub sigmahq: SigmaHqRules,
    /// The user's folders; a rule whose id a shipped one has wins over it.
    pub user_dirs: Vec<PathBuf>,
}
