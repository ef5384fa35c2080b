//! The `indicators` table: threat indicators (IOCs) from feeds and the admin.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::NewIndicator;
use crate::{clock, Result};

/// Adds indicators (a known kind + value keeps its first source). Returns how many were new.
pub(crate) async fn add(conn: &mut SqliteConnection, indicators: &[NewIndicator]) -> Result<u64> {
    let now = clock::now();
    let mut added = 0;
    for chunk in indicators.chunks(1000) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR IGNORE INTO indicators (kind, value, source, description, added_at) ",
        );
        query.push_values(chunk, |mut row, i| {
            row.push_bind(&i.kind)
                .push_bind(i.value.to_ascii_lowercase())
                .push_bind(&i.source)
                .push_bind(&i.description)
                .push_bind(&now);
        });
        added += query.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(added)
}

/// The indicator matching `kind` + `value`, if any: (source, description).
pub(crate) async fn find(
    conn: &mut SqliteConnection,
    kind: &str,
    value: &str,
) -> Result<Option<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT source, description FROM indicators WHERE kind = ? AND value = ?")
            .bind(kind)
            .bind(value.to_ascii_lowercase())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// How many indicators there are and their highest id.
pub(crate) async fn count_and_last_id(conn: &mut SqliteConnection) -> Result<(i64, i64)> {
    Ok(
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM indicators")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Every indicator value of `kind`, in order.
pub(crate) async fn values_of_kind(conn: &mut SqliteConnection, kind: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT value FROM indicators WHERE kind = ? ORDER BY value")
            .bind(kind)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}

/// Every indicator: kind, value, list and description.
pub(crate) async fn all(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, String, String, String)>> {
    Ok(
        sqlx::query_as("SELECT kind, value, source, description FROM indicators")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Per list and kind: how many indicators, and when the first was added.
pub(crate) async fn lists(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT source, kind, COUNT(*), MIN(added_at) FROM indicators
         GROUP BY source, kind",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Removes one list's indicators; returns how many went.
pub(crate) async fn remove_list(conn: &mut SqliteConnection, source: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM indicators WHERE source = ?")
        .bind(source)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// The highest indicator id (0 with none).
pub(crate) async fn last_id(conn: &mut SqliteConnection) -> Result<i64> {
    let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM indicators")
        .fetch_one(&mut *conn)
        .await?;
    Ok(last)
}

/// The stored events that show an indicator added after `after` (an indicator id): one
/// query per kind of new indicator.
pub(crate) async fn sightings_after(
    conn: &mut SqliteConnection,
    after: i64,
) -> Result<Vec<SightingRow>> {
    // (kind, the events' column, whether to drive the join from the events). Hashes,
    // domains and IPs are stored lower-case (or have no case); URLs as written. Columns
    // without an index of their own are read once, each value looked up in the
    // indicators' (kind, value) index.
    const KINDS: [(&str, &str, bool); 6] = [
        ("sha256", "e.sha256", false),
        ("domain", "e.domain", false),
        ("ip", "e.remote_ip", false),
        ("md5", "e.md5", true),
        ("sha1", "e.sha1", true),
        ("url", "lower(e.url)", true),
    ];
    let new_kinds: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT kind FROM indicators WHERE id > ?")
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
    let mut rows = Vec::new();
    for (kind, column, from_events) in KINDS {
        if !new_kinds.iter().any(|k| k == kind) {
            continue;
        }
        let join = if from_events {
            format!("events e CROSS JOIN indicators i ON i.kind = '{kind}' AND i.value = {column}")
        } else {
            format!("indicators i JOIN events e ON {column} = i.value")
        };
        let sql = format!(
            "SELECT i.kind, i.value, i.source, i.description, e.machine_id, m.name AS machine,
                    e.user_name, e.ts, COALESCE(e.target_path, e.image) AS path, e.sha256
             FROM {join} JOIN machines m ON m.id = e.machine_id
             WHERE i.kind = '{kind}' AND i.id > ? AND {column} IS NOT NULL"
        );
        let found: Vec<SightingRow> = sqlx::query_as(&sql)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
        rows.extend(found);
    }
    Ok(rows)
}

/// An event that shows a new indicator.
#[derive(sqlx::FromRow)]
pub(crate) struct SightingRow {
    pub kind: String,
    pub value: String,
    pub source: String,
    pub description: String,
    pub machine_id: i64,
    pub machine: String,
    pub user_name: Option<String>,
    pub ts: String,
    /// The file the event is about, or its process's image.
    pub path: Option<String>,
    pub sha256: Option<String>,
}

/// The indicators of `kind` among `values` (lower case, as stored): value → (source,
/// description).
pub(crate) async fn matching(
    conn: &mut SqliteConnection,
    kind: &str,
    values: &[&str],
) -> Result<HashMap<String, (String, String)>> {
    let mut found = HashMap::new();
    for chunk in values.chunks(500) {
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT value, source, description FROM indicators WHERE kind = ");
        query.push_bind(kind).push(" AND value IN (");
        let mut list = query.separated(", ");
        for v in chunk {
            list.push_bind(*v);
        }
        query.push(")");
        let hits: Vec<(String, String, String)> =
            query.build_query_as().fetch_all(&mut *conn).await?;
        found.extend(
            hits.into_iter()
                .map(|(value, source, description)| (value, (source, description))),
        );
    }
    Ok(found)
}
