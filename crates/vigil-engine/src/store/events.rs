//! The `events` table: normalised telemetry, each event once (by its fingerprint).

use std::collections::{HashMap, HashSet};

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::NewEvent;
use crate::Result;

/// Columns bound per event row (keep rows × this under SQLite's 32,766 variables).
const EVENT_COLUMNS: usize = 24;
const EVENT_ROWS_PER_INSERT: usize = 1000;
const _: () = assert!(EVENT_COLUMNS * EVENT_ROWS_PER_INSERT < 32_766);

/// Inserts events in multi-row statements; a known fingerprint is skipped. Returns how many
/// were new.
pub async fn insert(conn: &mut SqliteConnection, events: &[NewEvent]) -> Result<u64> {
    Ok(insert_new(conn, events)
        .await?
        .into_iter()
        .filter(|new| *new)
        .count() as u64)
}

/// Inserts the events whose fingerprint is not stored yet (nor earlier in `events`) and
/// says, for each event, whether it was new. Events without a fingerprint are always new.
///
/// The insert returns no rows (a `RETURNING` clause made the SQLite worker hand every
/// inserted row back one by one), and nothing is looked up before it: `INSERT OR IGNORE`
/// skips known fingerprints, and its count of inserted rows settles the usual cases (all
/// new: a first import; none new: a re-import). Only a mix asks which were inserted: they
/// are the rows with the last ids, as SQLite gives each new row the next id and this
/// connection is the only writer while it holds its transaction.
pub(crate) async fn insert_new(
    conn: &mut SqliteConnection,
    events: &[NewEvent],
) -> Result<Vec<bool>> {
    let mut new = Vec::with_capacity(events.len());
    for chunk in events.chunks(EVENT_ROWS_PER_INSERT) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR IGNORE INTO events (machine_id, ts, kind, user_name, pid, image, command_line,
             parent_pid, parent_image, target_path, sha256, md5, sha1, url, domain, remote_ip, remote_port,
             registry_key, registry_value, extra, source, fingerprint, logon_id, artefact) ",
        );
        query.push_values(chunk, |mut row, e| {
            row.push_bind(e.machine_id)
                .push_bind(&e.ts)
                .push_bind(&e.kind)
                .push_bind(&e.user_name)
                .push_bind(e.pid)
                .push_bind(&e.image)
                .push_bind(&e.command_line)
                .push_bind(e.parent_pid)
                .push_bind(&e.parent_image)
                .push_bind(&e.target_path)
                .push_bind(e.sha256.as_deref().map(str::to_ascii_lowercase))
                .push_bind(e.md5.as_deref().map(str::to_ascii_lowercase))
                .push_bind(e.sha1.as_deref().map(str::to_ascii_lowercase))
                .push_bind(&e.url)
                .push_bind(e.domain.as_deref().map(str::to_ascii_lowercase))
                .push_bind(&e.remote_ip)
                .push_bind(e.remote_port)
                .push_bind(&e.registry_key)
                .push_bind(&e.registry_value)
                .push_bind(&e.extra)
                .push_bind(&e.source)
                .push_bind(&e.fingerprint)
                .push_bind(e.logon_id)
                .push_bind(&e.artefact);
        });
        let done = query.build().execute(&mut *conn).await?;
        let inserted = done.rows_affected() as usize;
        if inserted == chunk.len() || inserted == 0 {
            new.extend(std::iter::repeat_n(inserted > 0, chunk.len()));
            continue;
        }
        let last = done.last_insert_rowid();
        let stored: Vec<Option<String>> =
            sqlx::query_scalar("SELECT fingerprint FROM events WHERE id > ? AND id <= ?")
                .bind(last - inserted as i64)
                .bind(last)
                .fetch_all(&mut *conn)
                .await?;
        let mut inserted: HashSet<&str> = stored.iter().flatten().map(String::as_str).collect();
        // The first of equal fingerprints in `chunk` is the one that went in.
        new.extend(chunk.iter().map(|e| match e.fingerprint.as_deref() {
            Some(f) => inserted.remove(f),
            None => true,
        }));
    }
    Ok(new)
}

