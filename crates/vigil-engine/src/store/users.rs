//! The `users` table: the accounts telemetry names.

use sqlx::SqliteConnection;

use crate::{clock, Result};

/// Adds a user or returns the known one's id.
pub(crate) async fn upsert(
    conn: &mut SqliteConnection,
    name: &str,
    display_name: &str,
    email: &str,
) -> Result<i64> {
    sqlx::query(
        "INSERT INTO users (name, display_name, email, first_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET
            display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name ELSE display_name END,
            email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE email END",
    )
    .bind(name)
    .bind(display_name)
    .bind(email)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE name = ?")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    Ok(id)
}
