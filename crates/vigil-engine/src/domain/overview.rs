//! The store at a glance: what the dashboard and `vigil status` show.

use serde::{Deserialize, Serialize};

use super::{ActionView, AlertView, InvestigationStatus, MachineView};

/// Counts of what the store holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Overview {
    pub machines: u32,
    pub alerts: u32,
    pub active_alerts: u32,
    pub investigations: u32,
    pub events: u32,
    pub pending_actions: u32,
}

/// How many investigations have one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StatusCount {
    pub status: InvestigationStatus,
    pub count: u32,
}

/// Everything the dashboard shows, counted and cut short in the store: its size does not
/// grow with the number of investigations, alerts or actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Dashboard {
    pub overview: Overview,
    /// The machines most at risk (at most `Dashboard::LIST`), riskiest first.
    pub at_risk: Vec<MachineView>,
    /// The newest active alerts.
    pub active_alerts: Vec<AlertView>,
    /// Investigations by status, in the order of `InvestigationStatus::ALL`.
    pub investigations_by_status: Vec<StatusCount>,
    /// The oldest pending actions.
    pub pending: Vec<ActionView>,
    /// When the oldest pending action was proposed.
    pub oldest_pending: Option<String>,
    /// The latest decided or finished actions.
    pub recent_remediations: Vec<ActionView>,
}

impl Dashboard {
    /// The most rows any list of the dashboard holds.
    pub const LIST: u32 = 8;
}
