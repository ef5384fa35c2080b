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
