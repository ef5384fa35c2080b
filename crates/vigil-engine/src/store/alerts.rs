//! The `alerts` table and the entities each alert names (`alert_entities`).

use sqlx::SqliteConnection;

use crate::domain::{AlertView, EntityKind, NewAlert, Severity};
use crate::{clock, Result};

/// Resolves an investigation's alerts.
pub(crate) async fn resolve_of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<()> {
    sqlx::query("UPDATE alerts SET status = 'resolved' WHERE investigation_id = ?")
        .bind(investigation)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The open alert a new one with this dedupe key folds into: unresolved and seen since
/// `since`, the newest.
pub(crate) async fn open_duplicate(
    conn: &mut SqliteConnection,
    dedupe_key: &str,
    since: &str,
) -> Result<Option<i64>> {
    let existing: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM alerts WHERE dedupe_key = ? AND status <> 'resolved' AND last_seen >= ? ORDER BY id DESC LIMIT 1",
    )
    .bind(dedupe_key)
    .bind(since)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(existing.map(|(id,)| id))
}

/// Widens an alert's time span to `last_seen`.
pub(crate) async fn widen(conn: &mut SqliteConnection, alert: i64, last_seen: &str) -> Result<()> {
    sqlx::query("UPDATE alerts SET last_seen = MAX(last_seen, ?) WHERE id = ?")
        .bind(last_seen)
        .bind(alert)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes a new alert; returns its id.
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    alert: &NewAlert,
    dedupe_key: &str,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO alerts (title, description, severity, category, technique, detection_source, rule_id,
            machine_id, user_name, dedupe_key, first_seen, last_seen, created_at, grade, logon_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .bind(dedupe_key)
    .bind(&alert.first_seen)
    .bind(&alert.last_seen)
    .bind(clock::now())
    .bind(alert.grade)
    .bind(alert.logon_id)
    .execute(&mut *conn)
    .await?
    .last_insert_rowid())
}

/// Records the entities an alert names (`entity_ids`, in the order of its entities), each
/// with its part.
pub(crate) async fn name_entities(
    conn: &mut SqliteConnection,
    alert_id: i64,
    alert: &NewAlert,
    entity_ids: &[i64],
) -> Result<()> {
    if entity_ids.is_empty() {
        return Ok(());
    }
    let mut query: sqlx::QueryBuilder<sqlx::Sqlite> =
        sqlx::QueryBuilder::new("INSERT INTO alert_entities (alert_id, entity_id, role) ");
    query.push_values(
        alert.entities.iter().zip(entity_ids),
        |mut row, (entity, entity_id)| {
            row.push_bind(alert_id)
                .push_bind(entity_id)
                .push_bind(entity.role);
        },
    );
    query.push(" ON CONFLICT (alert_id, entity_id) DO NOTHING");
    query.build().execute(&mut *conn).await?;
    Ok(())
}

/// What an alert says of where it came from.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Origin {
    pub machine_id: i64,
    pub title: String,
    pub category: String,
    pub detection_source: String,
}

/// Where alert `alert` came from; an unknown alert is an error that names it.
pub(crate) async fn origin(conn: &mut SqliteConnection, alert: i64) -> Result<Origin> {
    let row: Option<Origin> = sqlx::query_as(
        "SELECT machine_id, title, category, detection_source FROM alerts WHERE id = ?",
    )
    .bind(alert)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(|| crate::Error::NotFound {
        what: "alert",
        name: alert.to_string(),
    })
}

/// A machine's unresolved alerts that no open investigation holds.
pub(crate) async fn unclaimed_on(conn: &mut SqliteConnection, machine: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM alerts WHERE machine_id = ? AND status <> 'resolved'
           AND (investigation_id IS NULL OR investigation_id NOT IN
                (SELECT id FROM investigations WHERE status IN {}))",
        super::investigations::OPEN
    ))
    .bind(machine)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(a,)| a).collect())
}