/// The parent (pid, image) of the last start of process `pid`/`image` on `machine` before
/// `at`, through the process-start index.
pub(crate) async fn parent_of(
    conn: &mut SqliteConnection,
    machine: i64,
    pid: i64,
    image: &str,
    at: &str,
) -> Result<Option<(Option<i64>, Option<String>)>> {
    Ok(start_before(conn, machine, pid, image, at)
        .await?
        .map(|start| (start.parent_pid, start.parent_image)))
}

/// A stored event, as an investigation reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub id: i64,
    pub ts: String,
    pub kind: String,
    pub user_name: Option<String>,
    pub pid: Option<i64>,
    pub image: Option<String>,
    pub command_line: Option<String>,
    pub parent_pid: Option<i64>,
    pub parent_image: Option<String>,
    pub target_path: Option<String>,
    pub sha256: Option<String>,
    pub url: Option<String>,
    pub domain: Option<String>,
    pub remote_ip: Option<String>,
    pub registry_key: Option<String>,
    pub registry_value: Option<String>,
    pub extra: Option<String>,
    pub logon_id: Option<i64>,
    pub artefact: Option<String>,
}

/// The columns of an [`EventRow`].
const ROW_COLUMNS: &str = "id, ts, kind, user_name, pid, image, command_line, parent_pid,
    parent_image, target_path, sha256, url, domain, remote_ip, registry_key, registry_value,
    extra, logon_id, artefact";

/// The columns of a window's read: scripts' texts (kilobytes each, thousands in a busy
/// PowerShell window) are left as `''` for [`artefacts`] to read for the events that matter.
const WINDOW_COLUMNS: &str = "id, ts, kind, user_name, pid, image, command_line, parent_pid,
    parent_image, target_path, sha256, url, domain, remote_ip, registry_key, registry_value,
    extra, logon_id, CASE WHEN kind = 'script_block' AND artefact IS NOT NULL THEN '' ELSE artefact END AS artefact";

/// When the latest event of `machine` happened, if it has any.
pub(crate) async fn latest_on(conn: &mut SqliteConnection, machine: i64) -> Result<Option<String>> {
    let (latest,): (Option<String>,) =
        sqlx::query_as("SELECT MAX(ts) FROM events WHERE machine_id = ?")
            .bind(machine)
            .fetch_one(&mut *conn)
            .await?;
    Ok(latest)
}

/// The events of `machine` from `from` to `to`, in time order, at most `limit`; scripts'
/// texts are left unread (`''`).
pub(crate) async fn in_window(
    conn: &mut SqliteConnection,
    machine: i64,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {WINDOW_COLUMNS} FROM events WHERE machine_id = ? AND ts >= ? AND ts <= ?
         ORDER BY ts, id LIMIT ?"
    ))
    .bind(machine)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// The last start of process `pid`/`image` on `machine` at or before `at`, through the
/// process-start index.
pub(crate) async fn start_before(
    conn: &mut SqliteConnection,
    machine: i64,
    pid: i64,
    image: &str,
    at: &str,
) -> Result<Option<EventRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ROW_COLUMNS} FROM events
         WHERE machine_id = ? AND kind = 'process_start' AND pid = ? AND image = ? COLLATE NOCASE AND ts <= ?
         ORDER BY ts DESC LIMIT 1"
    ))
    .bind(machine)
    .bind(pid)
    .bind(image)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The artefacts of events `ids`, by id (an unknown id is absent).
pub(crate) async fn artefacts(
    conn: &mut SqliteConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Option<String>>> {
    let mut texts = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT id, artefact FROM events WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        let rows: Vec<(i64, Option<String>)> = query.build_query_as().fetch_all(&mut *conn).await?;
        texts.extend(rows);
    }
    Ok(texts)
}

