//! What the views show: machines with their risk, the investigations list, an
//! investigation's details with its graph, and exports.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::domain::{
    ActionState, ActionView, AutomationLevel, EntityKind, EntityView, Fact, FindingGroup, Graph,
    InvestigationDetails, InvestigationStatus, InvestigationSummary, LogEntry, MachineView, Reason,
    RemediationStatus, RiskLevel, ScopeMachine, ScopeUser, Severity, Verdict,
};
use crate::store::alerts::{AlertRow, ALERT_SELECT};
use crate::{clock, Error, Result, Vigil};

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    title: String,
    status: InvestigationStatus,
    status_detail: String,
    trigger_kind: String,
    trigger_alert_id: Option<i64>,
    trigger_alert_title: Option<String>,
    playbook: String,
    detection_source: String,
    threat_types: String,
    tags: String,
    machine_names: Option<String>,
    user_names: Option<String>,
    started_by: String,
    created_at: String,
    started_at: Option<String>,
    ended_at: Option<String>,
    pending_since: Option<String>,
    pending_ms_total: i64,
}

const SUMMARY_SELECT: &str = "SELECT i.id, i.title, i.status, i.status_detail, i.trigger_kind, i.trigger_alert_id,
    (SELECT t.title FROM alerts t WHERE t.id = i.trigger_alert_id) AS trigger_alert_title,
    i.playbook, i.detection_source, i.threat_types, i.tags,
    (SELECT group_concat(m.name, ',') FROM (SELECT m.name FROM investigation_machines im JOIN machines m ON m.id = im.machine_id
        WHERE im.investigation_id = i.id ORDER BY im.joined_at, m.name) m) AS machine_names,
    (SELECT group_concat(u.name, ',') FROM (SELECT u.name FROM investigation_users iu JOIN users u ON u.id = iu.user_id
        WHERE iu.investigation_id = i.id ORDER BY u.name) u) AS user_names,
    i.started_by, i.created_at, i.started_at, i.ended_at, i.pending_since, i.pending_ms_total
    FROM investigations i";

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

#[derive(sqlx::FromRow)]
struct EntityRow {
    id: i64,
    kind: EntityKind,
    name: String,
    machine: Option<String>,
    path: Option<String>,
    sha256: Option<String>,
    pid: Option<i64>,
    command_line: Option<String>,
    value: Option<String>,
    detail: String,
    verdict: Verdict,
    reasons: String,
    remediation_status: RemediationStatus,
    group_key: Option<String>,
    protected: Option<String>,
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
    let rows: Vec<EntityRow> = sqlx::query_as(
        "SELECT e.id, e.kind, e.name, m.name AS machine, e.path, e.sha256, e.pid, e.command_line, e.value,
                e.detail, v.verdict, v.reasons, v.remediation_status, v.group_key, v.protected
         FROM evidence v JOIN entities e ON e.id = v.entity_id LEFT JOIN machines m ON m.id = e.machine_id
         WHERE v.investigation_id = ?
         ORDER BY CASE v.verdict WHEN 'malicious' THEN 0 WHEN 'suspicious' THEN 1 ELSE 2 END, v.score DESC,
                  e.kind, e.name, e.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(EntityView::from).collect())
}

/// Key findings alike, from the groups the judge gave them, with their actions.
async fn finding_groups(
    conn: &mut SqliteConnection,
    investigation: i64,
    findings: &[EntityView],
    actions: &[ActionView],
) -> Result<Vec<FindingGroup>> {
    let labels: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT group_key, group_label FROM evidence
         WHERE investigation_id = ? AND group_key IS NOT NULL AND verdict IN ('malicious', 'suspicious')",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    let labels: HashMap<String, String> = labels.into_iter().collect();
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

/// A machine row: id, name, domain, os, role, tags, ip, group, level, connector, last seen,
/// top active alert severity, active alerts, unremediated malicious entities.
type MachineRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    i64,
);

/// A log row: id, step, machine, status, started at, duration (ms), detail.
type LogRow = (i64, String, Option<String>, String, String, i64, String);

