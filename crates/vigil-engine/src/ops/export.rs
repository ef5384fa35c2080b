//! Saving an export (CSV or JSON text the window prepared from what it shows) into the
//! `exports` folder beside the store, under a safe file name.

use std::path::PathBuf;

use crate::{paths, Error, Result, Vigil};

/// Keeps letters, digits, `-`, `_` and `.` of a requested file name; never a path.
pub fn safe_file_name(requested: &str) -> Result<String> {
    let name: String = requested
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let name = name.trim_start_matches('.').to_string();
    let allowed = name.ends_with(".csv") || name.ends_with(".json");
    if name.len() < 5 || !allowed {
        return Err(Error::InvalidInput(format!(
            "an export must be named like 'something.csv' or 'something.json', not {requested:?}"
        )));
    }
    Ok(name)
}

impl Vigil {
    /// Writes `contents` to `<data folder>/exports/<file name>` and returns the full path.
    #[tracing::instrument(skip(self, contents))]
    pub async fn save_export(&self, file_name: &str, contents: &str) -> Result<PathBuf> {
        let name = safe_file_name(file_name)?;
        let dir = match self.db_path() {
            Some(db) => paths::data_dir_of(db),
            None => std::env::temp_dir().join("vigil"),
        }
        .join("exports");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let path = dir.join(name);
        tokio::fs::write(&path, contents)
            .await
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn export_names_cannot_leave_the_folder() {
        assert_eq!(
            safe_file_name("investigations.csv").expect("ok"),
            "investigations.csv"
        );
        assert_eq!(safe_file_name("../../etc/x.json").expect("ok"), "etcx.json");
        assert!(safe_file_name("evil.sh").is_err());
        assert!(safe_file_name(".csv").is_err());
    }
}
