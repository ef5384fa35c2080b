//! The dashboard in one call: counts and short lists, aggregated and limited in SQL so that
//! it costs the same with a hundred investigations or a hundred thousand; and a benchmark
//! that prints how long it takes on a large store.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::domain::NewMachine;
use crate::domain::{AlertView, Dashboard, InvestigationStatus, RiskLevel, StatusCount};
use crate::ops::actions::ActionFilter;
use crate::ops::details::InvestigationFilter;
use crate::store::alerts::{AlertRow, ALERT_SELECT};
use crate::store::machines;
use crate::{clock, Error, Result, Vigil};

/// What the dashboard benchmark measured (milliseconds: median and slowest of the runs).
#[derive(Debug, Clone, Serialize)]
pub struct DashboardBench {
    pub investigations: u32,
    pub alerts: u32,
    pub history_actions: u32,
    pub seed_seconds: f64,
    pub runs: u32,
    pub dashboard_p50_ms: f64,
    pub dashboard_max_ms: f64,
    pub overview_p50_ms: f64,
    /// What the dashboard cost before it had its own query: every investigation, alert
    /// and action listed in full.
    pub full_lists_p50_ms: f64,
    pub full_lists_rows: u64,
}

/// Median and maximum in milliseconds.
fn p50_max(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    match (times.get(times.len() / 2), times.last()) {
        (Some(&mid), Some(&max)) => (ms(mid), ms(max)),
        _ => (0.0, 0.0),
    }
}

/// Fills an empty store with `n` settled investigations on 200 machines: one alert, one
/// file entity and one action each; one in a hundred still pending.
async fn seed(vigil: &Vigil, n: u32) -> Result<()> {
    let mut tx = vigil.store().pool().begin().await?;
    for m in 0..200 {
        machines::upsert(
            &mut tx,
            &NewMachine {
                name: format!("pc{m:04}"),
                domain: "bench".into(),
                os: "Windows 11".into(),
                os_family: "windows".into(),
                role: "workstation".into(),
                tags: vec![],
                ip: String::new(),
                connector: None,
            },
        )
        .await?;
    }
    let now = clock::now();
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
    let expires = clock::shift(&now, time::Duration::days(7));
    for statement in statements {
        sqlx::query(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) {statement}"
        ))
        .bind(i64::from(n))
        .bind(&now)
        .bind(&expires)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

impl Vigil {
    /// Seeds an empty store with `investigations` settled investigations and times the
    /// dashboard, `runs` times.
    pub async fn bench_dashboard(&self, investigations: u32, runs: u32) -> Result<DashboardBench> {
        if self.overview().await?.machines > 0 {
            return Err(Error::Conflict(
                "the benchmark needs an empty store (use --db with a new file)".into(),
            ));
        }
        let started = Instant::now();
        seed(self, investigations).await?;
        let seed_seconds = started.elapsed().as_secs_f64();
        let sqlx_analyze = sqlx::query("ANALYZE").execute(self.store().pool()).await;
        if let Err(error) = sqlx_analyze {
            tracing::warn!(%error, "ANALYZE failed");
        }
        let time = |runs: u32| async move {
            let (mut dashboard, mut overview) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                let at = Instant::now();
                self.dashboard().await?;
                dashboard.push(at.elapsed());
                let at = Instant::now();
                self.overview().await?;
                overview.push(at.elapsed());
            }
            Ok::<_, Error>((dashboard, overview))
        };
        let (dashboard, overview) = time(runs.max(1)).await?;
        let mut full = Vec::new();
        let mut rows = 0u64;
        for _ in 0..3 {
            let at = Instant::now();
            rows = self
                .investigations(&InvestigationFilter::default())
                .await?
                .len() as u64
                + self.alerts(None).await?.len() as u64
                + self.actions(ActionFilter::History).await?.len() as u64;
            full.push(at.elapsed());
        }
        let o = self.overview().await?;
        let (dashboard_p50_ms, dashboard_max_ms) = p50_max(dashboard);
        Ok(DashboardBench {
            investigations: o.investigations,
            alerts: o.alerts,
            history_actions: rows.saturating_sub(u64::from(o.investigations) + u64::from(o.alerts))
                as u32,
            seed_seconds,
            runs: runs.max(1),
            dashboard_p50_ms,
            dashboard_max_ms,
            overview_p50_ms: p50_max(overview).0,
            full_lists_p50_ms: p50_max(full).0,
            full_lists_rows: rows,
        })
    }
}

