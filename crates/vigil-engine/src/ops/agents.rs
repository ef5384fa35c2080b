//! The office's agents, from the console's side: enrolment tokens, the enrolled agents with
//! whether they are online, revocation, and the listener: each agent's session registers its
//! machine (connector `agent`), brings its telemetry and alerts into the store (each item
//! once, by the agent's outbox numbers), and takes the actions on its machine. The channel
//! and its trust are `vigil-channel`'s; the console's CA and agents live in the data
//! folder's `console/`.

use std::collections::HashMap;
use std::sync::Arc;

use vigil_channel::console::{AgentRecord, Console, Seen};
use vigil_channel::frame::Item;
use vigil_telemetry::Record;

use crate::connectors::agent::AgentConnector;
use crate::domain::{AgentView, Grade, NewAlert, NewMachine, Severity};
use crate::ops::alerts::{in_event_order, Filed};
use crate::ops::detections::AlertSet;
use crate::ops::import::new_event;
use crate::ops::intel::Intel;
use crate::store::events;
use crate::{clock, paths, Error, Result, Vigil};

/// An agent whose session is open and that said hello within this many seconds is online
/// (it says hello every 30 s).
pub const ONLINE_SECS: i64 = 90;

fn failed(e: vigil_channel::Error) -> Error {
    match e {
        vigil_channel::Error::Refused(why) => Error::InvalidInput(why),
        other => Error::InvalidInput(other.to_string()),
    }
}

impl Vigil {
    fn console(&self) -> Result<Arc<Console>> {
        let db = self
            .db_path()
            .ok_or_else(|| Error::InvalidInput("an in-memory store has no agents".into()))?;
        Console::open(&paths::data_dir_of(db).join("console")).map_err(failed)
    }

    /// A token for machines to enrol with this console at `addresses` (host:port): `uses`
    /// machines, within `hours`. Only a hash of its secret is kept.
    pub fn add_agent_token(&self, addresses: &[String], uses: u32, hours: i64) -> Result<String> {
        if addresses.is_empty() {
            return Err(Error::InvalidInput(
                "a token needs the address agents reach this console at (host:port)".into(),
            ));
        }
        if uses == 0 || !(1..=24 * 30).contains(&hours) {
            return Err(Error::InvalidInput(
                "a token is for 1 machine or more, for 1 hour to 30 days".into(),
            ));
        }
        self.console()?
            .add_token(addresses, hours * 3600, uses)
            .map_err(failed)
    }

