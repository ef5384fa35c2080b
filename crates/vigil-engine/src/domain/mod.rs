//! Vigil's nouns: the types that the store holds and every front end shows.

mod alert;
mod automation;
mod entity;
mod groups;
mod imports;
mod names;
mod overview;
mod policies;
mod rank;
mod reveal;
mod rules;
mod status;
mod verdict;
mod views;
mod world;

pub use alert::{NewAlert, Raised, Routing};
pub use automation::{decide, AutomationLevel, Decision, FolderClass};
pub use entity::{file_name, persistence_key, NewEntity};
pub use groups::{GroupInput, GroupPreview, KeptMachine};
pub use imports::{ImportProgress, ImportSummary, IntelList, IntelSummary, KindCount};
pub use overview::{Dashboard, Overview, StatusCount};
pub use policies::{
    AlertPolicyInput, AlertPolicyView, AutomationLevelInfo, PlaybookChoice, PolicyChoices,
};
pub use rank::Move;
pub use reveal::reveal;
pub use rules::{
    ReasonCount, RuleSets, RuleSource, SigmaHqSet, SigmaHqSource, SigmaHqUpdate, SigmaRuleInfo,
    UserRuleDir,
};
pub use status::{settle, ActionEvent, ActionKind, ActionState, ActionTally, InvestigationStatus};
pub use verdict::{EntityKind, Grade, Reason, RemediationStatus, Role, Severity, Verdict};
pub use views::*;
pub use world::{NewEvent, NewIndicator, NewMachine};
