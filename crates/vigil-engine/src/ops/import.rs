//! Importing telemetry: EVTX and JSON-lines files (zipped or not) are read, normalised,
//! checked against the Sigma rules and the IOC lists, and stored in one transaction — a bad
//! file changes nothing and the error names the file, the record or line, and the field.
//! Re-importing a file adds nothing twice. Alerts are raised (and routed) after the commit.
//!
//! One worker per core takes the next file (or run of chunks of a large EVTX file), reads
//! it and evaluates the rules on each record; the store writes what they send in whatever
//! order they finish. The alerts and investigations an import makes do not depend on that
//! order (only the row ids of its events and machines do).
//!
//! Longer than 400 lines: the reading workers, the store writer and the summary are one
//! pipeline with one transaction; detections (`ops/detections.rs`) and the store are apart.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;
use vigil_telemetry::{Event, Format, Reader, SigmaEngine, SigmaMatch};

use crate::domain::{ImportProgress, ImportSummary, NewEvent, NewMachine};
use crate::ops::detections::AlertSet;
use crate::ops::intel::Intel;
use crate::store::{events, machines, settings, users};
use crate::{Error, Result, Vigil};

/// The settings key holding the user's Sigma rule folders (a JSON list).
pub const RULE_DIRS_KEY: &str = "rule_dirs";
/// Records per batch sent to the store. Small, so that the workers and the store overlap
/// even on a folder of small files (a whole folder of one-record files fit in one batch of
/// 250, and then the store waited for all of it).
const BATCH: usize = 64;
/// An EVTX file of at least twice this many chunks is read by several workers at once,
/// each taking runs of this many 64 KiB chunks (a few thousand records).
const CHUNKS_PER_PART: u64 = 8;
/// An import that adds at least this many events folds the write-ahead log into the store
/// before its investigations run.
const CHECKPOINT_AFTER_EVENTS: u32 = 20_000;
/// How often an import reports its progress, at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// One record as the store needs it.
struct Parsed {
    event: Event,
    matches: Vec<SigmaMatch>,
    source: Arc<str>,
}

/// What a worker hands to the store: a batch of records, with the skips met and the files
/// finished while it filled. Files and skips ride with the records rather than in messages
/// of their own: with many small files, a message per file kept the store waking up.
struct Batch {
    items: Vec<Parsed>,
    skipped: Vec<String>,
    files_done: Vec<String>,
}

impl Batch {
    fn new() -> Self {
        Batch {
            items: Vec::with_capacity(BATCH),
            skipped: Vec::new(),
            files_done: Vec::new(),
        }
    }
}

/// The files under `paths`, with their formats: named files as they are, folders walked
/// (sorted). Files in a folder whose format is unknown are passed over; a named one is an
/// error.
pub(crate) fn expand(
    paths: &[PathBuf],
    skipped: &mut Vec<String>,
) -> Result<Vec<(PathBuf, Format)>> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Format)>, skipped: &mut Vec<String>) -> Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("cannot read the folder {}", dir.display()), e))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out, skipped)?;
            } else {
                match vigil_telemetry::detect_format(&path) {
                    Ok(format) => out.push((path, format)),
                    // The reason names the file (and says where an IOC list belongs).
                    Err(e) => skipped.push(e.to_string()),
                }
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, skipped)?;
        } else if path.exists() {
            let format = vigil_telemetry::detect_format(path)
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            files.push((path.clone(), format));
        } else {
            return Err(Error::InvalidInput(format!(
                "{}: no such file or folder",
                path.display()
            )));
        }
    }
    if files.is_empty() {
        return Err(Error::InvalidInput(
            "no telemetry files to import (EVTX or JSON lines, zipped or not)".into(),
        ));
    }
    Ok(files)
}

/// A file, or a run of chunks of a large EVTX file: what one worker reads at a time.
struct Part {
    path: PathBuf,
    /// `None`: the whole file.
    chunks: Option<std::ops::Range<u64>>,
    /// The parts of its file not read yet, shared by them: the last one read says the file
    /// is done.
    unread: Arc<AtomicUsize>,
}

