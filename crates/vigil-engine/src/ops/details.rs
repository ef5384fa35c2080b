//! What the views show: machines with their risk, the investigations list, an
//! investigation's details with its graph, and exports.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::domain::{
    ActionState, ActionView, AutomationLevel, EntityKind, EntityView, Fact, FindingGroup, Graph,
    InvestigationDetails, InvestigationStatus, InvestigationSummary, LogEntry, MachineView, Reason,
    RiskLevel, ScopeMachine, ScopeUser, Severity,
};
use crate::store::entities::{self, EntityRow};
use crate::store::investigations::{self, SummaryRow};
use crate::store::{alerts, log, machines};
use crate::{clock, Error, Result, Vigil};

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl SummaryRow {
    fn into_view(self, now: &str) -> InvestigationSummary {
        let start = self
            .started_at
            .clone()
            .unwrap_or_else(|| self.created_at.clone());
        let end = self.ended_at.clone().unwrap_or_else(|| now.to_string());
        let pending_open = self
            .pending_since
            .as_deref()
            .map(|s| clock::seconds_between(s, now))
            .unwrap_or(0.0);
        InvestigationSummary {
            id: self.id as u32,
            title: self.title,
            status: self.status,
            status_detail: self.status_detail,
            trigger: self.trigger_kind,
            trigger_alert_id: self.trigger_alert_id.map(|a| a as u32),
            trigger_alert_title: self.trigger_alert_title,
            playbook: self.playbook,
            detection_source: self.detection_source,
            threat_types: split_list(&self.threat_types),
            tags: split_list(&self.tags),
            machine_names: split_list(self.machine_names.as_deref().unwrap_or("")),
            user_names: split_list(self.user_names.as_deref().unwrap_or("")),
            started_by: self.started_by,
            created_at: self.created_at,
            started_at: self.started_at,
            ended_at: self.ended_at,
            duration_s: clock::seconds_between(&start, &end),
            pending_s: self.pending_ms_total as f64 / 1000.0 + pending_open,
        }
    }
}

