//! What front ends show: machines, groups, alerts, investigations, entities, actions, the
//! log and the graph. Ids and counts are `u32` (JavaScript numbers), times RFC 3339 text.

use serde::{Deserialize, Serialize};

use super::{
    ActionKind, ActionState, AutomationLevel, EntityKind, InvestigationStatus, Reason,
    RemediationStatus, Severity, Verdict,
};

/// How much a machine is at risk.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    None,
    Low,
    Medium,
    High,
}

/// A machine, with its group and risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct MachineView {
    pub id: u32,
    pub name: String,
    pub domain: String,
    pub os: String,
    pub role: String,
    pub tags: Vec<String>,
    pub ip: String,
    pub group: String,
    pub automation_level: AutomationLevel,
    pub risk: RiskLevel,
    pub active_alerts: u32,
    pub connector: Option<String>,
    pub last_seen: String,
    /// Its agent, when one is enrolled for it (online or not, its version, last contact).
    pub agent: Option<AgentView>,
}

/// A rule of a machine group: `field` (name, domain, tag, os) matches the glob `pattern`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct GroupRule {
    pub field: String,
    pub pattern: String,
}

/// A machine group with its rules and automation level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct GroupView {
    pub id: u32,
    pub name: String,
    pub description: String,
    pub rank: u32,
    pub automation_level: AutomationLevel,
    pub automation_label: String,
    pub is_default: bool,
    pub rules: Vec<GroupRule>,
    pub machines: Vec<String>,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AlertView {
    pub id: u32,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: String,
    pub technique: String,
    pub detection_source: String,
    pub rule_id: String,
    pub machine: String,
    pub user: Option<String>,
    pub status: String,
    pub investigation_id: Option<u32>,
    pub first_seen: String,
    pub last_seen: String,
}

/// One row of the investigations list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct InvestigationSummary {
    pub id: u32,
    pub title: String,
    pub status: InvestigationStatus,
    pub status_detail: String,
    pub trigger: String,
    pub trigger_alert_id: Option<u32>,
    /// The triggering alert's title (none when an analyst started it from a machine).
    pub trigger_alert_title: Option<String>,
    pub playbook: String,
    pub detection_source: String,
    pub threat_types: Vec<String>,
    pub tags: Vec<String>,
    pub machine_names: Vec<String>,
    pub user_names: Vec<String>,
    pub started_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// Seconds from start to end (or to now while open).
    pub duration_s: f64,
    /// Seconds spent waiting for approval.
    pub pending_s: f64,
}

/// A machine in an investigation's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ScopeMachine {
    pub name: String,
    pub group: String,
    pub automation_level: AutomationLevel,
    pub reason: String,
    pub joined_at: String,
}

/// A user an investigation names as affected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ScopeUser {
    pub name: String,
    pub reason: String,
}

/// A fact shown beside an entity: `start type: auto start`, `added to: Administrators`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// An entity as evidence of an investigation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct EntityView {
    pub id: u32,
    pub kind: EntityKind,
    /// What it is, for people: `Service`, `Scheduled task`, `Registry value`, `Process`…
    pub kind_label: String,
    pub name: String,
    pub machine: Option<String>,
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub pid: Option<u32>,
    pub command_line: Option<String>,
    pub value: Option<String>,
    pub verdict: Verdict,
    /// The reasons, the strongest first.
    pub reasons: Vec<Reason>,
    pub remediation_status: RemediationStatus,
    /// What else is known of it (an artefact's binary, account, group, decoded script…).
    pub facts: Vec<Fact>,
    /// The finding group it belongs to (`FindingGroup::id`), when it is one of many alike.
    pub group: Option<String>,
    /// Why Vigil will not act on it (the machine itself, an OS binary, the "never act on"
    /// list), when that is so.
    pub protected: Option<String>,
}

/// Findings alike, shown and decided as one: "37 files written by evil.exe (4120)".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct FindingGroup {
    /// Stable within the investigation, e.g. `group:file:wrote:17`.
    pub id: String,
    pub label: String,
    pub kind: EntityKind,
    pub kind_label: String,
    /// The strongest verdict among its members.
    pub verdict: Verdict,
    pub entity_ids: Vec<u32>,
    /// The actions proposed for its members.
    pub action_ids: Vec<u32>,
}

