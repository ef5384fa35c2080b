//! Detections on this computer: a scanned file that matched, a running program whose
//! executable matched, persistence that starts a matching file or one from a temp or
//! Downloads folder, and an established connection to an IP indicator. Each becomes one
//! alert with its evidence; the sensor raises it.

mod alert;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use vigil_engine::connectors::{LiveConnection, LivePersistence};
use vigil_engine::domain::FolderClass;

pub use alert::process_entity;

use crate::inventory::ProcessInfo;
use crate::scan::{Hit, Scanner, MAX_YARA_BYTES};

/// Executables larger than this are not read by a sweep (a browser or IDE would cost
/// seconds each time and is not what droppers look like).
pub const MAX_EXE_BYTES: u64 = MAX_YARA_BYTES;

/// What was found, with the evidence the alert carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detection {
    /// A scanned file matched an IOC hash or a YARA rule.
    File { hit: Hit },
    /// A running process whose executable matched.
    Process { process: ProcessInfo, hit: Hit },
    /// A persistence entry that starts a file which matched (`hit`) or which lives in a
    /// temp or Downloads folder (`hit` empty).
    Persistence {
        entry: LivePersistence,
        target: PathBuf,
        hit: Option<Hit>,
    },
    /// An established connection to an address that is an IP indicator.
    Connection {
        connection: LiveConnection,
        process: Option<ProcessInfo>,
    },
}

/// What a sweep of running programs found, and what it could not read.
#[derive(Debug, Default)]
pub struct ProgramSweep {
    pub detections: Vec<Detection>,
    /// Distinct executables scanned.
    pub scanned: u64,
    pub bytes: u64,
    /// Executables left out: larger than `MAX_EXE_BYTES`, or not readable.
    pub skipped: Vec<String>,
}

/// Scans the executable of every running process (each distinct file once; Vigil's own
/// folders left out) and reports the processes whose executable matched.
pub fn running_programs(
    scanner: &Scanner,
    processes: &[ProcessInfo],
    skip: &[PathBuf],
) -> ProgramSweep {
    let mut sweep = ProgramSweep::default();
    let mut by_exe: HashMap<PathBuf, Vec<&ProcessInfo>> = HashMap::new();
    for process in processes {
        let exe = PathBuf::from(&process.image);
        if exe.is_absolute() && !skip.iter().any(|s| exe.starts_with(s)) {
            by_exe.entry(exe).or_default().push(process);
        }
    }
    let mut exes: Vec<_> = by_exe.into_iter().collect();
    exes.sort_by(|a, b| a.0.cmp(&b.0));
    for (exe, running) in exes {
        let Some(readable) = readable_exe(&exe, running[0].pid) else {
            continue;
        };
        // Read through the path: `/proc/<pid>/exe` is a link to a file that may be deleted.
        match std::fs::metadata(&readable) {
            Ok(meta) if meta.len() > MAX_EXE_BYTES => {
                sweep.skipped.push(format!(
                    "{}: {} MB, larger than the sweep reads",
                    exe.display(),
                    meta.len() >> 20
                ));
                continue;
            }
            Ok(_) => {}
            Err(_) => continue,
        }
        let scan = std::fs::read(&readable)
            .map_err(|e| format!("{}: {e}", exe.display()))
            .and_then(|data| scanner.scan_bytes(&exe, &data).map_err(|e| e.to_string()));
        match scan {
            Ok(scan) => {
                sweep.scanned += 1;
                sweep.bytes += scan.bytes;
                for hit in scan.hits {
                    for process in &running {
                        sweep.detections.push(Detection::Process {
                            process: (*process).clone(),
                            hit: hit.clone(),
                        });
                    }
                }
            }
            Err(error) => sweep.skipped.push(error),
        }
    }
    sweep
}

/// The file to read for a running executable: its path, or on Linux the kernel's handle
/// to it when the file was deleted or replaced after it started (droppers delete
/// themselves). `None` when neither is there.
fn readable_exe(exe: &Path, pid: i64) -> Option<PathBuf> {
    if exe.is_file() {
        return Some(exe.to_path_buf());
    }
    #[cfg(target_os = "linux")]
    {
        let handle = PathBuf::from(format!("/proc/{pid}/exe"));
        if std::fs::metadata(&handle).is_ok_and(|m| m.is_file()) {
            return Some(handle);
        }
    }
    let _ = pid;
    None
}

