//! Scope: where else the threat is (pivot on malicious hashes, URLs, domains and IPs) and
//! who is affected.

use sqlx::SqliteConnection;

use crate::domain::{ActionKind, EntityKind, NewEntity};
use crate::ops::evidence::is_tie_worthy;
use crate::ops::safety::is_system_account;
use crate::store::entities;
use crate::{clock, Result};

use crate::store::investigations::add_machine;
use crate::store::log::{step_start, Steps};

/// This many new machines from one entity wait for approval ("expand scope").
pub const EXPAND_SCOPE_APPROVAL: usize = 10;

/// A malicious entity: id, kind, name, sha256, value.
type MaliciousRow = (i64, String, String, Option<String>, Option<String>);

/// Looks every malicious file hash, URL, domain and IP up on all machines; machines where
/// it is seen join the scope (their playbook then runs). Returns how many joined.
pub async fn pivot(
    conn: &mut SqliteConnection,
    investigation: i64,
    steps: &mut Steps,
) -> Result<usize> {
    let started = step_start();
    let malicious: Vec<MaliciousRow> = sqlx::query_as(
        "SELECT e.id, e.kind, e.name, e.sha256, e.value FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND v.verdict = 'malicious'
           AND (e.sha256 IS NOT NULL OR e.kind IN ('url', 'domain', 'ip'))",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    let mut joined = 0;
    let mut notes = Vec::new();
    for (entity_id, kind, name, sha256, value) in malicious {
        // Loopback, local-network and own names say nothing of where else the threat is.
        let specific = NewEntity {
            kind: EntityKind::parse(&kind),
            value: value.clone(),
            ..NewEntity::default()
        };
        if !is_tie_worthy(&specific) {
            continue;
        }
        let (column, needle) = match (kind.as_str(), sha256, value) {
            ("file", Some(sha), _) => ("sha256", sha.to_ascii_lowercase()),
            ("url", _, Some(v)) => ("url", v),
            ("domain", _, Some(v)) => ("domain", v.to_ascii_lowercase()),
            ("ip", _, Some(v)) => ("remote_ip", v),
            _ => continue,
        };
        // One row per machine (and path, for files) where the indicator shows up.
        let hits: Vec<(i64, Option<String>, String, String)> = sqlx::query_as(&format!(
            "SELECT machine_id, MIN(COALESCE(target_path, CASE WHEN kind = 'process_start' THEN image END)),
                    MIN(ts), MAX(ts)
             FROM events WHERE {column} = ?
               AND machine_id NOT IN (SELECT machine_id FROM investigation_machines WHERE investigation_id = ?)
             GROUP BY machine_id ORDER BY machine_id"
        ))
        .bind(&needle)
        .bind(investigation)
        .fetch_all(&mut *conn)
        .await?;
        if hits.is_empty() {
            continue;
        }
        if hits.len() >= EXPAND_SCOPE_APPROVAL {
            let targets: Vec<i64> = hits.iter().map(|(m, ..)| *m).collect();
            let exists: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM actions WHERE investigation_id = ? AND kind = 'expand_scope' AND entity_id = ?",
            )
            .bind(investigation)
            .bind(entity_id)
            .fetch_optional(&mut *conn)
            .await?;
            if exists.is_none() {
                let now = clock::now();
                sqlx::query(
                    "INSERT INTO actions (investigation_id, kind, entity_id, source, state, reason, proposed_at, expires_at, undo_data)
                     VALUES (?, ?, ?, 'automated', 'pending', ?, ?, ?, ?)",
                )
                .bind(investigation)
                .bind(ActionKind::ExpandScope)
                .bind(entity_id)
                .bind(format!("{name} is also seen on {} other machines", targets.len()))
                .bind(&now)
                .bind(clock::shift(&now, time::Duration::days(7)))
                .bind(serde_json::to_string(&targets).unwrap_or_default())
                .execute(&mut *conn)
                .await?;
                notes.push(format!(
                    "{name}: {} machines wait for approval to join",
                    targets.len()
                ));
            }
            continue;
        }
        for (machine, path, seen_from, seen_to) in hits {
            let (machine_name,): (String,) =
                sqlx::query_as("SELECT name FROM machines WHERE id = ?")
                    .bind(machine)
                    .fetch_one(&mut *conn)
                    .await?;
            if add_machine(conn, investigation, machine, &format!("{name} seen here")).await? {
                joined += 1;
                notes.push(format!("{machine_name} joined: {name} seen there"));
                sqlx::query(
                    "UPDATE investigation_machines SET seen_from = ?, seen_to = ?
                     WHERE investigation_id = ? AND machine_id = ?",
                )
                .bind(&seen_from)
                .bind(&seen_to)
                .bind(investigation)
                .bind(machine)
                .execute(&mut *conn)
                .await?;
            }
            if kind == "file" {
                if let Some(path) = path {
                    let file = NewEntity::file(machine, &path, Some(&needle));
                    let id = entities::record(conn, investigation, &file).await?;
                    entities::link(conn, investigation, entity_id, id, "same file").await?;
                }
            }
        }
    }
    let detail = if notes.is_empty() {
        "no other machine has the malicious files, URLs, domains or IPs".to_string()
    } else {
        notes.join("; ")
    };
    steps.add(
        "Pivot: find the threat elsewhere",
        None,
        "completed",
        started,
        detail.to_string(),
    );
    Ok(joined)
}

