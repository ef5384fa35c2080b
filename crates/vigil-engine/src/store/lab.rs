//! The demo environment's tables: `lab_objects` (its machines' live state: files, processes,
//! persistence, mailboxes, blocks) and `lab_journal` (every effect the `lab` connector
//! applied), and whether the store holds lab machines at all.

use sqlx::{SqliteConnection, SqlitePool};

use crate::{clock, Result};

/// A lab object's row id and whether it is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Found {
    pub id: i64,
    pub present: bool,
}

/// A present object of one machine: its kind and its data (JSON).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Present {
    pub kind: String,
    pub data: String,
}

/// Whether any machine in the store is driven by the `lab` connector.
pub async fn has_lab_machines(pool: &SqlitePool) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT 1 FROM machines WHERE connector = 'lab' LIMIT 1)",
    )
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

/// Writes an object as present (replacing one of the same machine, kind and key).
pub async fn put_object(
    conn: &mut SqliteConnection,
    machine: Option<i64>,
    kind: &str,
    key: &str,
    data: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO lab_objects (machine_id, kind, key, data, present) VALUES (?, ?, ?, ?, 1)",
    )
    .bind(machine)
    .bind(kind)
    .bind(key)
    .bind(data)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds a present object with no data (a block, an isolation).
pub async fn add_object(
    conn: &mut SqliteConnection,
    machine: Option<i64>,
    kind: &str,
    key: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO lab_objects (machine_id, kind, key, data) VALUES (?, ?, ?, '{}')")
        .bind(machine)
        .bind(kind)
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The object of `machine` (none: office-wide), `kind` and `key`, if there is one.
pub async fn find_object(
    conn: &mut SqliteConnection,
    machine: Option<i64>,
    kind: &str,
    key: &str,
) -> Result<Option<Found>> {
    Ok(sqlx::query_as(
        "SELECT id, present FROM lab_objects WHERE machine_id IS ? AND kind = ? AND key = ?",
    )
    .bind(machine)
    .bind(kind)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Marks object `id` present or gone.
pub async fn set_present(conn: &mut SqliteConnection, id: i64, present: bool) -> Result<()> {
    sqlx::query("UPDATE lab_objects SET present = ? WHERE id = ?")
        .bind(present)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The objects present on `machine`, in the order they were written.
pub async fn present_objects(pool: &SqlitePool, machine: i64) -> Result<Vec<Present>> {
    Ok(sqlx::query_as(
        "SELECT kind, data FROM lab_objects WHERE machine_id = ? AND present = 1 ORDER BY id",
    )
    .bind(machine)
    .fetch_all(pool)
    .await?)
}

/// Writes an effect of action `action_id` to the journal.
pub async fn journal(conn: &mut SqliteConnection, action_id: i64, effect: &str) -> Result<()> {
    sqlx::query("INSERT INTO lab_journal (action_id, effect, at) VALUES (?, ?, ?)")
        .bind(action_id)
        .bind(effect)
        .bind(clock::now())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many effects of action `action_id` the journal holds (undos included).
pub async fn journal_entries(conn: &mut SqliteConnection, action_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM lab_journal WHERE action_id = ?")
        .bind(action_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

/// Whether action `action_id` applied an effect (an undo is not one).
pub async fn was_applied(pool: &SqlitePool, action_id: i64) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM lab_journal WHERE action_id = ? AND effect NOT LIKE 'undo %'",
    )
    .bind(action_id)
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}
