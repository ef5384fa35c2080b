//! Benchmarks that print numbers (never timed tests): investigation latency on a large
//! store, an alert storm, and import throughput beside the raw EVTX parse rate. Free
//! functions over a [`Vigil`](crate::Vigil), kept apart from the facade the app calls.

mod import;
mod investigations;

pub use import::{import, ImportBench, ImportRun};
pub use investigations::{investigations, InvestigationBench};
// What the facade's own benchmarks return (`Vigil::bench_dashboard`,
// `Vigil::bench_real_investigations`).
pub use crate::ops::dashboard::DashboardBench;
pub use crate::ops::replay::RealShapeBench;
