//! The `machines` table: machines as telemetry or an inventory describes them, each in
//! one group.

use sqlx::SqliteConnection;

use crate::connectors::MachineRef;
use crate::domain::NewMachine;
use crate::ops::groups::assign_machine;
use crate::store::groups;
use crate::{clock, Result};

/// The id of the machine called `name`, if it is known.
pub(crate) async fn id_by_name(conn: &mut SqliteConnection, name: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM machines WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// How many machines there are.
pub(crate) async fn count(conn: &mut SqliteConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM machines")
        .fetch_one(&mut *conn)
        .await?;
    Ok(n)
}

/// Adds a machine or refreshes a known one, and puts it in its group. Returns its id.
pub async fn upsert(conn: &mut SqliteConnection, machine: &NewMachine) -> Result<i64> {
    let now = clock::now();
    let id = match id_by_name(conn, &machine.name).await? {
        Some(id) => {
            sqlx::query(
                "UPDATE machines SET
                    domain = CASE WHEN ?1 <> '' THEN ?1 ELSE domain END,
                    os = CASE WHEN ?2 <> '' THEN ?2 ELSE os END,
                    os_family = CASE WHEN ?3 <> 'unknown' AND ?3 <> '' THEN ?3 ELSE os_family END,
                    role = CASE WHEN ?4 <> '' THEN ?4 ELSE role END,
                    tags = CASE WHEN ?5 <> '' THEN ?5 ELSE tags END,
                    ip = CASE WHEN ?6 <> '' THEN ?6 ELSE ip END,
                    connector = COALESCE(?7, connector),
                    last_seen = ?8
                 WHERE id = ?9",
            )
            .bind(&machine.domain)
            .bind(&machine.os)
            .bind(&machine.os_family)
            .bind(&machine.role)
            .bind(machine.tags.join(","))
            .bind(&machine.ip)
            .bind(&machine.connector)
            .bind(&now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            id
        }
        None => {
            let default_group = groups::default_id(conn).await?;
            sqlx::query(
                "INSERT INTO machines
                    (name, domain, os, os_family, role, tags, ip, group_id, connector, first_seen, last_seen)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&machine.name)
            .bind(&machine.domain)
            .bind(&machine.os)
            .bind(if machine.os_family.is_empty() { "unknown" } else { &machine.os_family })
            .bind(&machine.role)
            .bind(machine.tags.join(","))
            .bind(&machine.ip)
            .bind(default_group)
            .bind(&machine.connector)
            .bind(&now)
            .bind(&now)
            .execute(&mut *conn)
            .await?
            .last_insert_rowid()
        }
    };
    assign_machine(conn, id).await?;
    Ok(id)
}

/// A machine's name, domain, OS and comma-separated tags, as stored: what group rules
/// look at.
pub(crate) type FactsRow = (String, String, String, String);

/// The facts group rules look at of one machine.
pub(crate) async fn facts_of(conn: &mut SqliteConnection, machine_id: i64) -> Result<FactsRow> {
    Ok(
        sqlx::query_as("SELECT name, domain, os, tags FROM machines WHERE id = ?")
            .bind(machine_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// The facts group rules look at of every machine, by name.
pub(crate) async fn all_facts(conn: &mut SqliteConnection) -> Result<Vec<FactsRow>> {
    Ok(
        sqlx::query_as("SELECT name, domain, os, tags FROM machines ORDER BY name")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Every machine's id.
pub(crate) async fn ids(conn: &mut SqliteConnection) -> Result<Vec<i64>> {
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM machines")
        .fetch_all(&mut *conn)
        .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Every machine's group and name, by name.
pub(crate) async fn group_members(conn: &mut SqliteConnection) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT group_id, name FROM machines ORDER BY name")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Puts one machine in a group.
pub(crate) async fn set_group(
    conn: &mut SqliteConnection,
    machine_id: i64,
    group: i64,
) -> Result<()> {
    sqlx::query("UPDATE machines SET group_id = ? WHERE id = ?")
        .bind(group)
        .bind(machine_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves every machine of group `from` to group `to`.
pub(crate) async fn regroup(conn: &mut SqliteConnection, from: i64, to: i64) -> Result<()> {
    sqlx::query("UPDATE machines SET group_id = ? WHERE group_id = ?")
        .bind(to)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Every machine's name, domain and addresses (comma- or space-separated), as stored.
pub(crate) async fn addresses(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as("SELECT name, domain, ip FROM machines")
        .fetch_all(&mut *conn)
        .await?)
}

// Read by the machines list and the dashboard.

/// A machine row: id, name, domain, os, role, tags, ip, group, level, connector, last seen,
/// top active alert severity, active alerts, unremediated malicious entities.
pub(crate) type RiskRow = (
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

/// Every machine with its group, level and what puts it at risk.
pub(crate) async fn with_risk(conn: &mut SqliteConnection) -> Result<Vec<RiskRow>> {
    Ok(sqlx::query_as(
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
    .fetch_all(&mut *conn)
    .await?)
}

/// Loads the machine reference a connector needs, with the machine's connector name.
pub(crate) async fn machine_ref(
    conn: &mut SqliteConnection,
    machine: i64,
) -> Result<(MachineRef, Option<String>)> {
    let (name, os_family, connector): (String, String, Option<String>) =
        sqlx::query_as("SELECT name, os_family, connector FROM machines WHERE id = ?")
            .bind(machine)
            .fetch_one(&mut *conn)
            .await?;
    Ok((
        MachineRef {
            id: machine,
            name,
            os_family,
        },
        connector,
    ))
}

/// A machine's name.
pub(crate) async fn name_of(conn: &mut SqliteConnection, machine: i64) -> Result<String> {
    let (name,): (String,) = sqlx::query_as("SELECT name FROM machines WHERE id = ?")
        .bind(machine)
        .fetch_one(&mut *conn)
        .await?;
    Ok(name)
}

/// Sets which connector reaches the machine called `name` (none: known only from
/// telemetry). Returns whether there is such a machine. For tests until agents enrol
/// machines.
#[cfg(test)]
pub(crate) async fn set_connector(
    conn: &mut SqliteConnection,
    name: &str,
    connector: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query("UPDATE machines SET connector = ? WHERE name = ?")
        .bind(connector)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A machine's name and connector.
pub(crate) async fn name_and_connector(
    conn: &mut SqliteConnection,
    machine: i64,
) -> Result<(String, Option<String>)> {
    Ok(
        sqlx::query_as("SELECT name, connector FROM machines WHERE id = ?")
            .bind(machine)
            .fetch_one(&mut *conn)
            .await?,
    )
}
