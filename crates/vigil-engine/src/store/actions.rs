//! The `actions` table: remediation actions, proposed, decided and run.

use sqlx::SqliteConnection;

use crate::Result;

// Read by the investigation page and the dashboard.

/// When the oldest action still waiting for a decision was proposed.
pub(crate) async fn oldest_pending(conn: &mut SqliteConnection) -> Result<Option<String>> {
    let (oldest,): (Option<String>,) =
        sqlx::query_as("SELECT MIN(proposed_at) FROM actions WHERE state = 'pending'")
            .fetch_one(&mut *conn)
            .await?;
    Ok(oldest)
}
