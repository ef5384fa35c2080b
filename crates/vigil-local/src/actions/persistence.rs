//! Removing a persistence entry with a backup beside the store, so undo puts it back:
//! whole-file entries (systemd units, XDG autostart, LaunchAgents, Startup folder) move
//! into the backup; line entries (shell rc, cron files) are cut from their file, whose
//! original content is kept.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vigil_engine::connectors::LivePersistence;
use vigil_engine::{Error, Result};

use super::{os_error, write_synced};
use crate::config::LocalConfig;

/// How an entry lives on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// The entry is a whole file (`location/name`).
    File,
    /// The entry is a line of the file `location`.
    Line,
}

/// The shape of a mechanism's entries; `None` when this computer cannot remove them.
pub fn shape_of(mechanism: &str) -> Option<Shape> {
    match mechanism {
        "systemd_unit" | "xdg_autostart" | "launchd" | "startup_folder" => Some(Shape::File),
        "shell_rc" | "cron" => Some(Shape::Line),
        _ => None,
    }
}

/// What the backup keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    pub action_id: i64,
    pub mechanism: String,
    pub shape: Shape,
    /// The file that held the entry (the entry itself for `File`).
    pub file: PathBuf,
    /// The removed line (for `Line`).
    pub line: Option<String>,
    /// The file's content after the removal (for `Line`): undo restores only over it.
    pub after: Option<String>,
    pub mode: Option<u32>,
}

fn dir_of(config: &LocalConfig, action_id: i64) -> PathBuf {
    config.backup_dir().join(action_id.to_string())
}

/// The backup of an action, if it has one.
pub fn backup(config: &LocalConfig, action_id: i64) -> Result<Option<Backup>> {
    let path = dir_of(config, action_id).join("backup.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::InvalidInput(format!("backup record {} is damaged: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(os_error(format!("cannot read {}", path.display()), e)),
    }
}

/// Where an entry lives: (shape, file, line).
fn locate(entry: &LivePersistence) -> Result<(Shape, PathBuf, Option<String>)> {
    let shape = shape_of(&entry.mechanism).ok_or_else(|| {
        Error::InvalidInput(format!(
            "removing {} persistence is not supported on this computer",
            entry.mechanism
        ))
    })?;
    let location = PathBuf::from(&entry.location);
    if !location.is_absolute() {
        return Err(Error::InvalidInput(format!(
            "persistence location {} is not an absolute path",
            entry.location
        )));
    }
    Ok(match shape {
        Shape::File => {
            if entry.name.is_empty()
                || entry.name.contains(['/', '\\'])
                || entry.name == ".."
                || entry.name == "."
            {
                return Err(Error::InvalidInput(format!(
                    "{:?} is not a file name",
                    entry.name
                )));
            }
            (shape, location.join(&entry.name), None)
        }
        Shape::Line => {
            let line = if entry.value.is_empty() {
                &entry.name
            } else {
                &entry.value
            };
            (shape, location, Some(line.trim().to_string()))
        }
    })
}

/// Whether the entry is on disk now.
pub fn present(entry: &LivePersistence) -> Result<bool> {
    let (shape, file, line) = locate(entry)?;
    Ok(match shape {
        Shape::File => std::fs::symlink_metadata(&file).is_ok(),
        Shape::Line => std::fs::read_to_string(&file)
            .map(|text| has_line(&text, line.as_deref().unwrap_or("")))
            .unwrap_or(false),
    })
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l.trim() == line)
}

fn without_line(text: &str, line: &str) -> String {
    let mut out: String = text
        .lines()
        .filter(|l| l.trim() != line)
        .collect::<Vec<_>>()
        .join("\n");
    if text.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Removes the entry, backing it up first. `Ok(false)`: it was not there.
pub fn remove(config: &LocalConfig, action_id: i64, entry: &LivePersistence) -> Result<bool> {
    let (shape, file, line) = locate(entry)?;
    let done_before = backup(config, action_id)?.is_some();
    if !present(entry)? {
        return Ok(done_before);
    }
    let meta = std::fs::symlink_metadata(&file)
        .map_err(|e| os_error(format!("cannot look at {}", file.display()), e))?;
    if !meta.is_file() {
        return Err(Error::InvalidInput(format!(
            "refusing to remove {}: not a regular file (Vigil follows no link)",
            file.display()
        )));
    }
    let original =
        std::fs::read(&file).map_err(|e| os_error(format!("cannot read {}", file.display()), e))?;
    let after = match (&line, shape) {
        (Some(line), Shape::Line) => Some(without_line(&String::from_utf8_lossy(&original), line)),
        _ => None,
    };
    if !done_before {
        let dir = dir_of(config, action_id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| os_error(format!("cannot create {}", dir.display()), e))?;
        write_synced(&dir.join("content"), &original)?;
        let record = Backup {
            action_id,
            mechanism: entry.mechanism.clone(),
            shape,
            file: file.clone(),
            line: line.clone(),
            after: after.clone(),
            mode: mode_of(&meta),
        };
        let json = serde_json::to_vec_pretty(&record)
            .map_err(|e| Error::InvalidInput(format!("cannot record the backup: {e}")))?;
        write_synced(&dir.join("backup.partial"), &json)?;
        std::fs::rename(dir.join("backup.partial"), dir.join("backup.json"))
            .map_err(|e| os_error(format!("cannot write the backup in {}", dir.display()), e))?;
    }
    match after {
        None => std::fs::remove_file(&file)
            .map_err(|e| os_error(format!("cannot remove {}", file.display()), e))?,
        Some(after) => std::fs::write(&file, after)
            .map_err(|e| os_error(format!("cannot write {}", file.display()), e))?,
    }
    Ok(true)
}

/// Puts a removed entry back from its backup. `Ok(None)`: no backup for this action.
pub fn restore(config: &LocalConfig, action_id: i64) -> Result<Option<Backup>> {
    let Some(record) = backup(config, action_id)? else {
        return Ok(None);
    };
    let dir = dir_of(config, action_id);
    let content = std::fs::read(dir.join("content"))
        .map_err(|e| os_error(format!("cannot read the backup in {}", dir.display()), e))?;
    match record.shape {
        Shape::File => {
            if std::fs::symlink_metadata(&record.file).is_ok() {
                return Err(Error::Conflict(format!(
                    "{} exists again; not overwriting it (the backup stays in {})",
                    record.file.display(),
                    dir.display()
                )));
            }
            if let Some(parent) = record.file.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| os_error(format!("cannot create {}", parent.display()), e))?;
            }
            write_synced(&record.file, &content)?;
            if let Some(mode) = record.mode {
                set_mode(&record.file, mode);
            }
        }
        Shape::Line => {
            let now = std::fs::read_to_string(&record.file).unwrap_or_default();
            if Some(&now) != record.after.as_ref() {
                return Err(Error::Conflict(format!(
                    "{} changed since the entry was removed; restore it by hand from {}",
                    record.file.display(),
                    dir.join("content").display()
                )));
            }
            std::fs::write(&record.file, &content)
                .map_err(|e| os_error(format!("cannot write {}", record.file.display()), e))?;
        }
    }
    std::fs::remove_dir_all(&dir)
        .map_err(|e| os_error(format!("cannot remove {}", dir.display()), e))?;
    Ok(Some(record))
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode())
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(error) =
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o7777))
    {
        tracing::warn!(path = %path.display(), %error, "cannot set permissions");
    }
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}
