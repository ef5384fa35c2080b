//! The world Vigil knows: machines, users, telemetry events and threat indicators.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::clock;
use crate::ops::groups;
use crate::{Result, Vigil};

/// A machine as telemetry or an inventory describes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewMachine {
    pub name: String,
    pub domain: String,
    pub os: String,
    /// `windows`, `linux`, `macos` or `unknown`.
    pub os_family: String,
    pub role: String,
    pub tags: Vec<String>,
    pub ip: String,
    /// `lab`, `local`, or `None` for a machine known only from telemetry.
    pub connector: Option<String>,
}

/// Adds a machine or refreshes a known one, and puts it in its group. Returns its id.
pub async fn upsert_machine(conn: &mut SqliteConnection, machine: &NewMachine) -> Result<i64> {
    let now = clock::now();
    let existing: Option<(i64,)> = sqlx::query_as("SELECT id FROM machines WHERE name = ?")
        .bind(&machine.name)
        .fetch_optional(&mut *conn)
        .await?;
    let id = match existing {
        Some((id,)) => {
            sqlx::query(
                "UPDATE machines SET
                    domain = CASE WHEN ?1 <> '' THEN ?1 ELSE domain END,
                    os = CASE WHEN ?2 <> '' THEN ?2 ELSE os END,
                    os_family = CASE WHEN ?3 <> 'unknown' AND ?3 <> '' THEN ?3 ELSE os_family END,
                    role = CASE WHEN ?4 <> '' THEN ?4 ELSE role END,
                    tags = CASE WHEN ?5 <> '' THEN ?5 ELSE tags END,
                    ip = CASE WHEN ?6 <> '' THEN ?6 ELSE ip END,
                    connector = COALESCE(?7, connector),
                    last_seen = ?8
                 WHERE id = ?9",
            )
            .bind(&machine.domain)
            .bind(&machine.os)
            .bind(&machine.os_family)
            .bind(&machine.role)
            .bind(machine.tags.join(","))
            .bind(&machine.ip)
            .bind(&machine.connector)
            .bind(&now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            id
        }
        None => {
            let default_group = groups::default_group_id(conn).await?;
            sqlx::query(
                "INSERT INTO machines
                    (name, domain, os, os_family, role, tags, ip, group_id, connector, first_seen, last_seen)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&machine.name)
            .bind(&machine.domain)
            .bind(&machine.os)
            .bind(if machine.os_family.is_empty() { "unknown" } else { &machine.os_family })
            .bind(&machine.role)
            .bind(machine.tags.join(","))
            .bind(&machine.ip)
            .bind(default_group)
            .bind(&machine.connector)
            .bind(&now)
            .bind(&now)
            .execute(&mut *conn)
            .await?
            .last_insert_rowid()
        }
    };
    groups::assign_machine(conn, id).await?;
    Ok(id)
}

/// Adds a user or returns the known one's id.
pub async fn upsert_user(
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

/// A normalised telemetry event, ready for the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewEvent {
    pub machine_id: i64,
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
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub url: Option<String>,
    pub domain: Option<String>,
    pub remote_ip: Option<String>,
    pub remote_port: Option<i64>,
    pub registry_key: Option<String>,
    pub registry_value: Option<String>,
    pub extra: Option<String>,
    pub source: String,
    pub fingerprint: Option<String>,
    /// The logon session of the account acting.
    pub logon_id: Option<i64>,
    /// The artefact the event shows, as JSON (`vigil_telemetry::Artefact`).
    pub artefact: Option<String>,
}

/// Columns bound per event row (keep rows × this under SQLite's 32,766 variables).
const EVENT_COLUMNS: usize = 24;
const EVENT_ROWS_PER_INSERT: usize = 1000;
const _: () = assert!(EVENT_COLUMNS * EVENT_ROWS_PER_INSERT < 32_766);

/// Inserts events in multi-row statements; a known fingerprint is skipped. Returns how many
/// were new.
pub async fn insert_events(conn: &mut SqliteConnection, events: &[NewEvent]) -> Result<u64> {
    Ok(insert_new_events(conn, events)
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
pub async fn insert_new_events(
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

/// A threat indicator (IOC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIndicator {
    /// `sha256`, `sha1`, `md5`, `url`, `domain` or `ip`.
    pub kind: String,
    pub value: String,
    pub source: String,
    pub description: String,
}

/// Adds indicators (a known kind + value keeps its first source). Returns how many were new.
pub async fn add_indicators(
    conn: &mut SqliteConnection,
    indicators: &[NewIndicator],
) -> Result<u64> {
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
pub async fn find_indicator(
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

impl Vigil {
    /// Adds a machine or refreshes a known one (e.g. this computer, registered by the
    /// `local` sensor) and puts it in its group. Returns its id.
    pub async fn register_machine(&self, machine: &NewMachine) -> Result<i64> {
        let mut tx = self.store().pool().begin().await?;
        let id = upsert_machine(&mut tx, machine).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A value that changes whenever indicators are added or removed (their count and
    /// highest id): what a long-running sensor checks before it reloads them.
    pub async fn indicators_version(&self) -> Result<(i64, i64)> {
        Ok(
            sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM indicators")
                .fetch_one(self.store().pool())
                .await?,
        )
    }

    /// Every indicator value of `kind` (`sha256`, `url`, `domain`, `ip`), lowercase: what a
    /// sensor looks for.
    pub async fn indicator_values(&self, kind: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT value FROM indicators WHERE kind = ? ORDER BY value")
                .bind(kind)
                .fetch_all(self.store().pool())
                .await?;
        Ok(rows.into_iter().map(|(v,)| v).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vigil;

    #[tokio::test]
    async fn only_unknown_fingerprints_go_in_and_each_event_says_whether_it_did() {
        let vigil = Vigil::in_memory().await.expect("open");
        let mut tx = vigil.store().pool().begin().await.expect("begin");
        let machine = upsert_machine(
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
            insert_new_events(&mut tx, &first).await.expect("insert"),
            [true, true],
            "all new"
        );
        assert_eq!(
            insert_new_events(&mut tx, &first).await.expect("insert"),
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
            insert_new_events(&mut tx, &mixed).await.expect("insert"),
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
