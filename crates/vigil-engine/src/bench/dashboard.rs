//! How long the dashboard takes on a large store of settled investigations, beside the
//! full lists it replaced.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::domain::NewMachine;
use crate::ops::actions::ActionFilter;
use crate::ops::details::InvestigationFilter;
use crate::store::{self, machines};
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

/// Fills an empty store with `n` settled investigations on 200 machines: one alert and one
/// file entity each, one action for two in three; one in a hundred still pending.
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
    store::bench::seed_dashboard(&mut tx, n, &now, &expires).await?;
    tx.commit().await?;
    Ok(())
}

/// Seeds an empty store with `investigations` settled investigations and times the
/// dashboard, `runs` times.
pub async fn dashboard(vigil: &Vigil, investigations: u32, runs: u32) -> Result<DashboardBench> {
    if vigil.overview().await?.machines > 0 {
        return Err(Error::Conflict(
            "the benchmark needs an empty store (use --db with a new file)".into(),
        ));
    }
    let started = Instant::now();
    seed(vigil, investigations).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    if let Err(error) = vigil.store().analyze().await {
        tracing::warn!(%error, "ANALYZE failed");
    }
    let (mut dashboard, mut overview) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let at = Instant::now();
        vigil.dashboard().await?;
        dashboard.push(at.elapsed());
        let at = Instant::now();
        vigil.overview().await?;
        overview.push(at.elapsed());
    }
    let mut full = Vec::new();
    let mut rows = 0u64;
    for _ in 0..3 {
        let at = Instant::now();
        rows = vigil
            .investigations(&InvestigationFilter::default())
            .await?
            .len() as u64
            + vigil.alerts(None).await?.len() as u64
            + vigil.actions(ActionFilter::History).await?.len() as u64;
        full.push(at.elapsed());
    }
    let o = vigil.overview().await?;
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

#[cfg(test)]
mod tests {
    use crate::Vigil;

    #[tokio::test]
    async fn the_dashboard_benchmark_seeds_what_it_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vigil = Vigil::open(crate::OpenOptions {
            db: Some(dir.path().join("vigil.sqlite3")),
            ..crate::OpenOptions::default()
        })
        .await
        .expect("open");
        let result = super::dashboard(&vigil, 300, 2).await.expect("bench");
        assert_eq!(result.investigations, 300);
        assert_eq!(result.alerts, 300);
        // Two in three have an action; 100 and 200 are still pending, the rest history.
        assert_eq!(result.history_actions, 198);
        assert_eq!(result.full_lists_rows, 300 + 300 + 198);
        assert_eq!(result.runs, 2);
        let pending = vigil.dashboard().await.expect("dashboard");
        assert_eq!(pending.overview.pending_actions, 2);
        // A second run needs a new store.
        assert!(super::dashboard(&vigil, 10, 1).await.is_err());
    }
}
