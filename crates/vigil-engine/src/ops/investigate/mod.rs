//! The investigation runner: start (from an alert, a machine or an analyst), then per
//! machine in scope read its window of events once → collect (pure) → write; judge the whole
//! case (pure) → pivot → affected users → propose (through the guard) → run → settle.
//! Every step is written to the log and to the store before the next; the whole run is
//! idempotent, so an interrupted investigation resumes by running again.

mod case;
mod collect;
pub(crate) mod judge;
mod live;
pub(crate) mod propose;
mod scope;
mod tree;
mod write;

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::connectors::Snapshot;
use crate::domain::{
    ActionEvent, ActionState, AutomationLevel, EntityKind, InvestigationDetails,
    InvestigationStatus, Verdict,
};
use crate::ops::heuristics::heuristics;
use crate::ops::playbooks::{Playbook, Trigger};
use crate::ops::settle::{settle_in, sync_remediation};
use crate::ops::{actions as run, groups};
use crate::store::actions::{self, Change};
use crate::store::investigations::{add_machine, attach_alert, set_status};
use crate::store::log::{log_step, step_start, Steps};
use crate::store::machines::machine_ref;
use crate::{clock, failpoint, Error, Result, Vigil};

use collect::Limits;
use tree::Tree;

impl Vigil {
    /// Creates an investigation for `trigger` (queued, or "not applicable" for a machine
    /// that is not protected). Returns its id.
    pub(crate) async fn create_investigation(&self, trigger: Trigger, by: &str) -> Result<i64> {
        let mut tx = self.store().pool().begin().await?;
        let (id, _) = self.create_investigation_in(&mut tx, trigger, by).await?;
        tx.commit().await?;
        failpoint::hit(failpoint::INVESTIGATION_CREATED);
        Ok(id)
    }

