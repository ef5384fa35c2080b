//! Propose one action per malicious or suspicious entity, decide automatic or pending
//! from the automation level, folder class and verdict, and settle the status.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::connectors::Snapshot;
use crate::domain::{
    decide, settle, ActionKind, ActionState, ActionTally, Decision, EntityKind, FolderClass,
    InvestigationStatus, Reason, RemediationStatus, Verdict,
};
use crate::ops::groups;
use crate::{clock, Result, Vigil};

use super::{log_step, machine_ref, set_status, step_start};

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
        EntityKind::AvDetection | EntityKind::ServiceTicket | EntityKind::Script => return None,
    })
}

#[derive(Debug, sqlx::FromRow)]
struct Finding {
    id: i64,
    kind: EntityKind,
    machine_id: Option<i64>,
    name: String,
    path: Option<String>,
    pid: Option<i64>,
    value: Option<String>,
    detail: String,
    verdict: Verdict,
    reasons: String,
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

/// Proposes actions for the investigation's findings; returns how many were new.
pub async fn propose(
    vigil: &Vigil,
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<usize> {
    let started = step_start();
    let findings: Vec<Finding> = sqlx::query_as(
        "SELECT e.id, e.kind, e.machine_id, e.name, e.path, e.pid, e.value, e.detail, v.verdict, v.reasons
         FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND v.verdict IN ('malicious', 'suspicious')
           AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.investigation_id = v.investigation_id
                           AND a.entity_id = e.id AND a.kind <> 'expand_scope')
         ORDER BY v.verdict DESC, e.kind, e.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    let (home,): (i64,) =
        sqlx::query_as("SELECT trigger_machine_id FROM investigations WHERE id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?;
    let mut snapshots: HashMap<i64, Option<Snapshot>> = HashMap::new();
    let (mut automatic, mut pending, mut gone) = (0, 0, 0);
    for finding in &findings {
        let Some(kind) = action_for(finding.kind) else {
            continue;
        };
        // Global entities (URL, domain, IP, mail) are acted on where they were seen.
        let machine = match finding.machine_id {
            Some(m) => m,
            None => sqlx::query_as::<_, (i64,)>(
                "SELECT p.machine_id FROM evidence_links l JOIN entities p ON p.id = l.from_entity
                 WHERE l.investigation_id = ? AND l.to_entity = ? AND p.machine_id IS NOT NULL LIMIT 1",
            )
            .bind(investigation)
            .bind(finding.id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|(m,)| m)
            .unwrap_or(home),
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = snapshots.entry(machine) {
            let (machine_ref, connector) = machine_ref(conn, machine).await?;
            let snapshot = match vigil.connectors().get(connector.as_deref()) {
                Some(c) => Some(c.snapshot(&machine_ref).await?),
                None => None,
            };
            slot.insert(snapshot);
        }
        if present(finding, snapshots.get(&machine).and_then(Option::as_ref)) == Some(false) {
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
        let why = reasons
            .iter()
            .max_by_key(|r| r.verdict)
            .map(|r| r.text.clone())
            .unwrap_or_default();
        let target = finding
            .value
            .clone()
            .unwrap_or_else(|| finding.name.clone());
        let reason = format!(
            "{} is {}: {why}",
            target,
            finding.verdict.as_str().replace('_', " ")
        );
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
                decided_by, decided_at, proposed_at, expires_at, reversible)
             VALUES (?, ?, ?, ?, 'automated', ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&mut *conn)
        .await?;
        match decision {
            Decision::Automatic => automatic += 1,
            Decision::Pending => pending += 1,
        }
    }
    sync_remediation(conn, investigation).await?;
    log_step(
        conn,
        investigation,
        "Propose remediation",
        None,
        "completed",
        started,
        &format!("{automatic} actions run automatically, {pending} wait for approval, {gone} threats already gone"),
    )
    .await?;
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
    let (findings,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM evidence WHERE investigation_id = ? AND verdict IN ('malicious', 'suspicious')",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    t.findings = findings as u32;
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
        let detail = format!(
            "{} succeeded, {} pending, {} failed, {} declined, {} findings",
            tally.succeeded, tally.pending, tally.failed, tally.declined, tally.findings
        );
        set_status(conn, investigation, status, "").await?;
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
