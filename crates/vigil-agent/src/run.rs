//! The agent at work: its sensor (the `vigil-local` scanner over Downloads, the temp folder
//! and the autostart folders, once at start and then as files land) puts what it sees in
//! the outbox; a session with the console sends the outbox, paced, and carries out the
//! console's commands with the `local` connector, journalled. When the console cannot be
//! reached the agent keeps sensing and tries again, waiting longer each time (at most
//! [`MAX_BACKOFF`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;
use vigil_channel::agent::{hello, AgentDir};
use vigil_channel::frame::{self, ToAgent, ToConsole};
use vigil_engine::connectors::wire::{carry_out, fit, Answer, Command};
use vigil_engine::connectors::MachineRef;
use vigil_engine::failpoint;
use vigil_local::{Detection, LocalConfig, LocalConnector, Scanner, Watch};

use crate::outbox::{now, Journalled, Outbox, Result, SeenFile, CAPACITY};

/// The longest wait between two tries to reach the console (plus up to a second, different
/// for each agent, so that an office's agents do not all come back in the same instant).
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How many items may be sent and not yet acknowledged.
pub const IN_FLIGHT: u64 = 5_000;

/// The most items a second the agent sends: a machine back after a long outage catches up
/// at this pace, not all at once.
pub const ITEMS_PER_SECOND: u64 = 2_000;

/// The shortest time between two frames of items: what lands meanwhile goes in one.
pub const SEND_EVERY: Duration = Duration::from_millis(100);

/// The most bytes an answer may take (a frame, less room for its envelope).
pub const ANSWER_BYTES: usize = vigil_channel::frame::MAX_FRAME - 4096;

/// Files scanned per blocking batch.
const SCAN_BATCH: usize = 64;

