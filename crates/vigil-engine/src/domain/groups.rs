//! A machine group as the admin writes it, and what it would hold before it is saved.

use serde::{Deserialize, Serialize};

use super::{AutomationLevel, GroupRule};

/// A machine group as the admin writes it: a new one (ranked last, above "Ungrouped
/// machines") when `id` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct GroupInput {
    pub id: Option<u32>,
    pub name: String,
    pub description: String,
    pub automation_level: AutomationLevel,
    /// A machine joins when every rule matches (globs with `*` and `?`, any case).
    pub rules: Vec<GroupRule>,
}

/// What a group written one way would hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct GroupPreview {
    /// The machines that would be in it.
    pub machines: Vec<String>,
    /// Machines its rules match that stay in a higher-ranked group.
    pub kept_by_higher: Vec<KeptMachine>,
}

/// A machine a higher-ranked group keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct KeptMachine {
    pub machine: String,
    pub group: String,
}
