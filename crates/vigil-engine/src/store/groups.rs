//! The `machine_groups` and `machine_group_rules` tables: ranked groups and the rules that
//! pick their machines.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use crate::domain::{AutomationLevel, GroupRule};
use crate::Result;

/// A group as stored: id, name, description, rank, automation level, is default.
pub(crate) type GroupRow = (i64, String, String, i64, String, bool);

/// The id of "Ungrouped machines".
pub(crate) async fn default_id(conn: &mut SqliteConnection) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM machine_groups WHERE is_default = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(id)
}

/// Whether group `id` is "Ungrouped machines" (None when there is no such group).
pub(crate) async fn is_default(conn: &mut SqliteConnection, id: i64) -> Result<Option<bool>> {
    Ok(
        sqlx::query_as::<_, (bool,)>("SELECT is_default FROM machine_groups WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|(d,)| d),
    )
}

/// The ids of the groups other than "Ungrouped machines", highest rank first.
pub(crate) async fn ranked_ids(conn: &mut SqliteConnection) -> Result<Vec<i64>> {
    let groups: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM machine_groups WHERE is_default = 0 ORDER BY rank, id")
            .fetch_all(&mut *conn)
            .await?;
    Ok(groups.into_iter().map(|(id,)| id).collect())
}

/// Every group, highest rank first and "Ungrouped machines" last.
pub(crate) async fn all(conn: &mut SqliteConnection) -> Result<Vec<GroupRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, description, rank, automation_level, is_default
         FROM machine_groups ORDER BY is_default, rank, id",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Every group's name, by id.
pub(crate) async fn names(conn: &mut SqliteConnection) -> Result<HashMap<i64, String>> {
    Ok(sqlx::query_as("SELECT id, name FROM machine_groups")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect())
}

/// Every group's rules, by group id (in the order they were written).
pub(crate) async fn rules_by_group(
    conn: &mut SqliteConnection,
) -> Result<HashMap<i64, Vec<GroupRule>>> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT group_id, field, pattern FROM machine_group_rules ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    let mut by_group: HashMap<i64, Vec<GroupRule>> = HashMap::new();
    for (group, field, pattern) in rows {
        by_group
            .entry(group)
            .or_default()
            .push(GroupRule { field, pattern });
    }
    Ok(by_group)
}

/// Replaces a group's rules.
pub(crate) async fn write_rules(
    conn: &mut SqliteConnection,
    group: i64,
    rules: &[GroupRule],
) -> Result<()> {
    sqlx::query("DELETE FROM machine_group_rules WHERE group_id = ?")
        .bind(group)
        .execute(&mut *conn)
        .await?;
    for rule in rules {
        sqlx::query("INSERT INTO machine_group_rules (group_id, field, pattern) VALUES (?, ?, ?)")
            .bind(group)
            .bind(&rule.field)
            .bind(rule.pattern.trim())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Adds a group ranked below the existing ones (above "Ungrouped machines"). Returns its id.
pub(crate) async fn insert_last(
    conn: &mut SqliteConnection,
    name: &str,
    description: &str,
    level: AutomationLevel,
) -> Result<i64> {
    let (rank,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(rank), 0) + 1 FROM machine_groups WHERE is_default = 0",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(sqlx::query(
        "INSERT INTO machine_groups (name, description, rank, automation_level) VALUES (?, ?, ?, ?)",
    )
    .bind(name)
    .bind(description)
    .bind(rank)
    .bind(level.as_str())
    .execute(&mut *conn)
    .await?
    .last_insert_rowid())
}

/// Changes a group's name, description and automation level.
pub(crate) async fn update(
    conn: &mut SqliteConnection,
    id: i64,
    name: &str,
    description: &str,
    level: AutomationLevel,
) -> Result<()> {
    sqlx::query(
        "UPDATE machine_groups SET name = ?, description = ?, automation_level = ? WHERE id = ?",
    )
    .bind(name)
    .bind(description)
    .bind(level.as_str())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets the automation level of the group called `name`; false when there is none.
pub(crate) async fn set_level_by_name(
    conn: &mut SqliteConnection,
    name: &str,
    level: AutomationLevel,
) -> Result<bool> {
    let done = sqlx::query("UPDATE machine_groups SET automation_level = ? WHERE name = ?")
        .bind(level.as_str())
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a group (its machines must have left it).
pub(crate) async fn delete(conn: &mut SqliteConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM machine_groups WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The automation level of the group a machine is in, as stored.
pub(crate) async fn level_of_machine(
    conn: &mut SqliteConnection,
    machine_id: i64,
) -> Result<String> {
    let (level,): (String,) = sqlx::query_as(
        "SELECT g.automation_level FROM machines m JOIN machine_groups g ON g.id = m.group_id
         WHERE m.id = ?",
    )
    .bind(machine_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(level)
}
