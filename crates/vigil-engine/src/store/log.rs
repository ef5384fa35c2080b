//! The `investigation_log` table: what each step of an investigation did, as the Log tab
//! shows it.

use std::time::Instant;

use sqlx::SqliteConnection;

use crate::{clock, Result};

/// Now, as a log step's start.
pub(crate) fn step_start() -> (String, Instant) {
    (clock::now(), Instant::now())
}

/// Writes one step to the investigation's log.
pub(crate) async fn log_step(
    conn: &mut SqliteConnection,
    investigation: i64,
    step: &str,
    machine: Option<i64>,
    status: &str,
    started: (String, Instant),
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO investigation_log (investigation_id, step, machine_id, status, started_at, duration_ms, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(investigation)
    .bind(step)
    .bind(machine)
    .bind(status)
    .bind(started.0)
    .bind(i64::try_from(started.1.elapsed().as_millis()).unwrap_or(i64::MAX))
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Log steps of a run, written together (one statement) before its transaction ends.
#[derive(Debug, Default)]
pub(crate) struct Steps {
    rows: Vec<(String, Option<i64>, String, String, i64, String)>,
}

impl Steps {
    /// A step to write: its title, machine, status, start and detail.
    pub fn add(
        &mut self,
        step: &str,
        machine: Option<i64>,
        status: &str,
        started: (String, Instant),
        detail: String,
    ) {
        let ms = i64::try_from(started.1.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.rows.push((
            step.to_string(),
            machine,
            status.to_string(),
            started.0,
            ms,
            detail,
        ));
    }

    /// Writes the steps held, in order.
    pub async fn flush(&mut self, conn: &mut SqliteConnection, investigation: i64) -> Result<()> {
        for chunk in self.rows.chunks(500) {
            let mut query: sqlx::QueryBuilder<sqlx::Sqlite> = sqlx::QueryBuilder::new(
                "INSERT INTO investigation_log (investigation_id, step, machine_id, status, started_at, duration_ms, detail) ",
            );
            query.push_values(chunk, |mut row, (step, machine, status, at, ms, detail)| {
                row.push_bind(investigation)
                    .push_bind(step)
                    .push_bind(machine)
                    .push_bind(status)
                    .push_bind(at)
                    .push_bind(ms)
                    .push_bind(detail);
            });
            query.build().execute(&mut *conn).await?;
        }
        self.rows.clear();
        Ok(())
    }
}

// Read by the investigation page and the dashboard.

/// What an investigation's "Read telemetry" steps wrote, joined by spaces.
pub(crate) async fn telemetry_read(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<String> {
    let (read,): (String,) = sqlx::query_as(
        "SELECT COALESCE(group_concat(detail, ' '), '') FROM investigation_log
         WHERE investigation_id = ? AND step = 'Read telemetry'",
    )
    .bind(investigation)
    .fetch_one(&mut *conn)
    .await?;
    Ok(read)
}

/// A log row: id, step, machine, status, started at, duration (ms), detail.
pub(crate) type LogRow = (i64, String, Option<String>, String, String, i64, String);

/// An investigation's log, in the order it was written.
pub(crate) async fn of_investigation(
    conn: &mut SqliteConnection,
    investigation: i64,
) -> Result<Vec<LogRow>> {
    Ok(sqlx::query_as(
        "SELECT l.id, l.step, m.name, l.status, l.started_at, l.duration_ms, l.detail
         FROM investigation_log l LEFT JOIN machines m ON m.id = l.machine_id
         WHERE l.investigation_id = ? ORDER BY l.id",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?)
}
