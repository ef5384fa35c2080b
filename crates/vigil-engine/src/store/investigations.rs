//! The `investigations` table and an investigation's scope (`investigation_machines`,
//! `investigation_users`).

use sqlx::SqliteConnection;

use crate::domain::InvestigationStatus;
use crate::Result;

// Read by the investigation page and the dashboard.

/// An investigation as its list and page show it, as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) status: InvestigationStatus,
    pub(crate) status_detail: String,
    pub(crate) trigger_kind: String,
    pub(crate) trigger_alert_id: Option<i64>,
    pub(crate) trigger_alert_title: Option<String>,
    pub(crate) playbook: String,
    pub(crate) detection_source: String,
    pub(crate) threat_types: String,
    pub(crate) tags: String,
    pub(crate) machine_names: Option<String>,
    pub(crate) user_names: Option<String>,
    pub(crate) started_by: String,
    pub(crate) created_at: String,
    pub(crate) started_at: Option<String>,
    pub(crate) ended_at: Option<String>,
    pub(crate) pending_since: Option<String>,
    pub(crate) pending_ms_total: i64,
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

/// The investigations list, newest first: those with `status` and on the machine called
/// `machine`, when given.
pub(crate) async fn summaries(
    conn: &mut SqliteConnection,
    status: Option<InvestigationStatus>,
    machine: Option<&str>,
) -> Result<Vec<SummaryRow>> {
    Ok(sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE (?1 IS NULL OR i.status = ?1)
           AND (?2 IS NULL OR EXISTS (SELECT 1 FROM investigation_machines im JOIN machines m ON m.id = im.machine_id
                                      WHERE im.investigation_id = i.id AND m.name = ?2))
         ORDER BY i.id DESC"
    ))
    .bind(status)
    .bind(machine)
    .fetch_all(&mut *conn)
    .await?)
}

/// One investigation, if it exists.
pub(crate) async fn summary(conn: &mut SqliteConnection, id: i64) -> Result<Option<SummaryRow>> {
    Ok(sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE i.id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// A machine in an investigation: name, group, automation level, why it joined, when.
pub(crate) type ScopeMachineRow = (String, String, String, String, String);

/// The machines in an investigation, in the order they joined.
pub(crate) async fn machines_of(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<ScopeMachineRow>> {
    Ok(sqlx::query_as(
        "SELECT m.name, g.name, g.automation_level, im.reason, im.joined_at
         FROM investigation_machines im JOIN machines m ON m.id = im.machine_id JOIN machine_groups g ON g.id = m.group_id
         WHERE im.investigation_id = ? ORDER BY im.joined_at, m.name",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// The users in an investigation with why each is in it, by name.
pub(crate) async fn users_of(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.name, iu.reason FROM investigation_users iu JOIN users u ON u.id = iu.user_id
         WHERE iu.investigation_id = ? ORDER BY u.name",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}
