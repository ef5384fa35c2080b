//! The rows the benchmarks (`crate::bench`) seed in bulk by SQL, across tables, one
//! function per benchmark: a large store filled in seconds instead of through the verbs.

use sqlx::SqliteConnection;

use crate::Result;

/// Fills an empty store with `n` settled investigations on machines 1 to 200, each with
/// one alert, one file entity and (two in three) one action; one in a hundred still
/// pending. Times are `now`, and pending actions expire at `expires`.
pub(crate) async fn seed_dashboard(
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