/// A command split into words; a quoted word (which may hold spaces) is one word.
fn words(command: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut rest = command.trim_start();
    while let Some(first) = rest.chars().next() {
        if first == '"' || first == '\'' {
            let body = &rest[1..];
            let end = body.find(first).unwrap_or(body.len());
            out.push((&body[..end], true));
            rest = body.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push((&rest[..end], false));
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    out
}

/// `%NAME%\rest` with the environment variable's value (Windows commands).
fn expand_percent(word: &str) -> Option<String> {
    let rest = word.strip_prefix('%')?;
    let (name, tail) = rest.split_once('%')?;
    std::env::var(name).ok().map(|v| format!("{v}{tail}"))
}

/// The absolute paths a persistence entry's command names (a unit's `ExecStart`, a cron
/// line, a shell rc line, a Run key value …), in order.
pub fn paths_in_command(command: &str, home: &Path) -> Vec<PathBuf> {
    let mut parts: Vec<String> = Vec::new();
    for (word, quoted) in words(command) {
        if quoted {
            parts.push(word.to_string());
        } else {
            parts.extend(word.split(['"', '\'', '=', ';', '`']).map(str::to_string));
        }
    }
    parts
        .iter()
        .map(|t| t.trim_matches(|c: char| matches!(c, '(' | ')' | '&' | '|' | ',' | '<' | '>')))
        // systemd's ExecStart prefixes: -, @, :, +, !
        .map(|t| t.trim_start_matches(['-', '@', ':', '+', '!']))
        .filter_map(|t| {
            if let Some(rest) = t.strip_prefix("~/").or_else(|| t.strip_prefix("$HOME/")) {
                return Some(home.join(rest));
            }
            let t = expand_percent(t).unwrap_or_else(|| t.to_string());
            let b = t.as_bytes();
            let windows = b.len() > 3 && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/');
            (t.starts_with('/') || windows).then(|| PathBuf::from(t))
        })
        .collect()
}

/// Checks what each persistence entry starts: a file that matches is a detection (high),
/// and so is one in a temp or Downloads folder (medium), even if it is gone already.
pub fn persistence(scanner: &Scanner, entries: &[LivePersistence], home: &Path) -> Vec<Detection> {
    let mut found = Vec::new();
    for entry in entries {
        for target in paths_in_command(&entry.value, home) {
            let hit = std::fs::symlink_metadata(&target)
                .ok()
                .filter(|m| m.is_file() && m.len() <= MAX_EXE_BYTES)
                .and_then(|_| scanner.scan_file(&target).ok())
                .and_then(|scan| scan.hits.into_iter().next());
            let in_temp = FolderClass::of_path(&target.display().to_string()) == FolderClass::Temp;
            if hit.is_some() || in_temp {
                found.push(Detection::Persistence {
                    entry: entry.clone(),
                    target,
                    hit,
                });
                break;
            }
        }
    }
    found
}

/// Established connections whose remote address is an IP indicator (lowercase), with
/// the process that owns each when the OS shows it.
pub fn connections(
    connections: &[LiveConnection],
    bad_ips: &HashSet<String>,
    processes: &[ProcessInfo],
) -> Vec<Detection> {
    connections
        .iter()
        .filter(|c| c.state == "established")
        .filter(|c| {
            c.remote_address
                .as_ref()
                .is_some_and(|ip| bad_ips.contains(&ip.to_ascii_lowercase()))
        })
        .map(|c| Detection::Connection {
            connection: c.clone(),
            process: c
                .pid
                .and_then(|pid| processes.iter().find(|p| p.pid == pid).cloned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_their_paths_quoted_prefixed_or_under_home() {
        let home = Path::new("/home/ann");
        let paths = |c: &str| paths_in_command(c, home);
        assert_eq!(
            paths("-/usr/bin/env FOO=1 /opt/x/run --conf=/etc/x.conf"),
            [
                PathBuf::from("/usr/bin/env"),
                PathBuf::from("/opt/x/run"),
                PathBuf::from("/etc/x.conf")
            ]
        );
        assert_eq!(
            paths("\"/Users/ann/Library/Application Support/sync/syncd\" --interval 5"),
            [PathBuf::from(
                "/Users/ann/Library/Application Support/sync/syncd"
            )]
        );
        assert_eq!(
            paths("*/5 * * * * ~/.cache/miner >/dev/null 2>&1"),
            [
                PathBuf::from("/home/ann/.cache/miner"),
                PathBuf::from("/dev/null")
            ]
        );
        assert_eq!(
            // A Windows switch reads as a Unix path; it names no file, so nothing follows.
            paths("\"C:\\Users\\ann\\AppData\\Local\\Temp\\u.exe\" /quiet"),
            [
                PathBuf::from("C:\\Users\\ann\\AppData\\Local\\Temp\\u.exe"),
                PathBuf::from("/quiet")
            ]
        );
        assert!(paths("echo hello").is_empty());
    }
}
