//! Ranked, named rows (`alert_policies`, `machine_groups`): unique names and moving one
//! place up or down.

use sqlx::SqliteConnection;

use crate::domain::Move;
use crate::Result;

/// Whether another row of `table` than `id` already has this name (names are unique, any case).
pub(crate) async fn name_taken(
    conn: &mut SqliteConnection,
    table: &'static str,
    name: &str,
    id: Option<i64>,
) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM {table} WHERE name = ? COLLATE NOCASE AND (?2 IS NULL OR id <> ?2)"
    ))
    .bind(name)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Moves `id` one place up or down among `ordered` (ids in their current order) and writes
/// ranks 1, 2, 3 … in the new order. Returns false when `id` is not among them.
pub(crate) async fn rerank(
    conn: &mut SqliteConnection,
    table: &'static str,
    mut ordered: Vec<i64>,
    id: i64,
    direction: Move,
) -> Result<bool> {
    let Some(at) = ordered.iter().position(|&x| x == id) else {
        return Ok(false);
    };
    let to = match direction {
        Move::Up => at.checked_sub(1),
        Move::Down => Some(at + 1).filter(|&to| to < ordered.len()),
    };
    if let Some(to) = to {
        ordered.swap(at, to);
    }
    for (rank, id) in ordered.into_iter().enumerate() {
        sqlx::query(&format!("UPDATE {table} SET rank = ? WHERE id = ?"))
            .bind(rank as i64 + 1)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(true)
}