impl Part {
    /// The parts of `files`: a large EVTX file in runs of [`CHUNKS_PER_PART`] chunks, so
    /// that every worker has a share of it; any other file whole.
    fn of(files: Vec<(PathBuf, Format)>) -> Vec<Part> {
        let mut parts = Vec::with_capacity(files.len());
        for (path, format) in files {
            let chunks = match format {
                Format::Evtx => {
                    std::fs::metadata(&path).map_or(0, |m| vigil_telemetry::evtx_chunks(m.len()))
                }
                _ => 0,
            };
            if chunks < 2 * CHUNKS_PER_PART {
                let unread = Arc::new(AtomicUsize::new(1));
                parts.push(Part {
                    path,
                    chunks: None,
                    unread,
                });
                continue;
            }
            let starts: Vec<u64> = (0..chunks).step_by(CHUNKS_PER_PART as usize).collect();
            let unread = Arc::new(AtomicUsize::new(starts.len()));
            for start in starts {
                // The last part runs to the end, so that it reports a truncated tail.
                let end = if start + CHUNKS_PER_PART >= chunks {
                    u64::MAX
                } else {
                    start + CHUNKS_PER_PART
                };
                parts.push(Part {
                    path: path.clone(),
                    chunks: Some(start..end),
                    unread: Arc::clone(&unread),
                });
            }
        }
        parts
    }

    fn open(&self) -> vigil_telemetry::Result<Reader> {
        match &self.chunks {
            None => Reader::open(&self.path),
            Some(chunks) => Reader::open_chunks(&self.path, chunks.clone()),
        }
    }
}

/// The parts an import's workers share: each takes the next one until none is left, or
/// until one of them failed (the import is then over: nothing it read will be kept).
struct WorkQueue {
    parts: std::sync::Mutex<std::vec::IntoIter<Part>>,
    failed: AtomicBool,
}

impl WorkQueue {
    fn next(&self) -> Option<Part> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        self.parts.lock().ok()?.next()
    }
}

/// One import worker (on a blocking thread; there is one per core): takes the next file
/// or part of one, reads and normalises each record and evaluates the rules on it while it
/// is fresh in the cache, and sends batches to the store. Batches run across files, so that
/// many small files are stored in few statements. Returns the time it spent working (not
/// waiting for the store).
fn read_and_detect(
    queue: &WorkQueue,
    rules: &SigmaEngine,
    tx: &mpsc::Sender<Batch>,
) -> Result<Duration> {
    let started = Instant::now();
    let mut waited = Duration::ZERO;
    let mut send = |batch: Batch| {
        let t = Instant::now();
        let sent = tx.blocking_send(batch).is_ok();
        waited += t.elapsed();
        sent
    };
    let fail = |e: vigil_telemetry::TelemetryError| {
        queue.failed.store(true, Ordering::Relaxed);
        Error::InvalidInput(e.to_string())
    };
    let mut batch = Batch::new();
    while let Some(part) = queue.next() {
        let source: Arc<str> = part
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into())
            .unwrap_or_else(|| "".into());
        let mut reader = part.open().map_err(fail)?;
        for record in reader.by_ref() {
            let record = record.map_err(fail)?;
            batch.items.push(Parsed {
                matches: rules.evaluate(&record),
                event: record.event,
                source: Arc::clone(&source),
            });
            if batch.items.len() == BATCH
                && (queue.failed.load(Ordering::Relaxed)
                    || !send(std::mem::replace(&mut batch, Batch::new())))
            {
                return Ok(Duration::ZERO);
            }
        }
        batch.skipped.extend(
            reader
                .skipped()
                .reasons
                .iter()
                .map(|skip| format!("{}: {}", skip.location, skip.reason)),
        );
        if part.unread.fetch_sub(1, Ordering::AcqRel) == 1 {
            batch.files_done.push(part.path.display().to_string());
        }
    }
    send(batch);
    Ok(started.elapsed().saturating_sub(waited))
}

/// CPU seconds this process has used, all threads together (0 where unknown).
fn process_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    }
    #[cfg(not(unix))]
    {
        0.0
    }
}

/// Where an imported event came from, kept with it as JSON.
#[derive(Serialize)]
struct Extra<'a> {
    channel: &'a str,
    provider: &'a str,
    event_id: i64,
    name: Option<&'a str>,
}

pub(crate) fn new_event(event: &Event, machine: i64, source: &str) -> NewEvent {
    NewEvent {
        machine_id: machine,
        ts: event.ts.clone(),
        kind: event.kind.as_str().to_string(),
        user_name: event.user.clone(),
        pid: event.pid,
        image: event.image.clone(),
        command_line: event.command_line.clone(),
        parent_pid: event.parent_pid,
        parent_image: event.parent_image.clone(),
        target_path: event.target_path.clone(),
        sha256: event.sha256.clone(),
        md5: event.md5.clone(),
        sha1: event.sha1.clone(),
        url: event.url.clone(),
        domain: event.dns_domain.clone(),
        remote_ip: event.remote_ip.clone(),
        remote_port: event.remote_port,
        registry_key: event.registry_key.clone(),
        registry_value: event.registry_value.clone(),
        extra: serde_json::to_string(&Extra {
            channel: &event.channel,
            provider: &event.provider,
            event_id: event.event_id,
            name: event.name.as_deref(),
        })
        .ok(),
        source: source.to_string(),
        fingerprint: Some(event.fingerprint.clone()),
        logon_id: event.logon_id,
        artefact: event
            .artefact
            .as_deref()
            .and_then(|a| serde_json::to_string(a).ok()),
    }
}

