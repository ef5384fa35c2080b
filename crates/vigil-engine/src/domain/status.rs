//! The states of investigations and actions, with their transitions in one function each.

use serde::{Deserialize, Serialize};

use super::names::names;
use super::{EntityKind, RemediationStatus};

/// Where an investigation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InvestigationStatus {
    Queued,
    Running,
    PendingAction,
    /// Approved actions wait for their machine (no connector yet, or its agent is away).
    WaitingForMachine,
    Remediated,
    PartiallyRemediated,
    NoThreatsFound,
    Failed,
    PartiallyInvestigated,
    TerminatedBySystem,
    TerminatedByUser,
    /// Unsupported alert type, or the machine is not protected.
    NotApplicable,
}

names!(InvestigationStatus {
    Queued => "queued",
    Running => "running",
    PendingAction => "pending_action",
    WaitingForMachine => "waiting_for_machine",
    Remediated => "remediated",
    PartiallyRemediated => "partially_remediated",
    NoThreatsFound => "no_threats_found",
    Failed => "failed",
    PartiallyInvestigated => "partially_investigated",
    TerminatedBySystem => "terminated_by_system",
    TerminatedByUser => "terminated_by_user",
    NotApplicable => "not_applicable",
});

impl InvestigationStatus {
    /// Still working or waiting: alerts on its machines join it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Queued | Self::Running | Self::PendingAction | Self::WaitingForMachine
        )
    }

    /// Whether the status may move from `self` to `to`.
    pub fn can_become(self, to: Self) -> bool {
        use InvestigationStatus::*;
        match (self, to) {
            (a, b) if a == b => true,
            (Queued, Running | TerminatedByUser | NotApplicable | Failed) => true,
            // A run ends in a settled status, or is cancelled.
            (Running, _) => !matches!(to, Queued),
            // Waiting for approval: actions are decided, run, or expire.
            (
                PendingAction,
                Running | WaitingForMachine | Remediated | PartiallyRemediated | TerminatedBySystem
                | TerminatedByUser | Failed,
            ) => true,
            // Approved, waiting for a machine: the machine comes back, it is done by hand, a new
            // decision is asked for, or the admin cancels.
            (
                WaitingForMachine,
                Running | PendingAction | Remediated | PartiallyRemediated | TerminatedBySystem
                | TerminatedByUser | Failed,
            ) => true,
            // New evidence (a joining alert, an undo, a finding remediated by hand) reopens a
            // settled investigation.
            (
                Remediated | PartiallyRemediated | NoThreatsFound,
                Running | PendingAction | WaitingForMachine,
            ) => true,
            (Remediated, PartiallyRemediated) => true,
            _ => false,
        }
    }
}

/// A summary of an investigation's actions and findings, for settling its status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionTally {
    pub pending: u32,
    pub in_flight: u32,
    /// Approved, waiting for their machine.
    pub waiting: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub declined: u32,
    pub expired: u32,
    pub undone: u32,
    /// Malicious entities found.
    pub findings: u32,
    /// Of them, those Vigil will not act on (the guard refused): they stay to be dealt with.
    pub refused: u32,
}

/// The status an investigation settles in once its run is over.
pub fn settle(tally: ActionTally) -> InvestigationStatus {
    use InvestigationStatus::*;
    if tally.pending > 0 {
        PendingAction
    } else if tally.in_flight > 0 {
        Running
    } else if tally.waiting > 0 {
        WaitingForMachine
    } else if tally.expired > 0 {
        TerminatedBySystem
    } else if tally.findings == 0 {
        NoThreatsFound
    } else if tally.failed > 0 || tally.declined > 0 || tally.undone > 0 || tally.refused > 0 {
        PartiallyRemediated
    } else {
        Remediated
    }
}

/// What an action does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    QuarantineFile,
    KillProcess,
    RemovePersistence,
    BlockUrl,
    BlockDomain,
    BlockIp,
    IsolateMachine,
    DisableUser,
    ResetPassword,
    RequireMfa,
    SoftDeleteEmail,
    ExpandScope,
    DeleteRegistryValue,
    CancelBitsJob,
}

names!(ActionKind {
    QuarantineFile => "quarantine_file",
    KillProcess => "kill_process",
    RemovePersistence => "remove_persistence",
    BlockUrl => "block_url",
    BlockDomain => "block_domain",
    BlockIp => "block_ip",
    IsolateMachine => "isolate_machine",
    DisableUser => "disable_user",
    ResetPassword => "reset_password",
    RequireMfa => "require_mfa",
    SoftDeleteEmail => "soft_delete_email",
    ExpandScope => "expand_scope",
    DeleteRegistryValue => "delete_registry_value",
    CancelBitsJob => "cancel_bits_job",
});

impl ActionKind {
    /// Whether a succeeded action of this kind can be undone.
    pub fn reversible(self) -> bool {
        !matches!(
            self,
            ActionKind::KillProcess
                | ActionKind::ResetPassword
                | ActionKind::ExpandScope
                | ActionKind::CancelBitsJob
        )
    }

