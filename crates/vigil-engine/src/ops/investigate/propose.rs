//! Propose one action per malicious entity (like ones grouped for one decision) unless the
//! guard refuses it, decide automatic or pending from the automation level, folder class and
//! verdict, and settle the status.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::connectors::Snapshot;
use crate::domain::{
    decide, settle, ActionKind, ActionState, ActionTally, Decision, EntityKind, FolderClass,
    InvestigationStatus, Reason, RemediationStatus, Verdict,
};
use crate::ops::groups;
use crate::ops::safety::{Guard, Subject};
use crate::{clock, Result};

use super::{log_step, set_status, step_start, Steps};

/// The result text of an action whose target was already gone.
pub const NOT_FOUND_PREFIX: &str = "Not found: ";
/// The result text of an approved action on a machine with no connector.
pub const WAITING_PREFIX: &str = "Waiting for machine: ";

/// The action that remediates an entity of this kind.
pub fn action_for(kind: EntityKind) -> Option<ActionKind> {
    Some(match kind {
        EntityKind::File => ActionKind::QuarantineFile,
        EntityKind::Process => ActionKind::KillProcess,
        EntityKind::Persistence => ActionKind::RemovePersistence,
        EntityKind::Url => ActionKind::BlockUrl,
        EntityKind::Domain => ActionKind::BlockDomain,
        EntityKind::Ip => ActionKind::BlockIp,
        EntityKind::EmailMessage => ActionKind::SoftDeleteEmail,
        EntityKind::User => ActionKind::DisableUser,
        EntityKind::RegistryValue => ActionKind::DeleteRegistryValue,
        EntityKind::BitsJob => ActionKind::CancelBitsJob,
        // A service account whose ticket may be cracked gets a new password.
        EntityKind::ServiceTicket => ActionKind::ResetPassword,
        // The antivirus's detection and a script are remediated through what they name
        // (the file, the URLs).
        EntityKind::AvDetection | EntityKind::Script => return None,
    })
}

#[derive(Debug, sqlx::FromRow)]
struct Finding {
    id: i64,
    kind: EntityKind,
    machine_id: Option<i64>,
    name: String,
    path: Option<String>,
    sha256: Option<String>,
    pid: Option<i64>,
    value: Option<String>,
    detail: String,
    verdict: Verdict,
    reasons: String,
    group_key: Option<String>,
    group_label: Option<String>,
    machine: Option<String>,
    connector: Option<String>,
}

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

