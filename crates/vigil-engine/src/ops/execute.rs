//! Running approved actions through their connectors. Every step is written before it is
//! acted on: approved → running (committed) → connector → succeeded / failed (committed).
//! No store connection is held while a connector works. An action whose machine cannot
//! take it waits for its machine.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::connectors::{ActionRequest, Connector, Outcome, Target};
use crate::domain::{ActionEvent, ActionKind, ActionState, InvestigationStatus};
use crate::failpoint;
use crate::ops::safety::Subject;
use crate::ops::settle::NOT_FOUND_PREFIX;
use crate::store::actions::{self, Change};
use crate::store::{entities, investigations, machines};
use crate::{Result, Vigil};

/// An action request and the connector that carries it out.
pub(crate) type Runnable = (ActionRequest, Arc<dyn Connector>);

/// The request for an action and its machine's connector, or why this process cannot reach
/// the machine now (said for the action center).
pub(crate) async fn request_for(
    vigil: &Vigil,
    action: i64,
) -> Result<std::result::Result<Runnable, String>> {
    let record = {
        let mut conn = vigil.store().pool().acquire().await?;
        actions::record(&mut conn, action).await?
    };
    request_of(vigil, action, &record).await
}

/// As [`request_for`], for an action whose record the caller has read already.
pub(crate) async fn request_of(
    vigil: &Vigil,
    action: i64,
    record: &actions::Record,
) -> Result<std::result::Result<Runnable, String>> {
    let name = record.machine.as_deref().unwrap_or("the machine");
    let Some(machine) = record.machine_id else {
        return Ok(Err(format!("{name} has no connector yet")));
    };
    let mut conn = vigil.store().pool().acquire().await?;
    let (machine_ref, connector_name) = machines::machine_ref(&mut conn, machine).await?;
    let connector = match (connector_name.as_deref(), vigil.connectors().get(connector_name.as_deref())) {
        (_, Some(connector)) => connector,
        (Some(crate::connectors::agent::CONNECTOR), None) => return Ok(Err(format!(
            "{name} is reached through its agent by the console (the app or `vigil serve`), not by this process"
        ))),
        (Some(other), None) => {
            return Ok(Err(format!("{name}'s connector `{other}` is not available in this process")))
        }
        (None, None) => return Ok(Err(format!("{name} has no connector yet"))),
    };
    if let Some(why) = connector.unreachable(&machine_ref) {
        return Ok(Err(why));
    }
    let target = match record.entity_id {
        Some(entity) => entities::target(&mut conn, entity).await?,
        None => Target::default(),
    };
    Ok(Ok((
        ActionRequest {
            action_id: action,
            kind: record.kind,
            machine: machine_ref,
            target,
        },
        connector,
    )))
}

