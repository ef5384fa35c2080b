//! Scope: where else the threat is (pivot on malicious hashes, URLs, domains and IPs) and
//! who is affected.

use sqlx::SqliteConnection;

use crate::domain::{EntityKind, NewEntity};
use crate::ops::evidence::is_tie_worthy;
use crate::ops::safety::is_system_account;
use crate::store::events::{self, IndicatorColumn};
use crate::store::investigations::{self, add_machine};
use crate::store::log::{step_start, Steps};
use crate::store::{actions, alerts, entities, evidence, machines, users};
use crate::{clock, Result};

/// This many new machines from one entity wait for approval ("expand scope").
pub const EXPAND_SCOPE_APPROVAL: usize = 10;

/// Looks every malicious file hash, URL, domain and IP up on all machines; machines where
/// it is seen join the scope (their playbook then runs). Returns how many joined.
pub async fn pivot(
    conn: &mut SqliteConnection,
    investigation: i64,
    steps: &mut Steps,
) -> Result<usize> {
    let started = step_start();
    let malicious = evidence::malicious_indicators(conn, investigation).await?;
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
            ("file", Some(sha), _) => (IndicatorColumn::Sha256, sha.to_ascii_lowercase()),
            ("url", _, Some(v)) => (IndicatorColumn::Url, v),
            ("domain", _, Some(v)) => (IndicatorColumn::Domain, v.to_ascii_lowercase()),
            ("ip", _, Some(v)) => (IndicatorColumn::RemoteIp, v),
            _ => continue,
        };
        // One row per machine (and path, for files) where the indicator shows up.
        let hits = events::sightings_outside(conn, column, &needle, investigation).await?;
        if hits.is_empty() {
            continue;
        }
        if hits.len() >= EXPAND_SCOPE_APPROVAL {
            let targets: Vec<i64> = hits.iter().map(|(m, ..)| *m).collect();
            if actions::expand_scope_of(conn, investigation, entity_id)
                .await?
                .is_none()
            {
                actions::propose_expand_scope(
                    conn,
                    investigation,
                    entity_id,
                    &format!("{name} is also seen on {} other machines", targets.len()),
                    &serde_json::to_string(&targets).unwrap_or_default(),
                )
                .await?;
                notes.push(format!(
                    "{name}: {} machines wait for approval to join",
                    targets.len()
                ));
            }
            continue;
        }
        for (machine, path, seen_from, seen_to) in hits {
            let machine_name = machines::name_of(conn, machine).await?;
            if add_machine(conn, investigation, machine, &format!("{name} seen here")).await? {
                joined += 1;
                notes.push(format!("{machine_name} joined: {name} seen there"));
                investigations::set_seen(conn, investigation, machine, &seen_from, &seen_to)
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
    let mut found = entities::linked_users(conn, investigation).await?;
    // Who logged on to a machine in scope while the threat was there (interactive, network,
    // remote desktop or cached logons; not the machine's own service logons).
    if let Some((from, to)) = alerts::span_of_investigation(conn, investigation).await? {
        let around = time::Duration::minutes(i64::from(window_minutes));
        for machine in investigations::machine_ids_of(conn, investigation).await? {
            let logons = events::logons_on(
                conn,
                machine,
                &clock::shift(&from, -around),
                &clock::shift(&to, around),
            )
            .await?;
            found.extend(
                logons
                    .into_iter()
                    .filter(|u| !is_system_account(u))
                    .map(|u| (u, "logged on while the threat was active".to_string())),
            );
        }
    }
    let accounts = evidence::changed_accounts(conn, investigation).await?;
    found.extend(
        accounts
            .into_iter()
            .map(|(u, what)| (u, format!("its account was {what} during the attack"))),
    );
    found.retain(|(u, _)| !is_system_account(u));
    let mut named = 0;
    for (user, reason) in found {
        let user_id = users::upsert(conn, &user, "", "").await?;
        if investigations::add_user(conn, investigation, user_id, &reason).await? {
            named += 1;
        }
    }
    let total = investigations::user_count(conn, investigation).await?;
    steps.add(
        "Affected users",
        None,
        "completed",
        started,
        format!("{total} users"),
    );
    Ok(named)
}