impl Vigil {
    /// The user's Sigma rule folders.
    pub async fn rule_dirs(&self) -> Result<Vec<PathBuf>> {
        let mut conn = self.store().pool().acquire().await?;
        Ok(settings::get(&mut conn, RULE_DIRS_KEY)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// Adds a folder of Sigma rules (checked by loading it). Returns (loaded, skipped with reasons).
    pub async fn add_rule_dir(&self, dir: &Path) -> Result<(u32, Vec<String>)> {
        let dir = dir
            .canonicalize()
            .map_err(|e| Error::io(format!("cannot use the rule folder {}", dir.display()), e))?;
        let check = dir.clone();
        let (_, report) = tokio::task::spawn_blocking(move || SigmaEngine::from_dirs(&[check]))
            .await
            .map_err(|e| Error::InvalidInput(format!("loading rules failed: {e}")))?
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        if report.loaded == 0 {
            return Err(Error::InvalidInput(format!(
                "{}: no usable Sigma rule in this folder ({} skipped)",
                dir.display(),
                report.skipped.len()
            )));
        }
        let mut dirs = self.rule_dirs().await?;
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
        {
            let mut conn = self.store().pool().acquire().await?;
            let list = serde_json::to_string(&dirs).unwrap_or_else(|_| "[]".into());
            settings::set(&mut conn, RULE_DIRS_KEY, &list).await?;
        }
        let skipped = report
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.file, s.reason))
            .collect();
        Ok((report.loaded as u32, skipped))
    }

