//! Parsers of what Windows and macOS print about autostart entries: `reg query` (Run and
//! RunOnce keys, services' ImagePath), `schtasks /query /fo csv /v`, and launchd property
//! lists. Pure and compiled on every OS, so each is tested everywhere; only running the
//! commands is per OS.

use vigil_engine::connectors::LivePersistence;

/// One value of `reg query` output: the key it is under, its name, type and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegValue {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub data: String,
}

/// Parses `reg query KEY [/s] [/v NAME]`: a key line (`HKEY_…`), then its values indented
/// by four spaces as `name    REG_TYPE    data` (names and data may hold spaces).
pub fn parse_reg_query(text: &str) -> Vec<RegValue> {
    let mut key = String::new();
    let mut values = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("HKEY_") {
            key = line.trim().to_string();
            continue;
        }
        let Some(body) = line.strip_prefix("    ") else {
            continue;
        };
        let Some(at) = body.find("    REG_") else {
            continue;
        };
        let name = body[..at].trim().to_string();
        let rest = &body[at + 4..];
        let (kind, data) = rest.split_once("    ").unwrap_or((rest, ""));
        values.push(RegValue {
            key: key.clone(),
            name: if name == "(Default)" {
                String::new()
            } else {
                name
            },
            kind: kind.trim().to_string(),
            data: data.trim().to_string(),
        });
    }
    values
}

/// Run / RunOnce entries from `reg query` of those keys.
pub fn run_keys(text: &str) -> Vec<LivePersistence> {
    parse_reg_query(text)
        .into_iter()
        .filter(|v| !v.name.is_empty())
        .map(|v| LivePersistence {
            mechanism: "run_key".into(),
            location: v.key,
            name: v.name,
            value: v.data,
        })
        .collect()
}

/// Services and drivers from `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /v
/// ImagePath`: name = the service's key, value = its ImagePath.
pub fn services(text: &str) -> Vec<LivePersistence> {
    parse_reg_query(text)
        .into_iter()
        .filter(|v| v.name.eq_ignore_ascii_case("ImagePath"))
        .filter_map(|v| {
            let (location, name) = v.key.rsplit_once('\\')?;
            let driver = v
                .data
                .to_ascii_lowercase()
                .trim_matches('"')
                .ends_with(".sys");
            Some(LivePersistence {
                mechanism: if driver { "driver" } else { "service" }.into(),
                location: location.to_string(),
                name: name.to_string(),
                value: v.data,
            })
        })
        .collect()
}

/// The fields of one CSV line (quotes with doubled quotes inside).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Scheduled tasks from `schtasks /query /fo csv /v` (the header repeats per folder; a
/// task with several triggers has several rows): name = the task's path, value = what it
/// runs.
pub fn scheduled_tasks(text: &str) -> Vec<LivePersistence> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let Some(header) = lines.by_ref().find(|l| l.contains("TaskName")) else {
        return Vec::new();
    };
    let header = csv_fields(header);
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(task), Some(run)) = (column("TaskName"), column("Task To Run")) else {
        return Vec::new();
    };
    let mut seen = std::collections::HashSet::new();
    lines
        .map(csv_fields)
        .filter(|f| {
            f.get(task)
                .is_some_and(|t| t != "TaskName" && !t.is_empty())
        })
        .filter_map(|f| {
            let name = f.get(task)?.clone();
            let value = f.get(run)?.trim().to_string();
            if !seen.insert(name.clone()) {
                return None;
            }
            let location = match name.rfind('\\') {
                Some(0) | None => "\\".to_string(),
                Some(at) => name[..at].to_string(),
            };
            Some(LivePersistence {
                mechanism: "scheduled_task".into(),
                location,
                name,
                value,
            })
        })
        .collect()
}

/// What a launchd job runs, from its XML property list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchdJob {
    pub label: String,
    /// `Program`, then `ProgramArguments` (the first argument is the program when
    /// `Program` is absent).
    pub command: Vec<String>,
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text after `<key>KEY</key>` up to the end of the element that follows.
fn after_key<'a>(xml: &'a str, key: &str) -> Option<&'a str> {
    let at = xml.find(&format!("<key>{key}</key>"))?;
    Some(xml[at + key.len() + 11..].trim_start())
}

