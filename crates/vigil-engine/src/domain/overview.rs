//! The store at a glance: what the dashboard and `vigil status` show.

use serde::{Deserialize, Serialize};

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
