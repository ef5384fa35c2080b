//! macOS persistence: LaunchAgents and LaunchDaemons property lists.

use std::path::{Path, PathBuf};

use vigil_engine::connectors::LivePersistence;

use super::network::{parse_lsof, Network};
use super::{command_text, files_in, Inventory};

/// The macOS inventory.
#[derive(Debug, Clone)]
pub struct MacOs {
    home: PathBuf,
}

impl MacOs {
    /// The inventory for the user whose home is `home`.
    pub fn new(home: &Path) -> Self {
        Self {
            home: home.to_path_buf(),
        }
    }
}

impl Inventory for MacOs {
    fn os_family(&self) -> &'static str {
        "macos"
    }

    fn persistence(&self) -> Vec<LivePersistence> {
        let mut found = Vec::new();
        for dir in self.autostart_dirs().into_iter().chain([
            PathBuf::from("/Library/LaunchAgents"),
            PathBuf::from("/Library/LaunchDaemons"),
        ]) {
            for file in files_in(&dir) {
                if file.extension().is_some_and(|e| e == "plist") {
                    found.push(LivePersistence {
                        mechanism: "launchd".into(),
                        location: dir.display().to_string(),
                        name: file
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        value: file.display().to_string(),
                    });
                }
            }
        }
        found
    }

    fn autostart_dirs(&self) -> Vec<PathBuf> {
        vec![self.home.join("Library/LaunchAgents")]
    }

    fn network(&self) -> Network {
        // lsof exits 1 when it found nothing to list: that is an empty list, not an error.
        match command_text("lsof", &["-nP", "-iTCP", "-iUDP", "-FpftPnT"]) {
            Ok(text) => Network {
                connections: parse_lsof(&text),
                note: Some(
                    "sockets of other users' processes are listed only when Vigil runs as an administrator"
                        .into(),
                ),
            },
            Err(error) if error.contains("exit status: 1") => Network::default(),
            Err(error) => Network::not_collected(&error),
        }
    }
}
