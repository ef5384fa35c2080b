//! Connectors: where live evidence comes from and where actions run. `lab` (the demo
//! environment, in `crate::lab`), `local` (this computer) and `agent` fit the same trait.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{ActionKind, EntityKind};
use crate::Result;

pub mod agent;
pub mod wire;

/// The machine a connector is asked about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MachineRef {
    pub id: i64,
    pub name: String,
    pub os_family: String,
}

/// A file present on a machine now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveFile {
    pub path: String,
    pub sha256: String,
}

/// A process running on a machine now (pid + start time identify it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveProcess {
    pub pid: i64,
    pub image: String,
    pub command_line: String,
    pub started_at: String,
}

/// A persistence entry present on a machine now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivePersistence {
    /// `run_key`, `scheduled_task`, `service`, `driver`, `systemd_unit`, `cron`, …
    pub mechanism: String,
    pub location: String,
    pub name: String,
    pub value: String,
}

/// A network connection or listening socket on a machine now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveConnection {
    /// `tcp`, `tcp6`, `udp` or `udp6`.
    pub protocol: String,
    pub local_address: String,
    pub local_port: u16,
    /// `None` for a listening or unconnected socket.
    pub remote_address: Option<String>,
    pub remote_port: u16,
    /// `listen`, `established`, `time_wait`, … (`bound` for an unconnected UDP socket).
    pub state: String,
    /// The owning process, when the OS lets this process see it.
    pub pid: Option<i64>,
}

/// What a machine looks like now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub files: Vec<LiveFile>,
    pub processes: Vec<LiveProcess>,
    pub persistence: Vec<LivePersistence>,
    /// Network connections and listening sockets (empty where the connector has none).
    #[serde(default)]
    pub connections: Vec<LiveConnection>,
}

/// The entity an action targets, as the connector needs it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Target {
    pub kind: Option<EntityKind>,
    pub name: String,
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub pid: Option<i64>,
    pub value: Option<String>,
    /// Kind-specific detail (e.g. persistence mechanism and location).
    pub detail: serde_json::Value,
}

/// An action for a connector to carry out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionRequest {
    pub action_id: i64,
    pub kind: ActionKind,
    pub machine: MachineRef,
    pub target: Target,
}

/// What carrying out an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Done; `undo` holds what an undo needs.
    Done {
        message: String,
        undo: Option<String>,
    },
    /// The target was not there any more: nothing to do.
    NotFound { message: String },
}

/// Whether an action interrupted by a crash had taken effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    Yes,
    No,
    Unknown,
}

/// A place where evidence is collected and actions run.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The connector's name as machines record it.
    fn name(&self) -> &'static str;
    /// What the machine looks like now.
    async fn snapshot(&self, machine: &MachineRef) -> Result<Snapshot>;
    /// Carries out an action. Must be safe to call again for the same action id.
    async fn execute(&self, request: &ActionRequest) -> Result<Outcome>;
    /// Reverses a succeeded action.
    async fn undo(&self, request: &ActionRequest, undo: Option<&str>) -> Result<Outcome>;
    /// After a crash: had this action taken effect?
    async fn was_applied(&self, request: &ActionRequest) -> Result<Applied>;
    /// Whether the machine can take actions now (an agent that is offline cannot; its
    /// actions wait for it). `None` when it can, else why not.
    fn unreachable(&self, _machine: &MachineRef) -> Option<String> {
        None
    }
}

/// The connectors this Vigil has, by name.
#[derive(Clone, Default)]
pub struct Connectors {
    by_name: HashMap<&'static str, Arc<dyn Connector>>,
}

impl Connectors {
    /// Adds a connector.
    pub fn with(mut self, connector: Arc<dyn Connector>) -> Self {
        self.by_name.insert(connector.name(), connector);
        self
    }

    /// The connector named `name`.
    pub fn get(&self, name: Option<&str>) -> Option<Arc<dyn Connector>> {
        name.and_then(|n| self.by_name.get(n)).cloned()
    }
}

impl std::fmt::Debug for Connectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_name.keys()).finish()
    }
}
