//! Benchmarks that print numbers (never timed tests): investigation latency on a large
//! store, an alert storm, the same latency on telemetry of real shape, the dashboard on many
//! settled investigations, and import throughput beside the raw EVTX parse rate. Free
//! functions over a [`Vigil`](crate::Vigil), kept apart from the facade the app calls.

use std::time::Duration;

mod dashboard;
mod import;
mod investigations;
mod real_investigations;

pub use dashboard::{dashboard, DashboardBench};
pub use import::{import, ImportBench, ImportRun};
pub use investigations::{investigations, InvestigationBench};
pub use real_investigations::{real_investigations, RealShapeBench};

/// The `p` quantile (0 to 1) of sorted durations, nearest rank, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}
