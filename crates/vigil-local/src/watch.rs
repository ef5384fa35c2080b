//! The watcher: scans files as they land in the watched folders (debounced, so one
//! download is one scan) and raises alerts through the sensor, or hands them to whoever
//! watches (the agent, which sends what it finds to its console).

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use vigil_engine::{Error, Result};

use crate::sensor::{Reported, Sensor};

/// How long a file must be quiet before it is scanned.
pub const QUIET: Duration = Duration::from_millis(500);

/// A running watcher; dropping it (or `stop`) ends it.
pub struct Watch {
    debouncer: Option<Debouncer<notify::RecommendedWatcher, RecommendedCache>>,
    task: tokio::task::JoinHandle<()>,
    /// The folders watched.
    pub folders: Vec<PathBuf>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("folders", &self.folders)
            .finish()
    }
}

/// What a watcher does with the files that landed (together, once they are quiet).
pub type OnFiles =
    Arc<dyn Fn(Vec<PathBuf>) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

impl Watch {
    /// Watches `dirs` (the sensor's default folders when empty; missing ones are skipped)
    /// and calls `on_hit` for every hit it reports. Must be called inside a Tokio runtime.
    pub fn start(
        sensor: Arc<Sensor>,
        dirs: &[PathBuf],
        on_hit: impl Fn(&Reported) + Send + Sync + 'static,
    ) -> Result<Self> {
        let wanted = if dirs.is_empty() {
            sensor.connector().default_dirs()
        } else {
            dirs.to_vec()
        };
        let skip = sensor.connector().config().own_dirs();
        let on_hit = Arc::new(on_hit);
        let scanning = sensor.clone();
        let watch = Self::files(
            &wanted,
            skip,
            Arc::new(move |files| {
                let (sensor, on_hit) = (scanning.clone(), on_hit.clone());
                Box::pin(async move {
                    match sensor.scan_files(files).await {
                        Ok(summary) => summary.hits.iter().for_each(|h| on_hit(h)),
                        Err(error) => tracing::warn!(%error, "watch scan failed"),
                    }
                })
            }),
        )?;
        sensor.connector().note_scanned(&watch.folders);
        Ok(watch)
    }

    /// Watches `dirs` (missing ones are skipped) and hands `on_files` the regular files
    /// created or changed there, outside `skip`. Must be called inside a Tokio runtime.
    pub fn files(dirs: &[PathBuf], skip: Vec<PathBuf>, on_files: OnFiles) -> Result<Self> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
        let mut debouncer = new_debouncer(QUIET, None, move |result: DebounceEventResult| {
            let Ok(events) = result else {
                return;
            };
            for event in events {
                if matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_)) {
                    for path in &event.paths {
                        let _ = tx.send(path.clone());
                    }
                }
            }
        })
        .map_err(|e| Error::InvalidInput(format!("cannot start the file watcher: {e}")))?;
        let mut folders = Vec::new();
        for dir in dirs {
            if !dir.is_dir() {
                tracing::info!(dir = %dir.display(), "not watched: no such folder");
                continue;
            }
            debouncer
                .watch(dir, RecursiveMode::Recursive)
                .map_err(|e| Error::InvalidInput(format!("cannot watch {}: {e}", dir.display())))?;
            folders.push(dir.clone());
        }
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = BTreeSet::from([first]);
                while let Ok(more) = rx.try_recv() {
                    batch.insert(more);
                }
                let files: Vec<PathBuf> = batch
                    .into_iter()
                    .filter(|p| !skip.iter().any(|s| p.starts_with(s)))
                    .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
                    .collect();
                if !files.is_empty() {
                    on_files(files).await;
                }
            }
        });
        Ok(Self {
            debouncer: Some(debouncer),
            task,
            folders,
        })
    }

    /// Stops watching.
    pub fn stop(mut self) {
        if let Some(d) = self.debouncer.take() {
            d.stop();
        }
        self.task.abort();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