/// Records why Vigil will not act on an entity the investigation judged malicious.
async fn mark_protected(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
    why: &str,
) -> Result<()> {
    sqlx::query("UPDATE evidence SET protected = ? WHERE investigation_id = ? AND entity_id = ?")
        .bind(why)
        .bind(investigation)
        .bind(entity)
        .execute(&mut *conn)
        .await?;
    Ok(())
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

/// How an action reads for people, from its kind and its target (a persistence entry's
/// mechanism: "Remove service", "Remove scheduled task"…).
pub fn action_label(kind: ActionKind, mechanism: Option<&str>) -> String {
    match (kind, mechanism) {
        (ActionKind::RemovePersistence, Some(m)) => match m {
            "service" => "Remove service".into(),
            "scheduled_task" => "Remove scheduled task".into(),
            "wmi_subscription" => "Remove WMI subscription".into(),
            "run_key" => "Remove run key value".into(),
            "systemd_unit" => "Remove systemd unit".into(),
            "cron" => "Remove cron job".into(),
            _ => kind.label().into(),
        },
        _ => kind.label().into(),
    }
}

/// Whether an antivirus already dealt with a file (its detection says it quarantined,
/// removed or blocked it): Vigil then has nothing to do to it.
async fn handled_by_antivirus(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<Option<String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT d.name, d.detail FROM evidence_links l JOIN entities d ON d.id = l.from_entity
         WHERE l.investigation_id = ? AND l.to_entity = ? AND l.relation = 'found' AND d.kind = 'av_detection'",
    )
    .bind(investigation)
    .bind(entity)
    .fetch_all(&mut *conn)
    .await?;
    for (threat, detail) in rows {
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
    let findings: Vec<Finding> = sqlx::query_as(
        "SELECT e.id, e.kind, e.machine_id, e.name, e.path, e.sha256, e.pid, e.value, e.detail, v.verdict,
                v.reasons, v.group_key, v.group_label, m.name AS machine, m.connector
         FROM evidence v JOIN entities e ON e.id = v.entity_id LEFT JOIN machines m ON m.id = e.machine_id
         WHERE v.investigation_id = ? AND v.verdict = 'malicious'
           AND v.remediation_status NOT IN ('remediated', 'not_found')
           AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.investigation_id = v.investigation_id
                           AND a.entity_id = e.id AND a.kind <> 'expand_scope')
         ORDER BY v.score DESC, e.kind, e.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    let (home,): (i64,) =
        sqlx::query_as("SELECT trigger_machine_id FROM investigations WHERE id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?;
    let (mut automatic, mut pending, mut gone) = (0, 0, 0);
    let mut refused: Vec<String> = Vec::new();
    let mut group_sizes: HashMap<String, usize> = HashMap::new();
    for f in &findings {
        if let Some(g) = &f.group_key {
            *group_sizes.entry(g.clone()).or_default() += 1;
        }
    }
    for finding in &findings {
        let Some(kind) = action_for(finding.kind) else {
            continue;
        };
        // Global entities (URL, domain, IP, mail) are acted on where they were seen.
        let (machine, machine_name, connector) = match finding.machine_id {
            Some(m) => (
                m,
                finding.machine.clone().unwrap_or_default(),
                finding.connector.clone(),
            ),
            None => {
                let seen: Option<(i64, String, Option<String>)> = sqlx::query_as(
                    "SELECT p.machine_id, m.name, m.connector FROM evidence_links l
                     JOIN entities p ON p.id = l.from_entity JOIN machines m ON m.id = p.machine_id
                     WHERE l.investigation_id = ? AND l.to_entity = ? LIMIT 1",
                )
                .bind(investigation)
                .bind(finding.id)
                .fetch_optional(&mut *conn)
                .await?;
                match seen {
                    Some(s) => s,
                    None => {
                        let (name, connector): (String, Option<String>) =
                            sqlx::query_as("SELECT name, connector FROM machines WHERE id = ?")
                                .bind(home)
                                .fetch_one(&mut *conn)
                                .await?;
                        (home, name, connector)
                    }
                }
            }
        };
        let detail: serde_json::Value = serde_json::from_str(&finding.detail).unwrap_or_default();
        let mechanism = detail.get("mechanism").and_then(|m| m.as_str());
        let subject = Subject {
            action: Some(kind),
            kind: Some(finding.kind),
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
            sqlx::query(
                "UPDATE evidence SET remediation_status = 'remediated', protected = ?
                 WHERE investigation_id = ? AND entity_id = ?",
            )
            .bind(&why)
            .bind(investigation)
            .bind(finding.id)
            .execute(&mut *conn)
            .await?;
            gone += 1;
            continue;
        }
        let refuse =
            |why: String| format!("{} {}: {why}", action_label(kind, mechanism), finding.name);
        if let Some(why) = guard.refusal(&subject) {
            mark_protected(conn, investigation, finding.id, &why).await?;
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
            mark_protected(conn, investigation, finding.id, &why).await?;
            refused.push(refuse(why));
            continue;
        }
        if gone_already {
            sqlx::query("UPDATE evidence SET remediation_status = ? WHERE investigation_id = ? AND entity_id = ?")
                .bind(RemediationStatus::NotFound)
                .bind(investigation)
                .bind(finding.id)
                .execute(&mut *conn)
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
                Some(format!("{} — {label}", action_label(kind, mechanism))),
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
        sqlx::query(
            "INSERT INTO actions (investigation_id, kind, entity_id, machine_id, source, state, reason,
                decided_by, decided_at, proposed_at, expires_at, reversible, group_key, group_label)
             VALUES (?, ?, ?, ?, 'automated', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(investigation)
        .bind(kind)
        .bind(finding.id)
        .bind(machine)
        .bind(state)
        .bind(&reason)
        .bind(&decided_by)
        .bind(decided_by.as_ref().map(|_| now.clone()))
        .bind(&now)
        .bind(clock::shift(&now, time::Duration::days(7)))
        .bind(kind.reversible())
        .bind(&group_key)
        .bind(&group_label)
        .execute(&mut *conn)
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

/// Copies each action's state onto its entity's remediation status.
pub async fn sync_remediation(conn: &mut SqliteConnection, investigation: i64) -> Result<()> {
    let actions: Vec<(i64, ActionState, String)> = sqlx::query_as(
        "SELECT entity_id, state, result FROM actions
         WHERE investigation_id = ? AND entity_id IS NOT NULL AND kind <> 'expand_scope' ORDER BY id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    for (entity, state, result) in actions {
        let status = if state == ActionState::Succeeded && result.starts_with(NOT_FOUND_PREFIX) {
            RemediationStatus::NotFound
        } else if state == ActionState::Approved && result.starts_with(WAITING_PREFIX) {
            RemediationStatus::PendingApproval
        } else {
            state.remediation()
        };
        sqlx::query("UPDATE evidence SET remediation_status = ? WHERE investigation_id = ? AND entity_id = ?")
            .bind(status)
            .bind(investigation)
            .bind(entity)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The investigation's actions and findings, counted for settling.
pub async fn tally(conn: &mut SqliteConnection, investigation: i64) -> Result<ActionTally> {
    let rows: Vec<(ActionState, String)> =
        sqlx::query_as("SELECT state, result FROM actions WHERE investigation_id = ?")
            .bind(investigation)
            .fetch_all(&mut *conn)
            .await?;
    let mut t = ActionTally::default();
    for (state, result) in rows {
        match state {
            ActionState::Pending => t.pending += 1,
            ActionState::Approved if result.starts_with(WAITING_PREFIX) => t.pending += 1,
            ActionState::Approved | ActionState::Running => t.in_flight += 1,
            ActionState::Succeeded => t.succeeded += 1,
            ActionState::Failed => t.failed += 1,
            ActionState::Rejected => t.declined += 1,
            ActionState::Expired => t.expired += 1,
            ActionState::Undone => t.undone += 1,
        }
    }
    // Settled by its threats: suspicious entities are findings to review, not threats.
    let (findings, refused): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(protected) - SUM(remediation_status = 'remediated' AND protected IS NOT NULL)
         FROM evidence WHERE investigation_id = ? AND verdict = 'malicious'",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    t.findings = findings as u32;
    t.refused = refused.max(0) as u32;
    Ok(t)
}

/// Settles the status from the actions; a cancelled or finished-by-system investigation
/// keeps its status.
pub async fn settle_in(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<InvestigationStatus> {
    sync_remediation(conn, investigation).await?;
    let (current,): (InvestigationStatus,) =
        sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?;
    if matches!(
        current,
        InvestigationStatus::TerminatedByUser
            | InvestigationStatus::TerminatedBySystem
            | InvestigationStatus::NotApplicable
    ) {
        return Ok(current);
    }
    let tally = tally(conn, investigation).await?;
    let status = settle(tally);
    if status != current {
        let started = step_start();
        let why = match status {
            InvestigationStatus::Remediated if tally.succeeded == 0 => {
                "the threats were already gone: nothing was left to remediate".to_string()
            }
            // Nothing is a threat by itself, but what is suspicious waits for a person.
            InvestigationStatus::NoThreatsFound => {
                let (suspicious,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM evidence WHERE investigation_id = ? AND verdict = 'suspicious'",
                )
                .bind(investigation)
                .fetch_one(&mut *conn)
                .await?;
                match suspicious {
                    0 => String::new(),
                    1 => "1 suspicious finding to review".to_string(),
                    n => format!("{n} suspicious findings to review"),
                }
            }
            _ => String::new(),
        };
        let detail = format!(
            "{} succeeded, {} pending, {} failed, {} declined, {} threats ({} Vigil will not act on)",
            tally.succeeded,
            tally.pending,
            tally.failed,
            tally.declined,
            tally.findings,
            tally.refused
        );
        set_status(conn, investigation, status, &why).await?;
        log_step(
            conn,
            investigation,
            "Status",
            None,
            status.as_str(),
            started,
            &detail,
        )
        .await?;
    }
    if matches!(
        status,
        InvestigationStatus::Remediated | InvestigationStatus::NoThreatsFound
    ) {
        sqlx::query("UPDATE alerts SET status = 'resolved' WHERE investigation_id = ?")
            .bind(investigation)
            .execute(&mut *conn)
            .await?;
    }
    Ok(status)
}