/// A remediation action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ActionView {
    pub id: u32,
    pub investigation_id: Option<u32>,
    pub kind: ActionKind,
    pub label: String,
    pub entity_id: Option<u32>,
    pub entity: Option<String>,
    pub entity_kind: Option<EntityKind>,
    pub verdict: Option<Verdict>,
    pub machine: Option<String>,
    /// What reaches its machine (`agent`, `local`, `lab`), if anything does: without one,
    /// an approved action waits to be done by hand.
    pub machine_connector: Option<String>,
    /// `automated` or `manual`.
    pub source: String,
    pub state: ActionState,
    /// Why it was proposed.
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub proposed_at: String,
    pub expires_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub result: String,
    pub reversible: bool,
    /// Actions proposed together for like entities share a group: one decision for all.
    pub group: Option<String>,
    /// The group's description ("Quarantine 37 files written by evil.exe (4120)").
    pub group_label: Option<String>,
}

/// One step of an investigation's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct LogEntry {
    pub id: u32,
    pub step: String,
    pub machine: Option<String>,
    pub status: String,
    pub started_at: String,
    pub duration_ms: u32,
    pub detail: String,
}

/// A node of the investigation graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
pub struct GraphNode {
    /// Stable id: `alert:3`, `machine:client4`, `entity:17`, `action:5`, `user:alice`.
    pub id: String,
    /// `alert`, `machine`, `user`, `entity`, `finding`, `action` or `cluster` (like nodes
    /// drawn as one until expanded).
    pub group: String,
    pub kind: String,
    pub label: String,
    pub verdict: Option<Verdict>,
    pub remediation_status: Option<RemediationStatus>,
    /// The cluster node it is drawn inside of (collapsed: hidden, its edges drawn to the
    /// cluster).
    pub cluster: Option<String>,
    /// How many nodes a cluster holds (1 for any other node).
    pub size: u32,
}

/// An edge of the investigation graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
pub struct GraphEdge {
    pub source: String,
    pub target: String,
    pub label: String,
}

/// What Vigil must never act on, whatever an investigation finds: the admin's list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct NeverActOn {
    /// Machine names (any case; a domain suffix is ignored).
    pub hosts: Vec<String>,
    /// IP addresses or networks in CIDR form (`10.0.0.0/8`).
    pub ips: Vec<String>,
    /// Domains; their subdomains are covered too.
    pub domains: Vec<String>,
    /// File or folder paths; a folder covers what is under it.
    pub paths: Vec<String>,
    /// File hashes (SHA-256, SHA-1 or MD5).
    pub hashes: Vec<String>,
}

/// How investigations read telemetry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct InvestigationSettings {
    /// How far before the first alert and after the last an investigation reads a machine's
    /// events, in minutes.
    pub window_minutes: u32,
}

/// The investigation graph.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, specta::Type)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

impl Graph {
    /// Nodes and edges as sorted text, one per line: stable for snapshots.
    pub fn to_sorted_text(&self) -> String {
        let mut lines: Vec<String> = self
            .nodes
            .iter()
            .map(|n| {
                let verdict = n.verdict.map(|v| v.as_str()).unwrap_or("-");
                let remediation = n.remediation_status.map(|r| r.as_str()).unwrap_or("-");
                let cluster = n
                    .cluster
                    .as_deref()
                    .map(|c| format!(" in {c}"))
                    .unwrap_or_default();
                format!(
                    "node {} [{} {}] {} ({verdict}, {remediation}){cluster}",
                    n.id, n.group, n.kind, n.label
                )
            })
            .collect();
        lines.sort();
        let mut edges: Vec<String> = self
            .edges
            .iter()
            .map(|e| format!("edge {} -> {} [{}]", e.source, e.target, e.label))
            .collect();
        edges.sort();
        lines.extend(edges);
        lines.join("\n")
    }
}

/// Everything of an investigation's details view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct InvestigationDetails {
    #[serde(flatten)]
    pub summary: InvestigationSummary,
    pub alerts: Vec<AlertView>,
    pub machines: Vec<ScopeMachine>,
    pub users: Vec<ScopeUser>,
    /// Malicious and suspicious entities, ranked: the culprit first.
    pub key_findings: Vec<EntityView>,
    /// Key findings alike, grouped for one decision.
    pub finding_groups: Vec<FindingGroup>,
    pub entities: Vec<EntityView>,
    pub log: Vec<LogEntry>,
    pub actions: Vec<ActionView>,
    pub pending_actions: Vec<ActionView>,
    pub graph: Graph,
}

/// The port agents reach the console on, unless told otherwise.
pub const AGENT_PORT: u16 = 7420;

/// An agent on one of the office's machines, as the console knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AgentView {
    /// Its id: a hash of its key, named in its certificate.
    pub id: String,
    /// The machine it enrolled as.
    pub machine: String,
    /// It said hello within the last 90 s.
    pub online: bool,
    pub last_seen: Option<String>,
    pub version: Option<String>,
    pub enrolled_at: String,
    pub certificate_expires: String,
    pub revoked: bool,
}
