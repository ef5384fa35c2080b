//! macOS persistence: LaunchAgents and LaunchDaemons property lists.

use std::path::{Path, PathBuf};

use vigil_engine::connectors::LivePersistence;

use super::{files_in, Inventory};

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
}
