//! The office's agents, from the console's side: enrolment tokens, the enrolled agents with
//! whether they are online, revocation, and the listener whose hellos register each agent's
//! machine (connector `agent`). The channel and its trust are `vigil-agent`'s; the console's
//! CA and agents live in the data folder's `console/`.

use std::sync::Arc;

use vigil_agent::console::{AgentRecord, Console};

use crate::domain::{AgentView, NewMachine};
use crate::{paths, Error, Result, Vigil};

/// An agent that said hello within this many seconds is online (it says hello every 30 s).
pub const ONLINE_SECS: i64 = 90;

fn failed(e: vigil_agent::Error) -> Error {
    match e {
        vigil_agent::Error::Refused(why) => Error::InvalidInput(why),
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

    /// Listens for agents on `listen` (host:port); each authenticated hello registers or
    /// refreshes its machine. Returns the address it listens on; it listens until the
    /// returned task is aborted or the process ends.
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
        let mut hellos = console.on_hello();
        let server = tokio::spawn(console.serve(listener));
        let vigil = self.clone();
        let task = tokio::spawn(async move {
            while let Some(seen) = hellos.recv().await {
                let machine = NewMachine {
                    name: seen.hostname.clone(),
                    os: seen.os.clone(),
                    os_family: seen.os_family.clone(),
                    connector: Some("agent".into()),
                    ..NewMachine::default()
                };
                match vigil.register_machine(&machine).await {
                    Ok(_) => {
                        tracing::info!(agent = seen.agent, machine = seen.hostname, "agent seen")
                    }
                    Err(e) => {
                        tracing::warn!(agent = seen.agent, "cannot record the agent's machine: {e}")
                    }
                }
            }
            server.abort();
        });
        tracing::info!(%address, "listening for agents");
        Ok((address, task))
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
        online: !a.revoked && a.last_seen.is_some_and(|t| now - t <= ONLINE_SECS),
        last_seen: a.last_seen.and_then(at),
        version: a.version.clone(),
        enrolled_at: at(a.enrolled_at).unwrap_or_default(),
        certificate_expires: at(a.not_after).unwrap_or_default(),
        revoked: a.revoked,
    }
}
