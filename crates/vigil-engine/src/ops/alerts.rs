//! Alerts: raised by detections, deduplicated, joined to an investigation already working
//! on their machine, or routed by alert policies to a new one.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::domain::{AlertView, InvestigationStatus, Severity};
use crate::ops::entities::{self, NewEntity};
use crate::ops::investigate::{attach_alert, set_status, Playbook, Trigger};
use crate::{clock, Error, Result, Vigil};

/// Alerts with the same rule, machine and first entity within this many minutes are one.
pub const DEDUPE_WINDOW_MINUTES: i64 = 60;

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: String,
    pub technique: String,
    /// `sigma`, `ioc`, `yara`, `heuristic`, `imported`, `manual`.
    pub detection_source: String,
    pub rule_id: String,
    pub machine_id: i64,
    pub user_name: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub entities: Vec<NewEntity>,
}

/// What became of a raised alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The same alert was already open: its last-seen time moved.
    Deduplicated,
    /// It joined an investigation already working on its machine or evidence.
    Joined,
    /// An alert policy started an investigation.
    Started,
    /// The machine is not protected: no investigation.
    NotProtected,
    /// No policy routes it: it waits for an analyst.
    Waiting,
}

/// A raised alert and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub alert: i64,
    pub routing: Routing,
    pub investigation: Option<i64>,
}

async fn insert_alert(conn: &mut SqliteConnection, alert: &NewAlert) -> Result<(i64, bool)> {
    let mut entity_ids = Vec::new();
    for entity in &alert.entities {
        entity_ids.push(entities::upsert(conn, entity).await?);
    }
    let dedupe_key = format!(
        "{}|{}|{}|{}",
        alert.detection_source,
        if alert.rule_id.is_empty() {
            &alert.title
        } else {
            &alert.rule_id
        },
        alert.machine_id,
        entity_ids.first().copied().unwrap_or(0)
    );
    let since = clock::shift(
        &alert.first_seen,
        time::Duration::minutes(-DEDUPE_WINDOW_MINUTES),
    );
    let existing: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM alerts WHERE dedupe_key = ? AND status <> 'resolved' AND last_seen >= ? ORDER BY id DESC LIMIT 1",
    )
    .bind(&dedupe_key)
    .bind(&since)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id,)) = existing {
        sqlx::query("UPDATE alerts SET last_seen = MAX(last_seen, ?) WHERE id = ?")
            .bind(&alert.last_seen)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok((id, true));
    }
    let id = sqlx::query(
        "INSERT INTO alerts (title, description, severity, category, technique, detection_source, rule_id,
            machine_id, user_name, dedupe_key, first_seen, last_seen, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&alert.title)
    .bind(&alert.description)
    .bind(alert.severity)
    .bind(&alert.category)
    .bind(&alert.technique)
    .bind(&alert.detection_source)
    .bind(&alert.rule_id)
    .bind(alert.machine_id)
    .bind(&alert.user_name)
    .bind(&dedupe_key)
    .bind(&alert.first_seen)
    .bind(&alert.last_seen)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?
    .last_insert_rowid();
    for entity in entity_ids {
        sqlx::query("INSERT OR IGNORE INTO alert_entities (alert_id, entity_id) VALUES (?, ?)")
            .bind(id)
            .bind(entity)
            .execute(&mut *conn)
            .await?;
    }
    Ok((id, false))
}

/// The open investigation this alert belongs to: one with its machine in scope, or one
/// with any of its entities in evidence.
async fn open_investigation_for(conn: &mut SqliteConnection, alert: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_as::<_, (i64,)>(
        "SELECT i.id FROM investigations i WHERE i.status IN ('queued', 'running', 'pending_action') AND (
            EXISTS (SELECT 1 FROM investigation_machines im JOIN alerts a ON a.machine_id = im.machine_id
                    WHERE im.investigation_id = i.id AND a.id = ?1)
         OR EXISTS (SELECT 1 FROM evidence v JOIN alert_entities ae ON ae.entity_id = v.entity_id
                    WHERE v.investigation_id = i.id AND ae.alert_id = ?1))
         ORDER BY i.id LIMIT 1",
    )
    .bind(alert)
    .fetch_optional(&mut *conn)
    .await?
    .map(|(id,)| id))
}

/// An alert policy: min severity, detection source, category, playbook, start.
type PolicyRow = (String, Option<String>, Option<String>, String, bool);

/// The first enabled policy that routes this alert: Some(playbook) to investigate.
async fn route(conn: &mut SqliteConnection, alert: &NewAlert) -> Result<Option<Playbook>> {
    let policies: Vec<PolicyRow> = sqlx::query_as(
        "SELECT min_severity, detection_source, category, playbook, start FROM alert_policies
         WHERE enabled = 1 ORDER BY rank, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (min_severity, source, category, playbook, start) in policies {
        let min = Severity::parse(&min_severity).unwrap_or(Severity::High);
        let source_ok = source
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(&alert.detection_source));
        let category_ok = category
            .as_deref()
            .is_none_or(|c| alert.category.to_lowercase().contains(&c.to_lowercase()));
        if alert.severity >= min && source_ok && category_ok {
            if !start {
                return Ok(None);
            }
            return Ok(Some(Playbook::parse(&playbook).unwrap_or_else(|| {
                Playbook::for_alert(&alert.category, &alert.title)
            })));
        }
    }
    Ok(None)
}

