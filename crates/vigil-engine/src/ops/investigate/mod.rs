//! The investigation runner: start (from an alert, a machine or an analyst), then
//! collect → analyse → pivot → affected users → propose → decide → run → settle.
//! Every step is written to the log and to the store before the next; the whole run is
//! idempotent, so an interrupted investigation resumes by running again.

mod analyse;
mod collect;
mod playbooks;
pub(crate) mod propose;
mod scope;

use std::time::Instant;

use sqlx::SqliteConnection;

use crate::connectors::MachineRef;
use crate::domain::{AutomationLevel, InvestigationDetails, InvestigationStatus};
use crate::ops::{actions, groups};
use crate::{clock, Error, Result, Vigil};

pub use analyse::heuristics;
pub use playbooks::Playbook;

/// What started an investigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An alert that an alert policy routed.
    Policy { alert: i64, playbook: Playbook },
    /// An analyst, from an alert.
    Alert { alert: i64 },
    /// An analyst, from a machine.
    Machine { machine: i64 },
}

/// Writes one step to the investigation's log.
pub(crate) async fn log_step(
    conn: &mut SqliteConnection,
    investigation: i64,
    step: &str,
    machine: Option<i64>,
    status: &str,
    started: (String, Instant),
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO investigation_log (investigation_id, step, machine_id, status, started_at, duration_ms, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(investigation)
    .bind(step)
    .bind(machine)
    .bind(status)
    .bind(started.0)
    .bind(i64::try_from(started.1.elapsed().as_millis()).unwrap_or(i64::MAX))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Now, as a log step's start.
pub(crate) fn step_start() -> (String, Instant) {
    (clock::now(), Instant::now())
}

/// Moves an investigation to `to`, keeping pending time and end time right.
pub(crate) async fn set_status(
    conn: &mut SqliteConnection,
    investigation: i64,
    to: InvestigationStatus,
    detail: &str,
) -> Result<()> {
    let (from, pending_since): (InvestigationStatus, Option<String>) =
        sqlx::query_as("SELECT status, pending_since FROM investigations WHERE id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?;
    if !from.can_become(to) {
        return Err(Error::Conflict(format!(
            "investigation {investigation} is {} and cannot become {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let now = clock::now();
    let pending_ms = match (&pending_since, to) {
        (Some(since), t) if t != InvestigationStatus::PendingAction => {
            (clock::seconds_between(since, &now) * 1000.0) as i64
        }
        _ => 0,
    };
    let final_status = !to.is_open();
    sqlx::query(
        "UPDATE investigations SET status = ?, status_detail = ?,
            pending_ms_total = pending_ms_total + ?,
            pending_since = CASE WHEN ? THEN COALESCE(pending_since, ?) ELSE NULL END,
            started_at = COALESCE(started_at, CASE WHEN ? = 'running' THEN ? END),
            ended_at = CASE WHEN ? THEN ? ELSE NULL END
         WHERE id = ?",
    )
    .bind(to)
    .bind(detail)
    .bind(pending_ms)
    .bind(to == InvestigationStatus::PendingAction)
    .bind(&now)
    .bind(to.as_str())
    .bind(&now)
    .bind(final_status)
    .bind(&now)
    .bind(investigation)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Loads the machine reference a connector needs, with the machine's connector name.
pub(crate) async fn machine_ref(
    conn: &mut SqliteConnection,
    machine: i64,
) -> Result<(MachineRef, Option<String>)> {
    let (name, os_family, connector): (String, String, Option<String>) =
        sqlx::query_as("SELECT name, os_family, connector FROM machines WHERE id = ?")
            .bind(machine)
            .fetch_one(&mut *conn)
            .await?;
    Ok((
        MachineRef {
            id: machine,
            name,
            os_family,
        },
        connector,
    ))
}

/// Adds a machine to an investigation's scope (once); true when it is new there.
pub(crate) async fn add_machine(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT OR IGNORE INTO investigation_machines (investigation_id, machine_id, reason, joined_at)
         VALUES (?, ?, ?, ?)",
    )
    .bind(investigation)
    .bind(machine)
    .bind(reason)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Attaches an alert (and its entities as evidence) to an investigation.
pub(crate) async fn attach_alert(
    conn: &mut SqliteConnection,
    investigation: i64,
    alert: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO investigation_alerts (investigation_id, alert_id, joined_at) VALUES (?, ?, ?)",
    )
    .bind(investigation)
    .bind(alert)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE alerts SET investigation_id = ?, status = 'in_progress' WHERE id = ?")
        .bind(investigation)
        .bind(alert)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO evidence (investigation_id, entity_id, found_at)
         SELECT ?, entity_id, ? FROM alert_entities WHERE alert_id = ?",
    )
    .bind(investigation)
    .bind(clock::now())
    .bind(alert)
    .execute(&mut *conn)
    .await?;
    let (machine,): (i64,) = sqlx::query_as("SELECT machine_id FROM alerts WHERE id = ?")
        .bind(alert)
        .fetch_one(&mut *conn)
        .await?;
    if add_machine(conn, investigation, machine, "alert").await? {
        return Ok(());
    }
    // A known machine with new evidence: its playbook runs again.
    sqlx::query("UPDATE investigation_machines SET playbook_done = 0 WHERE investigation_id = ? AND machine_id = ?")
        .bind(investigation)
        .bind(machine)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Vigil {
    /// Creates an investigation for `trigger` (queued, or "not applicable" for a machine
    /// that is not protected). Returns its id.
    pub(crate) async fn create_investigation(&self, trigger: Trigger, by: &str) -> Result<i64> {
        let mut tx = self.store().pool().begin().await?;
        let (machine, alert, playbook, kind): (i64, Option<i64>, Playbook, &str) = match trigger {
            Trigger::Policy { alert, playbook } => {
                let (m,): (i64,) = sqlx::query_as("SELECT machine_id FROM alerts WHERE id = ?")
                    .bind(alert)
                    .fetch_one(&mut *tx)
                    .await?;
                (m, Some(alert), playbook, "alert_policy")
            }
            Trigger::Alert { alert } => {
                let row: Option<(i64, String, String)> =
                    sqlx::query_as("SELECT machine_id, category, title FROM alerts WHERE id = ?")
                        .bind(alert)
                        .fetch_optional(&mut *tx)
                        .await?;
                let (m, category, title) = row.ok_or_else(|| Error::NotFound {
                    what: "alert",
                    name: alert.to_string(),
                })?;
                (
                    m,
                    Some(alert),
                    Playbook::for_alert(&category, &title),
                    "analyst_alert",
                )
            }
            Trigger::Machine { machine } => (machine, None, Playbook::Machine, "analyst_machine"),
        };
        let (machine_name,): (String,) = sqlx::query_as("SELECT name FROM machines WHERE id = ?")
            .bind(machine)
            .fetch_one(&mut *tx)
            .await?;
        let level = groups::level_of_machine(&mut tx, machine).await?;
        let (title, source, threat): (String, String, String) = match alert {
            Some(a) => {
                sqlx::query_as("SELECT title, detection_source, category FROM alerts WHERE id = ?")
                    .bind(a)
                    .fetch_one(&mut *tx)
                    .await?
            }
            None => (
                format!("Investigation of {machine_name}"),
                "manual".into(),
                String::new(),
            ),
        };
        let (status, detail) = if level == AutomationLevel::NotProtected {
            (
                InvestigationStatus::NotApplicable,
                format!(
                    "{machine_name} is in a group that is not protected: no investigation runs"
                ),
            )
        } else {
            (InvestigationStatus::Queued, String::new())
        };
        let now = clock::now();
        let id = sqlx::query(
            "INSERT INTO investigations (title, status, status_detail, trigger_kind, trigger_alert_id,
                trigger_machine_id, playbook, detection_source, threat_types, started_by, created_at, ended_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&title)
        .bind(status)
        .bind(&detail)
        .bind(kind)
        .bind(alert)
        .bind(machine)
        .bind(playbook.as_str())
        .bind(&source)
        .bind(&threat)
        .bind(by)
        .bind(&now)
        .bind((status == InvestigationStatus::NotApplicable).then_some(&now))
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        add_machine(&mut tx, id, machine, kind).await?;
        if status == InvestigationStatus::Queued {
            match alert {
                Some(a) => attach_alert(&mut tx, id, a).await?,
                None => {
                    // From a machine: its open alerts come along.
                    let open: Vec<(i64,)> = sqlx::query_as(
                        "SELECT id FROM alerts WHERE machine_id = ? AND status <> 'resolved'
                           AND (investigation_id IS NULL OR investigation_id NOT IN
                                (SELECT id FROM investigations WHERE status IN ('queued', 'running', 'pending_action')))",
                    )
                    .bind(machine)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (a,) in open {
                        attach_alert(&mut tx, id, a).await?;
                    }
                }
            }
        }
        let started = step_start();
        let text = match status {
            InvestigationStatus::NotApplicable => detail.clone(),
            _ => format!("{} on {machine_name} ({})", playbook.title(), level.label()),
        };
        log_step(
            &mut tx,
            id,
            "Start",
            Some(machine),
            status.as_str(),
            started,
            &text,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(investigation = id, machine = %machine_name, status = status.as_str(), "investigation created");
        Ok(id)
    }

    /// Runs (or resumes) an investigation to a settled status. Waits in "queued" while the
    /// concurrency limit is reached.
    #[tracing::instrument(skip(self))]
    pub async fn run_investigation(&self, id: i64) -> Result<InvestigationStatus> {
        let Some(_running) = self.mark_running(id) else {
            // Already running here: that run picks up what changed.
            let (status,): (InvestigationStatus,) =
                sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
                    .bind(id)
                    .fetch_one(self.store().pool())
                    .await?;
            return Ok(status);
        };
        let _work = self.work_lock().await?;
        let _permit = self.investigation_permit().await;
        let mut conn = self.store().pool().acquire().await?;
        let (status,): (InvestigationStatus,) =
            sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "investigation",
                    name: id.to_string(),
                })?;
        if !matches!(
            status,
            InvestigationStatus::Queued | InvestigationStatus::Running
        ) {
            return Ok(status);
        }
        set_status(&mut conn, id, InvestigationStatus::Running, "").await?;
        drop(conn);
        match self.pipeline(id).await {
            Ok(status) => Ok(status),
            Err(error) => {
                tracing::error!(investigation = id, %error, "investigation failed");
                let mut conn = self.store().pool().acquire().await?;
                let started = step_start();
                log_step(
                    &mut conn,
                    id,
                    "Failed",
                    None,
                    "failed",
                    started,
                    &error.to_string(),
                )
                .await?;
                set_status(
                    &mut conn,
                    id,
                    InvestigationStatus::Failed,
                    &error.to_string(),
                )
                .await?;
                Ok(InvestigationStatus::Failed)
            }
        }
    }

    async fn pipeline(&self, id: i64) -> Result<InvestigationStatus> {
        let (playbook,): (String,) =
            sqlx::query_as("SELECT playbook FROM investigations WHERE id = ?")
                .bind(id)
                .fetch_one(self.store().pool())
                .await?;
        let playbook = Playbook::parse(&playbook).unwrap_or(Playbook::Machine);
        // Collect and analyse every machine in scope; pivot; repeat while the scope grows.
        for _round in 0..5 {
            let todo: Vec<(i64,)> = sqlx::query_as(
                "SELECT machine_id FROM investigation_machines WHERE investigation_id = ? AND playbook_done = 0
                 ORDER BY joined_at, machine_id",
            )
            .bind(id)
            .fetch_all(self.store().pool())
            .await?;
            let (home,): (i64,) =
                sqlx::query_as("SELECT trigger_machine_id FROM investigations WHERE id = ?")
                    .bind(id)
                    .fetch_one(self.store().pool())
                    .await?;
            for (machine,) in todo {
                // The trigger's playbook on its machine; the general one wherever the scope grows.
                let playbook = if machine == home {
                    playbook
                } else {
                    Playbook::Machine
                };
                self.machine_playbook(id, machine, playbook).await?;
            }
            let mut tx = self.store().pool().begin().await?;
            let started = step_start();
            let (malicious, suspicious) = analyse::judge(&mut tx, id).await?;
            log_step(
                &mut tx,
                id,
                "Analyse entities",
                None,
                "completed",
                started,
                &format!("{malicious} malicious, {suspicious} suspicious"),
            )
            .await?;
            let grown = scope::pivot(&mut tx, id).await?;
            let (remaining,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM investigation_machines WHERE investigation_id = ? AND playbook_done = 0",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            if grown == 0 && remaining == 0 {
                break;
            }
        }
        let mut tx = self.store().pool().begin().await?;
        scope::affected_users(&mut tx, id).await?;
        let proposed = propose::propose(self, &mut tx, id).await?;
        tx.commit().await?;
        tracing::debug!(investigation = id, proposed, "actions proposed");
        actions::run_approved(self, Some(id)).await?;
        self.settle(id).await
    }

    /// Runs the playbook's collection steps on one machine of the scope.
    async fn machine_playbook(&self, id: i64, machine: i64, playbook: Playbook) -> Result<()> {
        let mut tx = self.store().pool().begin().await?;
        let (machine_ref, connector) = machine_ref(&mut tx, machine).await?;
        let snapshot = match self.connectors().get(connector.as_deref()) {
            Some(c) => {
                let started = step_start();
                let snapshot = c.snapshot(&machine_ref).await?;
                log_step(
                    &mut tx,
                    id,
                    "Collect live state",
                    Some(machine),
                    "completed",
                    started,
                    &format!(
                        "{} files, {} processes, {} persistence entries, {} connections via the {} connector",
                        snapshot.files.len(),
                        snapshot.processes.len(),
                        snapshot.persistence.len(),
                        snapshot.connections.len(),
                        c.name()
                    ),
                )
                .await?;
                Some(snapshot)
            }
            None => None,
        };
        // The steps in the playbook's order, again while a pass still finds something new.
        for pass in 0..3 {
            let mut added_this_pass = 0;
            for step in playbook.steps() {
                let started = step_start();
                let (detail, added) = if step == "scan" {
                    if pass > 0 {
                        continue;
                    }
                    match &snapshot {
                        Some(s) => {
                            let hits = collect::scan_snapshot(&mut tx, id, machine, s).await?;
                            (format!("{hits} files match known threats"), hits)
                        }
                        None => (
                            "skipped: no connector on this machine (telemetry only)".to_string(),
                            0,
                        ),
                    }
                } else {
                    let (found, added) =
                        collect::step(&mut tx, id, machine, step, snapshot.as_ref()).await?;
                    let detail = match step {
                        "process_tree" => format!("{} processes", found.processes),
                        "files" => format!(
                            "{} files, {} processes that ran them",
                            found.files, found.processes
                        ),
                        "network" => format!("{} network events and connections", found.network),
                        "persistence" => format!("{} persistence entries", found.persistence),
                        "mail" => format!("{} messages", found.mail),
                        _ => String::new(),
                    };
                    (format!("{detail}; {added} new entities and links"), added)
                };
                added_this_pass += added;
                if pass == 0 || added > 0 {
                    log_step(
                        &mut tx,
                        id,
                        playbooks::step_title(step),
                        Some(machine),
                        "completed",
                        started,
                        &detail,
                    )
                    .await?;
                }
            }
            if added_this_pass == 0 {
                break;
            }
        }
        sqlx::query("UPDATE investigation_machines SET playbook_done = 1 WHERE investigation_id = ? AND machine_id = ?")
            .bind(id)
            .bind(machine)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settles an investigation's status from its actions and findings.
    pub(crate) async fn settle(&self, id: i64) -> Result<InvestigationStatus> {
        let mut tx = self.store().pool().begin().await?;
        let status = propose::settle_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(status)
    }

    /// Starts an investigation on the machine named `name` and runs it.
    pub async fn investigate_machine(&self, name: &str, by: &str) -> Result<InvestigationDetails> {
        let id = self.start_machine_investigation(name, by).await?;
        self.run_investigation(i64::from(id)).await?;
        self.investigation(id).await
    }

    /// Starts an investigation from alert `alert` and runs it; an alert already in an open
    /// investigation returns that one.
    pub async fn investigate_alert(&self, alert: u32, by: &str) -> Result<InvestigationDetails> {
        let (id, created) = self.start_alert_investigation(alert, by).await?;
        if created {
            self.run_investigation(i64::from(id)).await?;
        }
        self.investigation(id).await
    }

    /// Cancels an investigation: pending actions are rejected, the status is
    /// "terminated by user".
    pub async fn cancel_investigation(&self, id: u32, by: &str) -> Result<InvestigationDetails> {
        let mut tx = self.store().pool().begin().await?;
        let id64 = i64::from(id);
        sqlx::query(
            "UPDATE actions SET state = 'rejected', decided_by = ?, decided_at = ?, decision_note = 'investigation cancelled'
             WHERE investigation_id = ? AND state = 'pending'",
        )
        .bind(by)
        .bind(clock::now())
        .bind(id64)
        .execute(&mut *tx)
        .await?;
        propose::sync_remediation(&mut tx, id64).await?;
        set_status(
            &mut tx,
            id64,
            InvestigationStatus::TerminatedByUser,
            &format!("cancelled by {by}"),
        )
        .await?;
        let started = step_start();
        log_step(
            &mut tx,
            id64,
            "Cancelled",
            None,
            "terminated_by_user",
            started,
            &format!("cancelled by {by}"),
        )
        .await?;
        tx.commit().await?;
        self.investigation(id).await
    }
}
