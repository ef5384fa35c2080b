//! The facade: one service with async methods; every Tauri command and CLI subcommand is a
//! thin call into it. Operations live in `ops/` as `impl Vigil` blocks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::connectors::{Connector, Connectors};
use crate::domain::Overview;
use crate::lab::Lab;
use crate::store::Store;
use crate::{paths, Error, Result};

/// How many investigations run at once in one process; the rest wait as "queued".
pub const CONCURRENT_INVESTIGATIONS: usize = 2;

/// How long a process waits for another one working on the same store.
const WORK_LOCK_WAIT: Duration = Duration::from_secs(30);

/// How to open Vigil.
#[derive(Clone, Default)]
pub struct OpenOptions {
    /// The store file; `None` means `VIGIL_DB` or the OS app-data folder.
    pub db: Option<PathBuf>,
    /// Connectors besides `lab` (e.g. `local`; `lab` comes with a store that holds the
    /// demo environment).
    pub connectors: Vec<Arc<dyn Connector>>,
}

impl std::fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions").field("db", &self.db).finish()
    }
}

#[derive(Debug)]
struct Inner {
    store: Store,
    db_path: Option<PathBuf>,
    /// Grows when the demo environment is loaded (its `lab` connector).
    connectors: RwLock<Connectors>,
    permits: Semaphore,
    /// The lock file that makes this process the one doing work on the store, while some
    /// work here holds it.
    work: tokio::sync::Mutex<Weak<WorkLock>>,
    running: Mutex<HashSet<i64>>,
    /// Investigations running here that were asked to run meanwhile (an alert joined after
    /// their last look): they run again when their run ends.
    again: Mutex<HashSet<i64>>,
    /// Whether this process has finished what an earlier one left (it does so the first
    /// time it takes the work lock).
    recovered: AtomicBool,
    /// The investigations this process created: not left over by an earlier one, so
    /// recovery leaves them to the work that created them.
    created: Mutex<HashSet<i64>>,
}

/// Vigil's engine, opened on one store (cheap to clone).
#[derive(Clone, Debug)]
pub struct Vigil {
    inner: Arc<Inner>,
}

/// Marks an investigation as running in this process while alive.
pub(crate) struct RunningGuard {
    vigil: Vigil,
    id: i64,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        if let Ok(mut running) = self.vigil.inner.running.lock() {
            running.remove(&self.id);
        }
    }
}

impl Vigil {
    /// Opens the store the options name, creating and migrating it as needed.
    #[tracing::instrument(skip_all)]
    pub async fn open(options: OpenOptions) -> Result<Self> {
        let db_path = paths::resolve_db_path(options.db.as_deref())?;
        let store = Store::open(&db_path).await?;
        tracing::info!(db = %db_path.display(), "store open");
        let mut connectors = options.connectors;
        if crate::store::lab::has_lab_machines(store.pool()).await? {
            connectors.push(Arc::new(Lab::new(store.clone())));
        }
        Ok(Self::with_store(store, Some(db_path), connectors))
    }

    /// A Vigil on a fresh in-memory store, for tests.
    pub async fn in_memory() -> Result<Self> {
        Ok(Self::with_store(
            Store::in_memory().await?,
            None,
            Vec::new(),
        ))
    }