/// The column of `events` an indicator is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndicatorColumn {
    Sha256,
    Url,
    Domain,
    RemoteIp,
}

impl IndicatorColumn {
    fn name(self) -> &'static str {
        match self {
            IndicatorColumn::Sha256 => "sha256",
            IndicatorColumn::Url => "url",
            IndicatorColumn::Domain => "domain",
            IndicatorColumn::RemoteIp => "remote_ip",
        }
    }
}

/// Where `needle` shows up in `column` on machines outside an investigation's scope: one
/// row per machine, with a path it has there (files), and when it was first and last seen.
pub(crate) async fn sightings_outside(
    conn: &mut SqliteConnection,
    column: IndicatorColumn,
    needle: &str,
    investigation: i64,
) -> Result<Vec<(i64, Option<String>, String, String)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT machine_id, MIN(COALESCE(target_path, CASE WHEN kind = 'process_start' THEN image END)),
                MIN(ts), MAX(ts)
         FROM events WHERE {} = ?
           AND machine_id NOT IN (SELECT machine_id FROM investigation_machines WHERE investigation_id = ?)
         GROUP BY machine_id ORDER BY machine_id",
        column.name()
    ))
    .bind(needle)
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// Who logged on to `machine` from `from` to `to` (interactive, network, remote desktop or
/// cached logons): at most 50 names.
pub(crate) async fn logons_on(
    conn: &mut SqliteConnection,
    machine: i64,
    from: &str,
    to: &str,
) -> Result<Vec<String>> {
    let logons: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT user_name FROM events
         WHERE machine_id = ? AND ts >= ? AND ts <= ? AND kind = 'logon' AND user_name IS NOT NULL
           AND json_extract(extra, '$.name') IN ('logon type 2', 'logon type 3', 'logon type 10', 'logon type 11')
         LIMIT 50",
    )
    .bind(machine)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    Ok(logons.into_iter().map(|(u,)| u).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewMachine;
    use crate::store::machines;
    use crate::Vigil;

    #[tokio::test]
    async fn only_unknown_fingerprints_go_in_and_each_event_says_whether_it_did() {
        let vigil = Vigil::in_memory().await.expect("open");
        let mut tx = vigil.store().pool().begin().await.expect("begin");
        let machine = machines::upsert(
            &mut tx,
            &NewMachine {
                name: "pc1".into(),
                ..NewMachine::default()
            },
        )
        .await
        .expect("machine");
        let event = |fingerprint: Option<&str>| NewEvent {
            machine_id: machine,
            ts: "2026-11-28T01:00:00Z".into(),
            kind: "process_start".into(),
            fingerprint: fingerprint.map(str::to_string),
            ..NewEvent::default()
        };
        let first = [event(Some("a")), event(Some("b"))];
        assert_eq!(
            insert_new(&mut tx, &first).await.expect("insert"),
            [true, true],
            "all new"
        );
        assert_eq!(
            insert_new(&mut tx, &first).await.expect("insert"),
            [false, false],
            "all known"
        );
        let mixed = [
            event(Some("c")),
            event(Some("a")),
            event(None),
            event(Some("d")),
            event(Some("d")),
            event(Some("b")),
        ];
        assert_eq!(
            insert_new(&mut tx, &mixed).await.expect("insert"),
            [true, false, true, true, false, false],
            "a mix: the first of two equal ones goes in"
        );
        let stored: Vec<Option<String>> =
            sqlx::query_scalar("SELECT fingerprint FROM events ORDER BY id")
                .fetch_all(&mut *tx)
                .await
                .expect("events");
        let stored: Vec<Option<&str>> = stored.iter().map(Option::as_deref).collect();
        assert_eq!(
            stored,
            [Some("a"), Some("b"), Some("c"), None, Some("d")],
            "nothing twice"
        );
    }
}
