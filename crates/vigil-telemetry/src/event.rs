//! Normalised events: the one shape every importer produces and the engine stores.

use serde::{Deserialize, Serialize};

/// What an event is about, across sources (Sysmon, Security, System, PowerShell, ECS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A process started (Sysmon 1, Security 4688).
    ProcessStart,
    /// A file was written, or an image loaded from a file (Sysmon 11, 7).
    FileCreate,
    /// An outbound or inbound network connection (Sysmon 3).
    NetworkConnection,
    /// A DNS lookup (Sysmon 22).
    DnsQuery,
    /// A logon, successful or failed (Security 4624, 4625).
    Logon,
    /// A registry key or value created, set or renamed (Sysmon 12, 13, 14).
    RegistrySet,
    /// A service was installed (Security 4697, System 7045).
    ServiceInstall,
    /// A scheduled task was created (Security 4698).
    ScheduledTask,
    /// A process opened another one or started a thread in it (Sysmon 8, 10).
    ProcessAccess,
    /// A PowerShell script block was logged (PowerShell 4104).
    ScriptBlock,
    /// Anything else; still stored with its channel, provider and event id.
    Other,
}

impl EventKind {
    /// The stable name used in the store and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ProcessStart => "process_start",
            EventKind::FileCreate => "file_create",
            EventKind::NetworkConnection => "network_connection",
            EventKind::DnsQuery => "dns_query",
            EventKind::Logon => "logon",
            EventKind::RegistrySet => "registry_set",
            EventKind::ServiceInstall => "service_install",
            EventKind::ScheduledTask => "scheduled_task",
            EventKind::ProcessAccess => "process_access",
            EventKind::ScriptBlock => "script_block",
            EventKind::Other => "other",
        }
    }

    /// The kind of a Windows event, from its channel (or provider) and event id.
    pub fn classify(channel: &str, provider: &str, event_id: i64) -> EventKind {
        let is = |name: &str| channel.eq_ignore_ascii_case(name);
        let sysmon = is(channels::SYSMON)
            || (channel.is_empty() && provider.eq_ignore_ascii_case("Microsoft-Windows-Sysmon"));
        if sysmon {
            return match event_id {
                1 => EventKind::ProcessStart,
                3 => EventKind::NetworkConnection,
                7 | 11 => EventKind::FileCreate,
                8 | 10 => EventKind::ProcessAccess,
                12..=14 => EventKind::RegistrySet,
                22 => EventKind::DnsQuery,
                _ => EventKind::Other,
            };
        }
        if is(channels::SECURITY) {
            return match event_id {
                4624 | 4625 => EventKind::Logon,
                4688 => EventKind::ProcessStart,
                4697 => EventKind::ServiceInstall,
                4698 => EventKind::ScheduledTask,
                _ => EventKind::Other,
            };
        }
        if is(channels::SYSTEM) && event_id == 7045 {
            return EventKind::ServiceInstall;
        }
        if is(channels::POWERSHELL) && event_id == 4104 {
            return EventKind::ScriptBlock;
        }
        EventKind::Other
    }
}

/// Well-known Windows event log channel names.
pub mod channels {
    /// Sysmon's channel.
    pub const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
    /// The Security log.
    pub const SECURITY: &str = "Security";
    /// The System log.
    pub const SYSTEM: &str = "System";
    /// PowerShell's operational log (script blocks, module logging).
    pub const POWERSHELL: &str = "Microsoft-Windows-PowerShell/Operational";
}

/// One normalised event. Optional fields are `None` when the source does not carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// RFC 3339 UTC with milliseconds, e.g. `2019-03-19T23:50:48.123Z`.
    pub ts: String,
    /// Host name, lower-case, without the domain suffix.
    pub machine: String,
    /// The machine's DNS domain when known (lower-case).
    pub domain: Option<String>,
    /// What the event is about.
    pub kind: EventKind,
    /// `DOMAIN\user` or `user`.
    pub user: Option<String>,
    /// The acting process id.
    pub pid: Option<i64>,
    /// The acting process image path.
    pub image: Option<String>,
    /// The acting process command line; for a script block, the script text (truncated);
    /// for a scheduled task, the task's command and arguments.
    pub command_line: Option<String>,
    /// The parent process id.
    pub parent_pid: Option<i64>,
    /// The parent process image path.
    pub parent_image: Option<String>,
    /// The file the event is about: created file, loaded image, accessed process image,
    /// service binary.
    pub target_path: Option<String>,
    /// SHA-256 of the image or file, lower-case hex.
    pub sha256: Option<String>,
    /// SHA-1 of the image or file, lower-case hex, when the source has it.
    pub sha1: Option<String>,
    /// MD5 of the image or file, lower-case hex, when the source has it.
    pub md5: Option<String>,
    /// A URL, when the source has one.
    pub url: Option<String>,
    /// The queried or contacted DNS name.
    pub dns_domain: Option<String>,
    /// The remote IP address (connection destination, logon source).
    pub remote_ip: Option<String>,
    /// The remote port.
    pub remote_port: Option<i64>,
    /// The registry key path.
    pub registry_key: Option<String>,
    /// The registry value data written.
    pub registry_value: Option<String>,
    /// Name of the object the event is about: service name, task name, WMI consumer.
    pub name: Option<String>,
    /// The event log channel, e.g. `Microsoft-Windows-Sysmon/Operational`.
    pub channel: String,
    /// The event provider, e.g. `Microsoft-Windows-Sysmon`.
    pub provider: String,
    /// The Windows event id.
    pub event_id: i64,
    /// Stable hash of the source record's content, so re-imports dedupe.
    pub fingerprint: String,
}
