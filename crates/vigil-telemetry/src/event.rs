//! Normalised events: the one shape every importer produces and the engine stores.

mod kinds;

use serde::{Deserialize, Serialize};

/// What an event is about, across sources (Sysmon, Security, System, PowerShell, ECS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A process started (Sysmon 1, Security 4688).
    ProcessStart,
    /// A file was written, or an image loaded from a file (Sysmon 11, 7).
    FileCreate,
    /// An outbound or inbound network connection (Sysmon 3, Security 5156).
    NetworkConnection,
    /// A DNS lookup (Sysmon 22).
    DnsQuery,
    /// A logon, successful or failed (Security 4624, 4625).
    Logon,
    /// A registry key or value created, set, renamed or deleted (Sysmon 12, 13, 14,
    /// Security 4657).
    RegistrySet,
    /// A service was installed (Security 4697, System 7045).
    ServiceInstall,
    /// A scheduled task was created, changed, deleted or run (Security 4698–4702,
    /// TaskScheduler 106, 129, 140–142, 200, 201).
    ScheduledTask,
    /// A process opened another one or started a thread in it (Sysmon 8, 10).
    ProcessAccess,
    /// A PowerShell script block or pipeline was logged (PowerShell 4104, 4103, classic 800).
    ScriptBlock,
    /// A user or computer account was created, changed, enabled, reset, renamed, deleted,
    /// or added to or removed from a group (Security 4720–4767, 4781, 4794…).
    AccountChange,
    /// A Kerberos service ticket was asked for (Security 4769).
    ServiceTicket,
    /// A WMI event filter, consumer or binding was registered (Sysmon 19–21, WMI-Activity 5861).
    WmiSubscription,
    /// A BITS transfer job was created, started, ended or cancelled (Bits-Client 3, 4, 5,
    /// 59, 60, 61, 16403).
    BitsJob,
    /// An antivirus found or acted on a threat (Defender 1006–1008, 1015, 1116–1119).
    AvDetection,
    /// A process opened or used an object: file, registry key, process, directory object
    /// (Security 4656, 4658, 4660, 4661, 4662, 4663).
    ObjectAccess,
    /// A process used or adjusted privileges (Security 4673, 4674, 4703).
    PrivilegeUse,
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
            EventKind::AccountChange => "account_change",
            EventKind::ServiceTicket => "service_ticket",
            EventKind::WmiSubscription => "wmi_subscription",
            EventKind::BitsJob => "bits_job",
            EventKind::AvDetection => "av_detection",
            EventKind::ObjectAccess => "object_access",
            EventKind::PrivilegeUse => "privilege_use",
            EventKind::Other => "other",
        }
    }

    /// The kind of a Windows event, from its channel (or, without one, its provider) and
    /// event id.
    pub fn classify(channel: &str, provider: &str, event_id: i64) -> EventKind {
        kinds::classify(channel, provider, event_id)
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
    /// The classic PowerShell log (engine and pipeline events).
    pub const WINDOWS_POWERSHELL: &str = "Windows PowerShell";
    /// WMI's operational log (permanent event subscriptions).
    pub const WMI_ACTIVITY: &str = "Microsoft-Windows-WMI-Activity/Operational";
    /// The BITS client's operational log.
    pub const BITS: &str = "Microsoft-Windows-Bits-Client/Operational";
    /// Microsoft Defender Antivirus' operational log.
    pub const DEFENDER: &str = "Microsoft-Windows-Windows Defender/Operational";
    /// The Task Scheduler's operational log.
    pub const TASK_SCHEDULER: &str = "Microsoft-Windows-TaskScheduler/Operational";
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
    /// The logon session the acting process or account runs in (Sysmon `LogonId`, Security
    /// `SubjectLogonId` / `TargetLogonId`), as a number.
    pub logon_id: Option<i64>,
    /// What the event made or changed that an attack can leave behind: a service, registry
    /// value, scheduled task, WMI subscription, account, BITS job, antivirus detection,
    /// Kerberos service ticket or script.
    pub artefact: Option<Box<Artefact>>,
    /// Stable hash of the source record's content, so re-imports dedupe.
    pub fingerprint: String,
}