/// Runs one approved action through its connector (or the engine, for "expand scope").
pub(crate) async fn run_one(vigil: &Vigil, action: i64) -> Result<()> {
    let record = {
        let mut conn = vigil.store().pool().acquire().await?;
        actions::record(&mut conn, action).await?
    };
    if record.state != ActionState::Approved {
        return Ok(());
    }
    if record.kind == ActionKind::ExpandScope {
        return expand_scope(vigil, action, &record).await;
    }
    let (request, connector) = match request_of(vigil, action, &record).await? {
        Ok(runnable) => runnable,
        Err(why) => {
            let result = format!("{why}; the action runs when it can, or mark it done by hand");
            let mut conn = vigil.store().pool().acquire().await?;
            let change = Change {
                result: Some(&result),
                ..Change::default()
            };
            actions::transition(&mut conn, action, ActionEvent::Wait, change).await?;
            return Ok(());
        }
    };
    // The guard again: the admin's list may have changed since it was proposed.
    let refusal = {
        let mut conn = vigil.store().pool().acquire().await?;
        let guard = vigil.guard(&mut conn).await?;
        let t = &request.target;
        guard.refusal(&Subject {
            action: Some(request.kind),
            name: &t.name,
            path: t.path.as_deref(),
            sha256: t.sha256.as_deref(),
            value: t.value.as_deref(),
            mechanism: t.detail.get("mechanism").and_then(|m| m.as_str()),
            machine: &request.machine.name,
            connector: Some(connector.name()),
            // It passed the guard when it was proposed or asked for; only lists may have changed.
            confirmed: true,
        })
    };
    if let Some(why) = refusal {
        let mut tx = vigil.store().pool().begin().await?;
        if actions::transition(&mut tx, action, ActionEvent::Start, Change::default())
            .await?
            .is_some()
        {
            let result = format!("Vigil does not act on this: {why}");
            let change = Change {
                result: Some(&result),
                ..Change::default()
            };
            actions::transition(&mut tx, action, ActionEvent::Fail, change).await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    // Written before it is acted on.
    {
        let mut conn = vigil.store().pool().acquire().await?;
        let started =
            actions::transition(&mut conn, action, ActionEvent::Start, Change::default()).await?;
        if started.is_none() {
            return Ok(());
        }
    }
    failpoint::hit(failpoint::ACTION_RUNNING);
    let outcome = connector.execute(&request).await;
    failpoint::hit(failpoint::ACTION_CONNECTOR_DONE);
    if let Err(crate::Error::Unreachable(why)) = &outcome {
        // Lost on the way (the agent left before it answered): the action waits for its
        // machine, and goes again under the same id, which the agent answers once.
        tracing::warn!(action, %why, "the machine left while carrying the action out");
        let result = format!(
            "{why}; it goes again when the machine is back (the machine carries it out once)"
        );
        let mut tx = vigil.store().pool().begin().await?;
        actions::transition(&mut tx, action, ActionEvent::Retry, Change::default()).await?;
        let change = Change {
            result: Some(&result),
            ..Change::default()
        };
        actions::transition(&mut tx, action, ActionEvent::Wait, change).await?;
        tx.commit().await?;
        return Ok(());
    }
    let (event, result, undo) = match outcome {
        Ok(Outcome::Done { message, undo }) => (ActionEvent::Succeed, message, undo),
        Ok(Outcome::NotFound { message }) => (
            ActionEvent::Succeed,
            format!("{NOT_FOUND_PREFIX}{message}"),
            None,
        ),
        Err(error) => {
            tracing::warn!(action, %error, "action failed");
            (ActionEvent::Fail, error.to_string(), None)
        }
    };
    let mut conn = vigil.store().pool().acquire().await?;
    let change = Change {
        result: Some(&result),
        undo: undo.as_deref(),
        ..Change::default()
    };
    actions::transition(&mut conn, action, event, change).await?;
    drop(conn);
    failpoint::hit(failpoint::ACTION_FINISHED);
    Ok(())
}

/// "Expand scope": the machines it names join the investigation, in one transaction.
async fn expand_scope(vigil: &Vigil, action: i64, record: &actions::Record) -> Result<()> {
    let machines: Vec<i64> = record
        .undo_data
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let inv = record.investigation_id.unwrap_or_default();
    let mut tx = vigil.store().pool().begin().await?;
    for machine in &machines {
        investigations::add_machine(&mut tx, inv, *machine, "scope expanded by approval").await?;
    }
    actions::transition(&mut tx, action, ActionEvent::Start, Change::default()).await?;
    let result = format!("{} machines joined the scope", machines.len());
    let change = Change {
        result: Some(&result),
        ..Change::default()
    };
    actions::transition(&mut tx, action, ActionEvent::Succeed, change).await?;
    investigations::set_status(&mut tx, inv, InvestigationStatus::Running, "scope expanded")
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Runs every approved action (of one investigation, or all), first giving back to
/// "approved" those waiting for a machine that can now take them. Returns the
/// investigations whose actions ran, for the caller to settle.
pub(crate) async fn run_approved(
    vigil: &Vigil,
    investigation: Option<i64>,
) -> Result<BTreeSet<i64>> {
    let waiting = {
        let mut conn = vigil.store().pool().acquire().await?;
        actions::in_state(&mut conn, ActionState::WaitingForMachine, investigation).await?
    };
    for (id, _) in waiting {
        if request_for(vigil, id).await?.is_ok() {
            let mut conn = vigil.store().pool().acquire().await?;
            actions::transition(&mut conn, id, ActionEvent::Resume, Change::default()).await?;
        }
    }
    let approved = {
        let mut conn = vigil.store().pool().acquire().await?;
        actions::in_state(&mut conn, ActionState::Approved, investigation).await?
    };
    let mut touched = BTreeSet::new();
    for (id, inv) in approved {
        run_one(vigil, id).await?;
        touched.extend(inv);
    }
    Ok(touched)
}