impl Vigil {
    /// Raises an alert: deduplicates it, joins it to an open investigation, or routes it
    /// through the alert policies (which may start and run an investigation).
    pub async fn raise_alert(&self, alert: NewAlert) -> Result<Raised> {
        let raised = self.file_alert(alert).await?;
        if let (Some(inv), Routing::Joined | Routing::Started) =
            (raised.investigation, raised.routing)
        {
            if !self.is_running(inv) {
                self.run_investigation(inv).await?;
            }
        }
        Ok(raised)
    }

    /// Files an alert as `raise_alert` does — deduplicated, joined, or routed to a new
    /// (queued) investigation — without running the investigation: a caller raising many
    /// alerts at once runs each investigation once afterwards.
    pub async fn file_alert(&self, alert: NewAlert) -> Result<Raised> {
        let mut tx = self.store().pool().begin().await?;
        let (id, duplicate) = insert_alert(&mut tx, &alert).await?;
        if duplicate {
            tx.commit().await?;
            return Ok(Raised {
                alert: id,
                routing: Routing::Deduplicated,
                investigation: None,
            });
        }
        if let Some(inv) = open_investigation_for(&mut tx, id).await? {
            attach_alert(&mut tx, inv, id).await?;
            let (status,): (InvestigationStatus,) =
                sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
                    .bind(inv)
                    .fetch_one(&mut *tx)
                    .await?;
            if status == InvestigationStatus::PendingAction {
                set_status(
                    &mut tx,
                    inv,
                    InvestigationStatus::Running,
                    "a related alert joined",
                )
                .await?;
            }
            let started = crate::ops::investigate::step_start();
            crate::ops::investigate::log_step(
                &mut tx,
                inv,
                "Alert joined",
                Some(alert.machine_id),
                "completed",
                started,
                &alert.title,
            )
            .await?;
            tx.commit().await?;
            return Ok(Raised {
                alert: id,
                routing: Routing::Joined,
                investigation: Some(inv),
            });
        }
        let playbook = route(&mut tx, &alert).await?;
        tx.commit().await?;
        let Some(playbook) = playbook else {
            return Ok(Raised {
                alert: id,
                routing: Routing::Waiting,
                investigation: None,
            });
        };
        let inv = self
            .create_investigation(
                Trigger::Policy {
                    alert: id,
                    playbook,
                },
                "alert policy",
            )
            .await?;
        let (status,): (InvestigationStatus,) =
            sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
                .bind(inv)
                .fetch_one(self.store().pool())
                .await?;
        let routing = if status == InvestigationStatus::NotApplicable {
            Routing::NotProtected
        } else {
            Routing::Started
        };
        Ok(Raised {
            alert: id,
            routing,
            investigation: Some(inv),
        })
    }

    /// Alerts, newest first (optionally of one machine).
    pub async fn alerts(&self, machine: Option<&str>) -> Result<Vec<AlertView>> {
        let rows: Vec<AlertRow> = sqlx::query_as(&format!(
            "{ALERT_SELECT} WHERE (?1 IS NULL OR m.name = ?1) ORDER BY a.id DESC"
        ))
        .bind(machine)
        .fetch_all(self.store().pool())
        .await?;
        Ok(rows.into_iter().map(AlertView::from).collect())
    }

    /// One alert.
    pub async fn alert(&self, id: u32) -> Result<AlertView> {
        let row: Option<AlertRow> = sqlx::query_as(&format!("{ALERT_SELECT} WHERE a.id = ?"))
            .bind(i64::from(id))
            .fetch_optional(self.store().pool())
            .await?;
        row.map(AlertView::from).ok_or_else(|| Error::NotFound {
            what: "alert",
            name: id.to_string(),
        })
    }
}

pub(crate) const ALERT_SELECT: &str = "SELECT a.id, a.title, a.description, a.severity, a.category, a.technique,
    a.detection_source, a.rule_id, m.name AS machine, a.user_name, a.status, a.investigation_id, a.first_seen, a.last_seen
    FROM alerts a JOIN machines m ON m.id = a.machine_id";

#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    id: i64,
    title: String,
    description: String,
    severity: Severity,
    category: String,
    technique: String,
    detection_source: String,
    rule_id: String,
    machine: String,
    user_name: Option<String>,
    status: String,
    investigation_id: Option<i64>,
    first_seen: String,
    last_seen: String,
}

impl From<AlertRow> for AlertView {
    fn from(r: AlertRow) -> Self {
        AlertView {
            id: r.id as u32,
            title: r.title,
            description: r.description,
            severity: r.severity,
            category: r.category,
            technique: r.technique,
            detection_source: r.detection_source,
            rule_id: r.rule_id,
            machine: r.machine,
            user: r.user_name,
            status: r.status,
            investigation_id: r.investigation_id.map(|i| i as u32),
            first_seen: r.first_seen,
            last_seen: r.last_seen,
        }
    }
}
