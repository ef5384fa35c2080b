//! Actions: approve, reject, run, undo, expire, and recover after a crash. Every decision
//! is written before it is acted on: an action goes approved → running (committed) →
//! connector → succeeded / failed (committed), and a restart asks the connector whether a
//! running action took effect, so none runs twice and none is lost.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::connectors::{ActionRequest, Applied, Outcome, Target};
use crate::domain::{ActionEvent, ActionKind, ActionState, ActionView, InvestigationStatus};
use crate::ops::investigate::{self, log_step, set_status, step_start};
use crate::{clock, Error, Result, Vigil};

use investigate::propose::{settle_in, sync_remediation, NOT_FOUND_PREFIX, WAITING_PREFIX};

/// Which actions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ActionFilter {
    /// Waiting for a decision.
    Pending,
    /// Decided: automatic and manual, whatever their result.
    History,
    All,
}

const ACTION_SELECT: &str = "SELECT a.id, a.investigation_id, a.kind, a.entity_id, e.name AS entity, e.kind AS entity_kind,
        v.verdict, m.name AS machine, a.source, a.state, a.reason, a.decided_by, a.decided_at, a.decision_note,
        a.proposed_at, a.expires_at, a.started_at, a.finished_at, a.result, a.reversible,
        json_extract(e.detail, '$.mechanism') AS mechanism, a.group_key, a.group_label
    FROM actions a
    LEFT JOIN entities e ON e.id = a.entity_id
    LEFT JOIN evidence v ON v.investigation_id = a.investigation_id AND v.entity_id = a.entity_id
    LEFT JOIN machines m ON m.id = a.machine_id";

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    investigation_id: Option<i64>,
    kind: ActionKind,
    entity_id: Option<i64>,
    entity: Option<String>,
    entity_kind: Option<String>,
    verdict: Option<String>,
    machine: Option<String>,
    source: String,
    state: ActionState,
    reason: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_note: Option<String>,
    proposed_at: String,
    expires_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    result: String,
    reversible: bool,
    mechanism: Option<String>,
    group_key: Option<String>,
    group_label: Option<String>,
}

impl From<ActionRow> for ActionView {
    fn from(r: ActionRow) -> Self {
        ActionView {
            id: r.id as u32,
            investigation_id: r.investigation_id.map(|i| i as u32),
            kind: r.kind,
            label: investigate::propose::action_label(r.kind, r.mechanism.as_deref()),
            entity_id: r.entity_id.map(|i| i as u32),
            entity: r.entity,
            entity_kind: r
                .entity_kind
                .as_deref()
                .and_then(crate::domain::EntityKind::parse),
            verdict: r.verdict.as_deref().and_then(crate::domain::Verdict::parse),
            machine: r.machine,
            source: r.source,
            state: r.state,
            reason: r.reason,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
            proposed_at: r.proposed_at,
            expires_at: r.expires_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            result: r.result,
            reversible: r.reversible && r.kind.reversible(),
            group: r.group_key,
            group_label: r.group_label,
        }
    }
}

/// The actions of one investigation (all of them), oldest first.
pub async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<ActionView>> {
    let rows: Vec<ActionRow> = sqlx::query_as(&format!(
        "{ACTION_SELECT} WHERE a.investigation_id = ? ORDER BY a.id"
    ))
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(ActionView::from).collect())
}

async fn load(conn: &mut SqliteConnection, ids: &[u32]) -> Result<Vec<ActionView>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row: Option<ActionRow> = sqlx::query_as(&format!("{ACTION_SELECT} WHERE a.id = ?"))
            .bind(i64::from(*id))
            .fetch_optional(&mut *conn)
            .await?;
        out.push(row.map(ActionView::from).ok_or_else(|| Error::NotFound {
            what: "action",
            name: id.to_string(),
        })?);
    }
    Ok(out)
}