/// The agent on this machine.
pub struct Agent {
    dir: AgentDir,
    hostname: String,
    outbox: Outbox,
    connector: Arc<LocalConnector>,
    scanner: Arc<Scanner>,
    machine: MachineRef,
    /// Between two hellos in a session.
    every: Duration,
    /// One command at a time: a command that comes twice is journalled before the second.
    commanding: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("hostname", &self.hostname)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// The agent of the data folder `data` (enrolled already), as machine `hostname`.
    pub async fn open(data: &Path, hostname: &str, every: Duration) -> Result<Arc<Agent>> {
        let mut config = LocalConfig::for_store(&data.join("outbox.sqlite3"));
        // Its key, certificate, outbox and vault are never scanned or quarantined.
        config.protected.push(data.to_path_buf());
        let connector = LocalConnector::new(config);
        let scanner = tokio::task::spawn_blocking(|| Scanner::new(&[], HashSet::new()))
            .await
            .map_err(|e| format!("loading the YARA rules stopped: {e}"))?
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Agent {
            dir: AgentDir::new(data),
            hostname: hostname.to_string(),
            outbox: Outbox::open(data, CAPACITY).await?,
            connector,
            scanner: Arc::new(scanner),
            machine: MachineRef {
                id: 0,
                name: hostname.to_string(),
                os_family: std::env::consts::OS.to_string(),
            },
            every,
            commanding: tokio::sync::Mutex::new(()),
        }))
    }

    /// Its outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Runs until the process ends: finishes the commands an earlier run left, senses, and
    /// keeps a session with the console.
    pub async fn run(self: Arc<Self>) -> Result<()> {
        self.finish_unfinished().await;
        let _watch = self.watch()?;
        let scanning = self.clone();
        tokio::spawn(async move {
            let dirs = scanning.connector.default_dirs();
            let skip = scanning.connector.config().own_dirs();
            let files =
                tokio::task::spawn_blocking(move || vigil_local::scan::files_under(&dirs, &skip))
                    .await
                    .unwrap_or_default();
            tracing::info!(files = files.len(), "first scan of the watched folders");
            for batch in files.chunks(SCAN_BATCH) {
                scanning.report_files(batch.to_vec()).await;
            }
        });
        let mut backoff = Duration::from_secs(1);
        loop {
            let began = std::time::Instant::now();
            match self.session().await {
                Ok(()) => tracing::info!("the session with the console ended"),
                Err(e) => tracing::warn!("the console: {e}"),
            }
            if began.elapsed() > MAX_BACKOFF {
                backoff = Duration::from_secs(1);
            }
            tokio::time::sleep(backoff + jitter()).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Watches the sensor's folders; what lands there is scanned and reported.
    fn watch(self: &Arc<Self>) -> Result<Watch> {
        let agent = self.clone();
        let watch = Watch::files(
            &self.connector.default_dirs(),
            self.connector.config().own_dirs(),
            Arc::new(move |files| {
                let agent = agent.clone();
                Box::pin(async move { agent.report_files(files).await })
            }),
        )
        .map_err(|e| e.to_string())?;
        self.connector.note_scanned(&watch.folders);
        tracing::info!(folders = ?watch.folders, "watching");
        Ok(watch)
    }

    /// Scans the files that are new or changed since they were last reported, and puts in
    /// the outbox an event for each (its path and SHA-256) and an alert for each hit.
    pub async fn report_files(&self, files: Vec<PathBuf>) {
        let mut fresh = Vec::with_capacity(files.len());
        for path in files {
            let Some(seen) = SeenFile::of(&path) else {
                continue;
            };
            match self.outbox.reported(&seen).await {
                Ok(true) => {}
                Ok(false) => fresh.push((path, seen)),
                Err(e) => tracing::error!("{e}"),
            }
        }
        if fresh.is_empty() {
            return;
        }
        let scanner = self.scanner.clone();
        let paths: Vec<PathBuf> = fresh.iter().map(|(p, _)| p.clone()).collect();
        let results = match tokio::task::spawn_blocking(move || scanner.scan_files(&paths)).await {
            Ok(results) => results,
            Err(e) => {
                tracing::warn!("scanning stopped: {e}");
                return;
            }
        };
        for ((path, result), (_, seen)) in results.into_iter().zip(fresh) {
            let scan = match result {
                Ok(scan) => scan,
                Err(e) => {
                    tracing::debug!(path = %path.display(), "not scanned: {e}");
                    continue;
                }
            };
            let mut items = vec![("event", file_event(&self.hostname, &path, &scan.sha256))];
            for hit in scan.hits {
                let detection = Detection::File { hit };
                self.connector.note_scanned(&detection.files());
                tracing::info!(found = %detection.summary(), "detection");
                match serde_json::to_value(detection.alert(0)) {
                    Ok(alert) => items.push(("alert", alert)),
                    Err(e) => tracing::warn!("an alert that is no JSON: {e}"),
                }
            }
            match self.outbox.push_file(&seen, &items).await {
                Ok(kept) if kept < items.len() => {
                    tracing::warn!("the outbox is full: items were dropped (counted)");
                }
                Ok(_) => {}
                Err(e) => tracing::error!("{e}"),
            }
        }
    }

    /// One session: hello, then the outbox out and the console's commands in, until the
    /// connection ends.
    async fn session(self: &Arc<Self>) -> Result<()> {
        let started = self
            .dir
            .start(&self.hostname, None)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(
            agent = started.agent_id,
            acked = started.acked,
            "in session with the console"
        );
        self.outbox.ack(started.acked).await?;
        let (mut reader, writer) = tokio::io::split(started.tls);
        let (out, writing) = frame::writer::<_, ToConsole>(writer);
        let acked = Arc::new(AtomicU64::new(started.acked));
        let sending = tokio::spawn(self.clone().send(out.clone(), acked.clone()));
        let beating = {
            let (out, hostname, every) = (out.clone(), self.hostname.clone(), self.every);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if out.send(hello(&hostname, None)).is_err() {
                        break;
                    }
                }
            })
        };
        let ended = loop {
            match frame::read::<_, ToAgent>(&mut reader).await {
                Ok(Some(ToAgent::Acked { upto })) => {
                    acked.fetch_max(upto, Ordering::SeqCst);
                    if let Err(e) = self.outbox.ack(upto).await {
                        tracing::error!("{e}");
                    }
                    self.outbox.added.notify_one();
                }
                Ok(Some(ToAgent::Command {
                    id,
                    expires_at,
                    body,
                })) => {
                    let (agent, out) = (self.clone(), out.clone());
                    tokio::spawn(async move {
                        let result = agent.command(&id, body, expires_at).await;
                        let _ = out.send(ToConsole::Answer {
                            command: id,
                            result,
                        });
                    });
                }
                Ok(Some(ToAgent::Refused { why })) => break Err(format!("refused: {why}")),
                Ok(Some(other)) => tracing::debug!("from the console, not understood: {other:?}"),
                Ok(None) => break Err("the console closed the session".into()),
                Err(e) => break Err(e.to_string()),
            }
        };
        sending.abort();
        beating.abort();
        drop(out);
        writing.abort();
        ended
    }

    /// Sends the outbox, oldest first, at most [`IN_FLIGHT`] items ahead of the console's
    /// acknowledgements and [`ITEMS_PER_SECOND`] a second.
    async fn send(self: Arc<Self>, out: UnboundedSender<ToConsole>, acked: Arc<AtomicU64>) {
        let mut sent = acked.load(Ordering::SeqCst);
        loop {
            if sent.saturating_sub(acked.load(Ordering::SeqCst)) < IN_FLIGHT {
                match self.outbox.after(sent).await {
                    Ok(items) if !items.is_empty() => {
                        let count = items.len() as u64;
                        sent = items.last().map_or(sent, |i| i.seq);
                        if out.send(ToConsole::Send { items }).is_err() {
                            return;
                        }
                        // Paced, and gathered: at most one frame every SEND_EVERY.
                        let pace = Duration::from_millis(count * 1000 / ITEMS_PER_SECOND);
                        tokio::time::sleep(pace.max(SEND_EVERY)).await;
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!("{e}"),
                }
            }
            tokio::select! {
                () = self.outbox.added.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Journals a command, carries it out (unless it expired or was answered before),
    /// keeps its answer and returns it.
    async fn command(&self, id: &str, body: Value, expires_at: i64) -> Value {
        let _one = self.commanding.lock().await;
        match self.outbox.journal(id, &body, expires_at).await {
            Ok(Journalled::Answered(answer)) => return answer,
            Ok(Journalled::New | Journalled::Unfinished) => {}
            // Not journalled: not carried out either.
            Err(error) => return answer_value(&Answer::Failed { error }),
        }
        let command = serde_json::from_value::<Command>(body);
        // The crash tests stop the agent halfway through an action (not a snapshot).
        let changes = matches!(command, Ok(Command::Execute { .. } | Command::Undo { .. }));
        if changes {
            failpoint::hit(failpoint::AGENT_JOURNALLED);
        }
        let answer = if now() > expires_at {
            Answer::Expired
        } else {
            match command {
                Ok(command) => {
                    tracing::info!(command = id, "carrying out");
                    let answer = carry_out(self.connector.as_ref(), &self.machine, command).await;
                    fit(answer, ANSWER_BYTES)
                }
                Err(e) => Answer::Failed {
                    error: format!("a command this agent does not know: {e}"),
                },
            }
        };
        if changes {
            failpoint::hit(failpoint::AGENT_CARRIED_OUT);
        }
        let value = answer_value(&answer);
        if let Err(e) = self.outbox.answered(id, &value).await {
            tracing::error!(command = id, "its answer is not kept: {e}");
        }
        value
    }

    /// The commands an earlier run journalled and did not answer: carried out now (or
    /// answered as expired), so each has its answer when the console asks again.
    async fn finish_unfinished(&self) {
        match self.outbox.unfinished().await {
            Ok(left) => {
                for (id, body, expires_at) in left {
                    tracing::info!(command = id, "finishing a command an earlier run left");
                    self.command(&id, body, expires_at).await;
                }
            }
            Err(e) => tracing::error!("{e}"),
        }
    }
}

/// Up to a second, different each time (from the clock's nanoseconds).
pub fn jitter() -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_nanos(u64::from(nanos % 1_000_000_000))
}

fn answer_value(answer: &Answer) -> Value {
    serde_json::to_value(answer).unwrap_or(Value::Null)
}

/// A file the agent saw, as the Sysmon record of a file created, with its SHA-256: the
/// console stores it as any Sysmon event, and an investigation finds the file here by its
/// hash.
pub fn file_event(hostname: &str, path: &Path, sha256: &str) -> Value {
    json!({
        "@timestamp": vigil_engine::clock::now(),
        "Hostname": hostname,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "SourceName": "Microsoft-Windows-Sysmon",
        "EventID": 11,
        "TargetFilename": path.display().to_string(),
        "Hashes": format!("SHA256={}", sha256.to_uppercase()),
    })
}
