//! The `settings` table: the admin's settings, one text value per key.

use sqlx::SqliteConnection;

use crate::Result;

/// The value stored under `key`, if it was ever set.
pub(crate) async fn get(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(value,)| value))
}

/// Stores `value` under `key`, replacing what was there.
pub(crate) async fn set(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
