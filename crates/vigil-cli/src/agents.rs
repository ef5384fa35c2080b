//! `vigil serve` and `vigil agents …`: the console's side of the agents channel (thin calls
//! into `vigil-agent`). The console's CA and its agents live in the data folder's `console/`.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use serde::Serialize;
use vigil_agent::console::{AgentRecord, Console};
use vigil_engine::domain::NewMachine;
use vigil_engine::{ApiError, Error, Vigil};

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// Make an enrolment token for machines to join: give it to `vigil-agent enrol` on
    /// each (in a file or on stdin).
    Add {
        /// Where agents reach this console (host:port); may be repeated.
        #[arg(long = "address", required = true)]
        addresses: Vec<String>,
        /// How many machines may enrol with it.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// How long it holds, in hours.
        #[arg(long, default_value_t = 24)]
        hours: i64,
    },
    /// The enrolled agents: id, machine, last contact, version.
    List,
    /// Revoke an agent: its certificate is refused from its next connection on.
    Revoke { agent: String },
}

fn console_of(db: &Path) -> Result<Arc<Console>, ApiError> {
    let dir = vigil_engine::paths::data_dir_of(db).join("console");
    Console::open(&dir).map_err(|e| ApiError::from(Error::InvalidInput(e.to_string())))
}

#[derive(Serialize)]
struct TokenOut {
    token: String,
    uses: u32,
    hours: i64,
}

/// `vigil agents …`.
pub fn run(db: &Path, command: AgentsCommand, out: &Output) -> Result<(), ApiError> {
    let console = console_of(db)?;
    let failed = |e: vigil_agent::Error| ApiError::from(Error::InvalidInput(e.to_string()));
    match command {
        AgentsCommand::Add {
            addresses,
            uses,
            hours,
        } => {
            let token = console
                .add_token(&addresses, hours * 3600, uses)
                .map_err(failed)?;
            let shown = TokenOut { token, uses, hours };
            out.print(&shown, || {
                format!(
                    "{}\n\nOn each machine (up to {uses}, within {hours} h), save it to a file and run:\n  vigil-agent enrol --token-file FILE\nthen keep `vigil-agent run` going (as a service).",
                    shown.token
                )
            });
        }
        AgentsCommand::List => {
            let agents = console.agents();
            out.print(&agents, || agents_text(&agents));
        }
        AgentsCommand::Revoke { agent } => {
            console.revoke(&agent).map_err(failed)?;
            let agents = console.agents();
            out.print(&agents, || format!("agent {agent} revoked"));
        }
    }
    Ok(())
}

fn agents_text(agents: &[AgentRecord]) -> String {
    if agents.is_empty() {
        return "no agents enrolled yet: `vigil agents add --address HOST:PORT` makes a token"
            .into();
    }
    let mut lines = vec![format!(
        "{:<34} {:<20} {:<12} {:<9} {}",
        "AGENT", "MACHINE", "LAST SEEN", "VERSION", "STATE"
    )];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for a in agents {
        let seen = a
            .last_seen
            .map_or("never".to_string(), |t| format!("{}s ago", now - t));
        lines.push(format!(
            "{:<34} {:<20} {:<12} {:<9} {}",
            a.id,
            a.hostname,
            seen,
            a.version.as_deref().unwrap_or("-"),
            if a.revoked { "revoked" } else { "enrolled" }
        ));
    }
    lines.join("\n")
}

/// `vigil serve`: listens for agents until Ctrl-C; each agent's hello registers or refreshes
/// its machine (connector `agent`: its actions wait for the agent channel's commands, which
/// come with a later part of the work).
pub async fn serve(vigil: &Vigil, db: &Path, listen: &str) -> Result<(), ApiError> {
    let console = console_of(db)?;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        ApiError::from(Error::InvalidInput(format!(
            "cannot listen on {listen}: {e}"
        )))
    })?;
    let address = listener
        .local_addr()
        .map_or(listen.to_string(), |a| a.to_string());
    let mut hellos = console.on_hello();
    let server = tokio::spawn(console.clone().serve(listener));
    crate::output::say(&format!(
        "listening for agents on {address} (CA pin {}); Ctrl-C stops",
        console.fingerprint().unwrap_or_default()
    ));
    loop {
        tokio::select! {
            seen = hellos.recv() => {
                let Some(seen) = seen else { break };
                let machine = NewMachine {
                    name: seen.hostname.clone(),
                    os: seen.os.clone(),
                    os_family: seen.os_family.clone(),
                    connector: Some("agent".into()),
                    ..NewMachine::default()
                };
                match vigil.register_machine(&machine).await {
                    Ok(_) => tracing::info!(agent = seen.agent, machine = seen.hostname, "agent seen"),
                    Err(e) => tracing::warn!(agent = seen.agent, "cannot record the agent's machine: {e}"),
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    server.abort();
    Ok(())
}
