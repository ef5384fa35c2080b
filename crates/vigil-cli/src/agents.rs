//! `vigil serve` and `vigil agents …`: the console's side of the agents channel (thin calls
//! into the engine's facade).

use clap::Subcommand;
use serde::Serialize;
use vigil_engine::domain::AgentView;
use vigil_engine::{ApiError, Vigil};

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
    /// The enrolled agents: id, machine, online or not, last contact, version.
    List,
    /// Revoke an agent: its certificate is refused from its next connection on.
    Revoke { agent: String },
}

#[derive(Serialize)]
struct TokenOut {
    token: String,
    uses: u32,
    hours: i64,
}

/// `vigil agents …`.
pub fn run(vigil: &Vigil, command: AgentsCommand, out: &Output) -> Result<(), ApiError> {
    match command {
        AgentsCommand::Add {
            addresses,
            uses,
            hours,
        } => {
            let token = vigil.add_agent_token(&addresses, uses, hours)?;
            let shown = TokenOut { token, uses, hours };
            out.print(&shown, || {
                format!(
                    "{}\n\nOn each machine (up to {uses}, within {hours} h), save it to a file and run:\n  vigil-agent enrol --token-file FILE\nthen keep `vigil-agent run` going (as a service).",
                    shown.token
                )
            });
        }
        AgentsCommand::List => {
            let agents = vigil.agents()?;
            out.print(&agents, || agents_text(&agents));
        }
        AgentsCommand::Revoke { agent } => {
            vigil.revoke_agent(&agent)?;
            let agents = vigil.agents()?;
            out.print(&agents, || format!("agent {agent} revoked"));
        }
    }
    Ok(())
}

fn agents_text(agents: &[AgentView]) -> String {
    if agents.is_empty() {
        return "no agents enrolled yet: `vigil agents add --address HOST:PORT` makes a token"
            .into();
    }
    let mut lines = vec![format!(
        "{:<34} {:<20} {:<8} {:<26} {}",
        "AGENT", "MACHINE", "STATE", "LAST SEEN", "VERSION"
    )];
    for a in agents {
        let state = if a.revoked {
            "revoked"
        } else if a.online {
            "online"
        } else {
            "offline"
        };
        lines.push(format!(
            "{:<34} {:<20} {:<8} {:<26} {}",
            a.id,
            a.machine,
            state,
            a.last_seen.as_deref().unwrap_or("never"),
            a.version.as_deref().unwrap_or("-"),
        ));
    }
    lines.join("\n")
}

/// `vigil serve`: listens for agents until Ctrl-C.
pub async fn serve(vigil: &Vigil, listen: &str) -> Result<(), ApiError> {
    let (address, task) = vigil.serve_agents(listen).await?;
    crate::output::say(&format!("listening for agents on {address} (Ctrl-C stops)"));
    let _ = tokio::signal::ctrl_c().await;
    task.abort();
    Ok(())
}
