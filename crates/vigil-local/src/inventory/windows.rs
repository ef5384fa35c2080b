//! Windows persistence: the Startup folders now; Run keys, scheduled tasks and services
//! need the registry and task scheduler APIs (not built yet).

use std::path::{Path, PathBuf};

use vigil_engine::connectors::LivePersistence;

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
        files_in(&dir)
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
            .collect()
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
