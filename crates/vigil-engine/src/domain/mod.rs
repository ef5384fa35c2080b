//! Vigil's nouns: the types that the store holds and every front end shows.

mod alert;
mod automation;
mod entity;
mod names;
mod overview;
mod rank;
mod status;
mod verdict;
mod views;
mod world;

pub use alert::NewAlert;
pub use automation::{decide, AutomationLevel, Decision, FolderClass};
pub use entity::{file_name, persistence_key, NewEntity};
pub use overview::{Dashboard, Overview, StatusCount};
pub use rank::Move;
pub use status::{settle, ActionEvent, ActionKind, ActionState, ActionTally, InvestigationStatus};
pub use verdict::{EntityKind, Grade, Reason, RemediationStatus, Role, Severity, Verdict};
pub use views::*;
pub use world::{NewEvent, NewIndicator, NewMachine};