/// Checks that every action can take `event`, and that several are of one kind.
fn check_all(actions: &[ActionView], event: ActionEvent, verb: &str) -> Result<()> {
    if actions.is_empty() {
        return Err(Error::InvalidInput(format!(
            "name at least one action to {verb}"
        )));
    }
    let kinds: BTreeSet<_> = actions.iter().map(|a| a.kind).collect();
    if kinds.len() > 1 {
        return Err(Error::InvalidInput(format!(
            "{verb} several actions only when they are of the same type (these are: {})",
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for action in actions {
        if action.state.next(event).is_none() {
            return Err(Error::Conflict(format!(
                "action {} ({} {}) is {}, so it cannot be {verb}d",
                action.id,
                action.label,
                action.entity.as_deref().unwrap_or(""),
                action.state.as_str()
            )));
        }
        if event == ActionEvent::Undo && !action.reversible {
            return Err(Error::Conflict(format!(
                "action {} ({}) cannot be undone",
                action.id, action.label
            )));
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    kind: String,
    name: String,
    path: Option<String>,
    sha256: Option<String>,
    pid: Option<i64>,
    value: Option<String>,
    detail: String,
}

/// A finding the admin asks to remediate, with what the guard needs.
#[derive(sqlx::FromRow)]
struct RemediableRow {
    kind: crate::domain::EntityKind,
    name: String,
    path: Option<String>,
    sha256: Option<String>,
    value: Option<String>,
    detail: String,
    machine_id: Option<i64>,
    machine: Option<String>,
    connector: Option<String>,
    open: i64,
}

/// An action request and the connector that carries it out.
type Runnable = (
    ActionRequest,
    std::sync::Arc<dyn crate::connectors::Connector>,
);

async fn request_for(
    vigil: &Vigil,
    conn: &mut SqliteConnection,
    action: i64,
) -> Result<Option<Runnable>> {
    let (kind, machine, entity): (ActionKind, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT kind, machine_id, entity_id FROM actions WHERE id = ?")
            .bind(action)
            .fetch_one(&mut *conn)
            .await?;
    let Some(machine) = machine else {
        return Ok(None);
    };
    let (machine_ref, connector_name) = investigate::machine_ref(conn, machine).await?;
    let Some(connector) = vigil.connectors().get(connector_name.as_deref()) else {
        return Ok(None);
    };
    let mut target = Target::default();
    if let Some(entity) = entity {
        let row: TargetRow = sqlx::query_as(
            "SELECT kind, name, path, sha256, pid, value, detail FROM entities WHERE id = ?",
        )
        .bind(entity)
        .fetch_one(&mut *conn)
        .await?;
        target = Target {
            kind: crate::domain::EntityKind::parse(&row.kind),
            name: row.name,
            path: row.path,
            sha256: row.sha256,
            pid: row.pid,
            value: row.value,
            detail: serde_json::from_str(&row.detail).unwrap_or_default(),
        };
    }
    Ok(Some((
        ActionRequest {
            action_id: action,
            kind,
            machine: machine_ref,
            target,
        },
        connector,
    )))
}

/// Writes an action's final state and settles its investigation.
async fn finish(
    conn: &mut SqliteConnection,
    action: i64,
    state: ActionState,
    result: &str,
    undo: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE actions SET state = ?, result = ?, finished_at = ?, undo_data = COALESCE(?, undo_data)
         WHERE id = ?",
    )
    .bind(state)
    .bind(result)
    .bind(clock::now())
    .bind(undo)
    .bind(action)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Runs one approved action through its connector (or the engine, for "expand scope").
async fn run_one(vigil: &Vigil, action: i64) -> Result<()> {
    let mut conn = vigil.store().pool().acquire().await?;
    let (kind, investigation, state): (ActionKind, Option<i64>, ActionState) =
        sqlx::query_as("SELECT kind, investigation_id, state FROM actions WHERE id = ?")
            .bind(action)
            .fetch_one(&mut *conn)
            .await?;
    if state != ActionState::Approved {
        return Ok(());
    }
    if kind == ActionKind::ExpandScope {
        let mut tx = vigil.store().pool().begin().await?;
        let (targets,): (Option<String>,) =
            sqlx::query_as("SELECT undo_data FROM actions WHERE id = ?")
                .bind(action)
                .fetch_one(&mut *tx)
                .await?;
        let machines: Vec<i64> = targets
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let inv = investigation.unwrap_or_default();
        for machine in &machines {
            investigate::add_machine(&mut tx, inv, *machine, "scope expanded by approval").await?;
        }
        sqlx::query("UPDATE actions SET state = 'running', started_at = ? WHERE id = ?")
            .bind(clock::now())
            .bind(action)
            .execute(&mut *tx)
            .await?;
        finish(
            &mut tx,
            action,
            ActionState::Succeeded,
            &format!("{} machines joined the scope", machines.len()),
            None,
        )
        .await?;
        set_status(&mut tx, inv, InvestigationStatus::Running, "scope expanded").await?;
        tx.commit().await?;
        return Ok(());
    }
    let Some((request, connector)) = request_for(vigil, &mut conn, action).await? else {
        let (machine,): (Option<String>,) = sqlx::query_as(
            "SELECT m.name FROM actions a LEFT JOIN machines m ON m.id = a.machine_id WHERE a.id = ?",
        )
        .bind(action)
        .fetch_one(&mut *conn)
        .await?;
        let result = format!(
            "{WAITING_PREFIX}{} has no connector yet; the action runs when one exists, or mark it done by hand",
            machine.unwrap_or_else(|| "the machine".into())
        );
        sqlx::query("UPDATE actions SET result = ? WHERE id = ?")
            .bind(result)
            .bind(action)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    };
    // The guard again: the admin's list may have changed since it was proposed.
    let guard = vigil.guard(&mut conn).await?;
    let t = &request.target;
    let refusal = guard.refusal(&crate::ops::safety::Subject {
        action: Some(request.kind),
        kind: t.kind,
        name: &t.name,
        path: t.path.as_deref(),
        sha256: t.sha256.as_deref(),
        value: t.value.as_deref(),
        mechanism: t.detail.get("mechanism").and_then(|m| m.as_str()),
        machine: &request.machine.name,
        connector: Some(connector.name()),
        // It passed the guard when it was proposed or asked for; only lists may have changed.
        confirmed: true,
    });
    if let Some(why) = refusal {
        let mut tx = vigil.store().pool().begin().await?;
        sqlx::query("UPDATE actions SET state = 'running', started_at = ? WHERE id = ? AND state = 'approved'")
            .bind(clock::now())
            .bind(action)
            .execute(&mut *tx)
            .await?;
        finish(
            &mut tx,
            action,
            ActionState::Failed,
            &format!("Vigil does not act on this: {why}"),
            None,
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    // Written before it is acted on.
    let started = sqlx::query(
        "UPDATE actions SET state = 'running', started_at = ? WHERE id = ? AND state = 'approved'",
    )
    .bind(clock::now())
    .bind(action)
    .execute(&mut *conn)
    .await?;
    if started.rows_affected() == 0 {
        return Ok(());
    }
    let outcome = connector.execute(&request).await;
    let mut tx = vigil.store().pool().begin().await?;
    match outcome {
        Ok(Outcome::Done { message, undo }) => {
            finish(
                &mut tx,
                action,
                ActionState::Succeeded,
                &message,
                undo.as_deref(),
            )
            .await?
        }
        Ok(Outcome::NotFound { message }) => {
            finish(
                &mut tx,
                action,
                ActionState::Succeeded,
                &format!("{NOT_FOUND_PREFIX}{message}"),
                None,
            )
            .await?
        }
        Err(error) => {
            tracing::warn!(action, %error, "action failed");
            finish(
                &mut tx,
                action,
                ActionState::Failed,
                &error.to_string(),
                None,
            )
            .await?
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Runs every approved action (of one investigation, or all), then settles the
/// investigations concerned.
pub(crate) async fn run_approved(vigil: &Vigil, investigation: Option<i64>) -> Result<()> {
    let ids: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, investigation_id FROM actions WHERE state = 'approved' AND (?1 IS NULL OR investigation_id = ?1)
           AND result NOT LIKE 'Waiting for machine: %' ORDER BY id",
    )
    .bind(investigation)
    .fetch_all(vigil.store().pool())
    .await?;
    let mut touched = BTreeSet::new();
    for (id, inv) in ids {
        run_one(vigil, id).await?;
        touched.extend(inv);
    }
    for inv in touched {
        if Some(inv) == investigation {
            continue;
        }
        Box::pin(vigil.resume_or_settle(inv)).await?;
    }
    Ok(())
}

impl Vigil {
    /// Settles an investigation after its actions changed, re-running it when its scope grew.
    pub(crate) async fn resume_or_settle(&self, investigation: i64) -> Result<InvestigationStatus> {
        let (status,): (InvestigationStatus,) =
            sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
                .bind(investigation)
                .fetch_one(self.store().pool())
                .await?;
        if status == InvestigationStatus::Running {
            return self.run_investigation(investigation).await;
        }
        self.settle(investigation).await
    }

    /// Lists actions, newest first.
    pub async fn actions(&self, filter: ActionFilter) -> Result<Vec<ActionView>> {
        self.expire_pending().await?;
        self.first_actions(filter, None).await
    }

    /// The first `limit` actions of a list (all when `None`), without expiring any.
    pub(crate) async fn first_actions(
        &self,
        filter: ActionFilter,
        limit: Option<u32>,
    ) -> Result<Vec<ActionView>> {
        let clause = match filter {
            ActionFilter::Pending => "WHERE a.state = 'pending' ORDER BY a.id",
            ActionFilter::History => "WHERE a.state <> 'pending' ORDER BY a.id DESC",
            ActionFilter::All => "ORDER BY a.id DESC",
        };
        let rows: Vec<ActionRow> = sqlx::query_as(&format!("{ACTION_SELECT} {clause} LIMIT ?"))
            .bind(limit.map_or(-1, i64::from))
            .fetch_all(self.store().pool())
            .await?;
        Ok(rows.into_iter().map(ActionView::from).collect())
    }

    /// Approves pending actions (one, or several of the same type) and runs them.
    pub async fn approve(
        &self,
        ids: &[u32],
        by: &str,
        note: Option<&str>,
    ) -> Result<Vec<ActionView>> {
        self.decide(ids, ActionEvent::Approve, by, note).await
    }

    /// Rejects pending actions (one, or several of the same type).
    pub async fn reject(
        &self,
        ids: &[u32],
        by: &str,
        reason: Option<&str>,
    ) -> Result<Vec<ActionView>> {
        self.decide(ids, ActionEvent::Reject, by, reason).await
    }

    async fn decide(
        &self,
        ids: &[u32],
        event: ActionEvent,
        by: &str,
        note: Option<&str>,
    ) -> Result<Vec<ActionView>> {
        let _work = self.work_lock().await?;
        self.expire_pending().await?;
        let mut tx = self.store().pool().begin().await?;
        let actions = load(&mut tx, ids).await?;
        let verb = if event == ActionEvent::Approve {
            "approve"
        } else {
            "reject"
        };
        check_all(&actions, event, verb)?;
        let now = clock::now();
        let mut investigations = BTreeSet::new();
        for action in &actions {
            let to = action.state.next(event).unwrap_or(action.state);
            sqlx::query(
                "UPDATE actions SET state = ?, decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ? AND state = 'pending'",
            )
            .bind(to)
            .bind(by)
            .bind(&now)
            .bind(note)
            .bind(i64::from(action.id))
            .execute(&mut *tx)
            .await?;
            if let Some(inv) = action.investigation_id {
                investigations.insert(i64::from(inv));
                let started = step_start();
                log_step(
                    &mut tx,
                    i64::from(inv),
                    &format!("Action {}d", verb),
                    None,
                    to.as_str(),
                    started,
                    &format!(
                        "{} {} by {by}",
                        action.label,
                        action.entity.as_deref().unwrap_or("")
                    ),
                )
                .await?;
            }
        }
        for inv in &investigations {
            sync_remediation(&mut tx, *inv).await?;
        }
        tx.commit().await?;
        tracing::info!(?ids, verb, by, "actions decided");
        if event == ActionEvent::Approve {
            for id in ids {
                run_one(self, i64::from(*id)).await?;
            }
        }
        for inv in investigations {
            self.resume_or_settle(inv).await?;
        }
        let mut conn = self.store().pool().acquire().await?;
        load(&mut conn, ids).await
    }

    /// Remediates findings the investigation proposed nothing for (a suspicious entity, say):
    /// an action per entity, decided by `by` and run at once, or refused with the reason
    /// when Vigil must not act on it.
    #[tracing::instrument(skip(self))]
    pub async fn remediate(
        &self,
        investigation: u32,
        entities: &[u32],
        by: &str,
    ) -> Result<Vec<ActionView>> {
        let _work = self.work_lock().await?;
        let inv = i64::from(investigation);
        let mut tx = self.store().pool().begin().await?;
        let guard = self.guard(&mut tx).await?;
        let mut ids = Vec::with_capacity(entities.len());
        for entity in entities {
            let row: Option<RemediableRow> = sqlx::query_as(
                "SELECT e.kind, e.name, e.path, e.sha256, e.value, e.detail, e.machine_id,
                        m.name AS machine, m.connector,
                        (SELECT COUNT(*) FROM actions a WHERE a.investigation_id = v.investigation_id
                           AND a.entity_id = e.id AND a.state IN ('pending', 'approved', 'running', 'succeeded')) AS open
                 FROM evidence v JOIN entities e ON e.id = v.entity_id LEFT JOIN machines m ON m.id = e.machine_id
                 WHERE v.investigation_id = ? AND v.entity_id = ?",
            )
            .bind(inv)
            .bind(i64::from(*entity))
            .fetch_optional(&mut *tx)
            .await?;
            let row = row.ok_or_else(|| Error::NotFound {
                what: "finding",
                name: format!("entity {entity} of investigation {investigation}"),
            })?;
            let Some(kind) = investigate::propose::action_for(row.kind) else {
                return Err(Error::Conflict(format!(
                    "{}: Vigil has no action for a {}",
                    row.name,
                    row.kind.as_str().replace('_', " ")
                )));
            };
            if row.open > 0 {
                return Err(Error::Conflict(format!(
                    "{} already has an action in this investigation",
                    row.name
                )));
            }
            let detail: serde_json::Value = serde_json::from_str(&row.detail).unwrap_or_default();
            let machine_name = row.machine.clone().unwrap_or_default();
            let subject = crate::ops::safety::Subject {
                action: Some(kind),
                kind: Some(row.kind),
                name: &row.name,
                path: row.path.as_deref(),
                sha256: row.sha256.as_deref(),
                value: row.value.as_deref(),
                mechanism: detail.get("mechanism").and_then(|m| m.as_str()),
                machine: &machine_name,
                connector: row.connector.as_deref(),
                // The admin asks for it.
                confirmed: true,
            };
            if let Some(why) = guard.refusal(&subject) {
                return Err(Error::Conflict(format!(
                    "Vigil does not act on this: {why}"
                )));
            }
            let machine = match row.machine_id {
                Some(m) => m,
                None => {
                    let (m,): (i64,) = sqlx::query_as(
                        "SELECT trigger_machine_id FROM investigations WHERE id = ?",
                    )
                    .bind(inv)
                    .fetch_one(&mut *tx)
                    .await?;
                    m
                }
            };
            let now = clock::now();
            let id = sqlx::query(
                "INSERT INTO actions (investigation_id, kind, entity_id, machine_id, source, state, reason,
                    decided_by, decided_at, proposed_at, expires_at, reversible)
                 VALUES (?, ?, ?, ?, 'manual', 'approved', ?, ?, ?, ?, ?, ?)",
            )
            .bind(inv)
            .bind(kind)
            .bind(i64::from(*entity))
            .bind(machine)
            .bind(format!("{} asked for it", by))
            .bind(by)
            .bind(&now)
            .bind(&now)
            .bind(clock::shift(&now, time::Duration::days(7)))
            .bind(kind.reversible())
            .execute(&mut *tx)
            .await?
            .last_insert_rowid();
            let started = step_start();
            log_step(
                &mut tx,
                inv,
                "Action requested",
                Some(machine),
                "approved",
                started,
                &format!("{} {} by {by}", kind.label(), row.name),
            )
            .await?;
            ids.push(id);
        }
        sync_remediation(&mut tx, inv).await?;
        tx.commit().await?;
        for id in &ids {
            run_one(self, *id).await?;
        }
        self.resume_or_settle(inv).await?;
        let mut conn = self.store().pool().acquire().await?;
        let ids: Vec<u32> = ids.into_iter().map(|i| i as u32).collect();
        load(&mut conn, &ids).await
    }

    /// Undoes succeeded, reversible actions.
    pub async fn undo(&self, ids: &[u32], by: &str) -> Result<Vec<ActionView>> {
        let _work = self.work_lock().await?;
        let mut conn = self.store().pool().acquire().await?;
        let actions = load(&mut conn, ids).await?;
        check_all(&actions, ActionEvent::Undo, "undo")?;
        for action in &actions {
            let id = i64::from(action.id);
            let Some((request, connector)) = request_for(self, &mut conn, id).await? else {
                return Err(Error::Conflict(format!(
                    "action {}: the machine has no connector to undo it on",
                    action.id
                )));
            };
            let (undo_data,): (Option<String>,) =
                sqlx::query_as("SELECT undo_data FROM actions WHERE id = ?")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?;
            let outcome = connector.undo(&request, undo_data.as_deref()).await?;
            let message = match outcome {
                Outcome::Done { message, .. } | Outcome::NotFound { message } => message,
            };
            let mut tx = self.store().pool().begin().await?;
            sqlx::query("UPDATE actions SET state = 'undone', result = ?, decision_note = ? WHERE id = ? AND state = 'succeeded'")
                .bind(&message)
                .bind(format!("undone by {by}"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let Some(inv) = action.investigation_id {
                let started = step_start();
                log_step(
                    &mut tx,
                    i64::from(inv),
                    "Action undone",
                    None,
                    "undone",
                    started,
                    &format!("{} by {by}: {message}", action.label),
                )
                .await?;
                settle_in(&mut tx, i64::from(inv)).await?;
            }
            tx.commit().await?;
        }
        load(&mut conn, ids).await
    }

    /// Marks approved actions that wait for a machine without a connector as done by hand,
    /// with the admin's note (never a silent success).
    pub async fn mark_done(&self, ids: &[u32], by: &str, note: &str) -> Result<Vec<ActionView>> {
        if note.trim().is_empty() {
            return Err(Error::InvalidInput(
                "say what was done by hand (a note is required)".into(),
            ));
        }
        let mut tx = self.store().pool().begin().await?;
        let actions = load(&mut tx, ids).await?;
        for action in &actions {
            if action.state != ActionState::Approved || !action.result.starts_with(WAITING_PREFIX) {
                return Err(Error::Conflict(format!(
                    "action {} is {}; only approved actions waiting for a machine can be marked done by hand",
                    action.id,
                    action.state.as_str()
                )));
            }
        }
        let now = clock::now();
        let mut investigations = BTreeSet::new();
        for action in &actions {
            sqlx::query(
                "UPDATE actions SET state = 'succeeded', started_at = COALESCE(started_at, ?1), finished_at = ?1,
                    result = ?2, decision_note = ?3 WHERE id = ?4",
            )
            .bind(&now)
            .bind(format!("Done by hand by {by}: {note}"))
            .bind(note)
            .bind(i64::from(action.id))
            .execute(&mut *tx)
            .await?;
            investigations.extend(action.investigation_id.map(i64::from));
        }
        for inv in investigations {
            settle_in(&mut tx, inv).await?;
        }
        tx.commit().await?;
        let mut conn = self.store().pool().acquire().await?;
        load(&mut conn, ids).await
    }

    /// Pending actions older than 7 days expire; their investigations are "terminated by
    /// system". Returns how many expired.
    pub async fn expire_pending(&self) -> Result<u32> {
        self.expire_pending_at(&clock::now()).await
    }

    /// As `expire_pending`, as if it were `now`.
    pub async fn expire_pending_at(&self, now: &str) -> Result<u32> {
        let mut tx = self.store().pool().begin().await?;
        let expired: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, investigation_id FROM actions WHERE state = 'pending' AND expires_at < ?",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        if expired.is_empty() {
            return Ok(0);
        }
        let mut investigations = BTreeSet::new();
        for (id, inv) in &expired {
            sqlx::query("UPDATE actions SET state = 'expired', decided_by = 'system', decided_at = ?, decision_note = 'pending for more than 7 days' WHERE id = ?")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            investigations.extend(*inv);
        }
        for inv in investigations {
            sync_remediation(&mut tx, inv).await?;
            let (status,): (InvestigationStatus,) =
                sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
                    .bind(inv)
                    .fetch_one(&mut *tx)
                    .await?;
            if status.can_become(InvestigationStatus::TerminatedBySystem) {
                set_status(
                    &mut tx,
                    inv,
                    InvestigationStatus::TerminatedBySystem,
                    "actions pending for more than 7 days expired",
                )
                .await?;
                let started = step_start();
                log_step(
                    &mut tx,
                    inv,
                    "Expired",
                    None,
                    "terminated_by_system",
                    started,
                    "pending actions expired after 7 days",
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(expired.len() as u32)
    }

    /// After a crash or kill: settles actions left running (asking the connector whether
    /// they took effect), runs approved ones, and resumes interrupted investigations.
    pub async fn recover(&self) -> Result<()> {
        let _work = self.work_lock().await?;
        let running: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM actions WHERE state = 'running' ORDER BY id")
                .fetch_all(self.store().pool())
                .await?;
        for (id,) in running {
            let mut conn = self.store().pool().acquire().await?;
            let applied = match request_for(self, &mut conn, id).await? {
                Some((request, connector)) => connector.was_applied(&request).await?,
                None => Applied::Unknown,
            };
            match applied {
                Applied::Yes => {
                    finish(
                        &mut conn,
                        id,
                        ActionState::Succeeded,
                        "completed (confirmed after a restart)",
                        None,
                    )
                    .await?
                }
                Applied::No => {
                    sqlx::query(
                        "UPDATE actions SET state = 'approved' WHERE id = ? AND state = 'running'",
                    )
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                }
                Applied::Unknown => {
                    finish(
                        &mut conn,
                        id,
                        ActionState::Failed,
                        "interrupted by a restart; whether it ran is unknown: check the machine",
                        None,
                    )
                    .await?
                }
            }
        }
        let open: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM investigations WHERE status IN ('queued', 'running') ORDER BY id",
        )
        .fetch_all(self.store().pool())
        .await?;
        for (id,) in open {
            let mut conn = self.store().pool().acquire().await?;
            let started = step_start();
            log_step(
                &mut conn,
                id,
                "Resumed",
                None,
                "running",
                started,
                "resumed after an interruption",
            )
            .await?;
            drop(conn);
            self.run_investigation(id).await?;
        }
        run_approved(self, None).await?;
        let pending: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM investigations WHERE status = 'pending_action'")
                .fetch_all(self.store().pool())
                .await?;
        for (id,) in pending {
            self.settle(id).await?;
        }
        self.expire_pending().await?;
        Ok(())
    }
}