    fn with_store(
        store: Store,
        db_path: Option<PathBuf>,
        connectors_given: Vec<Arc<dyn Connector>>,
    ) -> Self {
        let mut connectors = Connectors::default();
        for connector in connectors_given {
            connectors = connectors.with(connector);
        }
        Self {
            inner: Arc::new(Inner {
                store,
                db_path,
                connectors: RwLock::new(connectors),
                permits: Semaphore::new(CONCURRENT_INVESTIGATIONS),
                work: tokio::sync::Mutex::new(Weak::new()),
                running: Mutex::new(HashSet::new()),
                again: Mutex::new(HashSet::new()),
                recovered: AtomicBool::new(false),
                created: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// The store file, when there is one.
    pub fn db_path(&self) -> Option<&Path> {
        self.inner.db_path.as_deref()
    }

    /// The store underneath, for the engine's own modules.
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The SQLite pool underneath, only for tests that check rows no method shows (the
    /// crash tests count actions and journal entries, the scenario tests read the demo's
    /// objects and its events); front ends use the methods instead.
    pub fn pool_for_tests(&self) -> &sqlx::SqlitePool {
        self.inner.store.pool()
    }

    /// Closes the store: waits for the connections in use, then closes them all, so that
    /// another process finds the file complete (e.g. a store filled here for the app).
    pub async fn close(&self) {
        self.inner.store.pool().close().await;
    }

    /// The Sigma engine kept between imports.
    pub(crate) fn rule_cache(&self) -> &'static crate::ops::rules::RuleCache {
        // One per process: the same rule sources compile to the same engine whichever store
        // asks (the app and the CLI open one; a test process opens many).
        static RULES: std::sync::LazyLock<crate::ops::rules::RuleCache> =
            std::sync::LazyLock::new(crate::ops::rules::RuleCache::default);
        &RULES
    }

    /// The connectors, by name (as they are now).
    pub(crate) fn connectors(&self) -> Connectors {
        match self.inner.connectors.read() {
            Ok(connectors) => connectors.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Adds a connector (or replaces the one of the same name).
    pub(crate) fn add_connector(&self, connector: Arc<dyn Connector>) {
        let mut connectors = match self.inner.connectors.write() {
            Ok(connectors) => connectors,
            Err(poisoned) => poisoned.into_inner(),
        };
        *connectors = std::mem::take(&mut *connectors).with(connector);
    }

    /// Waits for a place among the investigations running at once.
    pub(crate) async fn investigation_permit(&self) -> Option<SemaphorePermit<'_>> {
        self.inner.permits.acquire().await.ok()
    }

    /// Marks `id` as running here; `None` when it already is.
    pub(crate) fn mark_running(&self, id: i64) -> Option<RunningGuard> {
        let mut running = self.inner.running.lock().ok()?;
        running.insert(id).then(|| RunningGuard {
            vigil: self.clone(),
            id,
        })
    }

    /// Asks investigation `id`, running here, to run again when its run ends.
    pub(crate) fn ask_again(&self, id: i64) {
        if let Ok(mut again) = self.inner.again.lock() {
            again.insert(id);
        }
    }

    /// Whether investigation `id` was asked to run again (and forgets the asking).
    pub(crate) fn take_again(&self, id: i64) -> bool {
        self.inner
            .again
            .lock()
            .map(|mut again| again.remove(&id))
            .unwrap_or(false)
    }

    /// Whether this process is running investigation `id` now.
    pub(crate) fn is_running(&self, id: i64) -> bool {
        self.inner
            .running
            .lock()
            .map(|r| r.contains(&id))
            .unwrap_or(false)
    }

    /// Makes this process the one that runs investigations and actions on the store (an
    /// OS file lock beside it, released when the last holder here drops it or the process
    /// ends, even by a kill), for as long as the returned guard lives: a long-lived
    /// process (the watcher, the app) does not keep others waiting while it is idle.
    /// Waits a while for another process that holds it.
    ///
    /// The first time a process takes it on a store file, it first finishes what an earlier
    /// process left (actions left running, investigations cut short: [`Vigil::recover`]), so
    /// whichever front end does work, the work starts from a consistent store.
    pub(crate) async fn work_lock(&self) -> Result<Arc<WorkLock>> {
        let Some(db) = self.inner.db_path.clone() else {
            // A store in memory has no earlier process to recover from.
            return Ok(Arc::new(WorkLock { _file: None }));
        };
        let held = {
            let mut slot = self.inner.work.lock().await;
            if let Some(held) = slot.upgrade() {
                return Ok(held);
            }
            let path = PathBuf::from(format!("{}.work-lock", db.display()));
            let file = tokio::task::spawn_blocking(move || acquire_work_lock(&path))
                .await
                .map_err(|e| Error::Conflict(format!("cannot take the work lock: {e}")))??;
            let held = Arc::new(WorkLock { _file: Some(file) });
            *slot = Arc::downgrade(&held);
            held
        };
        if !self.inner.recovered.swap(true, Ordering::SeqCst) {
            Box::pin(self.recover()).await?;
        }
        Ok(held)
    }

    /// Notes that this process created investigation `id`.
    pub(crate) fn note_created(&self, id: i64) {
        if let Ok(mut created) = self.inner.created.lock() {
            created.insert(id);
        }
    }

    /// Whether this process created investigation `id`.
    pub(crate) fn created_here(&self, id: i64) -> bool {
        self.inner
            .created
            .lock()
            .map(|c| c.contains(&id))
            .unwrap_or(false)
    }

    /// Notes that this process recovers now (so taking the work lock does not again).
    pub(crate) fn mark_recovered(&self) {
        self.inner.recovered.store(true, Ordering::SeqCst);
    }

    /// Counts of what the store holds.
    #[tracing::instrument(skip(self))]
    pub async fn overview(&self) -> Result<Overview> {
        let s = self.store();
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

/// The store's work lock, held by this process while any guard lives.
#[derive(Debug)]
pub(crate) struct WorkLock {
    _file: Option<std::fs::File>,
}

fn acquire_work_lock(path: &Path) -> Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let start = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                if start.elapsed() > WORK_LOCK_WAIT {
                    return Err(Error::Conflict(format!(
                        "another Vigil process (the app?) is working on this store ({}); close it or try again",
                        path.display()
                    )));
                }
                if !told {
                    tracing::info!("waiting for another Vigil process working on this store");
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()), e))
            }
        }
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

    /// Regression: the lock was held for the life of the process, so `vigil local watch`
    /// (or the app) kept every other process waiting, then failing, while it sat idle.
    #[tokio::test]
    async fn the_work_lock_is_held_only_while_work_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("vigil.sqlite3");
        let open = || {
            Vigil::open(OpenOptions {
                db: Some(db.clone()),
                ..OpenOptions::default()
            })
        };
        let (first, second) = (open().await.expect("open"), open().await.expect("open"));
        let lock_file = dir.path().join("vigil.sqlite3.work-lock");
        let free = || {
            std::fs::File::open(&lock_file)
                .expect("lock file")
                .try_lock()
                .is_ok()
        };
        first.recover().await.expect("recover");
        assert!(free(), "an idle process holds no lock");
        let guard = first.work_lock().await.expect("lock");
        let nested = first.work_lock().await.expect("the same process again");
        assert!(!free(), "held while work runs");
        drop(guard);
        assert!(!free(), "held while any work here runs");
        drop(nested);
        assert!(free());
        let started = Instant::now();
        second.recover().await.expect("the other process works");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn opening_a_path_creates_the_file_with_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("nested/vigil.sqlite3");
        let vigil = Vigil::open(OpenOptions {
            db: Some(db.clone()),
            ..OpenOptions::default()
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
