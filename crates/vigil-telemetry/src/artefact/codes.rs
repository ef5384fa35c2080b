//! What the numbers and `%%` message codes in artefact events mean, as tables: a code not
//! in a table is shown as written.

/// A service's start type (System 7045 `StartType` when numeric, Security 4697
/// `ServiceStartType`).
pub(super) const SERVICE_START: &[(i64, &str)] = &[
    (0, "boot start"),
    (1, "system start"),
    (2, "auto start"),
    (3, "demand start"),
    (4, "disabled"),
];

/// A service's type (Security 4697 `ServiceType`, System 7045 when numeric).
pub(super) const SERVICE_TYPE: &[(i64, &str)] = &[
    (0x1, "kernel mode driver"),
    (0x2, "file system driver"),
    (0x10, "own process"),
    (0x20, "share process"),
    (0x50, "user own process"),
    (0x60, "user share process"),
    (0x110, "own process, interactive"),
    (0x120, "share process, interactive"),
];

/// A registry value's type (Security 4657 `NewValueType`, `OldValueType`).
pub(super) const REGISTRY_TYPE: &[(&str, &str)] = &[
    ("%%1872", "REG_NONE"),
    ("%%1873", "REG_SZ"),
    ("%%1874", "REG_EXPAND_SZ"),
    ("%%1875", "REG_BINARY"),
    ("%%1876", "REG_DWORD"),
    ("%%1879", "REG_MULTI_SZ"),
    ("%%1883", "REG_QWORD"),
];

/// A scheduled task's trigger element, in words.
pub(super) const TASK_TRIGGER: &[(&str, &str)] = &[
    ("BootTrigger", "at boot"),
    ("LogonTrigger", "at logon"),
    ("CalendarTrigger", "on a schedule"),
    ("TimeTrigger", "at a set time"),
    ("IdleTrigger", "when idle"),
    ("EventTrigger", "on an event"),
    ("RegistrationTrigger", "when registered"),
    ("SessionStateChangeTrigger", "on a session change"),
    ("WnfStateChangeTrigger", "on a system state change"),
];

/// The words for `code` in a numeric table.
pub(super) fn word(table: &[(i64, &'static str)], code: i64) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, w)| *w)
}

/// A numeric code as its words (`3` → `demand start`, `0x10` → `own process`); words
/// (System 7045 writes them) and codes not in the table as they are.
pub(super) fn in_words(value: &str, table: &[(i64, &'static str)]) -> String {
    crate::normalise::parse_int_text(value)
        .and_then(|code| word(table, code))
        .map_or_else(|| value.to_string(), str::to_string)
}

/// The words for `code` in a text table.
pub(super) fn word_for(table: &[(&str, &'static str)], code: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, w)| *w)
}
