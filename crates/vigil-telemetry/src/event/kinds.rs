//! Which Windows events are which [`EventKind`]: a table by channel and event id.

use super::channels;
use super::EventKind::{self, *};

/// One event log: its channel, the provider that names it when a source leaves the channel
/// out, and its event ids by kind.
struct Log {
    channel: &'static str,
    provider: &'static str,
    kinds: &'static [(EventKind, &'static [i64])],
}

/// The events Vigil tells apart; every other one is [`EventKind::Other`].
const LOGS: &[Log] = &[
    Log {
        channel: channels::SYSMON,
        provider: "Microsoft-Windows-Sysmon",
        kinds: &[
            (ProcessStart, &[1]),
            (NetworkConnection, &[3]),
            (FileCreate, &[7, 11]),
            (ProcessAccess, &[8, 10]),
            (RegistrySet, &[12, 13, 14]),
            (WmiSubscription, &[19, 20, 21]),
            (DnsQuery, &[22]),
        ],
    },
    Log {
        channel: channels::SECURITY,
        provider: "Microsoft-Windows-Security-Auditing",
        kinds: &[
            (Logon, &[4624, 4625]),
            (ProcessStart, &[4688]),
            (ServiceInstall, &[4697]),
            (ScheduledTask, &[4698, 4699, 4700, 4701, 4702]),
            (RegistrySet, &[4657]),
            (
                AccountChange,
                &[
                    // users: created, enabled, password changed and reset, disabled,
                    // deleted, changed, locked out, unlocked, renamed
                    4720, 4722, 4723, 4724, 4725, 4726, 4738, 4740, 4767, 4781,
                    // computers: created, changed, deleted
                    4741, 4742, 4743,
                    // group members added and removed: global, local, universal groups
                    // (then the same for security-disabled ones)
                    4728, 4729, 4732, 4733, 4756, 4757, 4751, 4752, 4746, 4747, 4761, 4762,
                    // SID history added, failed to add; DSRM password set
                    4765, 4766, 4794,
                ],
            ),
            (ServiceTicket, &[4769]),
            (ObjectAccess, &[4656, 4658, 4660, 4661, 4662, 4663]),
            (PrivilegeUse, &[4673, 4674, 4703]),
            (NetworkConnection, &[5156]),
        ],
    },
    Log {
        channel: channels::SYSTEM,
        provider: "Service Control Manager",
        kinds: &[(ServiceInstall, &[7045])],
    },
    Log {
        channel: channels::POWERSHELL,
        provider: "Microsoft-Windows-PowerShell",
        kinds: &[(ScriptBlock, &[4103, 4104])],
    },
    Log {
        channel: channels::WINDOWS_POWERSHELL,
        provider: "PowerShell",
        kinds: &[(ScriptBlock, &[800])],
    },
    Log {
        channel: channels::WMI_ACTIVITY,
        provider: "Microsoft-Windows-WMI-Activity",
        kinds: &[(WmiSubscription, &[5861])],
    },
    Log {
        channel: channels::BITS,
        provider: "Microsoft-Windows-Bits-Client",
        // created, transferred, cancelled; transfer started, ended, failed; file added
        kinds: &[(BitsJob, &[3, 4, 5, 59, 60, 61, 16403])],
    },
    Log {
        channel: channels::DEFENDER,
        provider: "Microsoft-Windows-Windows Defender",
        // found, acted on, failed to act (old engine); suspicious behaviour; detected,
        // acted on, failed to act, failed critically
        kinds: &[(
            AvDetection,
            &[1006, 1007, 1008, 1015, 1116, 1117, 1118, 1119],
        )],
    },
    Log {
        channel: channels::TASK_SCHEDULER,
        provider: "Microsoft-Windows-TaskScheduler",
        // registered, launched, updated, deleted, disabled; action started, completed
        kinds: &[(ScheduledTask, &[106, 129, 140, 141, 142, 200, 201])],
    },
];

/// The kind of a Windows event, from its channel (or, without one, its provider) and id.
pub(super) fn classify(channel: &str, provider: &str, event_id: i64) -> EventKind {
    let log = LOGS.iter().find(|log| {
        if channel.is_empty() {
            provider.eq_ignore_ascii_case(log.provider)
        } else {
            channel.eq_ignore_ascii_case(log.channel)
        }
    });
    log.and_then(|log| {
        log.kinds
            .iter()
            .find(|(_, ids)| ids.contains(&event_id))
            .map(|(kind, _)| *kind)
    })
    .unwrap_or(Other)
}

#[cfg(test)]
mod tests {
    use super::classify;
    use crate::event::EventKind::{self, *};

    #[test]
    fn events_are_told_apart_by_channel_and_id() {
        let cases: &[(&str, &str, i64, EventKind)] = &[
            (
                "Microsoft-Windows-Sysmon/Operational",
                "",
                20,
                WmiSubscription,
            ),
            ("", "Microsoft-Windows-Sysmon", 1, ProcessStart),
            ("security", "", 4728, AccountChange),
            ("Security", "", 4742, AccountChange),
            ("Security", "", 4769, ServiceTicket),
            ("Security", "", 4663, ObjectAccess),
            ("Security", "", 4703, PrivilegeUse),
            ("Security", "", 4702, ScheduledTask),
            ("Security", "", 4657, RegistrySet),
            ("Security", "", 5156, NetworkConnection),
            ("Security", "", 4768, Other),
            ("", "Microsoft-Windows-Security-Auditing", 4624, Logon),
            ("System", "", 7045, ServiceInstall),
            (
                "Microsoft-Windows-WMI-Activity/Operational",
                "",
                5861,
                WmiSubscription,
            ),
            (
                "Microsoft-Windows-WMI-Activity/Operational",
                "",
                5857,
                Other,
            ),
            (
                "Microsoft-Windows-Bits-Client/Operational",
                "",
                16403,
                BitsJob,
            ),
            (
                "Microsoft-Windows-Windows Defender/Operational",
                "",
                1117,
                AvDetection,
            ),
            (
                "Microsoft-Windows-Windows Defender/Operational",
                "",
                5007,
                Other,
            ),
            (
                "Microsoft-Windows-TaskScheduler/Operational",
                "",
                201,
                ScheduledTask,
            ),
            (
                "Microsoft-Windows-PowerShell/Operational",
                "",
                4103,
                ScriptBlock,
            ),
            ("Windows PowerShell", "", 800, ScriptBlock),
            ("Windows PowerShell", "", 400, Other),
            // An id belongs to its channel: 4104 in the System log is nothing of the kind.
            ("System", "", 4104, Other),
            ("Application", "", 7045, Other),
        ];
        for (channel, provider, id, kind) in cases {
            assert_eq!(
                classify(channel, provider, *id),
                *kind,
                "{channel} {provider} {id}"
            );
        }
    }
}
