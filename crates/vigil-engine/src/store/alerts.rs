//! The `alerts` table and the entities each alert names (`alert_entities`).

use sqlx::SqliteConnection;

use crate::ops::alerts::{AlertRow, ALERT_SELECT};
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

/// The alerts of an investigation, oldest first.
pub(crate) async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "{ALERT_SELECT} JOIN investigation_alerts ia ON ia.alert_id = a.id WHERE ia.investigation_id = ? ORDER BY a.id"
    ))
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// The newest `limit` alerts not resolved, newest first.
pub(crate) async fn latest_active(
    conn: &mut SqliteConnection,
    limit: i64,
) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "{ALERT_SELECT} WHERE a.status <> 'resolved' ORDER BY a.id DESC LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Which entity each alert of an investigation names: (alert, entity) pairs.
pub(crate) async fn entities_of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT ae.alert_id, ae.entity_id FROM alert_entities ae
         JOIN investigation_alerts ia ON ia.alert_id = ae.alert_id WHERE ia.investigation_id = ?",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}
