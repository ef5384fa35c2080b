//! Where Vigil keeps its data: the OS app-data folder, or what `--db` / `VIGIL_DB` say.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The environment variable that overrides the store's path.
pub const DB_ENV: &str = "VIGIL_DB";

/// The store's file name inside the data folder.
pub const DB_FILE: &str = "vigil.sqlite3";

/// The OS app-data folder for Vigil (`~/.local/share/vigil` on Linux,
/// `%APPDATA%\Vigil\data` on Windows, `~/Library/Application Support/Vigil` on macOS).
pub fn default_data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "Vigil")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::InvalidInput(
                "cannot find a home folder for Vigil's data; pass --db PATH or set VIGIL_DB".into(),
            )
        })
}

/// The store path: the explicit one, else `VIGIL_DB`, else the default data folder.
pub fn resolve_db_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    match std::env::var_os(DB_ENV) {
        Some(value) if !value.is_empty() => Ok(PathBuf::from(value)),
        _ => Ok(default_data_dir()?.join(DB_FILE)),
    }
}

/// The folder beside the store where logs (and later the quarantine vault) live.
pub fn data_dir_of(db_path: &Path) -> PathBuf {
    db_path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
