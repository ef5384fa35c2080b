//! The `investigations` table and its scope (`investigation_machines`,
//! `investigation_alerts`, `investigation_users`): status changes checked against the
//! table, machines, alerts and affected users joining.

use sqlx::SqliteConnection;

use crate::domain::InvestigationStatus;
use crate::{clock, Error, Result};

/// The open statuses ([`InvestigationStatus::is_open`]) as an SQL list.
pub(crate) const OPEN: &str = "('queued', 'running', 'pending_action', 'waiting_for_machine')";

/// An investigation's status.
pub(crate) async fn status_of(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<InvestigationStatus> {
    let row: Option<(InvestigationStatus,)> =
        sqlx::query_as("SELECT status FROM investigations WHERE id = ?")
            .bind(investigation)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(s,)| s).ok_or_else(|| Error::NotFound {
        what: "investigation",
        name: investigation.to_string(),
    })
}

/// The ids of investigations in one of `statuses`, oldest first.
pub(crate) async fn ids_in(
    conn: &mut SqliteConnection,
    statuses: &[InvestigationStatus],
) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for status in statuses {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM investigations WHERE status = ?")
            .bind(status)
            .fetch_all(&mut *conn)
            .await?;
        ids.extend(rows.into_iter().map(|(id,)| id));
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The machine an investigation started on.
pub(crate) async fn trigger_machine(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<i64> {
    let (m,): (i64,) = sqlx::query_as("SELECT trigger_machine_id FROM investigations WHERE id = ?")
        .bind(investigation)
        .fetch_one(&mut *conn)
        .await?;
    Ok(m)
}

/// Moves an investigation to `to`, keeping pending time and end time right.
pub(crate) async fn set_status(
    conn: &mut SqliteConnection,
    investigation: i64,
    to: InvestigationStatus,
    detail: &str,
) -> Result<()> {
    let (from, pending_since): (InvestigationStatus, Option<String>) =
        sqlx::query_as("SELECT status, pending_since FROM investigations WHERE id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?;
    if !from.can_become(to) {
        return Err(Error::Conflict(format!(
            "investigation {investigation} is {} and cannot become {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let now = clock::now();
    let pending_ms = match (&pending_since, to) {
        (Some(since), t) if t != InvestigationStatus::PendingAction => {
            (clock::seconds_between(since, &now) * 1000.0) as i64
        }
        _ => 0,
    };
    let final_status = !to.is_open();
    sqlx::query(
        "UPDATE investigations SET status = ?, status_detail = ?,
            pending_ms_total = pending_ms_total + ?,
            pending_since = CASE WHEN ? THEN COALESCE(pending_since, ?) ELSE NULL END,
            started_at = COALESCE(started_at, CASE WHEN ? = 'running' THEN ? END),
            ended_at = CASE WHEN ? THEN ? ELSE NULL END
         WHERE id = ?",
    )
    .bind(to)
    .bind(detail)
    .bind(pending_ms)
    .bind(to == InvestigationStatus::PendingAction)
    .bind(&now)
    .bind(to.as_str())
    .bind(&now)
    .bind(final_status)
    .bind(&now)
    .bind(investigation)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds a machine to an investigation's scope (once); true when it is new there.
pub(crate) async fn add_machine(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT OR IGNORE INTO investigation_machines (investigation_id, machine_id, reason, joined_at)
         VALUES (?, ?, ?, ?)",
    )
    .bind(investigation)
    .bind(machine)
    .bind(reason)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Attaches an alert (and its entities as evidence) to an investigation.
pub(crate) async fn attach_alert(
    conn: &mut SqliteConnection,
    investigation: i64,
    alert: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO investigation_alerts (investigation_id, alert_id, joined_at) VALUES (?, ?, ?)",
    )
    .bind(investigation)
    .bind(alert)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE alerts SET investigation_id = ?, status = 'in_progress' WHERE id = ?")
        .bind(investigation)
        .bind(alert)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT OR IGNORE INTO evidence (investigation_id, entity_id, found_at)
         SELECT ?, entity_id, ? FROM alert_entities WHERE alert_id = ?",
    )
    .bind(investigation)
    .bind(clock::now())
    .bind(alert)
    .execute(&mut *conn)
    .await?;
    let (machine,): (i64,) = sqlx::query_as("SELECT machine_id FROM alerts WHERE id = ?")
        .bind(alert)
        .fetch_one(&mut *conn)
        .await?;
    if add_machine(conn, investigation, machine, "alert").await? {
        return Ok(());
    }
    // A known machine with new evidence: its playbook runs again.
    sqlx::query("UPDATE investigation_machines SET playbook_done = 0 WHERE investigation_id = ? AND machine_id = ?")
        .bind(investigation)
        .bind(machine)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A new investigation's row.
#[derive(Debug)]
pub(crate) struct NewInvestigation<'a> {
    pub title: &'a str,
    pub status: InvestigationStatus,
    pub status_detail: &'a str,
    pub trigger_kind: &'a str,
    pub trigger_alert: Option<i64>,
    pub trigger_machine: i64,
    pub playbook: &'a str,
    pub detection_source: &'a str,
    pub threat_types: &'a str,
    pub started_by: &'a str,
    pub created_at: &'a str,
}

/// Writes a new investigation (ended at once when it is not applicable); returns its id.
pub(crate) async fn insert(conn: &mut SqliteConnection, i: &NewInvestigation<'_>) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO investigations (title, status, status_detail, trigger_kind, trigger_alert_id,
            trigger_machine_id, playbook, detection_source, threat_types, started_by, created_at, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(i.title)
    .bind(i.status)
    .bind(i.status_detail)
    .bind(i.trigger_kind)
    .bind(i.trigger_alert)
    .bind(i.trigger_machine)
    .bind(i.playbook)
    .bind(i.detection_source)
    .bind(i.threat_types)
    .bind(i.started_by)
    .bind(i.created_at)
    .bind((i.status == InvestigationStatus::NotApplicable).then_some(i.created_at))
    .execute(&mut *conn)
    .await?
    .last_insert_rowid())
}

/// An investigation's playbook (by name) and the machine it started on.
pub(crate) async fn playbook_and_home(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<(String, i64)> {
    Ok(
        sqlx::query_as("SELECT playbook, trigger_machine_id FROM investigations WHERE id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// The machines of an investigation's scope whose playbook has not run since they joined
/// or since new evidence came, in the order they joined.
pub(crate) async fn machines_to_do(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT machine_id FROM investigation_machines WHERE investigation_id = ? AND playbook_done = 0
         ORDER BY joined_at, machine_id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(m,)| m).collect())
}

/// Notes that a machine's playbook ran in an investigation.
pub(crate) async fn playbook_done(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE investigation_machines SET playbook_done = 1 WHERE investigation_id = ? AND machine_id = ?",
    )
    .bind(investigation)
    .bind(machine)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// When the threat was first and last seen on a machine the scope grew to (none for a
/// machine that joined otherwise).
pub(crate) async fn seen_on(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
) -> Result<Option<(String, String)>> {
    let seen: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT seen_from, seen_to FROM investigation_machines
         WHERE investigation_id = ? AND machine_id = ?",
    )
    .bind(investigation)
    .bind(machine)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(seen.and_then(|(from, to)| from.zip(to)))
}

/// Notes when the threat was first and last seen on a machine of the scope.
pub(crate) async fn set_seen(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    from: &str,
    to: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE investigation_machines SET seen_from = ?, seen_to = ?
         WHERE investigation_id = ? AND machine_id = ?",
    )
    .bind(from)
    .bind(to)
    .bind(investigation)
    .bind(machine)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The ids of the machines of an investigation's scope.
pub(crate) async fn machine_ids_of(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT machine_id FROM investigation_machines WHERE investigation_id = ?")
            .bind(investigation)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|(m,)| m).collect())
}

/// Names a user affected by an investigation (once), with why; true when it is new there.
pub(crate) async fn add_user(
    conn: &mut SqliteConnection,
    investigation: i64,
    user: i64,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT OR IGNORE INTO investigation_users (investigation_id, user_id, reason) VALUES (?, ?, ?)",
    )
    .bind(investigation)
    .bind(user)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// How many users an investigation names as affected.
pub(crate) async fn user_count(conn: &mut SqliteConnection, investigation: i64) -> Result<i64> {
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM investigation_users WHERE investigation_id = ?")
            .bind(investigation)
            .fetch_one(&mut *conn)
            .await?;
    Ok(total)
}

/// Deletes an investigation that never ran (folded into another).
pub(crate) async fn delete_queued(conn: &mut SqliteConnection, investigation: i64) -> Result<()> {
    sqlx::query("DELETE FROM investigations WHERE id = ? AND status = 'queued'")
        .bind(investigation)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

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

/// The oldest open investigation whose scope holds `machine`.
pub(crate) async fn open_with_machine(
    conn: &mut SqliteConnection,
    machine: i64,
) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT i.id FROM investigations i JOIN investigation_machines im ON im.investigation_id = i.id
         WHERE im.machine_id = ? AND i.status IN {OPEN} ORDER BY i.id LIMIT 1"
    ))
    .bind(machine)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id,)| id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_list_of_open_statuses_is_the_domains() {
        let listed: Vec<&str> = OPEN
            .trim_matches(|c| c == '(' || c == ')')
            .split(", ")
            .map(|s| s.trim_matches('\''))
            .collect();
        let open: Vec<&str> = InvestigationStatus::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(listed, open);
    }
}
