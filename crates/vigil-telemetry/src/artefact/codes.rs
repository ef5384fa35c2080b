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

/// A Kerberos ticket's encryption type (Security 4769 `TicketEncryptionType`).
pub(super) const TICKET_ENCRYPTION: &[(i64, &str)] = &[
    (0x1, "DES-CBC-CRC (weak)"),
    (0x3, "DES-CBC-MD5 (weak)"),
    (0x11, "AES128-CTS-HMAC-SHA1-96"),
    (0x12, "AES256-CTS-HMAC-SHA1-96"),
    (0x17, "RC4-HMAC (weak)"),
    (0x18, "RC4-HMAC-EXP (weak)"),
    (0xffff_ffff, "none (the request failed)"),
];

/// A Kerberos result code (Security 4769 `Status`, RFC 4120).
pub(super) const KERBEROS_STATUS: &[(i64, &str)] = &[
    (0x0, "success"),
    (0x6, "client not found"),
    (0x7, "service not found"),
    (0xc, "refused by policy"),
    (0xd, "option not supported"),
    (0xe, "encryption type not supported"),
    (0x12, "client revoked"),
    (0x17, "password expired"),
    (0x18, "pre-authentication failed"),
    (0x1b, "must use user-to-user"),
    (0x1f, "integrity check failed"),
    (0x20, "ticket expired"),
    (0x25, "clock skew too great"),
];

/// What Defender did (`Action ID`), for logs that write the action's name as a `%%` code.
pub(super) const DEFENDER_ACTION: &[(i64, &str)] = &[
    (1, "Clean"),
    (2, "Quarantine"),
    (3, "Remove"),
    (6, "Allow"),
    (8, "User defined"),
    (9, "No action"),
    (10, "Block"),
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

/// Account attribute placeholders (Security 4720, 4738, 4741, 4742).
pub(super) const ACCOUNT_VALUE: &[(&str, &str)] = &[
    ("%%1793", "<value not set>"),
    ("%%1794", "<never>"),
    ("%%1797", "all"),
];

/// The account control flags, in bit order, as the Security log names them: `%%2048` + bit
/// says a flag was cleared, `%%2080` + bit that it was set (`%%2080` "Account Disabled",
/// `%%2096` "'Don't Require Preauth' - Enabled"). Bit 0 reads as the account being enabled
/// or disabled; bit 10 (locked) is left as written.
pub(super) const ACCOUNT_FLAGS: [&str; 22] = [
    "Account",
    "Home Directory Required",
    "Password Not Required",
    "Temp Duplicate Account",
    "Normal Account",
    "MNS Logon Account",
    "Interdomain Trust Account",
    "Workstation Trust Account",
    "Server Trust Account",
    "Don't Expire Password",
    "",
    "Encrypted Text Password Allowed",
    "Smartcard Required",
    "Trusted For Delegation",
    "Not Delegated",
    "Use DES Key Only",
    "Don't Require Preauth",
    "Password Expired",
    "Trusted To Authenticate For Delegation",
    "Exclude Authorization Information",
    "Undefined UserAccountControl Bit 20",
    "Protect Kerberos Service Tickets with AES Keys",
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

/// One account control change (`%%2080`…) in words, `None` for any other code.
pub(super) fn account_flag(code: &str) -> Option<String> {
    let n: usize = code.strip_prefix("%%")?.parse().ok()?;
    let (bit, set) = match n {
        2048..=2069 => (n - 2048, false),
        2080..=2101 => (n - 2080, true),
        _ => return None,
    };
    let flag = ACCOUNT_FLAGS.get(bit).filter(|f| !f.is_empty())?;
    Some(match (bit, set) {
        (0, true) => "Account Disabled".to_string(),
        (0, false) => "Account Enabled".to_string(),
        (_, true) => format!("{flag} - Enabled"),
        (_, false) => format!("{flag} - Disabled"),
    })
}

#[cfg(test)]
mod tests {
    use super::account_flag;

    #[test]
    fn account_flags_read_as_the_security_log_writes_them() {
        for (code, words) in [
            ("%%2080", Some("Account Disabled")),
            ("%%2048", Some("Account Enabled")),
            ("%%2082", Some("Password Not Required - Enabled")),
            ("%%2084", Some("Normal Account - Enabled")),
            ("%%2096", Some("Don't Require Preauth - Enabled")),
            ("%%2064", Some("Don't Require Preauth - Disabled")),
            ("%%2093", Some("Trusted For Delegation - Enabled")),
            ("%%2090", None),
            ("%%1793", None),
            ("2080", None),
        ] {
            assert_eq!(account_flag(code).as_deref(), words, "{code}");
        }
    }
}
