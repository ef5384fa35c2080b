//! Removing a persistence entry with a backup beside the store, so undo puts it back:
//! whole-file entries (systemd units, XDG autostart, LaunchAgents, Startup folder) move
//! into the backup; line entries (shell rc, cron files, the user's crontab) are cut from
//! their file, whose original content is kept. A systemd unit is disabled with it (its
//! enabling links go too) and enabled again by undo.

pub mod crontab;
pub mod systemd;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vigil_engine::connectors::LivePersistence;
use vigil_engine::{Error, Result};

use super::{os_error, write_synced};
use crate::config::LocalConfig;

/// The mechanism of a systemd unit.
const SYSTEMD_UNIT: &str = "systemd_unit";

/// How an entry lives on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// The entry is a whole file (`location/name`).
    File,
    /// The entry is a line of the file `location`.
    Line,
    /// The entry is a line of the current user's crontab (`crontab:<user>`).
    Crontab,
}

/// The shape of a mechanism's entries; `None` when this computer cannot remove them.
pub fn shape_of(mechanism: &str) -> Option<Shape> {
    match mechanism {
        "systemd_unit" | "xdg_autostart" | "launchd" | "startup_folder" => Some(Shape::File),
        "shell_rc" | "cron" => Some(Shape::Line),
        "user_crontab" => Some(Shape::Crontab),
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
    /// The links that enabled a systemd unit: (link, where it pointed).
    #[serde(default)]
    pub links: Vec<(PathBuf, PathBuf)>,
}

/// What removing an entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// It was not there (and this action had not removed it).
    NotThere,
    /// Removed (now or by an earlier run of the action); `note` says what else happened.
    Done { note: String },
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
    if shape == Shape::Crontab {
        let user = crontab::user_of(&entry.location).ok_or_else(|| {
            Error::InvalidInput(format!("{} is not a crontab location", entry.location))
        })?;
        let me = crate::inventory::current_user();
        if me.as_deref() != Some(user) {
            return Err(Error::InvalidInput(format!(
                "the crontab of {user} can only be changed by Vigil running as {user} (it runs as {})",
                me.as_deref().unwrap_or("an unknown user")
            )));
        }
        return Ok((shape, PathBuf::from(&entry.location), Some(line_of(entry))));
    }
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
        Shape::Line | Shape::Crontab => (shape, location, Some(line_of(entry))),
    })
}

/// The line a line entry is.
fn line_of(entry: &LivePersistence) -> String {
    let line = if entry.value.is_empty() {
        &entry.name
    } else {
        &entry.value
    };
    line.trim().to_string()
}

/// Whether the entry is on disk now.
pub fn present(entry: &LivePersistence) -> Result<bool> {
    let (shape, file, line) = locate(entry)?;
    Ok(match shape {
        Shape::File => std::fs::symlink_metadata(&file).is_ok(),
        Shape::Line => std::fs::read_to_string(&file)
            .map(|text| has_line(&text, line.as_deref().unwrap_or("")))
            .unwrap_or(false),
        Shape::Crontab => has_line(
            &crontab::read()?.unwrap_or_default(),
            line.as_deref().unwrap_or(""),
        ),
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

/// The file a whole-file or line entry lives in, read for its backup (no link followed).
fn read_entry_file(file: &Path) -> Result<(Vec<u8>, Option<u32>)> {
    let meta = std::fs::symlink_metadata(file)
        .map_err(|e| os_error(format!("cannot look at {}", file.display()), e))?;
    if !meta.is_file() {
        return Err(Error::InvalidInput(format!(
            "refusing to remove {}: not a regular file (Vigil follows no link)",
            file.display()
        )));
    }
    let data =
        std::fs::read(file).map_err(|e| os_error(format!("cannot read {}", file.display()), e))?;
    Ok((data, mode_of(&meta)))
}

/// Removes the entry, backing it up first; a systemd unit is disabled too.
pub fn remove(config: &LocalConfig, action_id: i64, entry: &LivePersistence) -> Result<Removed> {
    let (shape, file, line) = locate(entry)?;
    let unit_dir = PathBuf::from(&entry.location);
    let unit = entry.mechanism == SYSTEMD_UNIT;
    if unit {
        systemd::check_rights(&unit_dir, &config.home, systemd::running_as_admin())?;
    }
    let done_before = backup(config, action_id)?.is_some();
    if !present(entry)? {
        return Ok(if done_before {
            Removed::Done {
                note: String::new(),
            }
        } else {
            Removed::NotThere
        });
    }
    let (original, mode) = match shape {
        Shape::Crontab => (crontab::read()?.unwrap_or_default().into_bytes(), None),
        Shape::File | Shape::Line => read_entry_file(&file)?,
    };
    let after = line
        .as_deref()
        .filter(|_| shape != Shape::File)
        .map(|line| without_line(&String::from_utf8_lossy(&original), line));
    let links = if unit {
        systemd::enabling_links(&unit_dir, &entry.name)
    } else {
        Vec::new()
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
            mode,
            links: links.clone(),
        };
        let json = serde_json::to_vec_pretty(&record)
            .map_err(|e| Error::InvalidInput(format!("cannot record the backup: {e}")))?;
        write_synced(&dir.join("backup.partial"), &json)?;
        std::fs::rename(dir.join("backup.partial"), dir.join("backup.json"))
            .map_err(|e| os_error(format!("cannot write the backup in {}", dir.display()), e))?;
    }
    match (shape, after) {
        (Shape::Crontab, Some(after)) => crontab::install(&after)?,
        (_, Some(after)) => std::fs::write(&file, after)
            .map_err(|e| os_error(format!("cannot write {}", file.display()), e))?,
        (_, None) => {
            systemd::disable(&links)?;
            std::fs::remove_file(&file)
                .map_err(|e| os_error(format!("cannot remove {}", file.display()), e))?;
        }
    }
    let note = if unit {
        let disabled = if links.is_empty() {
            "it was not enabled".to_string()
        } else {
            format!("disabled ({} enabling links removed)", links.len())
        };
        format!(
            "{disabled}; {}",
            systemd::reload(systemd::is_user_unit(&unit_dir, &config.home))
        )
    } else {
        String::new()
    };
    Ok(Removed::Done { note })
}

/// Puts a removed entry back from its backup (a systemd unit enabled again), with a note
/// of what else happened. `Ok(None)`: no backup for this action.
pub fn restore(config: &LocalConfig, action_id: i64) -> Result<Option<(Backup, String)>> {
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
            systemd::enable(&record.links)?;
        }
        Shape::Crontab => {
            let now = crontab::read()?.unwrap_or_default();
            if Some(&now) != record.after.as_ref() {
                return Err(Error::Conflict(format!(
                    "the crontab changed since the entry was removed; restore it by hand from {}",
                    dir.join("content").display()
                )));
            }
            crontab::install(&String::from_utf8_lossy(&content))?;
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
    let note = if record.mechanism == SYSTEMD_UNIT {
        let unit_dir = record.file.parent().unwrap_or(Path::new("/"));
        let enabled = if record.links.is_empty() {
            "it was not enabled before".to_string()
        } else {
            format!("enabled again ({} links)", record.links.len())
        };
        format!(
            "{enabled}; {}",
            systemd::reload(systemd::is_user_unit(unit_dir, &config.home))
        )
    } else {
        String::new()
    };
    std::fs::remove_dir_all(&dir)
        .map_err(|e| os_error(format!("cannot remove {}", dir.display()), e))?;
    Ok(Some((record, note)))
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