/// Names the affected users: who ran the processes in evidence, who received the mail,
/// who logged on to the machines in scope while the threat was there.
pub async fn affected_users(
    conn: &mut SqliteConnection,
    investigation: i64,
    window_minutes: u32,
    steps: &mut Steps,
) -> Result<usize> {
    let started = step_start();
    let mut found: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT e.value, CASE l.relation WHEN 'received by' THEN 'received the mail' ELSE 'ran a process in evidence' END
         FROM evidence_links l JOIN entities e ON e.id = CASE l.relation WHEN 'received by' THEN l.to_entity ELSE l.from_entity END
         WHERE l.investigation_id = ? AND l.relation IN ('ran', 'received by') AND e.kind = 'user'",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    // Who logged on to a machine in scope while the threat was there (interactive, network,
    // remote desktop or cached logons; not the machine's own service logons).
    if let Some((from, to)) =
        crate::store::alerts::span_of_investigation(conn, investigation).await?
    {
        let around = time::Duration::minutes(i64::from(window_minutes));
        let machines: Vec<(i64,)> = sqlx::query_as(
            "SELECT machine_id FROM investigation_machines WHERE investigation_id = ?",
        )
        .bind(investigation)
        .fetch_all(&mut *conn)
        .await?;
        for (machine,) in machines {
            let logons: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT user_name FROM events
                 WHERE machine_id = ? AND ts >= ? AND ts <= ? AND kind = 'logon' AND user_name IS NOT NULL
                   AND json_extract(extra, '$.name') IN ('logon type 2', 'logon type 3', 'logon type 10', 'logon type 11')
                 LIMIT 50",
            )
            .bind(machine)
            .bind(crate::clock::shift(&from, -around))
            .bind(crate::clock::shift(&to, around))
            .fetch_all(&mut *conn)
            .await?;
            found.extend(
                logons
                    .into_iter()
                    .filter(|(u,)| !is_system_account(u))
                    .map(|(u,)| (u, "logged on while the threat was active".to_string())),
            );
        }
    }
    let accounts: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.value, json_extract(e.detail, '$.account') FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND e.kind = 'user' AND json_extract(e.detail, '$.account') IS NOT NULL",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    found.extend(
        accounts
            .into_iter()
            .map(|(u, what)| (u, format!("its account was {what} during the attack"))),
    );
    found.retain(|(u, _)| !is_system_account(u));
    let mut named = 0;
    for (user, reason) in found {
        let user_id = crate::store::users::upsert(conn, &user, "", "").await?;
        let done = sqlx::query(
            "INSERT OR IGNORE INTO investigation_users (investigation_id, user_id, reason) VALUES (?, ?, ?)",
        )
        .bind(investigation)
        .bind(user_id)
        .bind(&reason)
        .execute(&mut *conn)
        .await?;
        named += done.rows_affected() as usize;
    }
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM investigation_users WHERE investigation_id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?;
    steps.add(
        "Affected users",
        None,
        "completed",
        started,
        format!("{total} users"),
    );
    Ok(named)
}
