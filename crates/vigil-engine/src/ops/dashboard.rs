//! The dashboard in one call: counts and short lists, aggregated and limited in SQL so that
//! it costs the same with a hundred investigations or a hundred thousand; and a benchmark
//! that prints how long it takes on a large store.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::domain::NewMachine;
use crate::domain::{AlertView, Dashboard, InvestigationStatus, RiskLevel, StatusCount};
use crate::ops::actions::ActionFilter;
use crate::ops::details::InvestigationFilter;
use crate::store::{actions, alerts, investigations, machines};
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
    let expires = clock::shift(&now, time::Duration::days(7));
    investigations::seed_settled(&mut tx, n, &now, &expires).await?;
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
        if let Err(error) = self.store().analyze().await {
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
        let limit = i64::from(Dashboard::LIST);
        let mut at_risk = self.machines().await?;
        at_risk.retain(|m| m.risk != RiskLevel::None);
        at_risk.truncate(Dashboard::LIST as usize);
        let (alerts, counts, oldest_pending) = {
            let mut conn = self.store().pool().acquire().await?;
            (
                alerts::latest_active(&mut conn, limit).await?,
                investigations::count_by_status(&mut conn).await?,
                actions::oldest_pending(&mut conn).await?,
            )
        };
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
