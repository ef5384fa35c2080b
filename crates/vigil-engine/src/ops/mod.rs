//! Vigil's verbs: each operation in its own module, as `impl Vigil` blocks or free
//! functions over a store connection.

pub mod actions;
pub mod alerts;
pub mod dashboard;
pub mod details;
pub mod detect;
pub mod entities;
pub mod evidence;
pub mod export;
pub mod graph;
pub mod groups;
pub mod import;
pub mod intel;
pub mod investigate;
pub mod policies;
pub mod ranked;
pub mod replay;
pub mod rules;
pub mod safety;
pub mod start;
pub mod world;
