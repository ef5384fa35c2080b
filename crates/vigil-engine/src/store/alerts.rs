//! The `alerts` table and the entities each alert names (`alert_entities`).

use sqlx::SqliteConnection;

use crate::Result;

/// Resolves an investigation's alerts.
pub(crate) async fn resolve_of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<()> {
    sqlx::query("UPDATE alerts SET status = 'resolved' WHERE investigation_id = ?")
        .bind(investigation)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// Read by the investigation page and the dashboard.

/// Whether alert `alert` exists (None when not) and the open investigation it is in, if any.
pub(crate) async fn open_investigation(
    conn: &mut SqliteConnection,
    alert: i64,
) -> Result<Option<Option<i64>>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(&format!(
        "SELECT i.id FROM alerts a LEFT JOIN investigations i ON i.id = a.investigation_id
           AND i.status IN {} WHERE a.id = ?",
        super::investigations::OPEN
    ))
    .bind(alert)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(open,)| open))
}
