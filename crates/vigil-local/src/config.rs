//! Where the local connector may act and keeps its state: the vault beside the store,
//! the home folder, the hosts file and the folders quarantine may touch.

use std::path::{Path, PathBuf};

/// The environment variable that points the domain block at another hosts file.
pub const HOSTS_ENV: &str = "VIGIL_HOSTS_FILE";

/// The local connector's settings, resolved once at start.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Vigil's data folder (the store's folder); the vault lives in `quarantine/` here.
    pub data_dir: PathBuf,
    /// The user's home folder (Downloads, autostart and shell rc files are found here).
    pub home: PathBuf,
    /// The hosts file that domain blocks are written to.
    pub hosts_file: PathBuf,
    /// Folders quarantine may take files from (anything else is refused).
    pub allowed_roots: Vec<PathBuf>,
    /// Files and folders never quarantined (Vigil's own binary, store, vault and backups).
    pub protected: Vec<PathBuf>,
}

impl LocalConfig {
    /// The settings for a store at `db_path`: home from `HOME`/`USERPROFILE`, the OS hosts
    /// file (or `VIGIL_HOSTS_FILE`), home and temp folders as the allowed roots.
    pub fn for_store(db_path: &Path) -> Self {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let hosts_file = std::env::var_os(HOSTS_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(default_hosts_file);
        let mut config = Self::new(vigil_engine::paths::data_dir_of(db_path), home, hosts_file);
        for suffix in ["", "-wal", "-shm", ".work-lock"] {
            config
                .protected
                .push(PathBuf::from(format!("{}{suffix}", db_path.display())));
        }
        config
    }

    /// Settings with explicit folders (tests use temp folders for all three).
    pub fn new(data_dir: PathBuf, home: PathBuf, hosts_file: PathBuf) -> Self {
        let mut allowed_roots = vec![home.clone(), std::env::temp_dir()];
        if cfg!(unix) {
            allowed_roots.push(PathBuf::from("/tmp"));
            allowed_roots.push(PathBuf::from("/var/tmp"));
        }
        let mut config = Self {
            data_dir,
            home,
            hosts_file,
            allowed_roots,
            protected: Vec::new(),
        };
        config.protected = config.own_dirs();
        config.protected.extend(std::env::current_exe().ok());
        config
    }

    /// The quarantine vault.
    pub fn vault_dir(&self) -> PathBuf {
        self.data_dir.join("quarantine")
    }

    /// Where removed persistence entries are backed up.
    pub fn backup_dir(&self) -> PathBuf {
        self.data_dir.join("persistence-backup")
    }

    /// Vigil's own folders that scans skip and quarantine never touches.
    pub fn own_dirs(&self) -> Vec<PathBuf> {
        vec![self.vault_dir(), self.backup_dir()]
    }

    /// The user's Downloads folder.
    pub fn downloads(&self) -> PathBuf {
        self.home.join("Downloads")
    }
}

/// The OS hosts file.
pub fn default_hosts_file() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\Windows\System32\drivers\etc\hosts")
    } else {
        PathBuf::from("/etc/hosts")
    }
}
