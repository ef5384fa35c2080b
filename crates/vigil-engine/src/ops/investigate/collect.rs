//! Collect: the evidence around the seeds on one machine — the process tree up and down,
//! files written and run, network destinations, persistence created, mail that delivered
//! a file — from telemetry, and what the machine's connector shows live.

use std::collections::{HashSet, VecDeque};

use sqlx::SqliteConnection;

use crate::connectors::{LiveProcess, Snapshot};
use crate::domain::EntityKind;
use crate::ops::entities::{self, NewEntity};
use crate::Result;

/// An event as collection reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
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
}

const EVENT_COLUMNS: &str = "kind, user_name, pid, image, command_line, parent_pid, parent_image,
    target_path, sha256, url, domain, remote_ip, registry_key, registry_value, extra";

/// How far the process tree is followed up and down.
const TREE_DEPTH: usize = 6;

/// What one collection pass found.
#[derive(Debug, Default)]
pub struct Collected {
    pub entities: usize,
    pub processes: usize,
    pub files: usize,
    pub network: usize,
    pub persistence: usize,
    pub mail: usize,
}

/// A process as telemetry identifies it on one machine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ProcKey {
    pid: i64,
    image: String,
}

async fn process_start(
    conn: &mut SqliteConnection,
    machine: i64,
    key: &ProcKey,
) -> Result<Option<EventRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM events
         WHERE machine_id = ? AND kind = 'process_start' AND pid = ? AND image = ? COLLATE NOCASE
         ORDER BY ts DESC LIMIT 1"
    ))
    .bind(machine)
    .bind(key.pid)
    .bind(&key.image)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn events_of_process(
    conn: &mut SqliteConnection,
    machine: i64,
    key: &ProcKey,
) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM events
         WHERE machine_id = ? AND pid = ? AND image = ? COLLATE NOCASE AND kind <> 'process_start'
         ORDER BY ts LIMIT 500"
    ))
    .bind(machine)
    .bind(key.pid)
    .bind(&key.image)
    .fetch_all(&mut *conn)
    .await?)
}

async fn record_process(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    key: &ProcKey,
    command_line: Option<&str>,
) -> Result<i64> {
    entities::record(
        conn,
        investigation,
        &NewEntity::process(machine, key.pid, &key.image, command_line),
    )
    .await
}

/// The persistence an event created, if it is a persistence event.
pub fn persistence_of(event: &EventRow) -> Option<NewEntity> {
    let mechanism = match event.kind.as_str() {
        "registry_set" => {
            let key = event.registry_key.as_deref()?.to_lowercase();
            if key.contains("\\currentversion\\run") {
                "run_key"
            } else if key.contains("\\services\\") {
                "service"
            } else {
                return None;
            }
        }
        "scheduled_task" => "scheduled_task",
        "service_install" => "service",
        _ => return None,
    };
    let full = event.registry_key.clone().unwrap_or_default();
    let (location, name) = match full.rsplit_once('\\') {
        Some((location, name)) if mechanism == "run_key" => {
            (location.to_string(), name.to_string())
        }
        _ => (full.clone(), full.clone()),
    };
    let value = event
        .registry_value
        .clone()
        .or_else(|| event.command_line.clone())
        .unwrap_or_default();
    Some(NewEntity::persistence(
        0, mechanism, &location, &name, &value,
    ))
}

/// A seed entity: id, kind, pid, path, sha256.
type SeedRow = (i64, String, Option<i64>, Option<String>, Option<String>);

/// How much evidence and how many links an investigation has on a machine (to see what a
/// step added).
async fn evidence_size(conn: &mut SqliteConnection, investigation: i64) -> Result<usize> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM evidence WHERE investigation_id = ?1)
              + (SELECT COUNT(*) FROM evidence_links WHERE investigation_id = ?1)",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n as usize)
}

/// Runs one collection step (`process_tree`, `files`, `network`, `persistence`, `mail`)
/// around the investigation's evidence on `machine`. Returns what it found and how many
/// new entities and links it added.
pub async fn step(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    part: &str,
    snapshot: Option<&Snapshot>,
) -> Result<(Collected, usize)> {
    let before = evidence_size(conn, investigation).await?;
    let found = around_evidence(conn, investigation, machine, &[part], snapshot).await?;
    let after = evidence_size(conn, investigation).await?;
    Ok((found, after.saturating_sub(before)))
}

