//! The `investigation_log` table: what each step of an investigation did.

use sqlx::SqliteConnection;

use crate::Result;

// Read by the investigation page and the dashboard.

/// What an investigation's "Read telemetry" steps wrote, joined by spaces.
pub(crate) async fn telemetry_read(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<String> {
    let (read,): (String,) = sqlx::query_as(
        "SELECT COALESCE(group_concat(detail, ' '), '') FROM investigation_log
         WHERE investigation_id = ? AND step = 'Read telemetry'",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok(read)
}

/// A log row: id, step, machine, status, started at, duration (ms), detail.
pub(crate) type LogRow = (i64, String, Option<String>, String, String, i64, String);

/// An investigation's log, in the order it was written.
pub(crate) async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<LogRow>> {
    Ok(sqlx::query_as(
        "SELECT l.id, l.step, m.name, l.status, l.started_at, l.duration_ms, l.detail
         FROM investigation_log l LEFT JOIN machines m ON m.id = l.machine_id
         WHERE l.investigation_id = ? ORDER BY l.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}
