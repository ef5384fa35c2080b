//! Entities (evidence) and the verdicts Vigil gives them.

use serde::{Deserialize, Serialize};

use super::names::names;

/// What an entity is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    File,
    Process,
    Url,
    Domain,
    Ip,
    User,
    /// Something that starts code again: a registry run key, scheduled task, service, WMI
    /// subscription, driver, systemd unit, cron line… (`detail.mechanism` says which).
    Persistence,
    EmailMessage,
    /// A registry value an attack set or changed that is not an autostart entry (a shell
    /// `open\command` hijack, a security setting turned off).
    RegistryValue,
    /// A BITS transfer job (its URL and local file).
    BitsJob,
    /// A threat an antivirus reported.
    AvDetection,
    /// A Kerberos service ticket asked for (the service account it names).
    ServiceTicket,
    /// A PowerShell script block or pipeline: its text, with what it names and decodes to.
    Script,
}

names!(EntityKind {
    File => "file",
    Process => "process",
    Url => "url",
    Domain => "domain",
    Ip => "ip",
    User => "user",
    Persistence => "persistence",
    EmailMessage => "email_message",
    RegistryValue => "registry_value",
    BitsJob => "bits_job",
    AvDetection => "av_detection",
    ServiceTicket => "service_ticket",
    Script => "script",
});

/// The part an entity plays in the alert that names it.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// What the detection is about: the process started, the service installed, the
    /// registry value set, the file matched.
    #[default]
    Culprit,
    /// The process or account that did it.
    Actor,
    /// What it was done to (a process whose memory was read, an object opened).
    Target,
    /// Anything else the event names (a destination, a file a script names).
    Evidence,
}

names!(Role {
    Culprit => "culprit",
    Actor => "actor",
    Target => "target",
    Evidence => "evidence",
});

/// How much a rule's hit weighs: a detection, or a threat-hunting lead.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    #[default]
    Detection,
    /// A threat-hunting rule: evidence for an investigation, never enough to act on.
    Hunting,
}

names!(Grade {
    Detection => "detection",
    Hunting => "hunting",
});

/// Vigil's judgement of an entity, always given with reasons.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Unknown,
    NoThreatsFound,
    Suspicious,
    Malicious,
}

names!(Verdict {
    Unknown => "unknown",
    NoThreatsFound => "no_threats_found",
    Suspicious => "suspicious",
    Malicious => "malicious",
});

impl EntityKind {
    /// What an entity of this kind is called, for people; a persistence entry by its
    /// mechanism (`service`, `scheduled_task`…), a user by whether an account change named it.
    pub fn label(self, mechanism: Option<&str>, account: bool) -> &'static str {
        match self {
            EntityKind::File => "File",
            EntityKind::Process => "Process",
            EntityKind::Url => "URL",
            EntityKind::Domain => "Domain",
            EntityKind::Ip => "IP address",
            EntityKind::User if account => "Account",
            EntityKind::User => "User",
            EntityKind::Persistence => match mechanism {
                Some("service") => "Service",
                Some("scheduled_task") => "Scheduled task",
                Some("wmi_subscription") => "WMI subscription",
                Some("run_key") => "Run key",
                Some("driver") => "Driver",
                Some("systemd_unit") => "systemd unit",
                Some("cron") => "cron job",
                Some("autostart") => "Autostart entry",
                _ => "Persistence",
            },
            EntityKind::EmailMessage => "Email message",
            EntityKind::RegistryValue => "Registry value",
            EntityKind::BitsJob => "BITS job",
            EntityKind::AvDetection => "Antivirus detection",
            EntityKind::ServiceTicket => "Kerberos service ticket",
            EntityKind::Script => "PowerShell script",
        }
    }
}

impl Verdict {
    /// Malicious or suspicious: a key finding.
    pub fn is_finding(self) -> bool {
        matches!(self, Verdict::Malicious | Verdict::Suspicious)
    }
}

/// Where an entity stands on the way to being remediated.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum RemediationStatus {
    None,
    PendingApproval,
    /// Approved; its machine cannot take the action now.
    WaitingForMachine,
    Running,
    Remediated,
    Declined,
    Failed,
    NotFound,
    Undone,
}

names!(RemediationStatus {
    None => "none",
    PendingApproval => "pending_approval",
    WaitingForMachine => "waiting_for_machine",
    Running => "running",
    Remediated => "remediated",
    Declined => "declined",
    Failed => "failed",
    NotFound => "not_found",
    Undone => "undone",
});

/// One reason behind a verdict: which analyzer said what, from which rule, IOC or event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Reason {
    /// The analyzer: `threat_intel`, `alert`, `heuristic`, `propagation`, `connector`.
    pub analyzer: String,
    /// The verdict this reason supports.
    pub verdict: Verdict,
    /// The plain-language "why".
    pub text: String,
}

/// Severity of an alert.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

names!(Severity {
    Informational => "informational",
    Low => "low",
    Medium => "medium",
    High => "high",
    Critical => "critical",
});

impl Severity {
    /// A Sigma rule's level (`informational` … `critical`); anything else is informational.
    pub fn of_level(level: &str) -> Severity {
        Severity::parse(level.trim()).unwrap_or(Severity::Informational)
    }
}
