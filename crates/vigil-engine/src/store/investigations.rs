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

/// How many investigations there are of each status (statuses with none are absent).
pub(crate) async fn count_by_status(
    conn: &mut SqliteConnection,
) -> Result<Vec<(InvestigationStatus, i64)>> {
    Ok(
        sqlx::query_as("SELECT status, COUNT(*) FROM investigations GROUP BY status")
            .fetch_all(&mut *conn)
            .await?,
    )
}

// Written by the dashboard benchmark.

/// Fills an empty store with `n` settled investigations on machines 1 to 200, each with
/// one alert, one file entity and (two in three) one action; one in a hundred still
/// pending. Times are `now`, and pending actions expire at `expires`.
pub(crate) async fn seed_settled(
    conn: &mut SqliteConnection,
    n: u32,
    now: &str,
    expires: &str,
) -> Result<()> {
    // Ids line up: investigation i has alert i, entity i and action i.
    let statements = [
        "INSERT INTO investigations (id, title, status, trigger_kind, trigger_alert_id, trigger_machine_id, playbook, created_at, started_at, ended_at)
         SELECT i, 'Bench investigation ' || i,
            CASE WHEN i % 100 = 0 THEN 'pending_action' WHEN i % 3 = 0 THEN 'no_threats_found' WHEN i % 7 = 0 THEN 'partially_remediated' ELSE 'remediated' END,
            'alert', i, 1 + i % 200, 'malware_on_machine', ?2, ?2, CASE WHEN i % 100 = 0 THEN NULL ELSE ?2 END FROM n",
        "INSERT INTO alerts (id, title, severity, category, detection_source, machine_id, status, investigation_id, first_seen, last_seen, created_at)
         SELECT i, 'Bench alert ' || i, CASE i % 3 WHEN 0 THEN 'high' WHEN 1 THEN 'medium' ELSE 'low' END, 'Execution', 'sigma',
            1 + i % 200, CASE WHEN i % 100 = 0 THEN 'new' ELSE 'resolved' END, i, ?2, ?2, ?2 FROM n",
        "INSERT INTO investigation_alerts (investigation_id, alert_id, joined_at) SELECT i, i, ?2 FROM n",
        "INSERT INTO investigation_machines (investigation_id, machine_id, reason, joined_at) SELECT i, 1 + i % 200, 'alert', ?2 FROM n",
        "INSERT INTO entities (id, kind, key, machine_id, name, path) SELECT i, 'file', (1 + i % 200) || '|c:\\temp\\bench' || i || '.exe', 1 + i % 200, 'bench' || i || '.exe', 'C:\\Temp\\bench' || i || '.exe' FROM n",
        "INSERT INTO evidence (investigation_id, entity_id, verdict, remediation_status, found_at)
         SELECT i, i, CASE WHEN i % 3 = 0 THEN 'no_threats_found' ELSE 'malicious' END,
            CASE WHEN i % 3 = 0 THEN 'none' WHEN i % 100 = 0 THEN 'pending_approval' ELSE 'remediated' END, ?2 FROM n",
        "INSERT INTO actions (id, investigation_id, kind, entity_id, machine_id, source, state, proposed_at, expires_at, finished_at)
         SELECT i, i, 'quarantine_file', i, 1 + i % 200, 'automated', CASE WHEN i % 100 = 0 THEN 'pending' ELSE 'succeeded' END,
            ?2, ?3, CASE WHEN i % 100 = 0 THEN NULL ELSE ?2 END FROM n WHERE i % 3 <> 0",
    ];
    for statement in statements {
        sqlx::query(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) {statement}"
        ))
        .bind(i64::from(n))
        .bind(now)
        .bind(expires)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
