//! The world as Vigil records it: a machine, a telemetry event and a threat indicator,
//! each as telemetry, an inventory or a feed describes it.

use serde::{Deserialize, Serialize};

/// A machine as telemetry or an inventory describes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewMachine {
    pub name: String,
    pub domain: String,
    pub os: String,
    /// `windows`, `linux`, `macos` or `unknown`.
    pub os_family: String,
    pub role: String,
    pub tags: Vec<String>,
    pub ip: String,
    /// `lab`, `local`, or `None` for a machine known only from telemetry.
    pub connector: Option<String>,
}

/// A normalised telemetry event, ready for the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewEvent {
    pub machine_id: i64,
    pub ts: String,
    pub kind: String,
    pub user_name: Option<String>,
    pub pid: Option<i64>,
    pub image: Option<String>,
    pub command_line: Option<String>,
    pub parent_pid: Option<i64>,
    pub parent_image: Option<String>,
    pub target_path: Option<String>,
    pub sha256: Option<String>,
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub url: Option<String>,
    pub domain: Option<String>,
    pub remote_ip: Option<String>,
    pub remote_port: Option<i64>,
    pub registry_key: Option<String>,
    pub registry_value: Option<String>,
    pub extra: Option<String>,
    pub source: String,
    pub fingerprint: Option<String>,
    /// The logon session of the account acting.
    pub logon_id: Option<i64>,
    /// The artefact the event shows, as JSON (`vigil_telemetry::Artefact`).
    pub artefact: Option<String>,
}

/// A threat indicator (IOC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIndicator {
    /// `sha256`, `sha1`, `md5`, `url`, `domain` or `ip`.
    pub kind: String,
    pub value: String,
    pub source: String,
    pub description: String,
}
