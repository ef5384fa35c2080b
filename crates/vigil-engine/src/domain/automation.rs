//! Automation levels, folder classes and the decision they make together: run a proposed
//! action now, or wait for the admin's approval.

use serde::{Deserialize, Serialize};

use super::Verdict;

/// How much a machine group lets Vigil remediate on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AutomationLevel {
    /// No investigation runs at all.
    NotProtected,
    /// Semi – require approval for any remediation (the default).
    SemiAny,
    /// Semi – require approval for non-temp folders.
    SemiNonTemp,
    /// Semi – require approval for core folders.
    SemiCore,
    /// Full – remediate threats automatically.
    Full,
}

impl AutomationLevel {
    /// Every level, least automatic first.
    pub const ALL: [AutomationLevel; 5] = [
        Self::NotProtected,
        Self::SemiAny,
        Self::SemiNonTemp,
        Self::SemiCore,
        Self::Full,
    ];

    /// The level's name on the command line and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotProtected => "not_protected",
            Self::SemiAny => "semi_any",
            Self::SemiNonTemp => "semi_non_temp",
            Self::SemiCore => "semi_core",
            Self::Full => "full",
        }
    }

    /// The level's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotProtected => "Not protected",
            Self::SemiAny => "Semi – require approval for any remediation",
            Self::SemiNonTemp => "Semi – require approval for non-temp folders",
            Self::SemiCore => "Semi – require approval for core folders",
            Self::Full => "Full – remediate threats automatically",
        }
    }

    /// What the level does, in one sentence.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::NotProtected => "No automated investigation runs on these machines.",
            Self::SemiAny => "Every remediation waits for your approval.",
            Self::SemiNonTemp => "Threats in temporary folders (Downloads, temp) are remediated at once; everything else waits for approval.",
            Self::SemiCore => "Threats are remediated at once except in OS folders (Windows, Program Files, /usr, /System…), which wait for approval.",
            Self::Full => "Malicious threats are remediated at once; suspicious ones still wait for approval.",
        }
    }

    /// Parses a level's name (`semi_any`, …).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == text)
    }
}

/// Where a file sits, as far as automation is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FolderClass {
    /// User Downloads, user or OS temp folders.
    Temp,
    /// OS folders: Windows, Program Files, /usr, /bin, /System, …
    Core,
    /// Anywhere else. Non-file actions count as here.
    Other,
}

impl FolderClass {
    /// Classifies a Windows, macOS or Linux path.
    pub fn of_path(path: &str) -> Self {
        let p = path.replace('\\', "/").to_ascii_lowercase();
        let p = p.as_str();
        // Windows paths: drop the drive letter.
        let win = p.len() >= 2 && p.as_bytes()[1] == b':';
        let rest = if win { &p[2..] } else { p };
        const TEMP_PARTS: [&str; 6] = [
            "/downloads/",
            "/appdata/local/temp/",
            "/appdata/local/microsoft/windows/inetcache/",
            "/windows/temp/",
            "/tmp/",
            "/var/tmp/",
        ];
        if TEMP_PARTS.iter().any(|part| rest.contains(part))
            || rest.starts_with("/private/var/folders/")
            || rest.starts_with("/var/folders/")
        {
            return Self::Temp;
        }
        const WIN_CORE: [&str; 4] = [
            "/windows/",
            "/program files/",
            "/program files (x86)/",
            "/programdata/microsoft/windows defender/",
        ];
        const UNIX_CORE: [&str; 10] = [
            "/usr/",
            "/bin/",
            "/sbin/",
            "/lib/",
            "/lib64/",
            "/etc/",
            "/boot/",
            "/system/",
            "/library/",
            "/opt/",
        ];
        if win {
            if WIN_CORE.iter().any(|part| rest.starts_with(part)) {
                return Self::Core;
            }
        } else if UNIX_CORE.iter().any(|part| rest.starts_with(part)) {
            return Self::Core;
        }
        Self::Other
    }
}

/// Run a proposed action now, or wait for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Automatic,
    Pending,
}

