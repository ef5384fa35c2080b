//! Quarantine: a file moves into the vault beside the store, stored inert (a header and
//! the content XOR-ed with a key, never executable), with its original path, owner, mode
//! and sha256 in a record beside it. Undo writes it back byte-exact, hash-checked.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vigil_engine::{Error, Result};

use super::{os_error, write_synced};
use crate::config::LocalConfig;
use crate::scan::{sha256_bytes, sha256_file};

/// The first bytes of every vault file.
const MAGIC: &[u8] = b"VIGIL-QUARANTINE-1\n";
/// The XOR key that keeps vault content from matching any scanner or running.
const KEY: &[u8] = b"vigil: inert quarantined content";

/// What the vault keeps about a quarantined file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub action_id: i64,
    pub original_path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub mode: u32,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub quarantined_at: String,
}

/// The vault entry of one action.
#[derive(Debug, Clone)]
pub struct Entry {
    pub data: PathBuf,
    pub record: PathBuf,
}

/// The vault entry an action id has (or would have).
pub fn entry(config: &LocalConfig, action_id: i64) -> Entry {
    let vault = config.vault_dir();
    Entry {
        data: vault.join(format!("{action_id}.quarantined")),
        record: vault.join(format!("{action_id}.json")),
    }
}

/// Reads an action's vault record, if there is one.
pub fn record(config: &LocalConfig, action_id: i64) -> Result<Option<Record>> {
    let path = entry(config, action_id).record;
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::InvalidInput(format!("vault record {} is damaged: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(os_error(format!("cannot read {}", path.display()), e)),
    }
}

fn transform(data: &[u8]) -> Vec<u8> {
    data.iter()
        .zip(KEY.iter().cycle())
        .map(|(b, k)| b ^ k)
        .collect()
}

/// Checks that `path` is a file quarantine may take: absolute, a regular file (not a
/// symlink), inside an allowed root once resolved, not Vigil's own binary or data.
pub fn check_path(config: &LocalConfig, path: &Path) -> Result<PathBuf> {
    if !path.is_absolute() {
        return Err(Error::InvalidInput(format!(
            "refusing to quarantine {}: not an absolute path",
            path.display()
        )));
    }
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| os_error(format!("cannot look at {}", path.display()), e))?;
    if meta.file_type().is_symlink() {
        return Err(Error::InvalidInput(format!(
            "refusing to quarantine {}: it is a symbolic link (Vigil follows no link)",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::InvalidInput(format!(
            "refusing to quarantine {}: not a regular file",
            path.display()
        )));
    }
    let real = std::fs::canonicalize(path)
        .map_err(|e| os_error(format!("cannot resolve {}", path.display()), e))?;
    if real != path {
        return Err(Error::InvalidInput(format!(
            "refusing to quarantine {}: a folder on its path is a link (it resolves to {})",
            path.display(),
            real.display()
        )));
    }
    let resolve = |p: &PathBuf| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
    if config
        .protected
        .iter()
        .any(|p| real.starts_with(resolve(p)))
    {
        return Err(Error::InvalidInput(format!(
            "refusing to quarantine {}: it is Vigil's own program or data",
            path.display()
        )));
    }
    if !config
        .allowed_roots
        .iter()
        .any(|root| real.starts_with(resolve(root)))
    {
        return Err(Error::InvalidInput(format!(
            "refusing to quarantine {}: outside the folders Vigil may touch ({})",
            path.display(),
            config
                .allowed_roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(real)
}

/// What quarantining did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quarantined {
    /// The file is in the vault now.
    Done(Record),
    /// There was no file at the path.
    Missing,
}

/// Moves `path` into the vault under `action_id`. Safe to call again: a vault entry for the
/// action is reused and only the removal of the original is finished.
pub fn quarantine(
    config: &LocalConfig,
    action_id: i64,
    path: &Path,
    expected_sha256: Option<&str>,
) -> Result<Quarantined> {
    if let Some(done) = record(config, action_id)? {
        if std::fs::symlink_metadata(path).is_ok()
            && sha256_file(path).ok().as_deref() == Some(done.sha256.as_str())
        {
            std::fs::remove_file(path)
                .map_err(|e| os_error(format!("cannot remove {}", path.display()), e))?;
        }
        return Ok(Quarantined::Done(done));
    }
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(Quarantined::Missing);
    }
    let real = check_path(config, path)?;
    let data =
        std::fs::read(&real).map_err(|e| os_error(format!("cannot read {}", real.display()), e))?;
    let sha256 = sha256_bytes(&data);
    if let Some(expected) = expected_sha256.filter(|e| !e.is_empty()) {
        if !expected.eq_ignore_ascii_case(&sha256) {
            return Err(Error::Conflict(format!(
                "{} changed since it was judged (sha256 {sha256}, expected {expected}); not quarantined",
                real.display()
            )));
        }
    }
    let meta = std::fs::metadata(&real)
        .map_err(|e| os_error(format!("cannot look at {}", real.display()), e))?;
    let vault = config.vault_dir();
    std::fs::create_dir_all(&vault)
        .map_err(|e| os_error(format!("cannot create the vault {}", vault.display()), e))?;
    restrict(&vault, 0o700);
    let entry = entry(config, action_id);
    let mut stored = MAGIC.to_vec();
    stored.extend(transform(&data));
    let partial = entry.data.with_extension("partial");
    write_synced(&partial, &stored)?;
    restrict(&partial, 0o600);
    std::fs::rename(&partial, &entry.data)
        .map_err(|e| os_error(format!("cannot write {}", entry.data.display()), e))?;
    let record = Record {
        action_id,
        original_path: real.clone(),
        sha256,
        size: data.len() as u64,
        mode: mode_of(&meta),
        uid: owner_of(&meta).map(|o| o.0),
        gid: owner_of(&meta).map(|o| o.1),
        quarantined_at: vigil_engine::clock::now(),
    };
    let json = serde_json::to_vec_pretty(&record)
        .map_err(|e| Error::InvalidInput(format!("cannot record the quarantine: {e}")))?;
    let partial = entry.record.with_extension("partial");
    write_synced(&partial, &json)?;
    std::fs::rename(&partial, &entry.record)
        .map_err(|e| os_error(format!("cannot write {}", entry.record.display()), e))?;
    std::fs::remove_file(&real)
        .map_err(|e| os_error(format!("cannot remove {}", real.display()), e))?;
    Ok(Quarantined::Done(record))
}

/// Writes an action's file back where it was, byte-exact (hash-checked), with its mode and
/// (when allowed) owner; the vault entry goes. Refuses to overwrite a file there now.
pub fn restore(config: &LocalConfig, action_id: i64) -> Result<Option<Record>> {
    let Some(record) = record(config, action_id)? else {
        return Ok(None);
    };
    let entry = entry(config, action_id);
    let target = &record.original_path;
    if std::fs::symlink_metadata(target).is_ok() {
        return Err(Error::Conflict(format!(
            "{} exists again; not overwriting it (the quarantined copy stays in {})",
            target.display(),
            entry.data.display()
        )));
    }
    let stored = std::fs::read(&entry.data)
        .map_err(|e| os_error(format!("cannot read {}", entry.data.display()), e))?;
    let body = stored.strip_prefix(MAGIC).ok_or_else(|| {
        Error::InvalidInput(format!("{} is not a vault file", entry.data.display()))
    })?;
    let data = transform(body);
    if sha256_bytes(&data) != record.sha256 {
        return Err(Error::Conflict(format!(
            "the vault copy {} does not match the recorded sha256; not restored",
            entry.data.display()
        )));
    }
    let parent = target.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent)
        .map_err(|e| os_error(format!("cannot create {}", parent.display()), e))?;
    let partial = parent.join(format!(".vigil-restore-{action_id}"));
    write_synced(&partial, &data)?;
    restrict(&partial, record.mode & 0o7777);
    std::fs::rename(&partial, target)
        .map_err(|e| os_error(format!("cannot restore {}", target.display()), e))?;
    if sha256_file(target)? != record.sha256 {
        return Err(Error::Conflict(format!(
            "{} was restored but its sha256 differs from the quarantined file",
            target.display()
        )));
    }
    restore_owner(target, &record);
    for file in [&entry.data, &entry.record] {
        std::fs::remove_file(file)
            .map_err(|e| os_error(format!("cannot remove {}", file.display()), e))?;
    }
    Ok(Some(record))
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode()
}

#[cfg(not(unix))]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

#[cfg(unix)]
fn owner_of(meta: &std::fs::Metadata) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.uid(), meta.gid()))
}

#[cfg(not(unix))]
fn owner_of(_meta: &std::fs::Metadata) -> Option<(u32, u32)> {
    None
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(error) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        tracing::warn!(path = %path.display(), %error, "cannot set permissions");
    }
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) {}

#[cfg(unix)]
fn restore_owner(path: &Path, record: &Record) {
    use std::os::unix::fs::MetadataExt;
    let Ok(now) = std::fs::metadata(path) else {
        return;
    };
    if record.uid == Some(now.uid()) && record.gid == Some(now.gid()) {
        return;
    }
    if let Err(error) = std::os::unix::fs::chown(path, record.uid, record.gid) {
        tracing::warn!(path = %path.display(), %error, "cannot give the restored file back its owner");
    }
}

#[cfg(not(unix))]
fn restore_owner(_path: &Path, _record: &Record) {}