/// An investigation's alerts: id, title and machine, oldest first.
pub(crate) async fn of_investigation_brief(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(i64, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.title, a.machine_id FROM investigation_alerts ia JOIN alerts a ON a.id = ia.alert_id
         WHERE ia.investigation_id = ? ORDER BY a.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// When an investigation's alerts were seen: the first one's start and the last one's end
/// (none before it holds an alert).
pub(crate) async fn span_of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Option<(String, String)>> {
    let (from, to): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT MIN(a.first_seen), MAX(a.last_seen) FROM investigation_alerts ia
         JOIN alerts a ON a.id = ia.alert_id WHERE ia.investigation_id = ?",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok(from.zip(to))
}

/// When an investigation's alerts on `machine` were seen: the first one's start and the
/// last one's end (none before one of them is on it).
pub(crate) async fn span_on_machine(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
) -> Result<Option<(String, String)>> {
    let (first, last): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT MIN(a.first_seen), MAX(a.last_seen) FROM investigation_alerts ia
         JOIN alerts a ON a.id = ia.alert_id WHERE ia.investigation_id = ? AND a.machine_id = ?",
    )
    .bind(investigation)
    .bind(machine)
    .fetch_one(&mut *conn)
    .await?;
    Ok(first.zip(last))
}

/// An alert of an investigation with one entity it names and that entity's part.
#[derive(sqlx::FromRow)]
pub(crate) struct NamingRow {
    pub id: i64,
    pub title: String,
    pub severity: Severity,
    pub grade: crate::domain::Grade,
    pub detection_source: String,
    pub rule_id: String,
    pub description: String,
    pub entity_id: i64,
    pub role: crate::domain::Role,
}

/// The entities an investigation's alerts name: one row per alert and entity, by alert.
pub(crate) async fn namings_of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<NamingRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.title, a.severity, a.grade, a.detection_source, a.rule_id, a.description,
                ae.entity_id, ae.role
         FROM investigation_alerts ia JOIN alerts a ON a.id = ia.alert_id
         JOIN alert_entities ae ON ae.alert_id = a.id
         WHERE ia.investigation_id = ? ORDER BY a.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// A waiting alert (no policy took it) that names evidence of an investigation.
#[derive(sqlx::FromRow)]
pub(crate) struct Waiting {
    pub id: i64,
    pub title: String,
    pub machine_id: i64,
    pub kind: EntityKind,
    pub path: Option<String>,
    pub value: Option<String>,
    pub name: String,
    pub detail: String,
}

/// The alerts no policy took (unresolved, in no investigation) on a machine of
/// `investigation`'s scope, seen between `from` and `to`, with each entity they share with
/// its evidence: one row per alert and entity, oldest alert first.
pub(crate) async fn waiting_naming_evidence(
    conn: &mut SqliteConnection,
    investigation: i64,
    from: &str,
    to: &str,
) -> Result<Vec<Waiting>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.title, a.machine_id, e.kind, e.path, e.value, e.name, e.detail
         FROM alerts a
         JOIN investigation_machines im ON im.machine_id = a.machine_id AND im.investigation_id = ?1
         JOIN alert_entities ae ON ae.alert_id = a.id
         JOIN evidence v ON v.entity_id = ae.entity_id AND v.investigation_id = ?1
         JOIN entities e ON e.id = ae.entity_id
         WHERE a.investigation_id IS NULL AND a.status <> 'resolved'
           AND a.first_seen <= ?2 AND a.last_seen >= ?3
         ORDER BY a.id",
    )
    .bind(investigation)
    .bind(to)
    .bind(from)
    .fetch_all(&mut *conn)
    .await?)
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

/// Alerts as views, newest first (of one machine, by name, or all).
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    machine: Option<&str>,
) -> Result<Vec<AlertView>> {
    let rows: Vec<AlertRow> = sqlx::query_as(&format!(
        "{ALERT_SELECT} WHERE (?1 IS NULL OR m.name = ?1) ORDER BY a.id DESC"
    ))
    .bind(machine)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(AlertView::from).collect())
}

/// One alert as a view.
pub(crate) async fn view(conn: &mut SqliteConnection, alert: i64) -> Result<Option<AlertView>> {
    let row: Option<AlertRow> = sqlx::query_as(&format!("{ALERT_SELECT} WHERE a.id = ?"))
        .bind(alert)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(AlertView::from))
}

/// Per IOC list (`ioc:<list>` rule), how many alerts it raised and on how many machines.
pub(crate) async fn ioc_alerts_by_rule(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT rule_id, COUNT(*), COUNT(DISTINCT machine_id) FROM alerts
         WHERE detection_source = 'ioc' GROUP BY rule_id",
    )
    .fetch_all(&mut *conn)
    .await?)
}

// Read by the investigation page and the dashboard.

/// Whether alert `alert` exists (None when not) and the open investigation it is in, if any.
pub(crate) async fn open_investigation(
    conn: &mut SqliteConnection,
    alert: i64,
) -> Result<Option<Option<i64>>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(&format!(
        "SELECT i.id FROM alerts a LEFT JOIN investigations i ON i.id = a.investigation_id
           AND i.status IN {} WHERE a.id = ?",
        super::investigations::OPEN
    ))
    .bind(alert)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(open,)| open))
}

/// The alerts of an investigation, oldest first.
pub(crate) async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "{ALERT_SELECT} JOIN investigation_alerts ia ON ia.alert_id = a.id WHERE ia.investigation_id = ? ORDER BY a.id"
    ))
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// The newest `limit` alerts not resolved, newest first.
pub(crate) async fn latest_active(
    conn: &mut SqliteConnection,
    limit: i64,
) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "{ALERT_SELECT} WHERE a.status <> 'resolved' ORDER BY a.id DESC LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Which entity each alert of an investigation names: (alert, entity) pairs.
pub(crate) async fn entities_of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT ae.alert_id, ae.entity_id FROM alert_entities ae
         JOIN investigation_alerts ia ON ia.alert_id = ae.alert_id WHERE ia.investigation_id = ?",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}