    /// The action that remediates an entity of this kind.
    pub fn for_entity(kind: EntityKind) -> Option<ActionKind> {
        Some(match kind {
            EntityKind::File => ActionKind::QuarantineFile,
            EntityKind::Process => ActionKind::KillProcess,
            EntityKind::Persistence => ActionKind::RemovePersistence,
            EntityKind::Url => ActionKind::BlockUrl,
            EntityKind::Domain => ActionKind::BlockDomain,
            EntityKind::Ip => ActionKind::BlockIp,
            EntityKind::EmailMessage => ActionKind::SoftDeleteEmail,
            EntityKind::User => ActionKind::DisableUser,
            EntityKind::RegistryValue => ActionKind::DeleteRegistryValue,
            EntityKind::BitsJob => ActionKind::CancelBitsJob,
            // A service account whose ticket may be cracked gets a new password.
            EntityKind::ServiceTicket => ActionKind::ResetPassword,
            // The antivirus's detection and a script are remediated through what they name
            // (the file, the URLs).
            EntityKind::AvDetection | EntityKind::Script => return None,
        })
    }

    /// The action's name for people, made precise by the persistence mechanism it removes.
    pub fn label_for(self, mechanism: Option<&str>) -> String {
        match (self, mechanism) {
            (ActionKind::RemovePersistence, Some(m)) => match m {
                "service" => "Remove service".into(),
                "scheduled_task" => "Remove scheduled task".into(),
                "wmi_subscription" => "Remove WMI subscription".into(),
                "run_key" => "Remove run key value".into(),
                "systemd_unit" => "Remove systemd unit".into(),
                "cron" => "Remove cron job".into(),
                _ => self.label().into(),
            },
            _ => self.label().into(),
        }
    }

    /// The action's name for people.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::QuarantineFile => "Quarantine file",
            ActionKind::KillProcess => "Stop process",
            ActionKind::RemovePersistence => "Remove persistence",
            ActionKind::BlockUrl => "Block URL",
            ActionKind::BlockDomain => "Block domain",
            ActionKind::BlockIp => "Block IP address",
            ActionKind::IsolateMachine => "Isolate machine",
            ActionKind::DisableUser => "Disable user",
            ActionKind::ResetPassword => "Reset password",
            ActionKind::RequireMfa => "Require MFA",
            ActionKind::SoftDeleteEmail => "Soft-delete email",
            ActionKind::ExpandScope => "Expand investigation scope",
            ActionKind::DeleteRegistryValue => "Delete registry value",
            ActionKind::CancelBitsJob => "Cancel BITS job",
        }
    }
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Pending,
    Approved,
    /// Approved, but its machine cannot take it now (no connector yet, or its agent is
    /// away): it runs when the machine can, or is done by hand.
    WaitingForMachine,
    Rejected,
    Expired,
    Running,
    Succeeded,
    Failed,
    Undone,
}

names!(ActionState {
    Pending => "pending",
    Approved => "approved",
    WaitingForMachine => "waiting_for_machine",
    Rejected => "rejected",
    Expired => "expired",
    Running => "running",
    Succeeded => "succeeded",
    Failed => "failed",
    Undone => "undone",
});

/// What can happen to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionEvent {
    Approve,
    Reject,
    Expire,
    Start,
    Succeed,
    Fail,
    Undo,
    /// A crash left it running and the connector could not tell whether it ran: run again.
    Retry,
    /// Its machine cannot take it now.
    Wait,
    /// Its machine can take it again.
    Resume,
    /// The admin did it by hand on a machine Vigil cannot reach, and says what was done.
    DoneByHand,
}

impl ActionEvent {
    /// Every event, for tables and tests.
    pub const ALL: &'static [ActionEvent] = &[
        Self::Approve,
        Self::Reject,
        Self::Expire,
        Self::Start,
        Self::Succeed,
        Self::Fail,
        Self::Undo,
        Self::Retry,
        Self::Wait,
        Self::Resume,
        Self::DoneByHand,
    ];

    /// The event as a verb, for messages ("cannot be approved").
    pub fn past(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
            Self::Expire => "expired",
            Self::Start => "started",
            Self::Succeed => "marked succeeded",
            Self::Fail => "marked failed",
            Self::Undo => "undone",
            Self::Retry => "retried",
            Self::Wait => "put to wait for its machine",
            Self::Resume => "resumed",
            Self::DoneByHand => "marked done by hand",
        }
    }
}

impl ActionState {
    /// The state after `event`, or `None` when the event does not apply.
    pub fn next(self, event: ActionEvent) -> Option<ActionState> {
        use ActionEvent::*;
        use ActionState::*;
        match (self, event) {
            (Pending, Approve) => Some(Approved),
            (Pending, Reject) => Some(Rejected),
            (Pending, Expire) => Some(Expired),
            (Approved, Start) => Some(Running),
            (Running, Succeed) => Some(Succeeded),
            (Running, Fail) => Some(Failed),
            (Running, Retry) => Some(Approved),
            (Approved, Wait) => Some(WaitingForMachine),
            (WaitingForMachine, Resume) => Some(Approved),
            (WaitingForMachine, DoneByHand) => Some(Succeeded),
            // A machine that never came back: it expires as a pending action does.
            (WaitingForMachine, Expire) => Some(Expired),
            // Cancelled, by the admin or with its investigation.
            (WaitingForMachine, Reject) => Some(Rejected),
            (Succeeded, Undo) => Some(Undone),
            _ => None,
        }
    }

