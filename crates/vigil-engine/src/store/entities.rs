//! The `entities` table.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::connectors::Target;
use crate::domain::EntityKind;
use crate::ops::entities::NewEntity;
use crate::Result;

/// Rows per multi-row statement (each binds at most 11 values).
const ROWS: usize = 500;

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

/// Upserts entities and returns their ids, in order.
pub(crate) async fn upsert_entities(
    conn: &mut SqliteConnection,
    entities: &[NewEntity],
) -> Result<Vec<i64>> {
    let mut ids: HashMap<(String, String), i64> = HashMap::new();
    for chunk in entities.chunks(ROWS) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO entities (kind, key, machine_id, name, path, sha256, pid, command_line, value, detail) ",
        );
        query.push_values(chunk, |mut row, e| {
            let kind = e.kind.unwrap_or(EntityKind::File);
            row.push_bind(kind)
                .push_bind(e.key())
                .push_bind(e.machine_id)
                .push_bind(&e.name)
                .push_bind(&e.path)
                .push_bind(&e.sha256)
                .push_bind(e.pid)
                .push_bind(&e.command_line)
                .push_bind(&e.value)
                .push_bind(if e.detail.is_null() {
                    "{}".to_string()
                } else {
                    e.detail.to_string()
                });
        });
        query.push(
            " ON CONFLICT (kind, key) DO UPDATE SET
                sha256 = COALESCE(entities.sha256, excluded.sha256),
                command_line = COALESCE(entities.command_line, excluded.command_line),
                value = COALESCE(entities.value, excluded.value),
                detail = CASE
                    WHEN entities.kind = 'process' THEN json_patch(entities.detail, excluded.detail)
                    WHEN entities.detail = '{}' THEN excluded.detail
                    -- Another event about the same artefact (the account put in a group after
                    -- it was made) adds what it says to what is known.
                    WHEN json_type(excluded.detail, '$.facts') = 'array' THEN json_set(entities.detail, '$.facts',
                        (SELECT json_group_array(json(value)) FROM (
                            SELECT value FROM json_each(entities.detail, '$.facts')
                            UNION SELECT value FROM json_each(excluded.detail, '$.facts'))))
                    ELSE entities.detail END
             RETURNING id, kind, key",
        );
        let rows: Vec<(i64, String, String)> = query.build_query_as().fetch_all(&mut *conn).await?;
        for (id, kind, key) in rows {
            ids.insert((kind, key), id);
        }
    }
    Ok(entities
        .iter()
        .map(|e| {
            let kind = e.kind.unwrap_or(EntityKind::File).as_str().to_string();
            ids.get(&(kind, e.key())).copied().unwrap_or_default()
        })
        .collect())
}
