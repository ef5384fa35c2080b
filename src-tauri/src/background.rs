//! Work the window must not wait for: investigations run here and report through events.

use tauri::AppHandle;
use tauri_specta::Event;
use vigil_engine::Vigil;

use crate::events::{InvestigationUpdated, StoreChanged};

/// Tells the window that something in the store changed.
pub fn changed(app: &AppHandle, topic: &str) {
    if let Err(error) = (StoreChanged {
        topic: topic.to_string(),
    })
    .emit(app)
    {
        tracing::warn!(%error, "cannot emit store-changed");
    }
}

/// Runs investigation `id` in the background and emits its status when it settles.
pub fn run_investigation(app: AppHandle, vigil: Vigil, id: u32) {
    changed(&app, "investigation");
    tauri::async_runtime::spawn(async move {
        if let Err(error) = vigil.run_investigation(i64::from(id)).await {
            tracing::error!(investigation = id, %error, "investigation failed");
        }
        match vigil.investigation(id).await {
            Ok(details) => {
                let update = InvestigationUpdated {
                    id,
                    status: details.summary.status,
                };
                if let Err(error) = update.emit(&app) {
                    tracing::warn!(%error, "cannot emit investigation-updated");
                }
            }
            Err(error) => tracing::warn!(investigation = id, %error, "cannot read investigation"),
        }
        changed(&app, "investigation");
    });
}
