//! Linux persistence (systemd user and system units, cron, shell rc autostarts, XDG
//! autostart entries) and network connections (`/proc/net`, owners from `/proc/<pid>/fd`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use vigil_engine::connectors::LivePersistence;

use super::network::{parse_proc_net, Network};
use super::{files_in, Inventory};

/// Shell start-up files checked for programs started in the background.
pub const SHELL_RC_FILES: [&str; 6] = [
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zprofile",
];

/// The Linux inventory.
#[derive(Debug, Clone)]
pub struct Linux {
    home: PathBuf,
}

impl Linux {
    /// The inventory for the user whose home is `home`.
    pub fn new(home: &Path) -> Self {
        Self {
            home: home.to_path_buf(),
        }
    }

    fn systemd_user_dir(&self) -> PathBuf {
        self.home.join(".config/systemd/user")
    }

    fn xdg_autostart_dir(&self) -> PathBuf {
        self.home.join(".config/autostart")
    }
}

impl Inventory for Linux {
    fn os_family(&self) -> &'static str {
        "linux"
    }

    fn persistence(&self) -> Vec<LivePersistence> {
        let mut found = Vec::new();
        for dir in [
            self.systemd_user_dir(),
            PathBuf::from("/etc/systemd/system"),
        ] {
            for file in files_in(&dir) {
                if is_unit(&file) {
                    found.push(entry(
                        "systemd_unit",
                        &dir,
                        &file,
                        key_value(&file, "ExecStart"),
                    ));
                }
            }
        }
        for dir in [
            self.xdg_autostart_dir(),
            PathBuf::from("/etc/xdg/autostart"),
        ] {
            for file in files_in(&dir) {
                if file.extension().is_some_and(|e| e == "desktop") {
                    found.push(entry(
                        "xdg_autostart",
                        &dir,
                        &file,
                        key_value(&file, "Exec"),
                    ));
                }
            }
        }
        let mut cron_files = vec![PathBuf::from("/etc/crontab")];
        cron_files.extend(files_in(Path::new("/etc/cron.d")));
        for file in cron_files {
            found.extend(lines_of(&file, "cron", is_cron_job));
        }
        found.extend(user_crontab());
        for rc in SHELL_RC_FILES {
            found.extend(lines_of(
                &self.home.join(rc),
                "shell_rc",
                starts_in_background,
            ));
        }
        found
    }

    fn autostart_dirs(&self) -> Vec<PathBuf> {
        vec![self.xdg_autostart_dir(), self.systemd_user_dir()]
    }

    fn network(&self) -> Network {
        let mut sockets = Vec::new();
        for protocol in ["tcp", "tcp6", "udp", "udp6"] {
            if let Ok(text) = std::fs::read_to_string(format!("/proc/net/{protocol}")) {
                sockets.extend(parse_proc_net(&text, protocol));
            }
        }
        let (owners, unreadable) = socket_owners();
        let mut hidden = 0;
        let connections = sockets
            .into_iter()
            .map(|mut socket| {
                socket.connection.pid = owners.get(&socket.inode).copied();
                // Inode 0: no process holds it any more (TIME_WAIT).
                if socket.inode != 0 && socket.connection.pid.is_none() {
                    hidden += 1;
                }
                socket.connection
            })
            .collect();
        Network {
            connections,
            note: (hidden > 0).then(|| {
                let why = if unreadable > 0 {
                    format!("the open files of {unreadable} processes (other users') are not readable without administrator rights")
                } else {
                    "they are held by processes outside what Vigil can see (another container or PID namespace)".to_string()
                };
                format!("the owning process of {hidden} sockets is not shown: {why}")
            }),
        }
    }
}

/// Socket inode → pid, from the `socket:[inode]` links in `/proc/<pid>/fd`; and how many
/// processes' fd folders could not be read.
fn socket_owners() -> (HashMap<u64, i64>, usize) {
    let mut owners = HashMap::new();
    let mut unreadable = 0;
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return (owners, 0);
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i64>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            unreadable += 1;
            continue;
        };
        for fd in fds.flatten() {
            let inode = std::fs::read_link(fd.path()).ok().and_then(|link| {
                link.to_str()?
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .parse::<u64>()
                    .ok()
            });
            if let Some(inode) = inode {
                owners.entry(inode).or_insert(pid);
            }
        }
    }
    (owners, unreadable)
}

/// The current user's crontab: through `crontab -l`, or the spool file when the program
/// is not installed but the file is readable.
fn user_crontab() -> Vec<LivePersistence> {
    let Some(user) = super::current_user() else {
        return Vec::new();
    };
    match crate::actions::persistence::crontab::read() {
        Ok(Some(text)) => cron_lines(&text, "user_crontab", &format!("crontab:{user}")),
        Ok(None) => [
            format!("/var/spool/cron/crontabs/{user}"),
            format!("/var/spool/cron/{user}"),
        ]
        .iter()
        .flat_map(|file| lines_of(Path::new(file), "cron", is_cron_job))
        .collect(),
        Err(error) => {
            tracing::info!(%error, "the user's crontab is not listed");
            Vec::new()
        }
    }
}

fn is_unit(file: &Path) -> bool {
    file.extension()
        .is_some_and(|e| e == "service" || e == "timer" || e == "path" || e == "socket")
}

fn entry(mechanism: &str, dir: &Path, file: &Path, value: String) -> LivePersistence {
    LivePersistence {
        mechanism: mechanism.into(),
        location: dir.display().to_string(),
        name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        value,
    }
}

/// The first `key=` value of an INI-like file (a unit's ExecStart, a .desktop's Exec).
fn key_value(file: &Path, key: &str) -> String {
    key_value_in(&std::fs::read_to_string(file).unwrap_or_default(), key)
}

/// The first `key=` value of an INI-like text (a systemd unit, a .desktop entry).
pub fn key_value_in(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// Line entries of a file: location = the file, name = value = the line.
fn lines_of(file: &Path, mechanism: &str, keep: fn(&str) -> bool) -> Vec<LivePersistence> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    entries_of_lines(&text, mechanism, &file.display().to_string(), keep)
}

/// The cron jobs of a crontab's text.
pub fn cron_lines(text: &str, mechanism: &str, location: &str) -> Vec<LivePersistence> {
    entries_of_lines(text, mechanism, location, is_cron_job)
}

fn entries_of_lines(
    text: &str,
    mechanism: &str,
    location: &str,
    keep: fn(&str) -> bool,
) -> Vec<LivePersistence> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && keep(line))
        .map(|line| LivePersistence {
            mechanism: mechanism.into(),
            location: location.to_string(),
            name: line.to_string(),
            value: line.to_string(),
        })
        .collect()
}

fn is_cron_job(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    // Skip variable assignments (SHELL=..., PATH=...).
    !first.contains('=') || first.starts_with('@')
}

/// A shell rc line that starts a program that outlives the shell's start-up.
pub fn starts_in_background(line: &str) -> bool {
    let l = line.trim_end();
    (l.ends_with('&') && !l.ends_with("&&"))
        || ["nohup ", "setsid ", "disown", "(crontab"]
            .iter()
            .any(|m| l.contains(m))
}