/// The kinds of artefact an event can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtefactKind {
    /// A Windows service (System 7045, Security 4697).
    Service,
    /// A registry key or value (Sysmon 12–14, Security 4657).
    RegistryValue,
    /// A scheduled task (Security 4698–4702, TaskScheduler 106, 129, 140–142, 200, 201).
    ScheduledTask,
    /// A WMI event filter, consumer or binding (Sysmon 19–21, WMI-Activity 5861).
    WmiSubscription,
    /// A user or computer account, or its membership of a group (Security 4720–4767, 4781,
    /// 4794).
    Account,
    /// A BITS transfer job (Bits-Client 3, 4, 5, 59, 60, 61, 16403).
    BitsJob,
    /// A threat an antivirus reported (Defender 1006–1008, 1015, 1116–1119).
    AvDetection,
    /// A Kerberos service ticket (Security 4769).
    ServiceTicket,
    /// A PowerShell script block or pipeline (PowerShell 4104, 4103, classic 800).
    ScriptBlock,
}

impl ArtefactKind {
    /// The stable name used in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtefactKind::Service => "service",
            ArtefactKind::RegistryValue => "registry_value",
            ArtefactKind::ScheduledTask => "scheduled_task",
            ArtefactKind::WmiSubscription => "wmi_subscription",
            ArtefactKind::Account => "account",
            ArtefactKind::BitsJob => "bits_job",
            ArtefactKind::AvDetection => "av_detection",
            ArtefactKind::ServiceTicket => "service_ticket",
            ArtefactKind::ScriptBlock => "script_block",
        }
    }
}

/// What an event did to its artefact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtefactOp {
    /// Installed, created, registered, set, requested or logged.
    Created,
    /// Changed: a task updated, enabled or disabled; an account's attributes, password,
    /// name or SID history; a registry key renamed or a value modified (Security 4657 says
    /// which); `facts` says how when the event does.
    Changed,
    /// Deleted or removed.
    Deleted,
    /// An account was added to a group (`facts` names the group).
    AddedToGroup,
    /// An account was removed from a group.
    RemovedFromGroup,
    /// An account was enabled, or its password reset by someone else.
    Enabled,
    /// Ran or was started (a task's action, a BITS transfer, started or ended).
    Ran,
    /// An antivirus detected it.
    Detected,
    /// An antivirus acted on it, or tried to (quarantined, removed, blocked): `facts` says the
    /// action and, when it failed, why.
    Blocked,
}

/// An artefact an event shows: the thing an attack leaves behind on a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artefact {
    /// What it is.
    pub kind: ArtefactKind,
    /// What the event did to it.
    pub op: ArtefactOp,
    /// What identifies it on its machine: the service name; the registry path with the value
    /// name (`HKLM\…\Run\Updater`); the task path; the WMI filter or consumer name; the
    /// account (`DOMAIN\user`; a group's member by its common name or SID); the BITS job's
    /// title or id; the threat's name; the ticket's service name; the script block's id (for
    /// a pipeline or module logging event, the host program and a hash of the text:
    /// `powershell.exe#3f2a9c1b`).
    pub name: String,
    /// What it runs, holds or points at: the service's binary and arguments, the registry
    /// data, the task's command and arguments, the consumer's command or script (or the
    /// filter's query), the BITS job's URL, the files the threat was found in, the ticket's
    /// encryption type, the script's text (cut to [`crate::normalise::MAX_EVENT_TEXT`]).
    pub value: Option<String>,
    /// Facts shown beside it, in order, as (label, value): `("start type", "auto start")`,
    /// `("group", "Administrators")`, `("local file", "C:\…")`, `("decoded", "…")`.
    pub facts: Vec<(String, String)>,
    /// The URLs, domains, IP addresses and files it names, each once, in order of appearance.
    pub mentions: Vec<Mention>,
}

/// What an artefact names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionKind {
    /// An `http`, `https` or `ftp` URL, as written.
    Url,
    /// A host name (lower-case): a URL's or a share's host, a `-ComputerName`.
    Domain,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A Windows path (`C:\…`, `\\host\share\…`, `%VAR%\…`) or a program's name, as written.
    File,
}

/// A URL, domain, IP address or file an artefact names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mention {
    /// What it is.
    pub kind: MentionKind,
    /// It, as the artefact names it.
    pub value: String,
}
