//! An entity to record (a file, process, URL, user …) and its canonical key: what the
//! store keeps one row of.

use serde_json::Value;

use super::{EntityKind, Role};

/// An entity to record.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewEntity {
    pub kind: Option<EntityKind>,
    pub machine_id: Option<i64>,
    pub name: String,
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub pid: Option<i64>,
    pub command_line: Option<String>,
    pub value: Option<String>,
    pub detail: Value,
    /// Its part in the alert that names it (culprit unless said otherwise); not stored
    /// with the entity.
    pub role: Role,
}

impl NewEntity {
    /// A file on a machine.
    pub fn file(machine_id: i64, path: &str, sha256: Option<&str>) -> Self {
        Self {
            kind: Some(EntityKind::File),
            machine_id: Some(machine_id),
            name: file_name(path).to_string(),
            path: Some(path.to_string()),
            sha256: sha256.map(str::to_ascii_lowercase),
            ..Self::default()
        }
    }

    /// A process on a machine.
    pub fn process(machine_id: i64, pid: i64, image: &str, command_line: Option<&str>) -> Self {
        Self {
            kind: Some(EntityKind::Process),
            machine_id: Some(machine_id),
            name: format!("{} ({pid})", file_name(image)),
            path: Some(image.to_string()),
            pid: Some(pid),
            command_line: command_line.map(str::to_string),
            ..Self::default()
        }
    }

    /// A process whose start was logged without its process id (some collectors drop
    /// Sysmon's `ProcessId`): known by its program and command line, never stopped by
    /// Vigil, which cannot tell which process it is.
    pub fn unnumbered_process(machine_id: i64, image: &str, command_line: Option<&str>) -> Self {
        Self {
            kind: Some(EntityKind::Process),
            machine_id: Some(machine_id),
            name: format!("{} (process id not logged)", file_name(image)),
            path: Some(image.to_string()),
            command_line: command_line.map(str::to_string),
            ..Self::default()
        }
    }

    /// A URL, domain, IP address or user: global, identified by its value.
    pub fn global(kind: EntityKind, value: &str) -> Self {
        Self {
            kind: Some(kind),
            name: value.to_string(),
            value: Some(value.to_string()),
            ..Self::default()
        }
    }

    /// An artefact on a machine that is not persistence (a registry value, BITS job,
    /// antivirus detection, Kerberos ticket, script): `id` identifies it there, `name` is
    /// what people read.
    pub fn artefact(
        kind: EntityKind,
        machine_id: i64,
        id: &str,
        name: &str,
        value: Option<&str>,
    ) -> Self {
        Self {
            kind: Some(kind),
            machine_id: Some(machine_id),
            name: name.to_string(),
            value: value.map(str::to_string),
            detail: serde_json::json!({ "id": id }),
            ..Self::default()
        }
    }

    /// A persistence entry on a machine.
    pub fn persistence(
        machine_id: i64,
        mechanism: &str,
        location: &str,
        name: &str,
        value: &str,
    ) -> Self {
        Self {
            kind: Some(EntityKind::Persistence),
            machine_id: Some(machine_id),
            name: name.to_string(),
            value: Some(value.to_string()),
            detail: serde_json::json!({ "mechanism": mechanism, "location": location }),
            ..Self::default()
        }
    }

    /// The canonical key: per machine for files, processes and persistence.
    pub fn key(&self) -> String {
        let m = self.machine_id.unwrap_or(0);
        let lower = |s: &Option<String>| s.as_deref().unwrap_or("").to_lowercase();
        match self.kind.unwrap_or(EntityKind::File) {
            EntityKind::File => format!("{m}|{}", lower(&self.path)),
            EntityKind::Process => match self.pid {
                Some(pid) => format!("{m}|{pid}|{}", lower(&self.path)),
                None => format!("{m}|-|{}|{}", lower(&self.path), lower(&self.command_line)),
            },
            EntityKind::Persistence => {
                let field = |k: &str| self.detail.get(k).and_then(Value::as_str).unwrap_or("");
                format!(
                    "{m}|{}",
                    persistence_key(field("mechanism"), field("location"), &self.name)
                )
            }
            EntityKind::EmailMessage => lower(&self.value),
            EntityKind::RegistryValue
            | EntityKind::BitsJob
            | EntityKind::AvDetection
            | EntityKind::ServiceTicket
            | EntityKind::Script => {
                let id = self
                    .detail
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or(&self.name);
                format!("{m}|{}", id.to_lowercase())
            }
            EntityKind::Url | EntityKind::Domain | EntityKind::Ip | EntityKind::User => {
                lower(&self.value)
            }
        }
    }
}

/// The key of a persistence entry (mechanism, location and name, lowercase): the same
/// entry on one machine is one entity, and one object in the demo lab.
pub fn persistence_key(mechanism: &str, location: &str, name: &str) -> String {
    format!("{mechanism}|{location}|{name}").to_lowercase()
}

/// The last component of a Windows or Unix path.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}
