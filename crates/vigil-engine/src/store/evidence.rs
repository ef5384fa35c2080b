//! The `evidence` table: each investigation's entities with their verdict and remediation.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::RemediationStatus;
use crate::Result;

/// Sets an entity's remediation status in one investigation.
pub(crate) async fn set_remediation(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
    status: RemediationStatus,
) -> Result<()> {
    sqlx::query(
        "UPDATE evidence SET remediation_status = ? WHERE investigation_id = ? AND entity_id = ?",
    )
    .bind(status)
    .bind(investigation)
    .bind(entity)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An investigation's malicious findings, and of them those the guard protects that are
/// not remediated.
pub(crate) async fn threats(conn: &mut SqliteConnection, investigation: i64) -> Result<(u32, u32)> {
    let (findings, refused): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(protected) - SUM(remediation_status = 'remediated' AND protected IS NOT NULL)
         FROM evidence WHERE investigation_id = ? AND verdict = 'malicious'",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok((findings.max(0) as u32, refused.max(0) as u32))
}

/// How many of an investigation's findings are suspicious.
pub(crate) async fn suspicious(conn: &mut SqliteConnection, investigation: i64) -> Result<u32> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM evidence WHERE investigation_id = ? AND verdict = 'suspicious'",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n.max(0) as u32)
}

/// A finding the admin asks to remediate, with what the guard needs.
#[derive(sqlx::FromRow)]
pub(crate) struct Remediable {
    pub kind: crate::domain::EntityKind,
    pub name: String,
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub value: Option<String>,
    pub detail: String,
    pub machine_id: Option<i64>,
    pub machine: Option<String>,
    pub connector: Option<String>,
}

/// One finding of an investigation, as remediating it needs it.
pub(crate) async fn remediable(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
) -> Result<Option<Remediable>> {
    Ok(sqlx::query_as(
        "SELECT e.kind, e.name, e.path, e.sha256, e.value, e.detail, e.machine_id,
                m.name AS machine, m.connector
         FROM evidence v JOIN entities e ON e.id = v.entity_id LEFT JOIN machines m ON m.id = e.machine_id
         WHERE v.investigation_id = ? AND v.entity_id = ?",
    )
    .bind(investigation)
    .bind(entity)
    .fetch_optional(&mut *conn)
    .await?)
}

/// An entity already in an investigation's evidence (what collection starts from).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Known {
    pub id: i64,
    pub kind: crate::domain::EntityKind,
    pub machine_id: Option<i64>,
    pub name: String,
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub pid: Option<i64>,
    pub command_line: Option<String>,
    pub value: Option<String>,
    pub detail: String,
}

impl Known {
    /// The entity's `detail` JSON.
    pub fn detail(&self) -> serde_json::Value {
        serde_json::from_str(&self.detail).unwrap_or_default()
    }
}

/// An investigation's evidence (on `machine` and global, or all when `None`), by entity.
pub(crate) async fn known(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: Option<i64>,
) -> Result<Vec<Known>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.kind, e.machine_id, e.name, e.path, e.sha256, e.pid, e.command_line,
                e.value, e.detail
         FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ?1 AND (?2 IS NULL OR e.machine_id = ?2 OR e.machine_id IS NULL)
         ORDER BY e.id",
    )
    .bind(investigation)
    .bind(machine)
    .fetch_all(&mut *conn)
    .await?)
}

