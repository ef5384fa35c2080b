//! Which way a ranked item (an alert policy, a machine group) moves.

use serde::{Deserialize, Serialize};

/// Which way to move a ranked item (a policy or a machine group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// Tried earlier.
    Up,
    /// Tried later.
    Down,
}