    /// The enrolled agents, online first, then by machine name.
    pub fn agents(&self) -> Result<Vec<AgentView>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut views: Vec<AgentView> = self
            .console()?
            .agents()
            .map_err(failed)?
            .into_iter()
            .map(|a| view(&a, now))
            .collect();
        views.sort_by(|a, b| b.online.cmp(&a.online).then(a.machine.cmp(&b.machine)));
        Ok(views)
    }

    /// Revokes an agent: its certificate is refused from its next connection on.
    pub fn revoke_agent(&self, agent: &str) -> Result<()> {
        self.console()?.revoke(agent).map_err(failed)
    }

    /// Listens for agents on `listen` (host:port): each session registers or refreshes its
    /// machine (connector `agent`), its telemetry and alerts are taken into the store, and
    /// actions on its machine go to it. Returns the address it listens on; it listens until
    /// the returned task is aborted (which ends every session too) or the process ends.
    pub async fn serve_agents(
        &self,
        listen: &str,
    ) -> Result<(String, tokio::task::JoinHandle<()>)> {
        let console = self.console()?;
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            Error::InvalidInput(format!("cannot listen for agents on {listen}: {e}"))
        })?;
        let address = listener
            .local_addr()
            .map_or(listen.to_string(), |a| a.to_string());
        console.set_office(Arc::new(Office {
            vigil: self.clone(),
            machines: std::sync::Mutex::new(HashMap::new()),
            taking: tokio::sync::Mutex::new(()),
        }));
        self.add_connector(AgentConnector::new(console.clone()));
        let vigil = self.clone();
        let task = tokio::spawn(async move {
            // Aborting this task stops the console: the listener and every session.
            let mut serving = std::pin::pin!(console.serve(listener));
            // Actions approved in another process (the CLI) wait for a machine this one
            // reaches: they run here within a few seconds.
            let mut tick = tokio::time::interval(RESUME_EVERY);
            loop {
                tokio::select! {
                    ended = &mut serving => {
                        if let Err(e) = ended {
                            tracing::warn!("the console stopped listening for agents: {e}");
                        }
                        break;
                    }
                    _ = tick.tick() => {
                        if let Err(e) = vigil.run_waiting().await {
                            tracing::warn!("actions waiting for agents: {e}");
                        }
                    }
                }
            }
        });
        tracing::info!(%address, "listening for agents");
        Ok((address, task))
    }

    /// Runs the actions that wait for a machine, if any can run now.
    async fn run_waiting(&self) -> Result<()> {
        let waiting: i64 = {
            let mut conn = self.store().pool().acquire().await?;
            crate::store::actions::waiting_on_connector(
                &mut conn,
                crate::connectors::agent::CONNECTOR,
            )
            .await?
        };
        if waiting > 0 {
            let _work = self.work_lock().await?;
            crate::ops::actions::run_approved(self, None).await?;
        }
        Ok(())
    }

    /// Takes what an agent sent: events, its sensor's alerts, and the count of what its
    /// full outbox dropped. Items at or below the agent's mark came before and are passed
    /// over; the events, the alerts they and the agent raise, and the new mark are written
    /// in one transaction. The investigations the alerts start then run.
    async fn take_from_agent(
        &self,
        seen: &Seen,
        machine: i64,
        items: Vec<Item>,
        writing: &tokio::sync::Mutex<()>,
    ) -> Result<u64> {
        let rules = self.sigma_engine().await?;
        let acked = {
            let mut conn = self.store().pool().acquire().await?;
            inbox_mark(&mut conn, &seen.agent).await?
        };
        let upto = items.iter().map(|i| i.seq).fold(acked, u64::max);
        let fresh: Vec<Item> = items.into_iter().filter(|i| i.seq > acked).collect();
        // Reading the records and meeting the rules is CPU work: not on the async runtime.
        let (agent, hostname) = (seen.agent.clone(), seen.hostname.clone());
        let (records, alerts) = tokio::task::spawn_blocking(move || {
            let mut records = Vec::new();
            let mut alerts = Vec::new();
            for item in fresh {
                match item.kind.as_str() {
                    "event" => {
                        let bytes = serde_json::to_vec(&item.body).unwrap_or_default();
                        match Record::from_json(&bytes, &format!("agent {hostname}"), item.seq) {
                            Ok(mut record) => {
                                // The machine is the one the certificate names, whatever the record says.
                                record.event.machine.clone_from(&hostname);
                                let matches = rules.evaluate(&record);
                                records.push((item.seq, record, matches));
                            }
                            Err(e) => tracing::warn!(agent, "an event passed over: {e}"),
                        }
                    }
                    "alert" => match serde_json::from_value::<NewAlert>(item.body) {
                        Ok(alert) => alerts.push((item.seq, on_machine(alert, machine))),
                        Err(e) => tracing::warn!(agent, "an alert passed over: {e}"),
                    },
                    "dropped" => {
                        let count = item.body.get("count").and_then(|c| c.as_u64()).unwrap_or(0);
                        alerts.push((item.seq, dropped_alert(machine, &hostname, count)));
                    }
                    other => tracing::warn!(agent, kind = other, "an item of no known kind"),
                }
            }
            (records, alerts)
        })
        .await
        .map_err(|e| Error::Conflict(format!("reading an agent's items stopped: {e}")))?;
        // Reading and matching ran beside other agents' takes; writing is one at a time.
        let _one = writing.lock().await;
        let _work = self.work_lock().await?;
        let mut tx = self.store().pool().begin().await?;
        // Another session of the same agent may have taken some meanwhile.
        let now_acked = inbox_mark(&mut tx, &seen.agent).await?;
        let records: Vec<_> = records
            .into_iter()
            .filter(|(seq, ..)| *seq > now_acked)
            .map(|(_, record, matches)| (record, matches))
            .collect();
        let mut alerts: Vec<NewAlert> = alerts
            .into_iter()
            .filter(|(seq, _)| *seq > now_acked)
            .map(|(_, alert)| alert)
            .collect();
        let source = format!("agent:{}", seen.agent);
        let rows: Vec<_> = records
            .iter()
            .map(|(r, _)| new_event(&r.event, machine, &source))
            .collect();
        let new = events::insert_new(&mut tx, &rows).await?;
        let intel = Intel::load(&mut tx).await?;
        let mut found = AlertSet::default();
        for ((record, matches), new) in records.iter().zip(new) {
            if new {
                let e = &record.event;
                found.add_event(e, machine, matches, &intel.hits(e));
            }
        }
        alerts.extend(found.into_alerts());
        let names = HashMap::from([(machine, seen.hostname.clone())]);
        in_event_order(&mut alerts, &names);
        let filed = Filed::of(&self.file_all_in(&mut tx, &alerts).await?);
        set_inbox_mark(&mut tx, &seen.agent, upto).await?;
        crate::failpoint::hit(crate::failpoint::AGENT_ITEMS_WRITTEN);
        tx.commit().await?;
        if filed.alerts > 0 {
            tracing::info!(
                agent = seen.agent,
                machine = seen.hostname,
                alerts = filed.alerts,
                "alerts from an agent"
            );
        }
        drop(_one);
        self.run_related(filed.to_run).await?;
        Ok(upto.max(now_acked))
    }

    /// The machine of an agent's session, registered (or refreshed) with connector `agent`.
    async fn agent_machine(&self, seen: &Seen) -> Result<i64> {
        self.register_machine(&NewMachine {
            name: seen.hostname.clone(),
            os: seen.os.clone(),
            os_family: seen.os_family.clone(),
            connector: Some(crate::connectors::agent::CONNECTOR.into()),
            ..NewMachine::default()
        })
        .await
    }
}

