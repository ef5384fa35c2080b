//! The `alerts` table and the entities each alert names (`alert_entities`).

use sqlx::SqliteConnection;

use crate::Result;

// Read by the investigation page and the dashboard.

/// Whether alert `alert` exists (None when not) and the open investigation it is in, if any.
pub(crate) async fn open_investigation(
    conn: &mut SqliteConnection,
    alert: i64,
) -> Result<Option<Option<i64>>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT i.id FROM alerts a LEFT JOIN investigations i ON i.id = a.investigation_id
           AND i.status IN ('queued', 'running', 'pending_action') WHERE a.id = ?",
    )
    .bind(alert)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(open,)| open))
}