    /// Final: nothing more will happen to it (an undo aside).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Expired | Self::Succeeded | Self::Failed | Self::Undone
        )
    }

    /// How the target entity stands while the action is in this state.
    pub fn remediation(self) -> RemediationStatus {
        match self {
            Self::Pending => RemediationStatus::PendingApproval,
            Self::Approved | Self::Running => RemediationStatus::Running,
            Self::WaitingForMachine => RemediationStatus::WaitingForMachine,
            Self::Rejected | Self::Expired => RemediationStatus::Declined,
            Self::Succeeded => RemediationStatus::Remediated,
            Self::Failed => RemediationStatus::Failed,
            Self::Undone => RemediationStatus::Undone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionEvent::*;
    use ActionState::*;

    #[test]
    fn action_transitions_as_a_table() {
        // (from, event, to) for every allowed move; everything else is refused.
        let allowed = [
            (Pending, Approve, Approved),
            (Pending, Reject, Rejected),
            (Pending, Expire, Expired),
            (Approved, Start, Running),
            (Running, Succeed, Succeeded),
            (Running, Fail, Failed),
            (Running, Retry, Approved),
            (Approved, Wait, WaitingForMachine),
            (WaitingForMachine, Resume, Approved),
            (WaitingForMachine, DoneByHand, Succeeded),
            (WaitingForMachine, Reject, Rejected),
            (WaitingForMachine, Expire, Expired),
            (Succeeded, Undo, Undone),
        ];
        for &from in ActionState::ALL {
            for &event in ActionEvent::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(from.next(event), expected, "{from:?} + {event:?}");
            }
        }
    }

    #[test]
    fn settling_as_a_table() {
        use InvestigationStatus::*;
        let t = |pending, in_flight, succeeded, failed, declined, expired, undone, findings| {
            ActionTally {
                pending,
                in_flight,
                succeeded,
                failed,
                declined,
                expired,
                undone,
                findings,
                refused: 0,
                waiting: 0,
            }
        };
        let table = [
            (t(0, 0, 0, 0, 0, 0, 0, 0), NoThreatsFound),
            (t(1, 0, 2, 0, 0, 0, 0, 3), PendingAction),
            (t(1, 1, 0, 1, 0, 0, 0, 3), PendingAction),
            (t(0, 1, 2, 0, 0, 0, 0, 3), Running),
            (t(0, 0, 3, 0, 0, 0, 0, 3), Remediated),
            (t(0, 0, 0, 0, 0, 0, 0, 2), Remediated),
            (t(0, 0, 2, 1, 0, 0, 0, 3), PartiallyRemediated),
            (t(0, 0, 2, 0, 1, 0, 0, 3), PartiallyRemediated),
            (t(0, 0, 2, 0, 0, 0, 1, 3), PartiallyRemediated),
            (t(0, 0, 2, 0, 0, 1, 0, 3), TerminatedBySystem),
        ];
        for (tally, expected) in table {
            assert_eq!(settle(tally), expected, "{tally:?}");
        }
        // A threat Vigil will not act on (an OS file, the admin's list) is not remediated.
        let refused = ActionTally {
            succeeded: 1,
            findings: 2,
            refused: 1,
            ..ActionTally::default()
        };
        assert_eq!(settle(refused), PartiallyRemediated);
        // Approved actions whose machine cannot take them: waiting, unless a decision is due.
        let waiting = ActionTally {
            waiting: 1,
            succeeded: 1,
            findings: 2,
            ..ActionTally::default()
        };
        assert_eq!(settle(waiting), WaitingForMachine);
        assert_eq!(
            settle(ActionTally {
                pending: 1,
                ..waiting
            }),
            PendingAction
        );
    }

    #[test]
    fn investigation_transitions_as_a_table() {
        use InvestigationStatus::*;
        let allowed = [
            (Queued, Running, true),
            (Queued, Remediated, false),
            (Running, PendingAction, true),
            (Running, Queued, false),
            (PendingAction, Remediated, true),
            (PendingAction, TerminatedBySystem, true),
            (PendingAction, NoThreatsFound, false),
            (Remediated, PendingAction, true),
            (PendingAction, WaitingForMachine, true),
            (WaitingForMachine, Remediated, true),
            (WaitingForMachine, Queued, false),
            (Remediated, WaitingForMachine, true),
            (TerminatedByUser, Running, false),
            (TerminatedBySystem, Remediated, false),
            (NotApplicable, Running, false),
        ];
        for (from, to, ok) in allowed {
            assert_eq!(from.can_become(to), ok, "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn only_some_actions_can_be_undone() {
        assert!(ActionKind::QuarantineFile.reversible());
        assert!(ActionKind::RemovePersistence.reversible());
        assert!(!ActionKind::KillProcess.reversible());
        assert!(!ActionKind::ExpandScope.reversible());
    }
}
