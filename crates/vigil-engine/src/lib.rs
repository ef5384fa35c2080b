//! Vigil's engine: the store, the investigation runner, connectors and the facade that the
//! desktop shell and the `vigil` CLI both call. Nothing here knows about Tauri.
//!
//! # The public API
//!
//! - [`Vigil`], the facade: open it with [`OpenOptions`]; every operation a front end runs is
//!   one of its methods. Beside it at the root: the filters its lists take
//!   ([`ActionFilter`], [`InvestigationFilter`]) and the error contract ([`Error`] inside
//!   Rust, [`ApiError`] with its stable [`ErrorCode`] at a boundary).
//! - [`domain`], the nouns: what the methods take and return, and what front ends show.
//! - [`connectors`], the [`Connector`](connectors::Connector) trait and its request and
//!   outcome types: `vigil-local` implements it for this computer.
//!
//! Public for a front end's sake, and for nothing else:
//! - [`clock`]: the store's timestamp format, which sensors write and tests shift.
//! - [`paths`]: where the store lives, so a front end can put its logs beside it.
//! - [`logging`]: the one way the CLI and the app set up `tracing`.
//! - [`lab`]: what loading the demo office wrote, and its payload's hash that tests look for.
//! - [`bench`](mod@bench): the benchmarks `vigil bench` prints.
//! - [`failpoint`]: the fail points' names, which the crash tests visit one by one.
//!
//! Everything else (the operations in `ops`, the tables in `store`) is the engine's own.

// A type that a public method takes or returns must be named somewhere public: clippy's
// `-D warnings` turns a type left behind in `ops` or `store` into an error.
#![warn(unnameable_types)]

pub mod bench;
pub mod clock;
pub mod connectors;
pub mod domain;
mod error;
pub mod failpoint;
pub mod lab;
pub mod logging;
pub(crate) mod ops;
pub mod paths;
pub(crate) mod store;

mod facade;

pub use error::{ApiError, Error, ErrorCode, Result};
pub use facade::{OpenOptions, Vigil};
pub use ops::actions::ActionFilter;
pub use ops::details::InvestigationFilter;
