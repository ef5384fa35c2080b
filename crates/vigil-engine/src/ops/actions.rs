//! Actions: approve, reject, remediate, undo, mark done by hand, expire, and recover after
//! a crash. Every state change goes through [`actions::transition`]; running goes through
//! [`execute`], and a restart asks the connector whether a running action took effect, so
//! none runs twice and none is lost.
//!
//! Longer than 400 lines: one verb for each decision an admin or a restart makes on
//! actions (eight of them), sharing one check and one way of logging; split, each file would
//! import the same helpers.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::connectors::{Applied, Outcome};
use crate::domain::{ActionEvent, ActionKind, ActionState, ActionView, InvestigationStatus};
use crate::ops::execute::{self, request_for, request_of, run_one};
use crate::ops::safety::Subject;
use crate::ops::settle::{settle_in, sync_remediation};
use crate::store::actions::{self, Change, Listing, NewAction};
use crate::store::{evidence, investigations, log};
use crate::{clock, failpoint, Error, Result, Vigil};

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
                "action {} ({} {}) is {}, so it cannot be {}",
                action.id,
                action.label,
                action.entity.as_deref().unwrap_or(""),
                action.state.as_str().replace('_', " "),
                event.past()
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

/// Runs every approved action (of one investigation, or all), then settles the
/// investigations concerned other than `investigation` (its caller settles it).
pub(crate) async fn run_approved(vigil: &Vigil, investigation: Option<i64>) -> Result<()> {
    let touched = execute::run_approved(vigil, investigation).await?;
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
        let status = {
            let mut conn = self.store().pool().acquire().await?;
            investigations::status_of(&mut conn, investigation).await?
        };
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
        let listing = match filter {
            ActionFilter::Pending => Listing::Pending,
            ActionFilter::History => Listing::Decided,
            ActionFilter::All => Listing::All,
        };
        let mut conn = self.store().pool().acquire().await?;
        actions::list(&mut conn, listing, limit).await
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

    /// Rejects pending actions (one, or several of the same type), or cancels approved ones
    /// that wait for their machine.
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
        let found = actions::load(&mut tx, ids).await?;
        let verb = if event == ActionEvent::Approve {
            "approve"
        } else {
            "reject"
        };
        check_all(&found, event, verb)?;
        let now = clock::now();
        let mut investigations = BTreeSet::new();
        for action in &found {
            let change = Change {
                at: Some(&now),
                by: Some(by),
                note,
                ..Change::default()
            };
            let to = actions::transition(&mut tx, i64::from(action.id), event, change)
                .await?
                .unwrap_or(action.state);
            if let Some(inv) = action.investigation_id {
                investigations.insert(i64::from(inv));
                let started = log::step_start();
                log::log_step(
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
        failpoint::hit(failpoint::ACTION_DECIDED);
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
        actions::load(&mut conn, ids).await
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
            let row = evidence::remediable(&mut tx, inv, i64::from(*entity))
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "finding",
                    name: format!("entity {entity} of investigation {investigation}"),
                })?;
            let Some(kind) = ActionKind::for_entity(row.kind) else {
                return Err(Error::Conflict(format!(
                    "{}: Vigil has no action for a {}",
                    row.name,
                    row.kind.as_str().replace('_', " ")
                )));
            };
            if actions::open_on(&mut tx, inv, i64::from(*entity)).await? > 0 {
                return Err(Error::Conflict(format!(
                    "{} already has an action in this investigation",
                    row.name
                )));
            }
            let detail: serde_json::Value = serde_json::from_str(&row.detail).unwrap_or_default();
            let machine_name = row.machine.clone().unwrap_or_default();
            let subject = Subject {
                action: Some(kind),
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
                None => investigations::trigger_machine(&mut tx, inv).await?,
            };
            let now = clock::now();
            let reason = format!("{by} asked for it");
            let id = actions::insert(
                &mut tx,
                &NewAction {
                    investigation: inv,
                    kind,
                    entity: Some(i64::from(*entity)),
                    machine,
                    source: "manual",
                    state: ActionState::Approved,
                    reason: &reason,
                    decided_by: Some(by),
                    proposed_at: &now,
                    group_key: None,
                    group_label: None,
                    undo_data: None,
                },
            )
            .await?;
            let started = log::step_start();
            log::log_step(
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
        actions::load(&mut conn, &ids).await
    }

    /// Undoes succeeded, reversible actions.
    pub async fn undo(&self, ids: &[u32], by: &str) -> Result<Vec<ActionView>> {
        let _work = self.work_lock().await?;
        let found = {
            let mut conn = self.store().pool().acquire().await?;
            actions::load(&mut conn, ids).await?
        };
        check_all(&found, ActionEvent::Undo, "undo")?;
        for action in &found {
            let id = i64::from(action.id);
            let record = {
                let mut conn = self.store().pool().acquire().await?;
                actions::record(&mut conn, id).await?
            };
            let (request, connector) = match request_of(self, id, &record).await? {
                Ok(runnable) => runnable,
                Err(why) => {
                    return Err(Error::Conflict(format!(
                        "action {} cannot be undone now: {why}",
                        action.id
                    )))
                }
            };
            let outcome = connector
                .undo(&request, record.undo_data.as_deref())
                .await?;
            let message = match outcome {
                Outcome::Done { message, .. } | Outcome::NotFound { message } => message,
            };
            let mut tx = self.store().pool().begin().await?;
            let note = format!("undone by {by}");
            let change = Change {
                result: Some(&message),
                note: Some(&note),
                ..Change::default()
            };
            actions::transition(&mut tx, id, ActionEvent::Undo, change).await?;
            if let Some(inv) = action.investigation_id {
                let started = log::step_start();
                log::log_step(
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
        let mut conn = self.store().pool().acquire().await?;
        actions::load(&mut conn, ids).await
    }

    /// Marks approved actions that wait for a machine without a connector as done by hand,
    /// with the admin's note (never a silent success).
    pub async fn mark_done(&self, ids: &[u32], by: &str, note: &str) -> Result<Vec<ActionView>> {
        if note.trim().is_empty() {
            return Err(Error::InvalidInput(
                "say what was done by hand (a note is required)".into(),
            ));
        }
        let _work = self.work_lock().await?;
        let mut tx = self.store().pool().begin().await?;
        let found = actions::load(&mut tx, ids).await?;
        for action in &found {
            if action.state != ActionState::WaitingForMachine {
                return Err(Error::Conflict(format!(
                    "action {} is {}; only approved actions waiting for a machine can be marked done by hand",
                    action.id,
                    action.state.as_str().replace('_', " ")
                )));
            }
        }
        let now = clock::now();
        let result = format!("Done by hand by {by}: {note}");
        let mut investigations = BTreeSet::new();
        for action in &found {
            let change = Change {
                at: Some(&now),
                result: Some(&result),
                note: Some(note),
                ..Change::default()
            };
            actions::transition(
                &mut tx,
                i64::from(action.id),
                ActionEvent::DoneByHand,
                change,
            )
            .await?;
            investigations.extend(action.investigation_id.map(i64::from));
        }
        for inv in investigations {
            settle_in(&mut tx, inv).await?;
        }
        tx.commit().await?;
        let mut conn = self.store().pool().acquire().await?;
        actions::load(&mut conn, ids).await
    }

    /// Pending actions older than 7 days expire; their investigations are "terminated by
    /// system". Returns how many expired.
    pub async fn expire_pending(&self) -> Result<u32> {
        self.expire_pending_at(&clock::now()).await
    }

    /// As `expire_pending`, as if it were `now`.
    pub async fn expire_pending_at(&self, now: &str) -> Result<u32> {
        let mut tx = self.store().pool().begin().await?;
        let expired = actions::pending_expired_at(&mut tx, now).await?;
        if expired.is_empty() {
            return Ok(0);
        }
        let mut investigations = BTreeSet::new();
        for (id, inv, waited) in &expired {
            let note = if *waited {
                "approved, but its machine could not be reached within 7 days of the proposal"
            } else {
                "pending for more than 7 days"
            };
            let change = Change {
                at: Some(now),
                by: Some("system"),
                note: Some(note),
                ..Change::default()
            };
            actions::transition(&mut tx, *id, ActionEvent::Expire, change).await?;
            investigations.extend(*inv);
        }
        for inv in investigations {
            sync_remediation(&mut tx, inv).await?;
            let status = investigations::status_of(&mut tx, inv).await?;
            if status.can_become(InvestigationStatus::TerminatedBySystem) {
                investigations::set_status(
                    &mut tx,
                    inv,
                    InvestigationStatus::TerminatedBySystem,
                    "actions pending for more than 7 days expired",
                )
                .await?;
                let started = log::step_start();
                log::log_step(
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

    /// The investigations that ran and wait for a decision or for a machine.
    async fn awaiting_decision_or_machine(&self) -> Result<Vec<i64>> {
        let mut conn = self.store().pool().acquire().await?;
        investigations::ids_in(
            &mut conn,
            &[
                InvestigationStatus::PendingAction,
                InvestigationStatus::WaitingForMachine,
            ],
        )
        .await
    }

    /// After a crash or kill: settles actions left running (asking the connector whether
    /// they took effect), runs approved ones, and resumes interrupted investigations.
    pub async fn recover(&self) -> Result<()> {
        self.mark_recovered();
        let _work = self.work_lock().await?;
        let running = {
            let mut conn = self.store().pool().acquire().await?;
            actions::in_state(&mut conn, ActionState::Running, None).await?
        };
        for (id, _) in running {
            let applied = match request_for(self, id).await? {
                Ok((request, connector)) => connector.was_applied(&request).await?,
                Err(_) => Applied::Unknown,
            };
            let (event, result) = match applied {
                Applied::Yes => (
                    ActionEvent::Succeed,
                    "completed (confirmed after a restart)",
                ),
                Applied::No => (ActionEvent::Retry, ""),
                Applied::Unknown => (
                    ActionEvent::Fail,
                    "interrupted by a restart; whether it ran is unknown: check the machine",
                ),
            };
            let mut conn = self.store().pool().acquire().await?;
            let change = Change {
                result: Some(result),
                ..Change::default()
            };
            actions::transition(&mut conn, id, event, change).await?;
        }
        let open = {
            let mut conn = self.store().pool().acquire().await?;
            investigations::ids_in(
                &mut conn,
                &[InvestigationStatus::Queued, InvestigationStatus::Running],
            )
            .await?
        };
        // Those this process created are being worked on here, by whoever created them.
        let resumed: std::collections::BTreeSet<i64> = open
            .into_iter()
            .filter(|id| !self.created_here(*id))
            .collect();
        for id in &resumed {
            let mut conn = self.store().pool().acquire().await?;
            let started = log::step_start();
            log::log_step(
                &mut conn,
                *id,
                "Resumed",
                None,
                "running",
                started,
                "resumed after an interruption",
            )
            .await?;
        }
        // As the import that queued them would have: those that belong together fold, into
        // one queued with them or into one that had already run when the process stopped.
        let mut to_run = resumed;
        let ran = self.awaiting_decision_or_machine().await?;
        for into in ran {
            let newer: Vec<i64> = to_run.iter().copied().filter(|c| *c > into).collect();
            let folded = self.fold_tied(into, &newer).await?;
            if !folded.is_empty() {
                to_run.retain(|c| !folded.contains(c));
                to_run.insert(into);
            }
        }
        self.run_related(to_run).await?;
        run_approved(self, None).await?;
        let waiting = self.awaiting_decision_or_machine().await?;
        for id in waiting {
            self.settle(id).await?;
        }
        self.expire_pending().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{ActionState, InvestigationStatus, RemediationStatus};
    use crate::Vigil;

    async fn connector_of_client4(vigil: &Vigil, connector: Option<&str>) {
        let mut conn = vigil.store().pool().acquire().await.expect("conn");
        let known = crate::store::machines::set_connector(&mut conn, "client4", connector)
            .await
            .expect("set connector");
        assert!(known, "the demo has client4");
    }

    /// The demo's client4 with its connector taken away: what the investigation its attack
    /// started found there waits for approval. Returns the investigation and its pending
    /// actions of one kind on client4.
    async fn unreachable_client4(vigil: &Vigil) -> (u32, Vec<u32>) {
        vigil.load_demo().await.expect("demo");
        connector_of_client4(vigil, None).await;
        let list = vigil
            .investigations(&Default::default())
            .await
            .expect("list");
        let details = vigil.investigation(list[0].id).await.expect("details");
        assert_eq!(details.summary.status, InvestigationStatus::PendingAction);
        let on_client4: Vec<_> = details
            .pending_actions
            .iter()
            .filter(|a| a.machine.as_deref() == Some("client4"))
            .collect();
        let kind = on_client4.first().expect("an action on client4").kind;
        let ids = on_client4
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.id)
            .collect();
        (details.summary.id, ids)
    }

    #[tokio::test]
    async fn approved_on_a_machine_without_connector_waits_for_it_then_is_done_by_hand() {
        let vigil = Vigil::in_memory().await.expect("open");
        let (investigation, ids) = unreachable_client4(&vigil).await;
        let approved = vigil.approve(&ids, "tester", None).await.expect("approve");
        assert!(approved
            .iter()
            .all(|a| a.state == ActionState::WaitingForMachine && a.result.contains("client4")));
        let details = vigil.investigation(investigation).await.expect("details");
        let waiting_entity = approved[0].entity_id.expect("entity");
        let entity = details
            .entities
            .iter()
            .find(|e| e.id == waiting_entity)
            .expect("entity");
        assert_eq!(
            entity.remediation_status,
            RemediationStatus::WaitingForMachine
        );
        if details.pending_actions.is_empty() {
            assert_eq!(
                details.summary.status,
                InvestigationStatus::WaitingForMachine
            );
        }
        // Neither approved again nor marked done without saying what was done.
        assert!(vigil.approve(&ids, "tester", None).await.is_err());
        assert!(vigil.mark_done(&ids, "tester", " ").await.is_err());
        let done = vigil
            .mark_done(&ids, "tester", "deleted the file at the desk")
            .await
            .expect("done by hand");
        assert!(done.iter().all(|a| a.state == ActionState::Succeeded
            && a.result.contains("deleted the file at the desk")
            && a.started_at.is_some()));
        assert!(vigil.mark_done(&ids, "tester", "again").await.is_err());
    }

    #[tokio::test]
    async fn an_approved_action_whose_machine_never_comes_back_expires_as_a_pending_one_does() {
        let vigil = Vigil::in_memory().await.expect("open");
        let (_, ids) = unreachable_client4(&vigil).await;
        vigil.approve(&ids, "tester", None).await.expect("approve");
        let expired = vigil
            .expire_pending_at("2099-01-01T00:00:00.000Z")
            .await
            .expect("expire");
        assert!(expired as usize >= ids.len());
        let mut conn = vigil.store().pool().acquire().await.expect("conn");
        let after = crate::store::actions::load(&mut conn, &ids)
            .await
            .expect("load");
        assert!(
            after.iter().all(|a| a.state == ActionState::Expired
                && a.decision_note
                    .as_deref()
                    .is_some_and(|n| n.contains("could not be reached"))),
            "{after:?}"
        );
    }

    #[tokio::test]
    async fn a_waiting_action_runs_when_its_machine_has_a_connector_again() {
        let vigil = Vigil::in_memory().await.expect("open");
        let (_, ids) = unreachable_client4(&vigil).await;
        vigil.approve(&ids, "tester", None).await.expect("approve");
        connector_of_client4(&vigil, Some("lab")).await;
        vigil.recover().await.expect("recover");
        let mut conn = vigil.store().pool().acquire().await.expect("conn");
        let after = crate::store::actions::load(&mut conn, &ids)
            .await
            .expect("load");
        assert!(
            after.iter().all(|a| a.state == ActionState::Succeeded),
            "{:?}",
            after
                .iter()
                .map(|a| (a.state, &a.result))
                .collect::<Vec<_>>()
        );
    }

    #[tokio::test]
    async fn cancelling_an_investigation_cancels_what_waits_for_its_machine() {
        let vigil = Vigil::in_memory().await.expect("open");
        let (investigation, ids) = unreachable_client4(&vigil).await;
        vigil.approve(&ids, "tester", None).await.expect("approve");
        let details = vigil
            .cancel_investigation(investigation, "tester")
            .await
            .expect("cancel");
        assert_eq!(
            details.summary.status,
            InvestigationStatus::TerminatedByUser
        );
        assert!(details
            .actions
            .iter()
            .filter(|a| ids.contains(&a.id))
            .all(|a| a.state == ActionState::Rejected));
    }
}
