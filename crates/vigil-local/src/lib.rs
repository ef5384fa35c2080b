//! This computer as a protected machine: the `local` connector (real, reversible actions
//! on this machine), its inventory, folder scans (sha256 against the store's IOCs, YARA
//! rules), sweeps of running programs, persistence and connections, and a watcher that
//! scans new files as they land.

pub mod actions;
pub mod config;
pub mod connector;
pub mod detect;
pub mod inventory;
pub mod scan;
pub mod sensor;
pub mod watch;

pub use config::LocalConfig;
pub use connector::LocalConnector;
pub use detect::Detection;
pub use scan::{Hit, HitKind, Scanner};
pub use sensor::{ScanSummary, Sensor, SweepSummary};
pub use watch::Watch;

/// The connector's name as machines record it.
pub const CONNECTOR: &str = "local";
