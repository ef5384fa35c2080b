//! Named fail points, for the crash tests: with `VIGIL_FAILPOINT=<name>` in its environment
//! the process aborts exactly where `hit("<name>")` stands, as a power cut would stop it
//! there. Each stands just after a commit (or just before one) that recovery must handle.
//! Unset, a fail point costs one comparison.

use std::sync::OnceLock;

/// Every fail point, for the tests that visit each one.
pub const ALL: &[&str] = &[
    INVESTIGATION_CREATED,
    INVESTIGATION_PLAYBOOK,
    INVESTIGATION_JUDGED,
    INVESTIGATION_PROPOSED,
    INVESTIGATION_SETTLED,
    ACTION_DECIDED,
    ACTION_RUNNING,
    ACTION_CONNECTOR_DONE,
    ACTION_FINISHED,
];

/// The agent journalled a command of the console's; it has not carried it out (the agent's
/// own fail points are not in [`ALL`], which the console's crash tests visit).
pub const AGENT_JOURNALLED: &str = "agent_after_journal";
/// The agent carried a command out; its answer is neither kept nor sent.
pub const AGENT_CARRIED_OUT: &str = "agent_after_carry_out";

/// The console wrote an agent's items and its new mark, and has not committed them.
pub const AGENT_ITEMS_WRITTEN: &str = "console_agent_items_before_commit";

/// The admin's decision is committed; the approved actions have not started.
pub const ACTION_DECIDED: &str = "action_after_decision_commit";

/// An action's "running" is committed; its connector has not been called.
pub const ACTION_RUNNING: &str = "action_after_running_commit";
/// The connector carried the action out; its result is not written yet.
pub const ACTION_CONNECTOR_DONE: &str = "action_after_connector";
/// The action's result is committed; its investigation is not settled yet.
pub const ACTION_FINISHED: &str = "action_after_result_commit";
/// The investigation is committed (queued); no step has run.
pub const INVESTIGATION_CREATED: &str = "investigation_after_create_commit";
/// A machine's playbook is committed; the investigation goes on.
pub const INVESTIGATION_PLAYBOOK: &str = "investigation_after_playbook_commit";
/// A round of judging and pivoting is committed; another round or the proposal follows.
pub const INVESTIGATION_JUDGED: &str = "investigation_after_judge_commit";
/// The proposed actions are committed; the approved ones have not run.
pub const INVESTIGATION_PROPOSED: &str = "investigation_after_propose_commit";
/// The investigation's settled status is committed.
pub const INVESTIGATION_SETTLED: &str = "investigation_after_settle_commit";

/// Aborts the process when `name` is the fail point its environment names.
pub fn hit(name: &str) {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var("VIGIL_FAILPOINT").ok());
    if armed.as_deref() == Some(name) {
        eprintln!("vigil: fail point {name} reached: aborting");
        std::process::abort();
    }
}
