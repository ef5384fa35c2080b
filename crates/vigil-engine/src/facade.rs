//! The facade: one service with async methods; every Tauri command and CLI subcommand is a
//! thin call into it.

use std::path::{Path, PathBuf};

use crate::domain::Overview;
use crate::store::Store;
use crate::{paths, Result};

/// How to open Vigil.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The store file; `None` means `VIGIL_DB` or the OS app-data folder.
    pub db: Option<PathBuf>,
}

/// Vigil's engine, opened on one store.
#[derive(Clone, Debug)]
pub struct Vigil {
    store: Store,
    db_path: Option<PathBuf>,
}

impl Vigil {
    /// Opens the store the options name, creating and migrating it as needed.
    #[tracing::instrument(skip_all)]
    pub async fn open(options: OpenOptions) -> Result<Self> {
        let db_path = paths::resolve_db_path(options.db.as_deref())?;
        let store = Store::open(&db_path).await?;
        tracing::info!(db = %db_path.display(), "store open");
        Ok(Self {
            store,
            db_path: Some(db_path),
        })
    }

    /// A Vigil on a fresh in-memory store, for tests.
    pub async fn in_memory() -> Result<Self> {
        Ok(Self {
            store: Store::in_memory().await?,
            db_path: None,
        })
    }

    /// The store file, when there is one.
    pub fn db_path(&self) -> Option<&Path> {
        self.db_path.as_deref()
    }

    /// The store underneath (for the engine's own modules and tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Counts of what the store holds.
    #[tracing::instrument(skip(self))]
    pub async fn overview(&self) -> Result<Overview> {
        let s = &self.store;
        Ok(Overview {
            machines: s.count("SELECT COUNT(*) FROM machines").await?,
            alerts: s.count("SELECT COUNT(*) FROM alerts").await?,
            active_alerts: s
                .count("SELECT COUNT(*) FROM alerts WHERE status <> 'resolved'")
                .await?,
            investigations: s.count("SELECT COUNT(*) FROM investigations").await?,
            events: s.count("SELECT COUNT(*) FROM events").await?,
            pending_actions: s
                .count("SELECT COUNT(*) FROM actions WHERE state = 'pending'")
                .await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fresh_store_is_empty() {
        let vigil = Vigil::in_memory().await.expect("open");
        let overview = vigil.overview().await.expect("overview");
        assert_eq!(overview.machines, 0);
        assert_eq!(overview.pending_actions, 0);
    }

    #[tokio::test]
    async fn opening_a_path_creates_the_file_with_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("nested/vigil.sqlite3");
        let vigil = Vigil::open(OpenOptions {
            db: Some(db.clone()),
        })
        .await
        .expect("open");
        assert!(db.exists());
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(vigil.store().pool())
            .await
            .expect("pragma");
        assert_eq!(mode, "wal");
        let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(vigil.store().pool())
            .await
            .expect("pragma");
        assert_eq!(fk, 1);
    }
}
