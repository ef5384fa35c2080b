//! The `alert_policies` table: which alerts start an investigation, tried in rank order.

use sqlx::SqliteConnection;

use crate::domain::Severity;
use crate::Result;

/// An alert policy as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct PolicyRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) rank: i64,
    pub(crate) enabled: bool,
    pub(crate) min_severity: String,
    pub(crate) detection_source: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) playbook: String,
    pub(crate) start: bool,
    pub(crate) why: String,
}

const POLICY_SELECT: &str =
    "SELECT id, name, rank, enabled, min_severity, detection_source, category, playbook, start, why
             FROM alert_policies";

/// A policy as the admin wrote it, to store.
pub(crate) struct PolicyFields<'a> {
    pub(crate) name: &'a str,
    pub(crate) enabled: bool,
    pub(crate) min_severity: Severity,
    pub(crate) detection_source: Option<&'a str>,
    pub(crate) category: Option<&'a str>,
    pub(crate) playbook: &'a str,
    pub(crate) start: bool,
}

/// Every policy, in the order they are tried.
pub(crate) async fn all(conn: &mut SqliteConnection) -> Result<Vec<PolicyRow>> {
    Ok(
        sqlx::query_as(&format!("{POLICY_SELECT} ORDER BY rank, id"))
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// The policy with this id, if there is one.
pub(crate) async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<PolicyRow>> {
    Ok(sqlx::query_as(&format!("{POLICY_SELECT} WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Every policy's id, in the order they are tried.
pub(crate) async fn ids_in_order(conn: &mut SqliteConnection) -> Result<Vec<i64>> {
    let ordered: Vec<(i64,)> = sqlx::query_as("SELECT id FROM alert_policies ORDER BY rank, id")
        .fetch_all(&mut *conn)
        .await?;
    Ok(ordered.into_iter().map(|(id,)| id).collect())
}

/// Changes a policy (its shipped explanation no longer applies); false when there is none.
pub(crate) async fn update(
    conn: &mut SqliteConnection,
    id: i64,
    policy: &PolicyFields<'_>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE alert_policies SET why = '', name = ?, enabled = ?, min_severity = ?, detection_source = ?,
            category = ?, playbook = ?, start = ? WHERE id = ?",
    )
    .bind(policy.name)
    .bind(policy.enabled)
    .bind(policy.min_severity)
    .bind(policy.detection_source)
    .bind(policy.category)
    .bind(policy.playbook)
    .bind(policy.start)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Adds a policy, tried after the others. Returns its id.
pub(crate) async fn insert_last(
    conn: &mut SqliteConnection,
    policy: &PolicyFields<'_>,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO alert_policies (name, rank, enabled, min_severity, detection_source, category, playbook, start)
         VALUES (?, (SELECT COALESCE(MAX(rank), 0) + 1 FROM alert_policies), ?, ?, ?, ?, ?, ?)",
    )
    .bind(policy.name)
    .bind(policy.enabled)
    .bind(policy.min_severity)
    .bind(policy.detection_source)
    .bind(policy.category)
    .bind(policy.playbook)
    .bind(policy.start)
    .execute(&mut *conn)
    .await?
    .last_insert_rowid())
}

/// Deletes a policy; false when there is none.
pub(crate) async fn delete(conn: &mut SqliteConnection, id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM alert_policies WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The enabled policies in their order: min severity, detection source, category, playbook,
/// and whether it starts an investigation.
pub(crate) async fn enabled_in_order(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, Option<String>, Option<String>, String, bool)>> {
    Ok(sqlx::query_as(
        "SELECT min_severity, detection_source, category, playbook, start FROM alert_policies
         WHERE enabled = 1 ORDER BY rank, id",
    )
    .fetch_all(&mut *conn)
    .await?)
}
