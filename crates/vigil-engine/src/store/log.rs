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
