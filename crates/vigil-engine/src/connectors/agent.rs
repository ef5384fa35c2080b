//! The `agent` connector: a machine whose Vigil agent is enrolled with this console. Each
//! call goes to the agent as a command ([`wire::Command`]) over its session and comes back
//! as its answer; the agent carries it out with its own `local` connector, journalled. An
//! agent that is not connected makes its machine unreachable: its actions wait for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use vigil_channel::console::Console;

use super::wire::{Answer, Command};
use super::{ActionRequest, Applied, Connector, MachineRef, Outcome, Snapshot};
use crate::{Error, Result};

/// The connector's name as machines record it.
pub const CONNECTOR: &str = "agent";

/// How long an agent has to carry out an action or take a snapshot (a large file to move,
/// a slow inventory) before the console stops waiting; the command expires with it.
const WITHIN: Duration = Duration::from_secs(60);

/// The machines of the agents enrolled with one console.
pub struct AgentConnector {
    console: Arc<Console>,
    nonce: AtomicU64,
}

impl std::fmt::Debug for AgentConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConnector").finish_non_exhaustive()
    }
}

impl AgentConnector {
    pub fn new(console: Arc<Console>) -> Arc<Self> {
        Arc::new(Self {
            console,
            nonce: AtomicU64::new(0),
        })
    }

    /// The agent enrolled as `machine` (not revoked), or why there is none.
    fn agent_of(&self, machine: &str) -> std::result::Result<String, String> {
        let agents = self
            .console
            .agents()
            .map_err(|e| format!("the console's agents cannot be read: {e}"))?;
        agents
            .iter()
            .rev()
            .find(|a| a.hostname == machine && !a.revoked)
            .map(|a| a.id.clone())
            .ok_or_else(|| format!("{machine} has no enrolled agent (it was revoked?)"))
    }

    async fn call(&self, machine: &MachineRef, command: Command) -> Result<Answer> {
        let agent = self.agent_of(&machine.name).map_err(Error::Unreachable)?;
        let id = command.id(self.nonce.fetch_add(1, Ordering::Relaxed));
        let body = serde_json::to_value(&command)
            .map_err(|e| Error::Conflict(format!("a command for {}: {e}", machine.name)))?;
        let answer = self
            .console
            .command(&agent, &id, body, WITHIN)
            .await
            .map_err(|e| match e {
                vigil_channel::Error::Offline(why) => {
                    Error::Unreachable(format!("{}'s agent: {why}", machine.name))
                }
                other => Error::Conflict(format!("{}'s agent: {other}", machine.name)),
            })?;
        let answer: Answer = serde_json::from_value(answer).map_err(|e| {
            Error::Conflict(format!(
                "{}'s agent answered something else: {e}",
                machine.name
            ))
        })?;
        match answer {
            Answer::Failed { error } => {
                Err(Error::Conflict(format!("on {}: {error}", machine.name)))
            }
            Answer::Expired => Err(Error::Conflict(format!(
                "{}'s agent got the command after it expired and did not carry it out",
                machine.name
            ))),
            answer => Ok(answer),
        }
    }

    async fn outcome(&self, machine: &MachineRef, command: Command) -> Result<Outcome> {
        match self.call(machine, command).await? {
            Answer::Outcome { outcome } => Ok(outcome),
            other => Err(unexpected(machine, &other)),
        }
    }
}

fn unexpected(machine: &MachineRef, answer: &Answer) -> Error {
    Error::Conflict(format!(
        "{}'s agent gave an answer of another kind: {answer:?}",
        machine.name
    ))
}

#[async_trait]
impl Connector for AgentConnector {
    fn name(&self) -> &'static str {
        CONNECTOR
    }

    async fn snapshot(&self, machine: &MachineRef) -> Result<Snapshot> {
        match self.call(machine, Command::Snapshot).await? {
            Answer::Snapshot { snapshot } => Ok(snapshot),
            other => Err(unexpected(machine, &other)),
        }
    }

    async fn execute(&self, request: &ActionRequest) -> Result<Outcome> {
        let command = Command::Execute {
            request: request.clone(),
        };
        self.outcome(&request.machine, command).await
    }

    async fn undo(&self, request: &ActionRequest, undo: Option<&str>) -> Result<Outcome> {
        let command = Command::Undo {
            request: request.clone(),
            undo: undo.map(str::to_string),
        };
        self.outcome(&request.machine, command).await
    }

    async fn was_applied(&self, request: &ActionRequest) -> Result<Applied> {
        let command = Command::WasApplied {
            request: request.clone(),
        };
        match self.call(&request.machine, command).await {
            Ok(Answer::Applied { applied }) => Ok(applied),
            Ok(other) => Err(unexpected(&request.machine, &other)),
            // Offline: nobody can say yet.
            Err(_) => Ok(Applied::Unknown),
        }
    }

    fn unreachable(&self, machine: &MachineRef) -> Option<String> {
        match self.agent_of(&machine.name) {
            Err(why) => Some(why),
            Ok(agent) if !self.console.is_connected(&agent) => {
                Some(format!("{}'s agent is offline", machine.name))
            }
            Ok(_) => None,
        }
    }
}