fn strings_in(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<string>") {
        let body = &rest[start + 8..];
        let Some(end) = body.find("</string>") else {
            break;
        };
        out.push(unescape(&body[..end]));
        rest = &body[end + 9..];
    }
    out
}

/// Parses a launchd job's XML property list (binary ones are converted with `plutil`
/// first).
pub fn launchd_job(xml: &str) -> Option<LaunchdJob> {
    let first_string = |key: &str| {
        after_key(xml, key)
            .filter(|rest| rest.starts_with("<string>"))
            .and_then(|rest| strings_in(rest).into_iter().next())
    };
    let label = first_string("Label")?;
    let mut command: Vec<String> = first_string("Program").into_iter().collect();
    if let Some(rest) = after_key(xml, "ProgramArguments").filter(|r| r.starts_with("<array>")) {
        let end = rest.find("</array>").unwrap_or(rest.len());
        let args = strings_in(&rest[..end]);
        // With Program set, ProgramArguments[0] is argv[0], not the program.
        let skip = usize::from(!command.is_empty());
        command.extend(args.into_iter().skip(skip));
    }
    Some(LaunchdJob { label, command })
}

/// A command line from its arguments, quoting those with spaces.
pub fn command_line(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.contains(' ') {
                format!("\"{a}\"")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from `reg query HKCU\Software\Microsoft\Windows\CurrentVersion\Run` on
    /// Windows 11 (CRLF line ends as Windows prints them).
    const REG_RUN: &str = "\r\nHKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\r\n    OneDrive    REG_SZ    \"C:\\Users\\ann\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe\" /background\r\n    MicrosoftEdgeAutoLaunch_0F3C    REG_SZ    \"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --no-startup-window\r\n    Windows Update Helper    REG_EXPAND_SZ    %APPDATA%\\upd\\upd.exe -q\r\n\r\n";

    #[test]
    fn run_key_values_keep_names_with_spaces_and_full_data() {
        let entries = run_keys(REG_RUN);
        assert_eq!(entries.len(), 3, "{entries:#?}");
        assert!(entries.iter().all(|e| e.mechanism == "run_key"
            && e.location
                == "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"));
        assert_eq!(entries[0].name, "OneDrive");
        assert_eq!(
            entries[0].value,
            "\"C:\\Users\\ann\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe\" /background"
        );
        assert_eq!(entries[2].name, "Windows Update Helper");
        assert_eq!(entries[2].value, "%APPDATA%\\upd\\upd.exe -q");
        assert!(run_keys(
            "ERROR: The system was unable to find the specified registry key or value.\r\n"
        )
        .is_empty());
    }

    /// Captured from `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /v ImagePath`.
    const REG_SERVICES: &str = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\AarSvc\r\n    ImagePath    REG_EXPAND_SZ    %SystemRoot%\\system32\\svchost.exe -k AarSvcGroup -p\r\n\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\ACPI\r\n    ImagePath    REG_EXPAND_SZ    System32\\drivers\\ACPI.sys\r\n\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\updsvc\r\n    ImagePath    REG_EXPAND_SZ    \"C:\\Users\\ann\\AppData\\Local\\Temp\\updsvc.exe\"\r\n\r\nEnd of search: 3 match(es) found.\r\n";

    #[test]
    fn services_and_drivers_come_with_their_image_path() {
        let entries = services(REG_SERVICES);
        assert_eq!(entries.len(), 3, "{entries:#?}");
        assert_eq!(entries[0].mechanism, "service");
        assert_eq!(entries[0].name, "AarSvc");
        assert_eq!(
            entries[0].location,
            "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services"
        );
        assert_eq!(entries[1].mechanism, "driver");
        assert_eq!(
            entries[2].value,
            "\"C:\\Users\\ann\\AppData\\Local\\Temp\\updsvc.exe\""
        );
    }

    /// Captured from `schtasks /query /fo csv /v` (columns cut to the first twelve; the
    /// header repeats for each folder; a task with two triggers has two rows).
    const SCHTASKS: &str = "\"HostName\",\"TaskName\",\"Next Run Time\",\"Status\",\"Logon Mode\",\"Last Run Time\",\"Last Result\",\"Author\",\"Task To Run\",\"Start In\",\"Comment\",\"Scheduled Task State\"\r\n\"DESK-1\",\"\\OneDrive Reporting Task-S-1-5-21\",\"5/6/2025 9:14:02 AM\",\"Ready\",\"Interactive only\",\"5/5/2025 9:14:03 AM\",\"0\",\"Microsoft Corporation\",\"%localappdata%\\Microsoft\\OneDrive\\OneDriveStandaloneUpdater.exe /reporting\",\"N/A\",\"N/A\",\"Enabled\"\r\n\"DESK-1\",\"\\Updater\",\"N/A\",\"Ready\",\"Interactive/Background\",\"N/A\",\"267011\",\"ann\",\"C:\\Users\\ann\\Downloads\\upd.exe -silent \"\"now\"\"\",\"N/A\",\"N/A\",\"Enabled\"\r\n\"DESK-1\",\"\\Updater\",\"N/A\",\"Ready\",\"Interactive/Background\",\"N/A\",\"267011\",\"ann\",\"C:\\Users\\ann\\Downloads\\upd.exe -silent \"\"now\"\"\",\"N/A\",\"N/A\",\"Enabled\"\r\n\"HostName\",\"TaskName\",\"Next Run Time\",\"Status\",\"Logon Mode\",\"Last Run Time\",\"Last Result\",\"Author\",\"Task To Run\",\"Start In\",\"Comment\",\"Scheduled Task State\"\r\n\"DESK-1\",\"\\Microsoft\\Windows\\Defrag\\ScheduledDefrag\",\"N/A\",\"Ready\",\"Interactive/Background\",\"5/1/2025 1:02:11 PM\",\"0\",\"Microsoft Corporation\",\"%windir%\\system32\\defrag.exe -c -h -o -$\",\"N/A\",\"N/A\",\"Enabled\"\r\n";

    #[test]
    fn scheduled_tasks_are_read_once_each_with_their_folder_and_command() {
        let tasks = scheduled_tasks(SCHTASKS);
        assert_eq!(tasks.len(), 3, "{tasks:#?}");
        assert_eq!(tasks[1].name, "\\Updater");
        assert_eq!(tasks[1].location, "\\");
        assert_eq!(
            tasks[1].value,
            "C:\\Users\\ann\\Downloads\\upd.exe -silent \"now\""
        );
        assert_eq!(tasks[2].location, "\\Microsoft\\Windows\\Defrag");
        assert!(
            scheduled_tasks("INFO: There are no scheduled tasks presently available.").is_empty()
        );
    }

    const PLIST_ARGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>com.example.sync</string>
	<key>ProgramArguments</key>
	<array>
		<string>/Users/ann/Library/Application Support/sync/syncd</string>
		<string>--interval</string>
		<string>a&amp;b</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
</dict>
</plist>"#;

    const PLIST_PROGRAM: &str = "<plist><dict><key>Label</key><string>com.x.agent</string><key>Program</key><string>/tmp/.x/agent</string><key>ProgramArguments</key><array><string>agent</string><string>-d</string></array></dict></plist>";

    #[test]
    fn launchd_plists_give_the_label_and_what_runs() {
        let job = launchd_job(PLIST_ARGS).expect("job");
        assert_eq!(job.label, "com.example.sync");
        assert_eq!(
            job.command,
            [
                "/Users/ann/Library/Application Support/sync/syncd",
                "--interval",
                "a&b"
            ]
        );
        assert_eq!(
            command_line(&job.command),
            "\"/Users/ann/Library/Application Support/sync/syncd\" --interval a&b"
        );
        let job = launchd_job(PLIST_PROGRAM).expect("job");
        assert_eq!(job.command, ["/tmp/.x/agent", "-d"]);
        assert_eq!(launchd_job("<plist><dict></dict></plist>"), None);
    }
}