/// Decides an action on an entity with `verdict` in `folder` (`Other` for non-file actions)
/// under `level`. Suspicious entities always wait; so does anything not protected.
pub fn decide(level: AutomationLevel, folder: FolderClass, verdict: Verdict) -> Decision {
    if verdict != Verdict::Malicious {
        return Decision::Pending;
    }
    let automatic = match level {
        AutomationLevel::NotProtected | AutomationLevel::SemiAny => false,
        AutomationLevel::SemiNonTemp => folder == FolderClass::Temp,
        AutomationLevel::SemiCore => folder != FolderClass::Core,
        AutomationLevel::Full => true,
    };
    if automatic {
        Decision::Automatic
    } else {
        Decision::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AutomationLevel::*;
    use Decision::*;
    use FolderClass::*;

    #[test]
    fn every_level_folder_and_verdict() {
        // (level, folder, verdict, expected)
        let table = [
            (NotProtected, Temp, Verdict::Malicious, Pending),
            (NotProtected, Core, Verdict::Malicious, Pending),
            (NotProtected, Other, Verdict::Malicious, Pending),
            (SemiAny, Temp, Verdict::Malicious, Pending),
            (SemiAny, Core, Verdict::Malicious, Pending),
            (SemiAny, Other, Verdict::Malicious, Pending),
            (SemiNonTemp, Temp, Verdict::Malicious, Automatic),
            (SemiNonTemp, Core, Verdict::Malicious, Pending),
            (SemiNonTemp, Other, Verdict::Malicious, Pending),
            (SemiCore, Temp, Verdict::Malicious, Automatic),
            (SemiCore, Core, Verdict::Malicious, Pending),
            (SemiCore, Other, Verdict::Malicious, Automatic),
            (Full, Temp, Verdict::Malicious, Automatic),
            (Full, Core, Verdict::Malicious, Automatic),
            (Full, Other, Verdict::Malicious, Automatic),
        ];
        for (level, folder, verdict, expected) in table {
            assert_eq!(
                decide(level, folder, verdict),
                expected,
                "{level:?} {folder:?} {verdict:?}"
            );
        }
        // Suspicious (and anything less) always waits, whatever the level and folder.
        for level in AutomationLevel::ALL {
            for folder in [Temp, Core, Other] {
                for verdict in [
                    Verdict::Suspicious,
                    Verdict::Unknown,
                    Verdict::NoThreatsFound,
                ] {
                    assert_eq!(
                        decide(level, folder, verdict),
                        Pending,
                        "{level:?} {folder:?} {verdict:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn folder_classes_for_three_oses() {
        let table = [
            (r"C:\Users\alice\Downloads\updater.exe", Temp),
            (r"C:\Users\alice\AppData\Local\Temp\x.js", Temp),
            (r"C:\Windows\Temp\a.exe", Temp),
            (r"c:\windows\system32\wupdsvc.exe", Core),
            (r"C:\Program Files\App\app.exe", Core),
            (r"C:\Program Files (x86)\App\app.exe", Core),
            (r"C:\Users\alice\Documents\a.exe", Other),
            (r"D:\share\a.exe", Other),
            ("/home/bob/Downloads/a.sh", Temp),
            ("/tmp/x", Temp),
            ("/var/tmp/x", Temp),
            ("/usr/bin/ls", Core),
            ("/etc/cron.d/job", Core),
            ("/home/bob/.config/autostart/a.desktop", Other),
            ("/Users/carol/Downloads/a.dmg", Temp),
            ("/private/var/folders/xy/T/a", Temp),
            ("/System/Library/a", Core),
            ("/Applications/App.app/Contents/MacOS/App", Other),
        ];
        for (path, expected) in table {
            assert_eq!(FolderClass::of_path(path), expected, "{path}");
        }
    }

    #[test]
    fn level_names_round_trip() {
        for level in AutomationLevel::ALL {
            assert_eq!(AutomationLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(AutomationLevel::parse("semi"), None);
    }
}
