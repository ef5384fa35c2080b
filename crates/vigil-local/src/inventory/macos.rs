//! macOS persistence (LaunchAgents and LaunchDaemons, with what each runs from its
//! property list) and network connections (`lsof`). The parsing is in `autoruns` and
//! `network`.

use std::path::{Path, PathBuf};

use vigil_engine::connectors::LivePersistence;

use super::autoruns;
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
                        value: launchd_command(&file),
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

/// What a launchd property list runs (XML read directly, binary ones through `plutil`);
/// the plist's path when it cannot be read.
fn launchd_command(file: &Path) -> String {
    let path = file.display().to_string();
    let xml = match std::fs::read(file) {
        Ok(bytes) if bytes.starts_with(b"<?xml") || bytes.starts_with(b"<plist") => {
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Ok(_) => command_text("plutil", &["-convert", "xml1", "-o", "-", path.as_str()])
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    autoruns::launchd_job(&xml)
        .filter(|job| !job.command.is_empty())
        .map(|job| autoruns::command_line(&job.command))
        .unwrap_or(path)
}
