//! What ties an alert to an investigation: its specific entities, their files' paths and
//! hashes, its process tree and its user session, each seen at a time. An alert joins the
//! open investigation it shares a tie with, close enough in time; an alert no policy took
//! joins the investigation whose evidence it names.

use sqlx::SqliteConnection;

use crate::domain::{file_name, EntityKind, NewAlert, NewEntity, Role};
use crate::ops::evidence;
use crate::store::investigations::attach_alert;
use crate::store::ties::{self, ARTEFACT_HORIZON_DAYS};
use crate::store::{alerts, events};
use crate::{clock, Result};

/// Logon sessions every service shares (SYSTEM, LOCAL SERVICE, NETWORK SERVICE, none):
/// being in one of them ties nothing together.
const SHARED_SESSIONS: [i64; 4] = [0, 0x3e7, 0x3e4, 0x3e5];

/// The topmost process of `pid`/`image`'s tree below the OS's own (services, WMI, DCOM, the
/// shell): what ties the alerts of one process tree together. Follows process starts up
/// through their index, at most a few steps.
pub(crate) async fn tree_root(
    conn: &mut SqliteConnection,
    machine: i64,
    pid: i64,
    image: &str,
    at: &str,
) -> Result<(i64, String)> {
    let brokers = &crate::ops::heuristics::heuristics().brokers;
    let mut current = (pid, image.to_string());
    for _ in 0..8 {
        let parent = events::parent_of(conn, machine, current.0, &current.1, at).await?;
        match parent {
            Some((Some(ppid), Some(pimage)))
                if !brokers.contains(&file_name(&pimage).to_lowercase()) =>
            {
                current = (ppid, pimage);
            }
            _ => break,
        }
    }
    Ok(current)
}

/// Tree roots already looked up while filing a batch, by (machine, pid, image).
pub(crate) type Roots = std::collections::HashMap<(i64, i64, String), (i64, String)>;

/// What ties `alert` to an investigation: its specific entities, their files' paths and
/// hashes, its process tree and its user session.
pub(crate) async fn ties_of(
    conn: &mut SqliteConnection,
    alert: &NewAlert,
    entity_ids: &[i64],
    roots: &mut Roots,
) -> Result<Vec<String>> {
    let mut ties = Vec::new();
    let machine = alert.machine_id;
    for (entity, id) in alert.entities.iter().zip(entity_ids) {
        let worthy = evidence::is_tie_worthy(entity);
        ties.extend(evidence::hash_tie(entity, worthy));
        if !worthy {
            continue;
        }
        ties.push(evidence::entity_tie(entity, *id));
        if entity.role != Role::Evidence {
            ties.extend(evidence::payload_tie(machine, entity));
        }
        match entity.kind {
            Some(EntityKind::File) => {
                ties.extend(
                    entity
                        .path
                        .as_deref()
                        .and_then(|p| evidence::path_tie(machine, p)),
                );
            }
            Some(EntityKind::Process) if entity.role != Role::Evidence => {
                if let (Some(pid), Some(image)) = (entity.pid, entity.path.as_deref()) {
                    ties.extend(evidence::path_tie(machine, image));
                    let key = (machine, pid, image.to_lowercase());
                    let (root_pid, root_image) = match roots.get(&key) {
                        Some(root) => root.clone(),
                        None => {
                            let root =
                                tree_root(conn, machine, pid, image, &alert.last_seen).await?;
                            roots.insert(key, root.clone());
                            root
                        }
                    };
                    ties.push(format!(
                        "tree:{machine}|{root_pid}|{}",
                        root_image.to_lowercase()
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(session) = alert.logon_id.filter(|l| !SHARED_SESSIONS.contains(l)) {
        ties.push(format!("session:{machine}|{session}"));
    }
    // Tickets one account asks for in a burst are one Kerberoasting run.
    if alert
        .entities
        .iter()
        .any(|e| e.kind == Some(EntityKind::ServiceTicket))
    {
        if let Some(user) = &alert.user_name {
            ties.push(format!(
                "session:{machine}|tickets of {}",
                user.to_lowercase()
            ));
        }
    }
    ties.sort();
    ties.dedup();
    Ok(ties)
}

/// Whether a tie holds only close in time (within the investigation window): a process or
/// its tree (pids are reused) and a user session. An artefact, a file, a hash or a payload
/// ties for [`ARTEFACT_HORIZON_DAYS`] around when it was seen.
fn timed(tie: &str) -> bool {
    tie.starts_with("tree:") || tie.starts_with("session:") || tie.starts_with("process:")
}

/// The open investigation `alert` is tied to (by a process, tree or session only when it
/// was seen there within `window` of the alert): the oldest when there are several.
pub(crate) async fn open_investigation_for(
    conn: &mut SqliteConnection,
    alert: &NewAlert,
    ties: &[String],
    window: time::Duration,
) -> Result<Option<i64>> {
    let mut best: Option<i64> = None;
    for timed_ties in [false, true] {
        let these: Vec<&String> = ties.iter().filter(|t| timed(t) == timed_ties).collect();
        if these.is_empty() {
            continue;
        }
        let within = if timed_ties {
            window
        } else {
            time::Duration::days(ARTEFACT_HORIZON_DAYS)
        };
        let row = ties::open_investigation_with(
            conn,
            &these,
            &clock::shift(&alert.first_seen, -within),
            &clock::shift(&alert.last_seen, within),
        )
        .await?;
        if let Some(id) = row {
            best = Some(best.map_or(id, |b: i64| b.min(id)));
        }
    }
    Ok(best)
}

/// Attaches to `investigation` the alerts no policy took (low or medium, waiting for an
/// analyst) that name a specific piece of its evidence, on a machine of its scope, within
/// `window` of its alerts: an alert filed before the one that started it is as tied as one
/// filed after. Returns (alert, title, machine) of each.
pub(crate) async fn adopt_tied(
    conn: &mut SqliteConnection,
    investigation: i64,
    window: time::Duration,
) -> Result<Vec<(i64, String, i64)>> {
    let Some((from, to)) = alerts::span_of_investigation(conn, investigation).await? else {
        return Ok(Vec::new());
    };
    let rows = alerts::waiting_naming_evidence(
        conn,
        investigation,
        &clock::shift(&from, -window),
        &clock::shift(&to, window),
    )
    .await?;
    let mut adopted: Vec<(i64, String, i64)> = Vec::new();
    for row in rows {
        if adopted.iter().any(|(a, ..)| *a == row.id) {
            continue;
        }
        let entity = NewEntity {
            kind: Some(row.kind),
            path: row.path,
            value: row.value,
            name: row.name,
            detail: serde_json::from_str(&row.detail).unwrap_or_default(),
            ..NewEntity::default()
        };
        if evidence::is_tie_worthy(&entity) {
            attach_alert(conn, investigation, row.id).await?;
            adopted.push((row.id, row.title, row.machine_id));
        }
    }
    Ok(adopted)
}