/// A filter on the investigations list.
#[derive(Debug, Clone, Default)]
pub struct InvestigationFilter {
    pub status: Option<InvestigationStatus>,
    pub machine: Option<String>,
}

impl Vigil {
    /// Every machine with its group, automation level and risk, most at risk first.
    pub async fn machines(&self) -> Result<Vec<MachineView>> {
        let rows: Vec<MachineRow> =
            sqlx::query_as(
                "SELECT m.id, m.name, m.domain, m.os, m.role, m.tags, m.ip, g.name, g.automation_level, m.connector, m.last_seen,
                    (SELECT a.severity FROM alerts a WHERE a.machine_id = m.id AND a.status <> 'resolved'
                     ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END LIMIT 1),
                    (SELECT COUNT(*) FROM alerts a WHERE a.machine_id = m.id AND a.status <> 'resolved'),
                    COALESCE(u.n, 0)
                 FROM machines m JOIN machine_groups g ON g.id = m.group_id
                 LEFT JOIN (SELECT e.machine_id, COUNT(*) AS n FROM evidence v JOIN entities e ON e.id = v.entity_id
                            WHERE v.verdict = 'malicious' AND v.remediation_status NOT IN ('remediated', 'not_found')
                            GROUP BY e.machine_id) u ON u.machine_id = m.id",
            )
            .fetch_all(self.store().pool())
            .await?;
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
                    }
                },
            )
            .collect();
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
        let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
            "{SUMMARY_SELECT} WHERE (?1 IS NULL OR i.status = ?1)
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM investigation_machines im JOIN machines m ON m.id = im.machine_id
                                          WHERE im.investigation_id = i.id AND m.name = ?2))
             ORDER BY i.id DESC"
        ))
        .bind(filter.status)
        .bind(&filter.machine)
        .fetch_all(self.store().pool())
        .await?;
        let now = clock::now();
        Ok(rows.into_iter().map(|r| r.into_view(&now)).collect())
    }

    /// Everything of one investigation: summary, alerts, machines, users, key findings,
    /// entities, log, actions and graph.
    pub async fn investigation(&self, id: u32) -> Result<InvestigationDetails> {
        let mut conn = self.store().pool().acquire().await?;
        let id64 = i64::from(id);
        let row: Option<SummaryRow> = sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE i.id = ?"))
            .bind(id64)
            .fetch_optional(&mut *conn)
            .await?;
        let summary = row
            .ok_or_else(|| Error::NotFound {
                what: "investigation",
                name: id.to_string(),
            })?
            .into_view(&clock::now());
        let alerts: Vec<AlertRow> = sqlx::query_as(&format!(
            "{ALERT_SELECT} JOIN investigation_alerts ia ON ia.alert_id = a.id WHERE ia.investigation_id = ? ORDER BY a.id"
        ))
        .bind(id64)
        .fetch_all(&mut *conn)
        .await?;
        let machines: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT m.name, g.name, g.automation_level, im.reason, im.joined_at
             FROM investigation_machines im JOIN machines m ON m.id = im.machine_id JOIN machine_groups g ON g.id = m.group_id
             WHERE im.investigation_id = ? ORDER BY im.joined_at, m.name",
        )
        .bind(id64)
        .fetch_all(&mut *conn)
        .await?;
        let users: Vec<(String, String)> = sqlx::query_as(
            "SELECT u.name, iu.reason FROM investigation_users iu JOIN users u ON u.id = iu.user_id
             WHERE iu.investigation_id = ? ORDER BY u.name",
        )
        .bind(id64)
        .fetch_all(&mut *conn)
        .await?;
        let entities = entities_of(&mut conn, id64).await?;
        let log: Vec<LogRow> = sqlx::query_as(
            "SELECT l.id, l.step, m.name, l.status, l.started_at, l.duration_ms, l.detail
             FROM investigation_log l LEFT JOIN machines m ON m.id = l.machine_id
             WHERE l.investigation_id = ? ORDER BY l.id",
        )
        .bind(id64)
        .fetch_all(&mut *conn)
        .await?;
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

/// Quotes a CSV field when it needs it; a leading `=`, `+`, `-` or `@` is neutralised so a
/// spreadsheet never runs attacker-controlled text as a formula.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
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