impl Vigil {
    /// What the dashboard shows.
    #[tracing::instrument(skip(self))]
    pub async fn dashboard(&self) -> Result<Dashboard> {
        self.expire_pending().await?;
        let overview = self.overview().await?;
        let pool = self.store().pool();
        let limit = i64::from(Dashboard::LIST);
        let mut at_risk = self.machines().await?;
        at_risk.retain(|m| m.risk != RiskLevel::None);
        at_risk.truncate(Dashboard::LIST as usize);
        let alerts: Vec<AlertRow> = sqlx::query_as(&format!(
            "{ALERT_SELECT} WHERE a.status <> 'resolved' ORDER BY a.id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(pool)
        .await?;
        let counts: Vec<(InvestigationStatus, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM investigations GROUP BY status")
                .fetch_all(pool)
                .await?;
        let investigations_by_status = InvestigationStatus::ALL
            .iter()
            .filter_map(|&status| {
                let (_, n) = counts.iter().find(|(s, _)| *s == status)?;
                Some(StatusCount {
                    status,
                    count: u32::try_from(*n).unwrap_or(u32::MAX),
                })
            })
            .collect();
        let (oldest_pending,): (Option<String>,) =
            sqlx::query_as("SELECT MIN(proposed_at) FROM actions WHERE state = 'pending'")
                .fetch_one(pool)
                .await?;
        Ok(Dashboard {
            overview,
            at_risk,
            active_alerts: alerts.into_iter().map(AlertView::from).collect(),
            investigations_by_status,
            pending: self
                .first_actions(ActionFilter::Pending, Some(Dashboard::LIST))
                .await?,
            oldest_pending,
            recent_remediations: self
                .first_actions(ActionFilter::History, Some(Dashboard::LIST))
                .await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{InvestigationStatus, RiskLevel};
    use crate::Vigil;

    #[tokio::test]
    async fn the_dashboard_agrees_with_the_full_lists() {
        // A file store: an investigation on the one-connection in-memory store waits 30 s
        // for a second connection.
        let dir = tempfile::tempdir().expect("tempdir");
        let vigil = Vigil::open(crate::OpenOptions {
            db: Some(dir.path().join("vigil.sqlite3")),
            ..crate::OpenOptions::default()
        })
        .await
        .expect("open");
        vigil.load_demo().await.expect("demo");
        vigil
            .investigate_machine("client4", "tester")
            .await
            .expect("investigate");
        let d = vigil.dashboard().await.expect("dashboard");
        let machines = vigil.machines().await.expect("machines");
        let at_risk: Vec<_> = machines
            .iter()
            .filter(|m| m.risk != RiskLevel::None)
            .map(|m| m.name.clone())
            .collect();
        assert!(!at_risk.is_empty());
        assert_eq!(
            d.at_risk.iter().map(|m| m.name.clone()).collect::<Vec<_>>(),
            at_risk
        );
        let pending = vigil
            .actions(crate::ops::actions::ActionFilter::Pending)
            .await
            .expect("pending");
        assert_eq!(d.overview.pending_actions as usize, pending.len());
        assert_eq!(
            d.pending.first().map(|a| a.id),
            pending.first().map(|a| a.id)
        );
        assert_eq!(
            d.oldest_pending.as_deref(),
            pending.iter().map(|a| a.proposed_at.as_str()).min()
        );
        let investigations = vigil
            .investigations(&Default::default())
            .await
            .expect("investigations");
        assert!(!investigations.is_empty());
        let by_status: Vec<(InvestigationStatus, u32)> = InvestigationStatus::ALL
            .iter()
            .map(|&s| {
                let n = investigations.iter().filter(|i| i.status == s).count();
                (s, n as u32)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(
            d.investigations_by_status
                .iter()
                .map(|c| (c.status, c.count))
                .collect::<Vec<_>>(),
            by_status
        );
        let active = vigil.alerts(None).await.expect("alerts");
        let active: Vec<u32> = active
            .iter()
            .filter(|a| a.status != "resolved")
            .map(|a| a.id)
            .take(8)
            .collect();
        assert_eq!(
            d.active_alerts.iter().map(|a| a.id).collect::<Vec<_>>(),
            active
        );
    }
}