/// Between two looks for actions waiting for an agent.
const RESUME_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The engine as the console's office: agents' sessions come to the store.
struct Office {
    vigil: Vigil,
    /// Each agent's machine id, once registered in this process.
    machines: std::sync::Mutex<HashMap<String, i64>>,
    /// One agent's writes at a time: each take's transaction reads and then writes, and two
    /// such transactions at once would make one of them fail.
    taking: tokio::sync::Mutex<()>,
}

#[async_trait::async_trait]
impl vigil_channel::console::Office for Office {
    async fn acked(&self, agent: &str) -> std::result::Result<u64, String> {
        let mut conn = self
            .vigil
            .store()
            .pool()
            .acquire()
            .await
            .map_err(|e| e.to_string())?;
        inbox_mark(&mut conn, agent)
            .await
            .map_err(|e| e.to_string())
    }

    async fn take(&self, seen: &Seen, items: Vec<Item>) -> std::result::Result<u64, String> {
        let machine = self.machine_of(seen).await.map_err(|e| e.to_string())?;
        self.vigil
            .take_from_agent(seen, machine, items, &self.taking)
            .await
            .map_err(|e| e.to_string())
    }

    async fn connected(&self, seen: &Seen) {
        // Registered again at each session: what the agent says of its OS may have changed.
        match self.register(seen).await {
            Ok(_) => tracing::info!(
                agent = seen.agent,
                machine = seen.hostname,
                "agent connected"
            ),
            Err(e) => tracing::warn!(agent = seen.agent, "cannot record the agent's machine: {e}"),
        }
        if let Err(e) = self.vigil.run_waiting().await {
            tracing::warn!(agent = seen.agent, "actions waiting for its machine: {e}");
        }
    }
}

impl Office {
    /// The machine of an agent, registered at its first session in this process.
    async fn machine_of(&self, seen: &Seen) -> Result<i64> {
        let known = lock(&self.machines).get(&seen.agent).copied();
        match known {
            Some(id) => Ok(id),
            None => self.register(seen).await,
        }
    }

    /// Registers (or refreshes) an agent's machine and remembers its id.
    async fn register(&self, seen: &Seen) -> Result<i64> {
        let id = {
            let _one = self.taking.lock().await;
            self.vigil.agent_machine(seen).await?
        };
        lock(&self.machines).insert(seen.agent.clone(), id);
        Ok(id)
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn inbox_mark(conn: &mut sqlx::SqliteConnection, agent: &str) -> Result<u64> {
    let mark: Option<i64> = sqlx::query_scalar("SELECT acked FROM agent_inbox WHERE agent = ?")
        .bind(agent)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(mark.and_then(|m| u64::try_from(m).ok()).unwrap_or(0))
}

async fn set_inbox_mark(conn: &mut sqlx::SqliteConnection, agent: &str, upto: u64) -> Result<()> {
    sqlx::query(
        "INSERT INTO agent_inbox (agent, acked) VALUES (?, ?)
         ON CONFLICT (agent) DO UPDATE SET acked = MAX(acked, excluded.acked)",
    )
    .bind(agent)
    .bind(i64::try_from(upto).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An agent's alert on its own machine: every machine it names is the agent's.
fn on_machine(mut alert: NewAlert, machine: i64) -> NewAlert {
    alert.machine_id = machine;
    for entity in &mut alert.entities {
        if entity.machine_id.is_some() {
            entity.machine_id = Some(machine);
        }
    }
    alert
}

/// The alert that says an agent's outbox was full and dropped what it could not keep.
fn dropped_alert(machine: i64, hostname: &str, count: u64) -> NewAlert {
    let now = clock::now();
    NewAlert {
        title: format!("{hostname}'s agent dropped {count} events (its outbox was full)"),
        description: format!(
            "The agent on {hostname} could not reach the console for long enough that its \
             outbox filled up; {count} events were not kept. Investigations of that time on \
             {hostname} may miss evidence."
        ),
        severity: Severity::Low,
        category: "sensor health".into(),
        technique: String::new(),
        detection_source: "agent".into(),
        rule_id: "agent-outbox-dropped".into(),
        machine_id: machine,
        user_name: None,
        first_seen: now.clone(),
        last_seen: now,
        entities: Vec::new(),
        grade: Grade::Hunting,
        logon_id: None,
    }
}

fn view(a: &AgentRecord, now: i64) -> AgentView {
    let at = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
    };
    AgentView {
        id: a.id.clone(),
        machine: a.hostname.clone(),
        online: a.in_touch(now, ONLINE_SECS),
        last_seen: a.last_seen.and_then(at),
        version: a.version.clone(),
        enrolled_at: at(a.enrolled_at).unwrap_or_default(),
        certificate_expires: at(a.not_after).unwrap_or_default(),
        revoked: a.revoked,
    }
}
