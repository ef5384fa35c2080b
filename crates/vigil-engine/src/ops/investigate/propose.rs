//! Propose one action per malicious entity (like ones grouped for one decision) unless the
//! guard refuses it, decide automatic or pending from the automation level, folder class and
//! verdict, and settle the status.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::connectors::Snapshot;
use crate::domain::{
    decide, ActionKind, ActionState, Decision, EntityKind, FolderClass, Reason, RemediationStatus,
};
use crate::ops::groups;
use crate::ops::safety::{Guard, Subject};
use crate::ops::settle::sync_remediation;
use crate::store::actions::{self, NewAction};
use crate::store::evidence::{self, Finding};
use crate::store::log::{step_start, Steps};
use crate::store::{entities, investigations, machines};
use crate::{clock, Result};

/// How long after its last event a process of a machine with no connector is taken to have
/// ended: telemetry imported from last week asks no one to stop its processes.
const PROCESS_LIFETIME_HOURS: i64 = 24;

/// Whether telemetry says a process is over: it ended, or was last seen long ago.
fn ended(detail: &serde_json::Value) -> bool {
    if detail.get("ended").and_then(|e| e.as_bool()) == Some(true) {
        return true;
    }
    let Some(last) = detail.get("last_seen").and_then(|l| l.as_str()) else {
        return false;
    };
    clock::seconds_between(last, &clock::now()) > (PROCESS_LIFETIME_HOURS * 3600) as f64
}

/// Whether the entity is still there, per the connector's snapshot (`None`: cannot tell).
fn present(finding: &Finding, snapshot: Option<&Snapshot>) -> Option<bool> {
    let snapshot = snapshot?;
    match finding.kind {
        EntityKind::File => {
            let path = finding.path.as_deref()?;
            Some(
                snapshot
                    .files
                    .iter()
                    .any(|f| f.path.eq_ignore_ascii_case(path)),
            )
        }
        EntityKind::Process => {
            let pid = finding.pid?;
            let image = finding.path.as_deref().unwrap_or("");
            Some(
                snapshot
                    .processes
                    .iter()
                    .any(|p| p.pid == pid && p.image.eq_ignore_ascii_case(image)),
            )
        }
        EntityKind::Persistence => {
            let detail: serde_json::Value =
                serde_json::from_str(&finding.detail).unwrap_or_default();
            let location = detail
                .get("location")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            Some(snapshot.persistence.iter().any(|p| {
                p.name.eq_ignore_ascii_case(&finding.name)
                    && p.location.eq_ignore_ascii_case(location)
            }))
        }
        _ => None,
    }
}