/// The hashes known to be bad for an investigation, as stored: every sha256 indicator and
/// the hashes of its malicious evidence.
pub(crate) async fn bad_hashes(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<String>> {
    let bad: Vec<(String,)> = sqlx::query_as(
        "SELECT value FROM indicators WHERE kind = 'sha256'
         UNION SELECT e.sha256 FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND v.verdict = 'malicious' AND e.sha256 IS NOT NULL",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    Ok(bad.into_iter().map(|(s,)| s).collect())
}

/// The judge's word on one entity, as `evidence` keeps it.
#[derive(Debug)]
pub(crate) struct Judgement<'a> {
    pub entity: i64,
    pub verdict: crate::domain::Verdict,
    /// The reasons, as JSON.
    pub reasons: String,
    pub score: i64,
    pub group_key: Option<&'a str>,
    pub group_label: Option<&'a str>,
}

/// Verdicts written per statement.
const VERDICT_ROWS: usize = 500;

/// Writes the judge's verdicts, reasons, scores and groups on an investigation's evidence.
pub(crate) async fn set_verdicts(
    conn: &mut SqliteConnection,
    investigation: i64,
    judged: &[Judgement<'_>],
) -> Result<()> {
    for chunk in judged.chunks(VERDICT_ROWS) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "WITH v(entity_id, verdict, reasons, score, group_key, group_label) AS (",
        );
        query.push_values(chunk, |mut row, j| {
            row.push_bind(j.entity)
                .push_bind(j.verdict)
                .push_bind(&j.reasons)
                .push_bind(j.score)
                .push_bind(j.group_key)
                .push_bind(j.group_label);
        });
        query
            .push(
                ") UPDATE evidence SET verdict = v.verdict, reasons = v.reasons, score = v.score,
                    group_key = v.group_key, group_label = v.group_label
                 FROM v WHERE evidence.investigation_id = ",
            )
            .push_bind(investigation)
            .push(" AND evidence.entity_id = v.entity_id");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A malicious entity: id, kind, name, sha256, value.
pub(crate) type MaliciousRow = (i64, String, String, Option<String>, Option<String>);

/// An investigation's malicious entities that other machines may show: files with a hash,
/// URLs, domains and IPs.
pub(crate) async fn malicious_indicators(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<MaliciousRow>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.kind, e.name, e.sha256, e.value FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND v.verdict = 'malicious'
           AND (e.sha256 IS NOT NULL OR e.kind IN ('url', 'domain', 'ip'))",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// The users in an investigation's evidence whose account the attack changed, with what
/// happened to it (`detail.account`).
pub(crate) async fn changed_accounts(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT e.value, json_extract(e.detail, '$.account') FROM evidence v JOIN entities e ON e.id = v.entity_id
         WHERE v.investigation_id = ? AND e.kind = 'user' AND json_extract(e.detail, '$.account') IS NOT NULL",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}

/// Notes why Vigil will not act on an entity an investigation judged malicious.
pub(crate) async fn set_protected(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
    why: &str,
) -> Result<()> {
    sqlx::query("UPDATE evidence SET protected = ? WHERE investigation_id = ? AND entity_id = ?")
        .bind(why)
        .bind(investigation)
        .bind(entity)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Notes that something else already dealt with a finding (the antivirus): it is
/// remediated, and `why` says why Vigil does not act.
pub(crate) async fn set_handled(
    conn: &mut SqliteConnection,
    investigation: i64,
    entity: i64,
    why: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE evidence SET remediation_status = 'remediated', protected = ?
         WHERE investigation_id = ? AND entity_id = ?",
    )
    .bind(why)
    .bind(investigation)
    .bind(entity)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A malicious finding to propose an action for, with its judgement and machine.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Finding {
    pub id: i64,
    pub kind: crate::domain::EntityKind,
    pub machine_id: Option<i64>,
    pub name: String,
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub pid: Option<i64>,
    pub value: Option<String>,
    pub detail: String,
    pub verdict: crate::domain::Verdict,
    pub reasons: String,
    pub group_key: Option<String>,
    pub group_label: Option<String>,
    pub machine: Option<String>,
    pub connector: Option<String>,
}

/// An investigation's malicious findings that are neither remediated nor gone and that no
/// action (but "expand scope") is about yet, the highest score first.
pub(crate) async fn to_act_on(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<Finding>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.kind, e.machine_id, e.name, e.path, e.sha256, e.pid, e.value, e.detail, v.verdict,
                v.reasons, v.group_key, v.group_label, m.name AS machine, m.connector
         FROM evidence v JOIN entities e ON e.id = v.entity_id LEFT JOIN machines m ON m.id = e.machine_id
         WHERE v.investigation_id = ? AND v.verdict = 'malicious'
           AND v.remediation_status NOT IN ('remediated', 'not_found')
           AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.investigation_id = v.investigation_id
                           AND a.entity_id = e.id AND a.kind <> 'expand_scope')
         ORDER BY v.score DESC, e.kind, e.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}
