//! Inventory of this computer behind one trait: OS, hostname, users and processes (the same
//! on every OS, through sysinfo), persistence, autostart folders and network connections
//! (per OS, by cfg).

pub mod autoruns;
#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "macos")]
mod macos;
pub mod network;
#[cfg(windows)]
mod windows;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sysinfo::{ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind, Users};
use vigil_engine::connectors::{LivePersistence, LiveProcess};

pub use network::Network;

/// What the OS says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// The machine's name in Vigil.
    pub hostname: String,
    /// e.g. "Linux 12 (Debian GNU/Linux 12)".
    pub os: String,
    /// `linux`, `windows`, `macos` or `unknown`.
    pub os_family: String,
}

/// A running process, with its parent and start time (pid + start time identify it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInfo {
    pub pid: i64,
    pub parent: Option<i64>,
    /// The executable's path (or its name when the OS hides the path).
    pub image: String,
    pub command_line: String,
    /// Seconds since the Unix epoch.
    pub start_time: u64,
    pub user: Option<String>,
}

impl ProcessInfo {
    /// The connector trait's view of it.
    pub fn live(&self) -> LiveProcess {
        LiveProcess {
            pid: self.pid,
            image: self.image.clone(),
            command_line: self.command_line.clone(),
            started_at: start_time_text(self.start_time),
        }
    }
}

/// A start time as the store writes times.
pub fn start_time_text(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .map(vigil_engine::clock::format)
        .unwrap_or_default()
}

/// What one OS adds to the common inventory.
pub trait Inventory: Send + Sync {
    /// The OS family (`linux`, `windows`, `macos`).
    fn os_family(&self) -> &'static str;
    /// Autostart entries: systemd units, cron, shell rc, XDG autostart (Linux); Run keys,
    /// scheduled tasks, services (Windows); LaunchAgents/Daemons (macOS).
    fn persistence(&self) -> Vec<LivePersistence>;
    /// Folders where autostart entries are files (scanned with Downloads and temp).
    fn autostart_dirs(&self) -> Vec<PathBuf>;
    /// Listening sockets and connections, with the owning pid where the OS shows it.
    fn network(&self) -> Network;

    /// Hostname and OS.
    fn host(&self) -> HostInfo {
        HostInfo {
            hostname: hostname(),
            os: System::long_os_version()
                .or_else(|_| System::name())
                .unwrap_or_else(|_| self.os_family().to_string()),
            os_family: self.os_family().to_string(),
        }
    }

    /// Local user accounts.
    fn users(&self) -> Vec<String> {
        Users::new_with_refreshed_list()
            .map(|users| users.iter().map(|u| u.name().to_string()).collect())
            .unwrap_or_default()
    }

    /// Running processes (zombies left out), with parents and command lines.
    fn processes(&self) -> Vec<ProcessInfo> {
        processes(None)
    }
}

/// This computer's name: its hostname.
pub fn hostname() -> String {
    System::host_name()
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The user this process runs as.
pub fn current_user() -> Option<String> {
    let me = i64::from(std::process::id());
    processes(Some(me))
        .into_iter()
        .find(|p| p.pid == me)
        .and_then(|p| p.user)
}

/// Running processes, or only `pid` when given.
pub fn processes(pid: Option<i64>) -> Vec<ProcessInfo> {
    let Ok(mut system) = System::new() else {
        return Vec::new();
    };
    let users = Users::new_with_refreshed_list().ok();
    let wanted: Vec<sysinfo::Pid> = pid
        .and_then(|p| usize::try_from(p).ok())
        .map(sysinfo::Pid::from)
        .into_iter()
        .collect();
    let which = if pid.is_some() {
        ProcessesToUpdate::Some(&wanted)
    } else {
        ProcessesToUpdate::All
    };
    system.refresh_processes_specifics(
        which,
        true,
        ProcessRefreshKind::nothing()
            .with_exe(UpdateKind::OnlyIfNotSet)
            .with_cmd(UpdateKind::OnlyIfNotSet)
            .with_user(UpdateKind::OnlyIfNotSet)
            .without_tasks(),
    );
    let mut list: Vec<ProcessInfo> = system
        .processes()
        .values()
        .filter(|p| p.thread_kind().is_none())
        .filter(|p| !matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead))
        .map(|p| ProcessInfo {
            pid: p.pid().as_u32().into(),
            parent: p.parent().map(|pp| pp.as_u32().into()),
            image: p
                .exe()
                .map(|e| e.display().to_string())
                .unwrap_or_else(|| p.name().to_string_lossy().into_owned()),
            command_line: p
                .cmd()
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            start_time: p.start_time(),
            user: p.user_id().and_then(|uid| {
                users
                    .as_ref()
                    .and_then(|u| u.get_user_by_id(uid))
                    .map(|u| u.name().to_string())
            }),
        })
        .collect();
    list.sort_by_key(|p| p.pid);
    list
}

/// The inventory of the OS this was built for.
pub fn this_os(home: &Path) -> Box<dyn Inventory> {
    #[cfg(target_os = "linux")]
    return Box::new(linux::Linux::new(home));
    #[cfg(windows)]
    return Box::new(windows::Windows::new(home));
    #[cfg(target_os = "macos")]
    return Box::new(macos::MacOs::new(home));
    #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
    {
        let _ = home;
        Box::new(Other)
    }
}

/// An OS without a persistence inventory yet.
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
struct Other;

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
impl Inventory for Other {
    fn os_family(&self) -> &'static str {
        "unknown"
    }
    fn persistence(&self) -> Vec<LivePersistence> {
        Vec::new()
    }
    fn autostart_dirs(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    fn network(&self) -> Network {
        Network::not_collected("network connections are not collected on this OS yet")
    }
}

/// Runs a program and returns what it printed; the error says what failed (the OS error,
/// or the exit status and what the program wrote to stderr).
pub(crate) fn command_text(program: &str, args: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Regular files directly in `dir` (no symlinks followed), sorted.
pub(crate) fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}
