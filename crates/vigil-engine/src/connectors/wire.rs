//! A connector's calls as messages: the `agent` connector sends a [`Command`] to the agent
//! on the machine, which carries it out with its own (`local`) connector ([`carry_out`])
//! and sends back the [`Answer`].

use serde::{Deserialize, Serialize};

use super::{ActionRequest, Applied, Connector, MachineRef, Outcome, Snapshot};

/// A connector call for another machine's connector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    Snapshot,
    Execute {
        request: ActionRequest,
    },
    Undo {
        request: ActionRequest,
        undo: Option<String>,
    },
    WasApplied {
        request: ActionRequest,
    },
}

impl Command {
    /// The command's id: the same for the same effect (an action is executed once, undone
    /// once), so the agent answers a command that comes again with the result it stored.
    /// A snapshot changes nothing: each gets an id of its own (`nonce`).
    pub fn id(&self, nonce: u64) -> String {
        match self {
            Command::Snapshot => format!("snapshot-{nonce}"),
            Command::Execute { request } => format!("execute-{}", request.action_id),
            Command::Undo { request, .. } => format!("undo-{}", request.action_id),
            Command::WasApplied { request } => format!("was-applied-{}-{nonce}", request.action_id),
        }
    }
}

/// What a command gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Snapshot {
        snapshot: Snapshot,
    },
    Outcome {
        outcome: Outcome,
    },
    Applied {
        applied: Applied,
    },
    /// The connector refused or failed; says why.
    Failed {
        error: String,
    },
    /// It came after its expiry and was not carried out.
    Expired,
}

/// Carries out a command with `connector` on `machine` (the agent's own machine).
pub async fn carry_out(
    connector: &dyn Connector,
    machine: &MachineRef,
    command: Command,
) -> Answer {
    let failed = |e: crate::Error| Answer::Failed {
        error: e.to_string(),
    };
    match command {
        Command::Snapshot => connector
            .snapshot(machine)
            .await
            .map_or_else(failed, |snapshot| Answer::Snapshot { snapshot }),
        Command::Execute { request } => connector
            .execute(&on(request, machine))
            .await
            .map_or_else(failed, |outcome| Answer::Outcome { outcome }),
        Command::Undo { request, undo } => connector
            .undo(&on(request, machine), undo.as_deref())
            .await
            .map_or_else(failed, |outcome| Answer::Outcome { outcome }),
        Command::WasApplied { request } => connector
            .was_applied(&on(request, machine))
            .await
            .map_or_else(failed, |applied| Answer::Applied { applied }),
    }
}

/// The answer, made to fit in `max` bytes of JSON: a snapshot of a machine with very many
/// files in its watched folders keeps the files that fit (the processes, persistence and
/// connections whole, and a note in the log); anything else too long becomes a failure
/// that says so, rather than an answer the channel cannot carry.
pub fn fit(answer: Answer, max: usize) -> Answer {
    let size = |a: &Answer| serde_json::to_vec(a).map_or(usize::MAX, |b| b.len());
    let total = size(&answer);
    if total <= max {
        return answer;
    }
    if let Answer::Snapshot { mut snapshot } = answer {
        let files = std::mem::take(&mut snapshot.files);
        let base = size(&Answer::Snapshot {
            snapshot: snapshot.clone(),
        });
        let mut room = max.saturating_sub(base);
        let listed = files.len();
        for file in files {
            let cost = file.path.len() + file.sha256.len() + 32;
            if cost > room {
                break;
            }
            room -= cost;
            snapshot.files.push(file);
        }
        tracing::warn!(
            listed,
            kept = snapshot.files.len(),
            "a snapshot too long for one message keeps the files that fit"
        );
        return Answer::Snapshot { snapshot };
    }
    Answer::Failed {
        error: format!(
            "the answer ({total} bytes) is longer than one message may be ({max} bytes)"
        ),
    }
}

/// The request as it runs on the agent: on the agent's own machine, whatever it names.
fn on(mut request: ActionRequest, machine: &MachineRef) -> ActionRequest {
    request.machine.name.clone_from(&machine.name);
    request.machine.os_family.clone_from(&machine.os_family);
    request
}
