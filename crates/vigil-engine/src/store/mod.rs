//! The store: one SQLite file through sqlx, migrations embedded, WAL and foreign keys on.

pub(crate) mod lab;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::{Error, Result};

pub(crate) mod actions;
pub(crate) mod alerts;
pub(crate) mod bench;
pub(crate) mod entities;
pub(crate) mod events;
pub(crate) mod evidence;
pub(crate) mod groups;
pub(crate) mod indicators;
pub(crate) mod investigations;
pub(crate) mod log;
pub(crate) mod machines;
pub(crate) mod policies;
pub(crate) mod ranked;
pub(crate) mod settings;
pub(crate) mod ties;
pub(crate) mod users;

/// The migrations compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle on the store (cheap to clone).
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating when missing) the store at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::connect(options, SqlitePoolOptions::new().max_connections(4)).await
    }

    /// An in-memory store, for tests: its own database, shared by a pool of four connections
    /// (as a file store has), that waits at most two seconds for a free connection, so a
    /// test that holds one connection while it asks for another fails at once instead of
    /// stalling.
    pub async fn in_memory() -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "file:vigil-memory-{}-{}?mode=memory&cache=shared",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{name}"))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // The database lives as long as one connection to it: keep one, always.
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(2));
        Self::connect(options, pool).await
    }

    async fn connect(options: SqliteConnectOptions, pool: SqlitePoolOptions) -> Result<Self> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // 16 MiB of page cache per connection (SQLite's default is 2 MiB): imports and
            // the large lists touch more pages than that; it fills only as pages are read.
            .pragma("cache_size", "-16384")
            .busy_timeout(Duration::from_secs(10));
        let pool = pool.connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Folds the write-ahead log into the database file.
    pub(crate) async fn checkpoint(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Folds what it can of the write-ahead log into the database file without waiting for
    /// readers (after a large import).
    pub(crate) async fn checkpoint_passive(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Refreshes the statistics SQLite plans its queries with (after a bulk fill).
    pub(crate) async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }

    /// Counts one table's rows (`table` is a fixed name from the engine, never user input).
    pub(crate) async fn count(&self, sql: &'static str) -> Result<u32> {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
