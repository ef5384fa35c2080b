//! The `entities` table.

use sqlx::SqliteConnection;

use crate::connectors::Target;
use crate::domain::EntityKind;
use crate::Result;

/// An entity as a connector's target.
pub(crate) async fn target(conn: &mut SqliteConnection, entity: i64) -> Result<Target> {
    let (kind, name, path, sha256, pid, value, detail): (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        String,
    ) = sqlx::query_as(
        "SELECT kind, name, path, sha256, pid, value, detail FROM entities WHERE id = ?",
    )
    .bind(entity)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Target {
        kind: EntityKind::parse(&kind),
        name,
        path,
        sha256,
        pid,
        value,
        detail: serde_json::from_str(&detail).unwrap_or_default(),
    })
}