/// The facts an entity's detail holds (`facts: [[label, value], …]`).
fn facts_of(detail: &serde_json::Value) -> Vec<Fact> {
    detail
        .get("facts")
        .and_then(|f| f.as_array())
        .map(|facts| {
            facts
                .iter()
                .filter_map(|f| {
                    Some(Fact {
                        label: f.get(0)?.as_str()?.to_string(),
                        value: f.get(1)?.as_str()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

impl From<EntityRow> for EntityView {
    fn from(r: EntityRow) -> Self {
        let detail: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
        let mechanism = detail.get("mechanism").and_then(|m| m.as_str());
        let mut facts = facts_of(&detail);
        if let (EntityKind::Persistence, Some(location)) = (
            r.kind,
            detail
                .get("location")
                .and_then(|l| l.as_str())
                .filter(|l| !l.is_empty()),
        ) {
            facts.insert(
                0,
                Fact {
                    label: "location".into(),
                    value: location.into(),
                },
            );
        }
        EntityView {
            id: r.id as u32,
            kind_label: r
                .kind
                .label(mechanism, detail.get("account").is_some())
                .to_string(),
            kind: r.kind,
            name: r.name,
            machine: r.machine,
            path: r.path,
            sha256: r.sha256,
            pid: r.pid.and_then(|p| u32::try_from(p).ok()),
            command_line: r.command_line,
            value: r.value,
            verdict: r.verdict,
            reasons: serde_json::from_str::<Vec<Reason>>(&r.reasons).unwrap_or_default(),
            remediation_status: r.remediation_status,
            facts,
            group: r.group_key,
            protected: r.protected,
        }
    }
}

/// The investigation's entities: findings first, ranked (the culprit first), then the rest.
async fn entities_of(conn: &mut SqliteConnection, investigation: i64) -> Result<Vec<EntityView>> {
    let rows = entities::of_investigation(conn, investigation).await?;
    Ok(rows.into_iter().map(EntityView::from).collect())
}

/// Key findings alike, from the groups the judge gave them, with their actions.
async fn finding_groups(
    conn: &mut SqliteConnection,
    investigation: i64,
    findings: &[EntityView],
    actions: &[ActionView],
) -> Result<Vec<FindingGroup>> {
    let labels: HashMap<String, String> = entities::finding_group_labels(conn, investigation)
        .await?
        .into_iter()
        .collect();
    let mut groups: Vec<FindingGroup> = Vec::new();
    for f in findings {
        let Some(key) = &f.group else { continue };
        let at = match groups.iter().position(|g| &g.id == key) {
            Some(i) => i,
            None => {
                groups.push(FindingGroup {
                    id: key.clone(),
                    label: labels.get(key).cloned().unwrap_or_else(|| key.clone()),
                    kind: f.kind,
                    kind_label: f.kind_label.clone(),
                    verdict: f.verdict,
                    entity_ids: Vec::new(),
                    action_ids: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        g.verdict = g.verdict.max(f.verdict);
        g.entity_ids.push(f.id);
        g.action_ids.extend(
            actions
                .iter()
                .filter(|a| a.entity_id == Some(f.id))
                .map(|a| a.id),
        );
    }
    Ok(groups)
}

/// A filter on the investigations list.
#[derive(Debug, Clone, Default)]
pub struct InvestigationFilter {
    pub status: Option<InvestigationStatus>,
    pub machine: Option<String>,
}

impl Vigil {
    /// Every machine with its group, automation level and risk, most at risk first.
    pub async fn machines(&self) -> Result<Vec<MachineView>> {
        let rows = machines::with_risk(&mut *self.store().pool().acquire().await?).await?;
        let mut machines: Vec<MachineView> = rows
            .into_iter()
            .map(
                |(
                    id,
                    name,
                    domain,
                    os,
                    role,
                    tags,
                    ip,
                    group,
                    level,
                    connector,
                    last_seen,
                    top,
                    active,
                    unremediated,
                )| {
                    let mut risk = match top.as_deref().and_then(Severity::parse) {
                        Some(Severity::High | Severity::Critical) => RiskLevel::High,
                        Some(Severity::Medium) => RiskLevel::Medium,
                        Some(_) => RiskLevel::Low,
                        None => RiskLevel::None,
                    };
                    if unremediated > 0 {
                        risk = RiskLevel::High;
                    }
                    MachineView {
                        id: id as u32,
                        name,
                        domain,
                        os,
                        role,
                        tags: split_list(&tags),
                        ip,
                        group,
                        automation_level: AutomationLevel::parse(&level)
                            .unwrap_or(AutomationLevel::SemiAny),
                        risk,
                        active_alerts: active as u32,
                        connector,
                        last_seen,
                        agent: None,
                    }
                },
            )
            .collect();
        if machines
            .iter()
            .any(|m| m.connector.as_deref() == Some(crate::connectors::agent::CONNECTOR))
        {
            let agents = self.agents()?;
            for machine in &mut machines {
                // The latest enrolment of the name (a machine enrolled again after a revocation).
                machine.agent = agents
                    .iter()
                    .filter(|a| a.machine == machine.name)
                    .max_by_key(|a| (!a.revoked, a.enrolled_at.clone()))
                    .cloned();
            }
        }
        machines.sort_by(|a, b| {
            b.risk
                .cmp(&a.risk)
                .then(b.active_alerts.cmp(&a.active_alerts))
                .then(a.name.cmp(&b.name))
        });
        Ok(machines)
    }

    /// The investigations list, newest first.
    pub async fn investigations(
        &self,
        filter: &InvestigationFilter,
    ) -> Result<Vec<InvestigationSummary>> {
        self.expire_pending().await?;
        let rows = investigations::summaries(
            &mut *self.store().pool().acquire().await?,
            filter.status,
            filter.machine.as_deref(),
        )
        .await?;
        let now = clock::now();
        Ok(rows.into_iter().map(|r| r.into_view(&now)).collect())
    }

    /// Everything of one investigation: summary, alerts, machines, users, key findings,
    /// entities, log, actions and graph.
    pub async fn investigation(&self, id: u32) -> Result<InvestigationDetails> {
        let mut conn = self.store().pool().acquire().await?;
        let id64 = i64::from(id);
        let summary = investigations::summary(&mut conn, id64)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "investigation",
                name: id.to_string(),
            })?
            .into_view(&clock::now());
        let alerts = alerts::of_investigation(&mut conn, id64).await?;
        let machines = investigations::machines_of(&mut conn, id64).await?;
        let users = investigations::users_of(&mut conn, id64).await?;
        let entities = entities_of(&mut conn, id64).await?;
        let log = log::of_investigation(&mut conn, id64).await?;
        let actions = crate::store::actions::of_investigation(&mut conn, id64).await?;
        let mut details = InvestigationDetails {
            summary,
            alerts: alerts.into_iter().map(Into::into).collect(),
            machines: machines
                .into_iter()
                .map(|(name, group, level, reason, joined_at)| ScopeMachine {
                    name,
                    group,
                    automation_level: AutomationLevel::parse(&level)
                        .unwrap_or(AutomationLevel::SemiAny),
                    reason,
                    joined_at,
                })
                .collect(),
            users: users
                .into_iter()
                .map(|(name, reason)| ScopeUser { name, reason })
                .collect(),
            key_findings: entities
                .iter()
                .filter(|e| e.verdict.is_finding())
                .cloned()
                .collect(),
            finding_groups: Vec::new(),
            entities: entities.clone(),
            log: log
                .into_iter()
                .map(
                    |(id, step, machine, status, started_at, duration_ms, detail)| LogEntry {
                        id: id as u32,
                        step,
                        machine,
                        status,
                        started_at,
                        duration_ms: u32::try_from(duration_ms).unwrap_or(u32::MAX),
                        detail,
                    },
                )
                .collect(),
            pending_actions: actions
                .iter()
                .filter(|a| a.state == ActionState::Pending)
                .cloned()
                .collect(),
            actions,
            graph: Graph::default(),
        };
        details.finding_groups =
            finding_groups(&mut conn, id64, &details.key_findings, &details.actions).await?;
        details.graph =
            crate::ops::graph::of_investigation(&mut conn, id64, &entities, &details).await?;
        Ok(details)
    }

    /// The investigations list as CSV (one row per investigation, the list's columns).
    pub async fn export_investigations_csv(&self, filter: &InvestigationFilter) -> Result<String> {
        let rows = self.investigations(filter).await?;
        Ok(investigations_csv(&rows))
    }
}

/// Quotes a CSV field when it needs it; a leading `=`, `+`, `-`, `@`, tab or carriage return
/// is neutralised so a spreadsheet never runs attacker-controlled text as a formula; hidden
/// and look-alike characters are written out (`domain::reveal`), as the window shows them.
pub fn csv_field(text: &str) -> String {
    let text = crate::domain::reveal(text);
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Investigations as CSV.
pub fn investigations_csv(rows: &[InvestigationSummary]) -> String {
    let mut out = String::from(
        "id,status,title,trigger_alert_id,detection_source,threat_types,tags,machines,users,started_at,ended_at,duration_s,pending_s\n",
    );
    for r in rows {
        let fields = [
            r.id.to_string(),
            r.status.as_str().to_string(),
            r.title.clone(),
            r.trigger_alert_id
                .map(|a| a.to_string())
                .unwrap_or_default(),
            r.detection_source.clone(),
            r.threat_types.join(";"),
            r.tags.join(";"),
            r.machine_names.join(";"),
            r.user_names.join(";"),
            r.started_at.clone().unwrap_or_default(),
            r.ended_at.clone().unwrap_or_default(),
            format!("{:.1}", r.duration_s),
            format!("{:.1}", r.pending_s),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formula_safe() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    }
}
