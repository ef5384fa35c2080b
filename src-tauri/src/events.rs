//! Typed events the shell sends to the window.

use serde::{Deserialize, Serialize};

/// Something in the store changed; views reload what they show.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct StoreChanged {
    /// What changed, e.g. "investigation", "action", "import".
    pub topic: String,
}

/// An investigation moved on (started, settled, failed); the window refreshes it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct InvestigationUpdated {
    pub id: u32,
    pub status: vigil_engine::domain::InvestigationStatus,
}

/// How far a telemetry import has got.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ImportProgressed(pub vigil_engine::domain::ImportProgress);
