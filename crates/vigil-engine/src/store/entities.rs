//! The `entities` table.

use sqlx::SqliteConnection;

use crate::connectors::Target;
use crate::domain::EntityKind;
use crate::Result;

#[derive(sqlx::FromRow)]
struct TargetRow {
    kind: String,
    name: String,
    path: Option<String>,
    sha256: Option<String>,
    pid: Option<i64>,
    value: Option<String>,
    detail: String,
}

/// An entity as a connector's target.
pub(crate) async fn target(conn: &mut SqliteConnection, entity: i64) -> Result<Target> {
    let row: TargetRow = sqlx::query_as(
        "SELECT kind, name, path, sha256, pid, value, detail FROM entities WHERE id = ?",
    )
    .bind(entity)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Target {
        kind: EntityKind::parse(&row.kind),
        name: row.name,
        path: row.path,
        sha256: row.sha256,
        pid: row.pid,
        value: row.value,
        detail: serde_json::from_str(&row.detail).unwrap_or_default(),
    })
}
