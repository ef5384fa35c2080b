//! Settling: where an investigation stands once its actions changed. Each action's state
//! is copied onto its entity, the actions and threats are counted, and the status follows
//! from the count ([`crate::domain::settle`]).

use sqlx::SqliteConnection;

use crate::domain::{settle, ActionState, ActionTally, InvestigationStatus, RemediationStatus};
use crate::store::{actions, alerts, evidence, investigations, log};
use crate::Result;

/// The result text of an action whose target was already gone.
pub(crate) const NOT_FOUND_PREFIX: &str = "Not found: ";

/// Each action's entity (none for "expand scope"), state and result.
type Outcomes = Vec<(Option<i64>, ActionState, String)>;

/// Copies each action's state onto its entity's remediation status.
pub(crate) async fn sync_remediation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<()> {
    let outcomes = actions::outcomes(conn, investigation).await?;
    copy_to_entities(conn, investigation, &outcomes).await
}

async fn copy_to_entities(
    conn: &mut SqliteConnection,
    investigation: i64,
    outcomes: &Outcomes,
) -> Result<()> {
    for (entity, state, result) in outcomes {
        let Some(entity) = entity else { continue };
        let status = if *state == ActionState::Succeeded && result.starts_with(NOT_FOUND_PREFIX) {
            RemediationStatus::NotFound
        } else {
            state.remediation()
        };
        evidence::set_remediation(conn, investigation, *entity, status).await?;
    }
    Ok(())
}

/// The investigation's actions and findings, counted for settling.
async fn tally(
    conn: &mut SqliteConnection,
    investigation: i64,
    outcomes: &Outcomes,
) -> Result<ActionTally> {
    let mut t = ActionTally::default();
    for (_, state, _) in outcomes {
        match state {
            ActionState::Pending => t.pending += 1,
            ActionState::WaitingForMachine => t.waiting += 1,
            ActionState::Approved | ActionState::Running => t.in_flight += 1,
            ActionState::Succeeded => t.succeeded += 1,
            ActionState::Failed => t.failed += 1,
            ActionState::Rejected => t.declined += 1,
            ActionState::Expired => t.expired += 1,
            ActionState::Undone => t.undone += 1,
        }
    }
    // Settled by its threats: suspicious entities are findings to review, not threats.
    (t.findings, t.refused) = evidence::threats(conn, investigation).await?;
    Ok(t)
}

/// Settles the status from the actions; a cancelled or finished-by-system investigation
/// keeps its status.
pub(crate) async fn settle_in(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<InvestigationStatus> {
    // One read of the actions serves both the entities' statuses and the count.
    let outcomes = actions::outcomes(conn, investigation).await?;
    copy_to_entities(conn, investigation, &outcomes).await?;
    let current = investigations::status_of(conn, investigation).await?;
    if matches!(
        current,
        InvestigationStatus::TerminatedByUser
            | InvestigationStatus::TerminatedBySystem
            | InvestigationStatus::NotApplicable
    ) {
        return Ok(current);
    }
    let tally = tally(conn, investigation, &outcomes).await?;
    let status = settle(tally);
    if status != current {
        let started = log::step_start();
        let why = match status {
            InvestigationStatus::Remediated if tally.succeeded == 0 => {
                "the threats were already gone: nothing was left to remediate".to_string()
            }
            InvestigationStatus::WaitingForMachine => match tally.waiting {
                1 => "1 approved action waits for its machine".to_string(),
                n => format!("{n} approved actions wait for their machines"),
            },
            // Nothing is a threat by itself, but what is suspicious waits for a person.
            InvestigationStatus::NoThreatsFound => {
                match evidence::suspicious(conn, investigation).await? {
                    0 => String::new(),
                    1 => "1 suspicious finding to review".to_string(),
                    n => format!("{n} suspicious findings to review"),
                }
            }
            _ => String::new(),
        };
        let mut detail = format!(
            "{} succeeded, {} pending, {} failed, {} declined, {} threats ({} Vigil will not act on)",
            tally.succeeded,
            tally.pending,
            tally.failed,
            tally.declined,
            tally.findings,
            tally.refused
        );
        if tally.waiting > 0 {
            detail.push_str(&format!(", {} waiting for their machine", tally.waiting));
        }
        investigations::set_status(conn, investigation, status, &why).await?;
        log::log_step(
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
        alerts::resolve_of_investigation(conn, investigation).await?;
    }
    Ok(status)
}
