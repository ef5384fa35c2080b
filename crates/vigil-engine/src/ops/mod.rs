//! Vigil's verbs: each operation in its own module, as `impl Vigil` blocks or free
//! functions over a store connection.
//!
//! Crate-private: front ends reach the operations through the methods these blocks add to
//! [`Vigil`](crate::Vigil), and what they take and return through `domain`.

pub mod actions;
pub mod agents;
pub mod alerts;
pub mod dashboard;
pub mod details;
pub mod detect;
pub(crate) mod detections;
pub mod evidence;
pub(crate) mod execute;
pub mod export;
pub mod graph;
pub mod groups;
pub mod heuristics;
pub mod import;
pub mod intel;
pub mod investigate;
pub mod playbooks;
pub mod policies;
pub mod rules;
pub mod safety;
pub(crate) mod settle;
pub mod start;
pub(crate) mod ties;
pub mod world;
