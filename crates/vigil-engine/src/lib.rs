//! Vigil's engine: the store, the investigation runner, connectors and the facade that the
//! desktop shell and the `vigil` CLI both call. Nothing here knows about Tauri.

pub mod bench;
pub mod clock;
pub mod connectors;
pub mod domain;
pub mod error;
pub mod failpoint;
pub mod lab;
pub mod logging;
pub mod ops;
pub mod paths;
pub mod store;

mod facade;

pub use error::{ApiError, Error, ErrorCode, Result};
pub use facade::{OpenOptions, Vigil};
pub use ops::actions::ActionFilter;
pub use ops::details::InvestigationFilter;