    /// Creates an investigation inside the caller's transaction; returns its id and status.
    pub(crate) async fn create_investigation_in(
        &self,
        tx: &mut SqliteConnection,
        trigger: Trigger,
        by: &str,
    ) -> Result<(i64, InvestigationStatus)> {
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
        let level = groups::level_of_machine(tx, machine).await?;
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
        add_machine(tx, id, machine, kind).await?;
        if status == InvestigationStatus::Queued {
            match alert {
                Some(a) => attach_alert(tx, id, a).await?,
                None => {
                    // From a machine: its open alerts come along.
                    let open: Vec<(i64,)> = sqlx::query_as(&format!(
                        "SELECT id FROM alerts WHERE machine_id = ? AND status <> 'resolved'
                           AND (investigation_id IS NULL OR investigation_id NOT IN
                                (SELECT id FROM investigations WHERE status IN {}))",
                        crate::store::investigations::OPEN
                    ))
                    .bind(machine)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (a,) in open {
                        attach_alert(tx, id, a).await?;
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
            tx,
            id,
            "Start",
            Some(machine),
            status.as_str(),
            started,
            &text,
        )
        .await?;
        tracing::info!(investigation = id, machine = %machine_name, status = status.as_str(), "investigation created");
        Ok((id, status))
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
        let (playbook, home): (String, i64) =
            sqlx::query_as("SELECT playbook, trigger_machine_id FROM investigations WHERE id = ?")
                .bind(id)
                .fetch_one(self.store().pool())
                .await?;
        let playbook = Playbook::parse(&playbook).unwrap_or(Playbook::Machine);
        let settings = self.investigation_settings().await?;
        let mut snapshots: HashMap<i64, Snapshot> = HashMap::new();
        // Collect on every machine in scope; judge; pivot; again while the scope grows.
        for _round in 0..5 {
            let todo: Vec<(i64,)> = sqlx::query_as(
                "SELECT machine_id FROM investigation_machines WHERE investigation_id = ? AND playbook_done = 0
                 ORDER BY joined_at, machine_id",
            )
            .bind(id)
            .fetch_all(self.store().pool())
            .await?;
            for (machine,) in todo {
                // The trigger's playbook on its machine; the general one wherever the scope grows.
                let playbook = if machine == home {
                    playbook
                } else {
                    Playbook::Machine
                };
                self.machine_playbook(
                    id,
                    machine,
                    playbook,
                    settings.window_minutes,
                    &mut snapshots,
                )
                .await?;
            }
            let mut tx = self.store().pool().begin().await?;
            let mut steps = Steps::default();
            let window = time::Duration::minutes(i64::from(settings.window_minutes));
            let adopted = crate::ops::alerts::adopt_tied(&mut tx, id, window).await?;
            for (_, title, machine) in &adopted {
                steps.add(
                    "Alert joined",
                    Some(*machine),
                    "completed",
                    step_start(),
                    format!("{title} (it names evidence of this investigation)"),
                );
            }
            let started = step_start();
            let case = case::judge_case(&mut tx, id).await?;
            let judged = judge::judge(&case, heuristics());
            write::verdicts(&mut tx, id, &judged).await?;
            let count = |v: Verdict| judged.values().filter(|j| j.verdict == v).count();
            steps.add(
                "Analyse entities",
                None,
                "completed",
                started,
                format!(
                    "{} entities: {} malicious, {} suspicious",
                    judged.len(),
                    count(Verdict::Malicious),
                    count(Verdict::Suspicious)
                ),
            );
            let grown = scope::pivot(&mut tx, id, &mut steps).await?;
            let (remaining,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM investigation_machines WHERE investigation_id = ? AND playbook_done = 0",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            steps.flush(&mut tx, id).await?;
            tx.commit().await?;
            failpoint::hit(failpoint::INVESTIGATION_JUDGED);
            if grown == 0 && remaining == 0 && adopted.is_empty() {
                break;
            }
        }
        let mut tx = self.store().pool().begin().await?;
        let mut steps = Steps::default();
        scope::affected_users(&mut tx, id, settings.window_minutes, &mut steps).await?;
        let guard = self.guard(&mut tx).await?;
        let proposed = propose::propose(&mut tx, id, &guard, &snapshots, &mut steps).await?;
        steps.flush(&mut tx, id).await?;
        tx.commit().await?;
        failpoint::hit(failpoint::INVESTIGATION_PROPOSED);
        tracing::debug!(investigation = id, proposed, "actions proposed");
        run::run_approved(self, Some(id)).await?;
        self.settle(id).await
    }

    /// Runs the playbook's collection on one machine of the scope: its live state (through
    /// its connector, before any store transaction), then its window of events, read once.
    async fn machine_playbook(
        &self,
        id: i64,
        machine: i64,
        playbook: Playbook,
        window_minutes: u32,
        snapshots: &mut HashMap<i64, Snapshot>,
    ) -> Result<()> {
        let (machine_ref, connector) = {
            let mut conn = self.store().pool().acquire().await?;
            machine_ref(&mut conn, machine).await?
        };
        let live = match self.connectors().get(connector.as_deref()) {
            Some(c) => {
                let started = step_start();
                let snapshot = c.snapshot(&machine_ref).await?;
                Some((snapshot, started, c.name()))
            }
            None => None,
        };
        let playbook_steps = playbook.steps();
        let mut steps = Steps::default();
        let mut tx = self.store().pool().begin().await?;
        if let Some((snapshot, started, name)) = &live {
            steps.add("Collect live state", Some(machine), "completed", started.clone(), format!(
                    "{} files, {} processes, {} persistence entries, {} connections via the {name} connector",
                    snapshot.files.len(),
                    snapshot.processes.len(),
                    snapshot.persistence.len(),
                    snapshot.connections.len(),
                ));
        }
        let snapshot = live.map(|(s, ..)| s);
        // The window of events, read once.
        let started = step_start();
        let window = case::window_of(&mut tx, id, machine, window_minutes).await?;
        let mut events = case::events_in(&mut tx, machine, &window).await?;
        let read = events.len();
        let seeds = case::evidence(&mut tx, id, Some(machine)).await?;
        let lineage: Vec<(i64, String)> = seeds
            .iter()
            .filter(|s| s.kind == EntityKind::Process && s.machine_id == Some(machine))
            .filter_map(|s| Some((s.pid?, s.path.clone()?)))
            .collect();
        let earlier =
            case::complete_lineage(&mut tx, machine, &window, &lineage, &mut events).await?;
        let cut = if read as i64 >= case::MAX_WINDOW_EVENTS {
            format!(" (the first {read}: the window holds more)")
        } else {
            String::new()
        };
        steps.add(
            "Read telemetry",
            Some(machine),
            "completed",
            started,
            format!(
                "{read} events from {} to {}{cut}, and {earlier} earlier process starts",
                window.from, window.to
            ),
        );
        let started = step_start();
        let tree = Tree::build(&events);
        // The scripts of the processes collection may reach, read now.
        let seed_procs: Vec<usize> = lineage
            .iter()
            .filter_map(|(pid, image)| tree.get(*pid, image))
            .chain(
                seeds
                    .iter()
                    .filter(|s| s.kind == EntityKind::File)
                    .flat_map(|s| {
                        s.path
                            .as_deref()
                            .map(|p| tree.running(p).to_vec())
                            .unwrap_or_default()
                    }),
            )
            .collect();
        let reach = tree.reach(&seed_procs, Limits::default().depth, |i| {
            heuristics().is_broker(i)
        });
        case::load_scripts(&mut tx, &mut events, &reach).await?;
        if playbook_steps.contains(&"scan") {
            let detail = match &snapshot {
                Some(s) => format!(
                    "{} files match known threats",
                    live::scan_snapshot(&mut tx, id, machine, s).await?
                ),
                None => "skipped: no connector on this machine (telemetry only)".to_string(),
            };
            steps.add(
                crate::ops::playbooks::step_title("scan"),
                Some(machine),
                "completed",
                started.clone(),
                detail.to_string(),
            );
        }
        let parts: Vec<&str> = playbook_steps
            .iter()
            .copied()
            .filter(|s| *s != "scan")
            .collect();
        let mut seeds = seeds;
        // Again while a pass finds something new (a file found runs a process, …).
        for pass in 0..3 {
            let started = step_start();
            let found =
                collect::collect(machine, &events, &tree, &seeds, &parts, Limits::default());
            let mut added = write::record(&mut tx, id, &found, &window).await?;
            if let Some(snapshot) = &snapshot {
                added += live::record(&mut tx, id, machine, snapshot, &seeds, &parts).await?;
            }
            let c = found.counts;
            let part = |step: &str| match step {
                "process_tree" => Some(format!("{} processes", c.processes)),
                "files" => Some(format!("{} files written", c.files)),
                "network" => Some(format!("{} network events", c.network)),
                "persistence" => Some(format!(
                    "{} persistence entries and other artefacts",
                    c.persistence
                )),
                "mail" => Some(format!("{} messages", c.mail)),
                _ => None,
            };
            if pass == 0 {
                let mut first = Some(started);
                let last = parts.iter().rposition(|p| part(p).is_some());
                for (i, step) in parts.iter().enumerate() {
                    let Some(mut detail) = part(step) else {
                        continue;
                    };
                    if Some(i) == last {
                        detail.push_str(&format!("; {added} new entities and links in all"));
                    }
                    steps.add(
                        crate::ops::playbooks::step_title(step),
                        Some(machine),
                        "completed",
                        first.take().unwrap_or_else(step_start),
                        detail.to_string(),
                    );
                }
            } else if added > 0 {
                let detail: Vec<String> = parts.iter().filter_map(|p| part(p)).collect();
                steps.add(
                    "Collect around what was found",
                    Some(machine),
                    "completed",
                    started,
                    format!("{}; {added} new entities and links", detail.join(", ")),
                );
            }
            if added == 0 {
                break;
            }
            seeds = case::evidence(&mut tx, id, Some(machine)).await?;
        }
        sqlx::query("UPDATE investigation_machines SET playbook_done = 1 WHERE investigation_id = ? AND machine_id = ?")
            .bind(id)
            .bind(machine)
            .execute(&mut *tx)
            .await?;
        steps.flush(&mut tx, id).await?;
        tx.commit().await?;
        failpoint::hit(failpoint::INVESTIGATION_PLAYBOOK);
        if let Some(snapshot) = snapshot {
            snapshots.insert(machine, snapshot);
        }
        Ok(())
    }

    /// Runs investigations an import started or joined, oldest first. Alerts are filed
    /// before any investigation runs, so one that the evidence collected later ties to an
    /// earlier investigation (the process a WMI consumer started, the file a service runs)
    /// started its own: after each run, the queued investigations its evidence ties to are
    /// folded into it (their alerts join it) and it runs again. Returns how many were folded.
    pub(crate) async fn run_related(
        &self,
        investigations: std::collections::BTreeSet<i64>,
    ) -> Result<u32> {
        let mut queue: std::collections::VecDeque<i64> = investigations.into_iter().collect();
        let mut folded = 0u32;
        while let Some(id) = queue.pop_front() {
            let status = self.run_investigation(id).await?;
            if !status.is_open() {
                continue;
            }
            let waiting: Vec<i64> = queue.iter().copied().collect();
            let into = self.fold_tied(id, &waiting).await?;
            if into.is_empty() {
                continue;
            }
            folded += into.len() as u32;
            queue.retain(|q| !into.contains(q));
            queue.push_front(id);
        }
        Ok(folded)
    }

    /// Folds the queued investigations among `candidates` that `into`'s ties reach into it:
    /// their alerts, evidence, machines and ties join it, and they are gone. Returns them.
    async fn fold_tied(&self, into: i64, candidates: &[i64]) -> Result<Vec<i64>> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.store().pool().begin().await?;
        let window = time::Duration::minutes(i64::from(
            crate::ops::policies::investigation_settings(&mut tx)
                .await?
                .window_minutes,
        ));
        let mut query: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
            "SELECT DISTINCT c.investigation_id FROM investigation_ties c
             JOIN investigation_ties x ON x.tie = c.tie AND x.investigation_id = ",
        );
        query.push_bind(into).push(
            " JOIN investigations i ON i.id = c.investigation_id AND i.status = 'queued'
             WHERE c.investigation_id IN (",
        );
        let mut list = query.separated(", ");
        for c in candidates {
            list.push_bind(*c);
        }
        // Ties seen close together: a process, a tree or a session within the window, an
        // artefact, file, hash or payload within the artefact horizon.
        let horizon = crate::ops::alerts::ARTEFACT_HORIZON_DAYS * 24 * 60;
        let within = |sign: &str| {
            format!(
                "CASE WHEN c.tie LIKE 'tree:%' OR c.tie LIKE 'session:%' OR c.tie LIKE 'process:%'
                      THEN '{sign}{} minutes' ELSE '{sign}{horizon} minutes' END",
                window.whole_minutes()
            )
        };
        query
            .push(
                ") AND (c.seen_from IS NULL OR x.seen_from IS NULL
                     OR (c.seen_from <= strftime('%Y-%m-%dT%H:%M:%fZ', x.seen_to, ",
            )
            .push(within("+"))
            .push(") AND c.seen_to >= strftime('%Y-%m-%dT%H:%M:%fZ', x.seen_from, ")
            .push(within("-"))
            .push(")))");
        let tied: Vec<(i64,)> = query.build_query_as().fetch_all(&mut *tx).await?;
        let tied: Vec<i64> = tied.into_iter().map(|(c,)| c).collect();
        let mut steps = Steps::default();
        for c in &tied {
            let alerts: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT a.id, a.title, a.machine_id FROM investigation_alerts ia JOIN alerts a ON a.id = ia.alert_id
                 WHERE ia.investigation_id = ? ORDER BY a.id",
            )
            .bind(c)
            .fetch_all(&mut *tx)
            .await?;
            for (alert, title, machine) in alerts {
                attach_alert(&mut tx, into, alert).await?;
                steps.add(
                    "Alert joined",
                    Some(machine),
                    "completed",
                    step_start(),
                    format!("{title} (what this investigation found ties it here)"),
                );
            }
            sqlx::query(
                "INSERT OR IGNORE INTO investigation_ties (investigation_id, tie, seen_from, seen_to)
                 SELECT ?, tie, seen_from, seen_to FROM investigation_ties WHERE investigation_id = ?",
            )
            .bind(into)
            .bind(c)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM investigations WHERE id = ? AND status = 'queued'")
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }
        if !tied.is_empty() {
            set_status(
                &mut tx,
                into,
                InvestigationStatus::Running,
                "related alerts joined",
            )
            .await?;
        }
        steps.flush(&mut tx, into).await?;
        tx.commit().await?;
        Ok(tied)
    }

    /// Settles an investigation's status from its actions and findings.
    pub(crate) async fn settle(&self, id: i64) -> Result<InvestigationStatus> {
        let mut tx = self.store().pool().begin().await?;
        let status = settle_in(&mut tx, id).await?;
        tx.commit().await?;
        failpoint::hit(failpoint::INVESTIGATION_SETTLED);
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
        let _work = self.work_lock().await?;
        let mut tx = self.store().pool().begin().await?;
        let id64 = i64::from(id);
        // What waits for a decision or for its machine will not run.
        let now = clock::now();
        for state in [ActionState::Pending, ActionState::WaitingForMachine] {
            for (action, _) in actions::in_state(&mut tx, state, Some(id64)).await? {
                let change = Change {
                    at: Some(&now),
                    by: Some(by),
                    note: Some("investigation cancelled"),
                    ..Change::default()
                };
                actions::transition(&mut tx, action, ActionEvent::Reject, change).await?;
            }
        }
        sync_remediation(&mut tx, id64).await?;
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