/// Whether an antivirus already dealt with a file (its detection says it quarantined,
/// removed or blocked it): Vigil then has nothing to do to it.
async fn handled_by_antivirus(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<Option<String>> {
    for (threat, detail) in entities::av_detections_of(conn, investigation, entity).await? {
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
        if detail.get("op").and_then(|o| o.as_str()) == Some("blocked") {
            let action = detail
                .get("facts")
                .and_then(|f| f.as_array())
                .and_then(|facts| {
                    facts.iter().find_map(|f| {
                        (f.get(0)?.as_str()? == "action")
                            .then(|| f.get(1)?.as_str().map(str::to_string))?
                    })
                })
                .unwrap_or_else(|| "acted on it".into());
            return Ok(Some(format!(
                "the antivirus already dealt with {threat} here ({})",
                action.to_lowercase()
            )));
        }
    }
    Ok(None)
}

/// Proposes one action per malicious entity not acted on yet (like entities share a group,
/// one decision), decides automatic or pending from the automation level and folder, and
/// writes down every refusal of the guard. Suspicious entities are findings without an
/// action: the admin may remediate them by hand. Returns how many actions were new.
pub async fn propose(
    conn: &mut SqliteConnection,
    investigation: i64,
    guard: &Guard,
    snapshots: &HashMap<i64, Snapshot>,
    steps: &mut Steps,
) -> Result<usize> {
    let started = step_start();
    let findings = evidence::to_act_on(conn, investigation).await?;
    let home = investigations::trigger_machine(conn, investigation).await?;
    let (mut automatic, mut pending, mut gone) = (0, 0, 0);
    let mut refused: Vec<String> = Vec::new();
    let mut group_sizes: HashMap<String, usize> = HashMap::new();
    for f in &findings {
        if let Some(g) = &f.group_key {
            *group_sizes.entry(g.clone()).or_default() += 1;
        }
    }
    for finding in &findings {
        let Some(kind) = ActionKind::for_entity(finding.kind) else {
            continue;
        };
        // Global entities (URL, domain, IP, mail) are acted on where they were seen.
        let (machine, machine_name, connector) = match finding.machine_id {
            Some(m) => (
                m,
                finding.machine.clone().unwrap_or_default(),
                finding.connector.clone(),
            ),
            None => match entities::machine_linked_to(conn, investigation, finding.id).await? {
                Some(seen) => seen,
                None => {
                    let (name, connector) = machines::name_and_connector(conn, home).await?;
                    (home, name, connector)
                }
            },
        };
        let detail: serde_json::Value = serde_json::from_str(&finding.detail).unwrap_or_default();
        let mechanism = detail.get("mechanism").and_then(|m| m.as_str());
        let subject = Subject {
            action: Some(kind),
            name: &finding.name,
            path: finding.path.as_deref(),
            sha256: finding.sha256.as_deref(),
            value: finding.value.as_deref(),
            mechanism,
            machine: &machine_name,
            connector: connector.as_deref(),
            confirmed: serde_json::from_str::<Vec<Reason>>(&finding.reasons)
                .unwrap_or_default()
                .iter()
                .any(|r| matches!(r.analyzer.as_str(), "threat_intel" | "yara" | "antivirus")),
        };
        let antivirus = if finding.kind == EntityKind::File {
            handled_by_antivirus(conn, investigation, finding.id).await?
        } else {
            None
        };
        if let Some(why) = antivirus {
            evidence::set_handled(conn, investigation, finding.id, &why).await?;
            gone += 1;
            continue;
        }
        let refuse = |why: String| format!("{} {}: {why}", kind.label_for(mechanism), finding.name);
        if let Some(why) = guard.refusal(&subject) {
            evidence::set_protected(conn, investigation, finding.id, &why).await?;
            refused.push(refuse(why));
            continue;
        }
        let gone_already = match (finding.kind, snapshots.get(&machine)) {
            (EntityKind::Process, None) => ended(&detail),
            _ => present(finding, snapshots.get(&machine)) == Some(false),
        };
        if !gone_already && finding.kind == EntityKind::Process && finding.pid.is_none() {
            let why = "its process id was not logged, so Vigil cannot tell which process to stop"
                .to_string();
            evidence::set_protected(conn, investigation, finding.id, &why).await?;
            refused.push(refuse(why));
            continue;
        }
        if gone_already {
            evidence::set_remediation(conn, investigation, finding.id, RemediationStatus::NotFound)
                .await?;
            gone += 1;
            continue;
        }
        let level = groups::level_of_machine(conn, machine).await?;
        let folder = match (finding.kind, &finding.path) {
            (EntityKind::File, Some(path)) => FolderClass::of_path(path),
            _ => FolderClass::Other,
        };
        let decision = decide(level, folder, finding.verdict);
        let reasons: Vec<Reason> = serde_json::from_str(&finding.reasons).unwrap_or_default();
        let why = reasons.first().map(|r| r.text.clone()).unwrap_or_default();
        let target = finding
            .value
            .clone()
            .filter(|v| {
                !v.is_empty()
                    && finding.kind != EntityKind::Persistence
                    && finding.kind != EntityKind::Script
            })
            .unwrap_or_else(|| finding.name.clone());
        let reason = format!(
            "{target} is {}: {why}",
            finding.verdict.as_str().replace('_', " ")
        );
        // Like findings are one decision: one group of actions.
        let (group_key, group_label) = match (&finding.group_key, &finding.group_label) {
            (Some(key), Some(label)) if group_sizes.get(key).copied().unwrap_or(0) > 1 => (
                Some(format!("{key}:{}", kind.as_str())),
                Some(format!("{} — {label}", kind.label_for(mechanism))),
            ),
            _ => (None, None),
        };
        let now = clock::now();
        let (state, decided_by) = match decision {
            Decision::Automatic => (
                ActionState::Approved,
                Some(format!("automation ({})", level.label())),
            ),
            Decision::Pending => (ActionState::Pending, None),
        };
        actions::insert(
            conn,
            &NewAction {
                investigation,
                kind,
                entity: Some(finding.id),
                machine,
                source: "automated",
                state,
                reason: &reason,
                decided_by: decided_by.as_deref(),
                proposed_at: &now,
                group_key: group_key.as_deref(),
                group_label: group_label.as_deref(),
                undo_data: None,
            },
        )
        .await?;
        match decision {
            Decision::Automatic => automatic += 1,
            Decision::Pending => pending += 1,
        }
    }
    sync_remediation(conn, investigation).await?;
    let mut detail = format!(
        "{automatic} actions run automatically, {pending} wait for approval, {gone} threats already gone"
    );
    if !refused.is_empty() {
        detail.push_str(&format!(
            "; Vigil will not act on {}: {}",
            refused.len(),
            refused.join("; ")
        ));
    }
    steps.add(
        "Propose remediation",
        None,
        "completed",
        started,
        detail.to_string(),
    );
    Ok(automatic + pending)
}
