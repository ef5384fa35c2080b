//! Windows persistence (the Startup folder, Run and RunOnce keys through `reg query`,
//! scheduled tasks through `schtasks`, services and drivers from the registry) and network
//! connections (`netstat -ano`). The parsing is in `autoruns` and `network`.

use std::path::{Path, PathBuf};

use vigil_engine::connectors::LivePersistence;

use super::autoruns;
use super::network::{parse_netstat_windows, Network};
use super::{command_text, files_in, Inventory};

/// The Windows inventory.
#[derive(Debug, Clone)]
pub struct Windows {
    home: PathBuf,
}

impl Windows {
    /// The inventory for the user whose profile is `home`.
    pub fn new(home: &Path) -> Self {
        Self {
            home: home.to_path_buf(),
        }
    }

    fn startup_dir(&self) -> PathBuf {
        self.home
            .join(r"AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup")
    }
}

impl Inventory for Windows {
    fn os_family(&self) -> &'static str {
        "windows"
    }

    fn persistence(&self) -> Vec<LivePersistence> {
        let dir = self.startup_dir();
        let mut found: Vec<LivePersistence> = files_in(&dir)
            .into_iter()
            .map(|file| LivePersistence {
                mechanism: "startup_folder".into(),
                location: dir.display().to_string(),
                name: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                value: file.display().to_string(),
            })
            .collect();
        let listed = |program: &str, args: &[&str]| {
            command_text(program, args).unwrap_or_else(|error| {
                // A missing key prints an error; anything else is worth a line in the log.
                tracing::debug!(%error, "autostart entries not listed");
                String::new()
            })
        };
        for hive in ["HKCU", "HKLM"] {
            for key in ["Run", "RunOnce"] {
                let path = format!(r"{hive}\Software\Microsoft\Windows\CurrentVersion\{key}");
                found.extend(autoruns::run_keys(&listed(
                    "reg",
                    &["query", path.as_str()],
                )));
            }
        }
        found.extend(autoruns::scheduled_tasks(&listed(
            "schtasks",
            &["/query", "/fo", "csv", "/v"],
        )));
        found.extend(autoruns::services(&listed(
            "reg",
            &[
                "query",
                r"HKLM\SYSTEM\CurrentControlSet\Services",
                "/s",
                "/v",
                "ImagePath",
            ],
        )));
        found
    }

    fn autostart_dirs(&self) -> Vec<PathBuf> {
        vec![self.startup_dir()]
    }

    fn network(&self) -> Network {
        match command_text("netstat", &["-ano"]) {
            Ok(text) => Network {
                connections: parse_netstat_windows(&text),
                note: None,
            },
            Err(error) => Network::not_collected(&error),
        }
    }
}
