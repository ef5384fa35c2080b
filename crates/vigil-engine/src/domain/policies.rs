//! Alert policies (which alerts start an investigation, tried in order) and what their
//! editor offers, with the automation levels explained.

use serde::{Deserialize, Serialize};

use super::{AutomationLevel, Severity};

/// An alert policy: which alerts start an investigation, with which playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AlertPolicyView {
    pub id: u32,
    pub name: String,
    pub rank: u32,
    pub enabled: bool,
    pub min_severity: Severity,
    pub detection_source: Option<String>,
    pub category: Option<String>,
    pub playbook: String,
    /// Whether a matching alert starts an investigation (false: it is only recorded).
    pub start: bool,
    /// Why Vigil ships it this way (empty for the admin's own policies and once edited).
    pub why: String,
}

/// An alert policy as the admin writes it: a new one when `id` is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AlertPolicyInput {
    pub id: Option<u32>,
    pub name: String,
    pub enabled: bool,
    /// Alerts of this severity or higher match.
    pub min_severity: Severity,
    /// Only alerts from this detection source match (any when absent).
    pub detection_source: Option<String>,
    /// Only alerts whose category contains this text match (any when absent).
    pub category: Option<String>,
    /// `auto` or a playbook id.
    pub playbook: String,
    pub start: bool,
}

/// A playbook a policy can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PlaybookChoice {
    pub id: String,
    pub title: String,
}

/// What the policy editor offers to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PolicyChoices {
    pub detection_sources: Vec<String>,
    pub playbooks: Vec<PlaybookChoice>,
}

/// One automation level with its label and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AutomationLevelInfo {
    pub level: AutomationLevel,
    pub label: String,
    pub explanation: String,
}
