//! The `alerts` table.

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