    /// Imports telemetry files and folders in one transaction, then raises and routes the
    /// alerts its detections found.
    pub async fn import(
        &self,
        paths: &[PathBuf],
        progress: impl Fn(&ImportProgress) + Send + Sync,
    ) -> Result<ImportSummary> {
        let started = std::time::Instant::now();
        let mut summary = ImportSummary::default();
        let files = expand(paths, &mut summary.skip_reasons)?;
        summary.skipped = summary.skip_reasons.len() as u32;
        summary.files = files.len() as u32;
        let rules = self.sigma_engine().await?;
        summary.rules = rules.rule_count() as u32;
        summary.rules_seconds = started.elapsed().as_secs_f64();

        let cpu_started = process_cpu_seconds();
        let (tx_batches, mut batches) = mpsc::channel::<Batch>(4);
        let total = files.len() as u32;
        let queue = Arc::new(WorkQueue {
            parts: std::sync::Mutex::new(Part::of(files).into_iter()),
            failed: AtomicBool::new(false),
        });
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                let (queue, rules, tx) =
                    (Arc::clone(&queue), Arc::clone(&rules), tx_batches.clone());
                tokio::task::spawn_blocking(move || read_and_detect(&queue, &rules, &tx))
            })
            .collect();
        drop(tx_batches);

        let mut tx = self.store().pool().begin().await?;
        let intel = Intel::load(&mut tx).await?;
        let mut machines: HashMap<String, i64> = HashMap::new();
        let mut users: HashSet<String> = HashSet::new();
        let mut alerts = AlertSet::default();
        // One alert per rule, machine and first entity in an import, spanning its events.
        let mut files_done = 0u32;
        let mut last_progress: Option<Instant> = None;
        let mut last_file = String::new();
        let mut store_waited = Duration::ZERO;
        let store_started = Instant::now();
        loop {
            let t = Instant::now();
            let Some(message) = batches.recv().await else {
                break;
            };
            store_waited += t.elapsed();
            summary.skipped += message.skipped.len() as u32;
            let room = 50usize.saturating_sub(summary.skip_reasons.len());
            summary
                .skip_reasons
                .extend(message.skipped.into_iter().take(room));
            files_done += message.files_done.len() as u32;
            if let Some(file) = message.files_done.last() {
                last_file.clone_from(file);
            }
            let batch = message.items;
            let mut rows = Vec::with_capacity(batch.len());
            for parsed in &batch {
                let e = &parsed.event;
                let key = if e.machine.is_empty() {
                    "unknown"
                } else {
                    e.machine.as_str()
                };
                let machine = match machines.get(key) {
                    Some(id) => *id,
                    None => {
                        let key = key.to_string();
                        let known = machines::id_by_name(&mut tx, &key).await?.is_some();
                        let windows = e.channel.contains("Microsoft-Windows")
                            || matches!(e.channel.as_str(), "Security" | "System" | "Application");
                        let id = machines::upsert(
                            &mut tx,
                            &NewMachine {
                                name: key.clone(),
                                domain: e.domain.clone().unwrap_or_default(),
                                os: if windows {
                                    "Windows".into()
                                } else {
                                    String::new()
                                },
                                os_family: if windows {
                                    "windows".into()
                                } else {
                                    "unknown".into()
                                },
                                ..NewMachine::default()
                            },
                        )
                        .await?;
                        if !known {
                            summary.machines_added += 1;
                        }
                        machines.insert(key, id);
                        id
                    }
                };
                if let Some(user) = e.user.as_ref().filter(|u| !users.contains(u.as_str())) {
                    if users.insert(user.clone()) {
                        users::upsert(&mut tx, user, "", "").await?;
                    }
                }
                rows.push(new_event(e, machine, &parsed.source));
            }
            let new = events::insert_new(&mut tx, &rows).await?;
            let added = new.iter().filter(|n| **n).count();
            summary.records += batch.len() as u32;
            summary.events_added += added as u32;
            summary.duplicates += (batch.len() - added) as u32;
            for ((parsed, row), new) in batch.iter().zip(&rows).zip(new) {
                if !new {
                    continue;
                }
                let e = &parsed.event;
                alerts.add_event(e, row.machine_id, &parsed.matches, &intel.hits(e));
            }
            // Batches are small; the window hears of them ten times a second at most.
            if last_progress.is_none_or(|t: Instant| t.elapsed() >= PROGRESS_EVERY) {
                last_progress = Some(Instant::now());
                let file = match batch.last() {
                    Some(parsed) if message.files_done.is_empty() => parsed.source.to_string(),
                    _ => last_file.clone(),
                };
                progress(&ImportProgress {
                    file,
                    files_done,
                    files: total,
                    records: summary.records,
                });
            }
        }
        progress(&ImportProgress {
            file: last_file,
            files_done,
            files: total,
            records: summary.records,
        });
        // A reading error aborts the whole import: the transaction rolls back.
        let stopped =
            |e: tokio::task::JoinError| Error::InvalidInput(format!("the import stopped: {e}"));
        let store_busy = store_started.elapsed().saturating_sub(store_waited);
        let mut workers_busy = Duration::ZERO;
        let mut failed = None;
        for worker in workers {
            match worker.await.map_err(stopped)? {
                Ok(busy) => workers_busy += busy,
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        // Freeing thousands of compiled rules takes a while: not while the import waits.
        let _freed = tokio::task::spawn_blocking(move || drop(rules));
        self.trim_rule_cache();
        if let Some(e) = failed {
            return Err(e);
        }
        let committing = Instant::now();
        tx.commit().await?;
        // A large import leaves its pages in the write-ahead log, and every read after it
        // (the investigations it starts, the dashboard) looks each page up there first: on a
        // million-event store that made an investigation's window read ten times slower.
        // Fold them into the store now, without blocking readers.
        if summary.events_added >= CHECKPOINT_AFTER_EVENTS {
            self.store().checkpoint_passive().await?;
        }
        let commit = committing.elapsed();
        summary.stored_seconds = started.elapsed().as_secs_f64();
        summary.stored_cpu_seconds = process_cpu_seconds() - cpu_started;
        tracing::info!(
            records = summary.records,
            added = summary.events_added,
            alerts = alerts.len(),
            workers = cores,
            workers_busy_s = workers_busy.as_secs_f64(),
            store_busy_s = store_busy.as_secs_f64(),
            commit_s = commit.as_secs_f64(),
            stored_s = summary.stored_seconds - summary.rules_seconds,
            stored_cpu_s = summary.stored_cpu_seconds,
            "import stored"
        );

        let names: HashMap<i64, String> =
            machines.into_iter().map(|(name, id)| (id, name)).collect();
        let filed = self.file_alerts(alerts.into_alerts(), &names).await?;
        summary.alerts = filed.alerts;
        summary.investigations_started = filed.investigations_started;
        summary.ingest_seconds = started.elapsed().as_secs_f64();
        summary.investigations_started -= self.run_related(filed.to_run).await?;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}
