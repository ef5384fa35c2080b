//! The investigation runner: start (from an alert, a machine or an analyst), then per
//! machine in scope read its window of events once → collect (pure) → write; judge the whole
//! case (pure) → pivot → affected users → propose (through the guard) → run → settle.
//! Every step is written to the log and to the store before the next; the whole run is
//! idempotent, so an interrupted investigation resumes by running again.
//!
//! Longer than 400 lines: the runner's phases in the order they run, each short and calling
//! out to the pure parts (collect, judge) and to the store.

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
use crate::store::{alerts, evidence, investigations, machines, ties};
use crate::{clock, failpoint, Result, Vigil};

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
                let origin = alerts::origin(tx, alert).await?;
                (origin.machine_id, Some(alert), playbook, "alert_policy")
            }
            Trigger::Alert { alert } => {
                let origin = alerts::origin(tx, alert).await?;
                (
                    origin.machine_id,
                    Some(alert),
                    Playbook::for_alert(&origin.category, &origin.title),
                    "analyst_alert",
                )
            }
            Trigger::Machine { machine } => (machine, None, Playbook::Machine, "analyst_machine"),
        };
        let machine_name = machines::name_of(tx, machine).await?;
        let level = groups::level_of_machine(tx, machine).await?;
        let (title, source, threat): (String, String, String) = match alert {
            Some(a) => {
                let origin = alerts::origin(tx, a).await?;
                (origin.title, origin.detection_source, origin.category)
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
        let id = investigations::insert(
            tx,
            &investigations::NewInvestigation {
                title: &title,
                status,
                status_detail: &detail,
                trigger_kind: kind,
                trigger_alert: alert,
                trigger_machine: machine,
                playbook: playbook.as_str(),
                detection_source: &source,
                threat_types: &threat,
                started_by: by,
                created_at: &now,
            },
        )
        .await?;
        add_machine(tx, id, machine, kind).await?;
        if status == InvestigationStatus::Queued {
            match alert {
                Some(a) => attach_alert(tx, id, a).await?,
                None => {
                    // From a machine: its open alerts come along.
                    for a in alerts::unclaimed_on(tx, machine).await? {
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
        self.note_created(id);
        tracing::info!(investigation = id, machine = %machine_name, status = status.as_str(), "investigation created");
        Ok((id, status))
    }

    /// Runs (or resumes) an investigation to a settled status. Waits in "queued" while the
    /// concurrency limit is reached.
    #[tracing::instrument(skip(self))]
    pub async fn run_investigation(&self, id: i64) -> Result<InvestigationStatus> {
        let Some(_running) = self.mark_running(id) else {
            // Already running here: that run goes again when it ends, for what changed (an
            // alert that joined after its last look at the scope).
            self.ask_again(id);
            let mut conn = self.store().pool().acquire().await?;
            return investigations::status_of(&mut conn, id).await;
        };
        let _work = self.work_lock().await?;
        let _permit = self.investigation_permit().await;
        let mut conn = self.store().pool().acquire().await?;
        let status = investigations::status_of(&mut conn, id).await?;
        if !matches!(
            status,
            InvestigationStatus::Queued | InvestigationStatus::Running
        ) {
            return Ok(status);
        }
        set_status(&mut conn, id, InvestigationStatus::Running, "").await?;
        drop(conn);
        loop {
            let ended = self.pipeline(id).await;
            let status = match ended {
                Ok(status) => status,
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
                    return Ok(InvestigationStatus::Failed);
                }
            };
            if !(self.take_again(id) && status.can_become(InvestigationStatus::Running)) {
                return Ok(status);
            }
            let mut conn = self.store().pool().acquire().await?;
            set_status(
                &mut conn,
                id,
                InvestigationStatus::Running,
                "a related alert joined",
            )
            .await?;
        }
    }

    async fn pipeline(&self, id: i64) -> Result<InvestigationStatus> {
        let (playbook, home) = {
            let mut conn = self.store().pool().acquire().await?;
            investigations::playbook_and_home(&mut conn, id).await?
        };
        let playbook = Playbook::parse(&playbook).unwrap_or(Playbook::Machine);
        let settings = self.investigation_settings().await?;
        let mut snapshots: HashMap<i64, Snapshot> = HashMap::new();
        // Collect on every machine in scope; judge; pivot; again while the scope grows.
        for _round in 0..5 {
            let todo = {
                let mut conn = self.store().pool().acquire().await?;
                investigations::machines_to_do(&mut conn, id).await?
            };
            for machine in todo {
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
            let adopted = crate::ops::ties::adopt_tied(&mut tx, id, window).await?;
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
            let remaining = investigations::machines_to_do(&mut tx, id).await?.len();
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
        let seeds = evidence::known(&mut tx, id, Some(machine)).await?;
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
            seeds = evidence::known(&mut tx, id, Some(machine)).await?;
        }
        investigations::playbook_done(&mut tx, id, machine).await?;
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
            // Folded whatever it ended as: an attack remediated at once (a group at full
            // automation) is still one incident.
            self.run_investigation(id).await?;
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
    pub(crate) async fn fold_tied(&self, into: i64, candidates: &[i64]) -> Result<Vec<i64>> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.store().pool().begin().await?;
        let window = time::Duration::minutes(i64::from(
            crate::ops::policies::investigation_settings(&mut tx)
                .await?
                .window_minutes,
        ));
        let tied = ties::queued_tied_to(&mut tx, into, candidates, window).await?;
        let mut steps = Steps::default();
        for c in &tied {
            for (alert, title, machine) in alerts::of_investigation_brief(&mut tx, *c).await? {
                attach_alert(&mut tx, into, alert).await?;
                steps.add(
                    "Alert joined",
                    Some(machine),
                    "completed",
                    step_start(),
                    format!("{title} (what this investigation found ties it here)"),
                );
            }
            ties::copy(&mut tx, *c, into).await?;
            investigations::delete_queued(&mut tx, *c).await?;
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
