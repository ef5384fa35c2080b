//! What a machine's connector shows live: its running processes of files in evidence, the
//! connections of processes in evidence or to known-bad addresses, and the files on it
//! that are known threats.

use std::collections::HashSet;

use sqlx::SqliteConnection;

use crate::connectors::{LiveProcess, Snapshot};
use crate::domain::{EntityKind, NewEntity};
use crate::store::evidence::{self, Known};
use crate::store::{entities, indicators};
use crate::Result;

/// A running process from a connector's snapshot, with the start time that identifies it
/// (a kill needs it so a reused pid is never hit).
pub async fn record_live_process(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    process: &LiveProcess,
) -> Result<i64> {
    let mut entity = NewEntity::process(
        machine,
        process.pid,
        &process.image,
        Some(&process.command_line),
    );
    entity.detail = serde_json::json!({ "started_at": process.started_at });
    entities::record(conn, investigation, &entity).await
}

/// Records the remote addresses of live connections owned by processes in evidence, and
/// of connections to an address that is an IP indicator (with the process that owns it).
/// Returns how many connections it recorded.
pub async fn live_connections(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    snapshot: &Snapshot,
    in_evidence: &HashSet<(i64, String)>,
) -> Result<usize> {
    let mut recorded = 0;
    for connection in &snapshot.connections {
        let Some(remote) = connection.remote_address.as_deref() else {
            continue;
        };
        let owner = connection
            .pid
            .and_then(|pid| snapshot.processes.iter().find(|p| p.pid == pid));
        let owner_in_evidence =
            owner.is_some_and(|p| in_evidence.contains(&(p.pid, p.image.to_lowercase())));
        if !owner_in_evidence && indicators::find(conn, "ip", remote).await?.is_none() {
            continue;
        }
        let ip = entities::record(
            conn,
            investigation,
            &NewEntity::global(EntityKind::Ip, remote),
        )
        .await?;
        if let Some(process) = owner {
            let id = record_live_process(conn, investigation, machine, process).await?;
            entities::link(conn, investigation, id, ip, "connected to").await?;
        }
        recorded += 1;
    }
    Ok(recorded)
}

/// The general machine playbook's scan: files on the machine whose hash is a known
/// indicator or matches a malicious file of the investigation.
pub async fn scan_snapshot(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    snapshot: &Snapshot,
) -> Result<usize> {
    let bad = evidence::bad_hashes(conn, investigation).await?;
    let bad: HashSet<String> = bad.into_iter().map(|s| s.to_ascii_lowercase()).collect();
    let mut hits = 0;
    for file in &snapshot.files {
        if bad.contains(&file.sha256.to_ascii_lowercase()) {
            entities::record(
                conn,
                investigation,
                &NewEntity::file(machine, &file.path, Some(&file.sha256)),
            )
            .await?;
            hits += 1;
        }
    }
    Ok(hits)
}

/// Records what the live state shows of the evidence: running processes of files in it,
/// and where its processes (or anything, to a known-bad address) connect. Returns how many
/// entities and links were new.
pub async fn record(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    snapshot: &Snapshot,
    seeds: &[Known],
    parts: &[&str],
) -> Result<u64> {
    let before = entities::evidence_size(conn, investigation).await?;
    if parts.contains(&"files") {
        for seed in seeds.iter().filter(|s| s.kind == EntityKind::File) {
            let Some(path) = seed.path.as_deref() else {
                continue;
            };
            for process in snapshot
                .processes
                .iter()
                .filter(|p| p.image.eq_ignore_ascii_case(path))
            {
                let id = record_live_process(conn, investigation, machine, process).await?;
                entities::link(conn, investigation, seed.id, id, "ran as").await?;
            }
        }
    }
    if parts.contains(&"network") {
        let in_evidence: HashSet<(i64, String)> = seeds
            .iter()
            .filter(|s| s.kind == EntityKind::Process)
            .filter_map(|s| Some((s.pid?, s.path.as_deref()?.to_lowercase())))
            .collect();
        live_connections(conn, investigation, machine, snapshot, &in_evidence).await?;
    }
    Ok(entities::evidence_size(conn, investigation)
        .await?
        .saturating_sub(before))
}
