//! The `investigation_ties` table: what ties an investigation's alerts together (a process,
//! a tree, a session, an artefact, a file, a hash, a payload), each with when it was seen.

use sqlx::SqliteConnection;

use crate::Result;

/// How long an artefact, file, hash or payload ties alerts together: a week, as long as an
/// action may wait. The same service name installed again years later (or in another lab's
/// log of a machine of the same name) is another incident.
pub(crate) const ARTEFACT_HORIZON_DAYS: i64 = 7;

/// Of `candidates`, the queued investigations that share a tie with `into`, seen close
/// enough in time to it: a process, tree or session within `window`, an artefact, file,
/// hash or payload within [`ARTEFACT_HORIZON_DAYS`].
pub(crate) async fn queued_tied_to(
    conn: &mut SqliteConnection,
    into: i64,
    candidates: &[i64],
    window: time::Duration,
) -> Result<Vec<i64>> {
    let mut query: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
        "SELECT DISTINCT c.investigation_id FROM investigation_ties c
         JOIN investigation_ties x ON x.tie = c.tie AND x.investigation_id = ",
    );
    query.push_bind(into).push(
        " JOIN investigations i ON i.id = c.investigation_id AND i.status = 'queued'
         WHERE c.investigation_id IN (",
    );
    let mut list = query.separated(", ");
    for c in candidates {
        list.push_bind(*c);
    }
    // Ties seen close together: a process, a tree or a session within the window, an
    // artefact, file, hash or payload within the artefact horizon.
    let horizon = ARTEFACT_HORIZON_DAYS * 24 * 60;
    let within = |sign: &str| {
        format!(
            "CASE WHEN c.tie LIKE 'tree:%' OR c.tie LIKE 'session:%' OR c.tie LIKE 'process:%'
                  THEN '{sign}{} minutes' ELSE '{sign}{horizon} minutes' END",
            window.whole_minutes()
        )
    };
    query
        .push(
            ") AND (c.seen_from IS NULL OR x.seen_from IS NULL
                 OR (c.seen_from <= strftime('%Y-%m-%dT%H:%M:%fZ', x.seen_to, ",
        )
        .push(within("+"))
        .push(") AND c.seen_to >= strftime('%Y-%m-%dT%H:%M:%fZ', x.seen_from, ")
        .push(within("-"))
        .push(")))");
    let tied: Vec<(i64,)> = query.build_query_as().fetch_all(&mut *conn).await?;
    Ok(tied.into_iter().map(|(c,)| c).collect())
}

/// Gives `to` the ties of `from` (each once).
pub(crate) async fn copy(conn: &mut SqliteConnection, from: i64, to: i64) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO investigation_ties (investigation_id, tie, seen_from, seen_to)
         SELECT ?, tie, seen_from, seen_to FROM investigation_ties WHERE investigation_id = ?",
    )
    .bind(to)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records ties of an investigation (each once). A timed tie (a process, a tree, a session)
/// holds around `span`, the time it was seen; a repeated one widens its span.
pub(crate) async fn add(
    conn: &mut SqliteConnection,
    investigation: i64,
    ties: &[String],
    span: (&str, &str),
) -> Result<()> {
    for chunk in ties.chunks(300) {
        let mut query: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
            "INSERT INTO investigation_ties (investigation_id, tie, seen_from, seen_to) ",
        );
        query.push_values(chunk, |mut row, tie| {
            row.push_bind(investigation)
                .push_bind(tie)
                .push_bind(span.0)
                .push_bind(span.1);
        });
        query.push(
            " ON CONFLICT (tie, investigation_id) DO UPDATE SET
                seen_from = MIN(COALESCE(investigation_ties.seen_from, excluded.seen_from), excluded.seen_from),
                seen_to = MAX(COALESCE(investigation_ties.seen_to, excluded.seen_to), excluded.seen_to)",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The oldest open investigation that has one of `ties`, seen between `from` and `to` (a
/// tie recorded before ties had times holds at any time).
pub(crate) async fn open_investigation_with(
    conn: &mut SqliteConnection,
    ties: &[&String],
    from: &str,
    to: &str,
) -> Result<Option<i64>> {
    let mut query: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(format!(
        "SELECT t.investigation_id FROM investigation_ties t JOIN investigations i ON i.id = t.investigation_id
         WHERE i.status IN {} AND t.tie IN (",
        super::investigations::OPEN
    ));
    let mut list = query.separated(", ");
    for tie in ties {
        list.push_bind(*tie);
    }
    query.push(")");
    query
        .push(" AND (t.seen_from IS NULL OR (t.seen_from <= ")
        .push_bind(to)
        .push(" AND t.seen_to >= ")
        .push_bind(from)
        .push("))");
    query.push(" ORDER BY t.investigation_id LIMIT 1");
    let row: Option<(i64,)> = query.build_query_as().fetch_optional(&mut *conn).await?;
    Ok(row.map(|(id,)| id))
}