/// Collects around the investigation's evidence on `machine`, the `parts` asked for.
pub async fn around_evidence(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    parts: &[&str],
    snapshot: Option<&Snapshot>,
) -> Result<Collected> {
    let want = |part: &str| parts.contains(&part);
    let mut found = Collected::default();
    let seeds: Vec<SeedRow> = sqlx::query_as(
        "SELECT e.id, e.kind, e.pid, e.path, e.sha256 FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND e.machine_id = ?",
    )
    .bind(investigation)
    .bind(machine)
    .fetch_all(&mut *conn)
    .await?;

    // Processes to expand, with their entity ids.
    let mut queue: VecDeque<(ProcKey, i64, usize)> = VecDeque::new();
    let mut seen: HashSet<ProcKey> = HashSet::new();
    let mut files: Vec<(i64, String, Option<String>)> = Vec::new();
    for (id, kind, pid, path, sha256) in &seeds {
        match EntityKind::parse(kind) {
            Some(EntityKind::Process) => {
                if let (Some(pid), Some(image)) = (pid, path) {
                    let key = ProcKey {
                        pid: *pid,
                        image: image.clone(),
                    };
                    if seen.insert(key.clone()) {
                        queue.push_back((key, *id, 0));
                    }
                }
            }
            Some(EntityKind::File) => {
                if let Some(path) = path {
                    files.push((*id, path.clone(), sha256.clone()));
                }
            }
            _ => {}
        }
    }

    // Files: processes that ran them, and the mail that delivered them.
    for (file_id, path, sha256) in &files {
        let runs: Vec<EventRow> = if !want("files") {
            Vec::new()
        } else {
            sqlx::query_as(&format!(
                "SELECT {EVENT_COLUMNS} FROM events
                 WHERE machine_id = ? AND kind = 'process_start' AND image = ? COLLATE NOCASE LIMIT 50"
            ))
            .bind(machine)
            .bind(path)
            .fetch_all(&mut *conn)
            .await?
        };
        for run in runs {
            let Some(pid) = run.pid else { continue };
            let key = ProcKey {
                pid,
                image: path.clone(),
            };
            let id = record_process(
                conn,
                investigation,
                machine,
                &key,
                run.command_line.as_deref(),
            )
            .await?;
            entities::link(conn, investigation, *file_id, id, "ran as").await?;
            found.processes += 1;
            if seen.insert(key.clone()) {
                queue.push_back((key, id, 0));
            }
        }
        if let Some(sha256) = sha256.as_ref().filter(|_| want("mail")) {
            let mails: Vec<EventRow> = sqlx::query_as(&format!(
                "SELECT {EVENT_COLUMNS} FROM events
                 WHERE machine_id = ? AND kind = 'email_received' AND sha256 = ? LIMIT 20"
            ))
            .bind(machine)
            .bind(sha256)
            .fetch_all(&mut *conn)
            .await?;
            for mail in mails {
                let extra: serde_json::Value = mail
                    .extra
                    .as_deref()
                    .and_then(|e| serde_json::from_str(e).ok())
                    .unwrap_or_default();
                let message_id = extra
                    .get("message_id")
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                if message_id.is_empty() {
                    continue;
                }
                let subject = extra
                    .get("subject")
                    .and_then(|v| v.as_str())
                    .unwrap_or(message_id);
                let mut entity = NewEntity::global(EntityKind::EmailMessage, message_id);
                entity.name = format!(
                    "\"{subject}\" from {}",
                    extra.get("from").and_then(|v| v.as_str()).unwrap_or("?")
                );
                entity.detail = extra.clone();
                let mail_id = entities::record(conn, investigation, &entity).await?;
                entities::link(conn, investigation, mail_id, *file_id, "delivered").await?;
                found.mail += 1;
                if let Some(user) = &mail.user_name {
                    let user_id = entities::record(
                        conn,
                        investigation,
                        &NewEntity::global(EntityKind::User, user),
                    )
                    .await?;
                    entities::link(conn, investigation, mail_id, user_id, "received by").await?;
                }
            }
        }
    }

    // The process tree, up and down, and what each process did.
    while let Some((key, entity_id, depth)) = queue.pop_front() {
        if depth > TREE_DEPTH {
            continue;
        }
        let start = if want("process_tree") {
            process_start(conn, machine, &key).await?
        } else {
            None
        };
        if let Some(start) = start {
            if let Some(user) = &start.user_name {
                let user_id = entities::record(
                    conn,
                    investigation,
                    &NewEntity::global(EntityKind::User, user),
                )
                .await?;
                entities::link(conn, investigation, user_id, entity_id, "ran").await?;
            }
            if let (Some(ppid), Some(pimage)) = (start.parent_pid, start.parent_image.clone()) {
                let parent = ProcKey {
                    pid: ppid,
                    image: pimage,
                };
                let parent_start = process_start(conn, machine, &parent).await?;
                let parent_id = record_process(
                    conn,
                    investigation,
                    machine,
                    &parent,
                    parent_start
                        .as_ref()
                        .and_then(|p| p.command_line.as_deref()),
                )
                .await?;
                entities::link(conn, investigation, parent_id, entity_id, "spawned").await?;
                found.processes += 1;
                if parent_start.is_some() && seen.insert(parent.clone()) {
                    queue.push_back((parent, parent_id, depth + 1));
                }
            }
        }
        let children: Vec<EventRow> = if !want("process_tree") {
            Vec::new()
        } else {
            sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE machine_id = ? AND kind = 'process_start' AND parent_pid = ? AND parent_image = ? COLLATE NOCASE
             LIMIT 100"
        ))
        .bind(machine)
        .bind(key.pid)
        .bind(&key.image)
        .fetch_all(&mut *conn)
        .await?
        };
        for child in children {
            let (Some(pid), Some(image)) = (child.pid, child.image.clone()) else {
                continue;
            };
            let child_key = ProcKey { pid, image };
            let child_id = record_process(
                conn,
                investigation,
                machine,
                &child_key,
                child.command_line.as_deref(),
            )
            .await?;
            entities::link(conn, investigation, entity_id, child_id, "spawned").await?;
            found.processes += 1;
            if seen.insert(child_key.clone()) {
                queue.push_back((child_key, child_id, depth + 1));
            }
        }
        for event in events_of_process(conn, machine, &key).await? {
            let part = match event.kind.as_str() {
                "file_create" => "files",
                "network_connection" | "dns_query" | "http_request" => "network",
                _ => "persistence",
            };
            if !want(part) {
                continue;
            }
            let (entity, relation) = match event.kind.as_str() {
                "file_create" => match &event.target_path {
                    Some(path) => {
                        found.files += 1;
                        (
                            NewEntity::file(machine, path, event.sha256.as_deref()),
                            "wrote",
                        )
                    }
                    None => continue,
                },
                "network_connection" | "dns_query" | "http_request" => {
                    found.network += 1;
                    if let Some(url) = &event.url {
                        let id = entities::record(
                            conn,
                            investigation,
                            &NewEntity::global(EntityKind::Url, url),
                        )
                        .await?;
                        entities::link(conn, investigation, entity_id, id, "requested").await?;
                    }
                    if let Some(domain) = &event.domain {
                        let id = entities::record(
                            conn,
                            investigation,
                            &NewEntity::global(EntityKind::Domain, domain),
                        )
                        .await?;
                        entities::link(conn, investigation, entity_id, id, "resolved").await?;
                    }
                    match &event.remote_ip {
                        Some(ip) => (NewEntity::global(EntityKind::Ip, ip), "connected to"),
                        None => continue,
                    }
                }
                _ => match persistence_of(&event) {
                    Some(mut entity) => {
                        found.persistence += 1;
                        entity.machine_id = Some(machine);
                        (entity, "created")
                    }
                    None => continue,
                },
            };
            let id = entities::record(conn, investigation, &entity).await?;
            entities::link(conn, investigation, entity_id, id, relation).await?;
        }
    }

    // Persistence anywhere on the machine that starts a file in evidence.
    for (file_id, path, _) in files.iter().filter(|_| want("persistence")) {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE machine_id = ? AND kind IN ('registry_set', 'scheduled_task', 'service_install')
               AND instr(lower(COALESCE(registry_value, command_line, '')), lower(?)) > 0
             LIMIT 50"
        ))
        .bind(machine)
        .bind(path)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            if let Some(mut entity) = persistence_of(&row) {
                entity.machine_id = Some(machine);
                let id = entities::record(conn, investigation, &entity).await?;
                entities::link(conn, investigation, id, *file_id, "starts").await?;
                found.persistence += 1;
            }
        }
    }

    // Live state: running processes of files in evidence.
    if let Some(snapshot) = snapshot.filter(|_| want("files")) {
        for (file_id, path, _) in &files {
            for process in snapshot
                .processes
                .iter()
                .filter(|p| p.image.eq_ignore_ascii_case(path))
            {
                let id = record_live_process(conn, investigation, machine, process).await?;
                entities::link(conn, investigation, *file_id, id, "ran as").await?;
                found.processes += 1;
            }
        }
    }

    // Live network: where processes in evidence connect to, and any connection to an
    // address that is a known indicator.
    if let Some(snapshot) = snapshot.filter(|_| want("network")) {
        found.network += live_connections(conn, investigation, machine, snapshot, &seen).await?;
    }

    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND (e.machine_id = ? OR e.machine_id IS NULL)",
    )
    .bind(investigation)
    .bind(machine)
    .fetch_one(&mut *conn)
    .await?;
    found.entities = n as usize;
    Ok(found)
}

/// A running process from a connector's snapshot, with the start time that identifies it
/// (a kill needs it so a reused pid is never hit).
async fn record_live_process(
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
async fn live_connections(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    snapshot: &Snapshot,
    in_evidence: &HashSet<ProcKey>,
) -> Result<usize> {
    let mut recorded = 0;
    for connection in &snapshot.connections {
        let Some(remote) = connection.remote_address.as_deref() else {
            continue;
        };
        let owner = connection
            .pid
            .and_then(|pid| snapshot.processes.iter().find(|p| p.pid == pid));
        let owner_in_evidence = owner.is_some_and(|p| {
            in_evidence.contains(&ProcKey {
                pid: p.pid,
                image: p.image.clone(),
            })
        });
        if !owner_in_evidence
            && crate::ops::world::find_indicator(conn, "ip", remote)
                .await?
                .is_none()
        {
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
    let bad: Vec<(String,)> = sqlx::query_as(
        "SELECT value FROM indicators WHERE kind = 'sha256'
         UNION SELECT e.sha256 FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND v.verdict = 'malicious' AND e.sha256 IS NOT NULL",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    let bad: HashSet<String> = bad.into_iter().map(|(s,)| s.to_ascii_lowercase()).collect();
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
