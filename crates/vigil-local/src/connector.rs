//! The `local` connector: this computer. Snapshots come from the live inventory; actions
//! change the machine for real (quarantine vault, kill, persistence backup, hosts file),
//! each keyed by its action id so a repeat or a restart finds what was done.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use vigil_engine::connectors::{
    ActionRequest, Applied, Connector, LiveFile, LivePersistence, MachineRef, Outcome, Snapshot,
};
use vigil_engine::domain::ActionKind;
use vigil_engine::{Error, Result};

use crate::actions::process::{self, Stopped};
use crate::actions::quarantine::{self, Quarantined};
use crate::actions::{hosts, persistence};
use crate::config::LocalConfig;
use crate::inventory::{self, Inventory};
use crate::scan::files_under;

/// This computer's connector.
pub struct LocalConnector {
    config: LocalConfig,
    inventory: Arc<dyn Inventory>,
    /// Folders scanned in this process (their files appear in snapshots).
    scanned: Mutex<Vec<PathBuf>>,
}

impl std::fmt::Debug for LocalConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalConnector")
            .field("config", &self.config)
            .finish()
    }
}

impl LocalConnector {
    /// The connector with these settings and this OS's inventory.
    pub fn new(config: LocalConfig) -> Arc<Self> {
        let inventory: Arc<dyn Inventory> = inventory::this_os(&config.home).into();
        Arc::new(Self {
            config,
            inventory,
            scanned: Mutex::new(Vec::new()),
        })
    }

    /// Its settings.
    pub fn config(&self) -> &LocalConfig {
        &self.config
    }

    /// This OS's inventory.
    pub fn inventory(&self) -> &dyn Inventory {
        self.inventory.as_ref()
    }

    /// The folders scanned by default: Downloads, the temp folder and autostart folders.
    pub fn default_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.config.downloads(), std::env::temp_dir()];
        dirs.extend(self.inventory.autostart_dirs());
        dirs
    }

    /// Remembers folders a scan covered, so snapshots list their files.
    pub fn note_scanned(&self, dirs: &[PathBuf]) {
        if let Ok(mut scanned) = self.scanned.lock() {
            for dir in dirs {
                if !scanned.contains(dir) {
                    scanned.push(dir.clone());
                }
            }
        }
    }

    /// The folders whose files a snapshot lists.
    fn snapshot_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = self.default_dirs();
        if let Ok(scanned) = self.scanned.lock() {
            dirs.extend(scanned.iter().cloned());
        }
        dirs.sort();
        dirs.dedup();
        dirs
    }
}

/// What this computer looks like now: files under `dirs` (paths only: hashing every file
/// on each snapshot would cost too much), processes, persistence and connections.
fn snapshot_now(inventory: &dyn Inventory, dirs: &[PathBuf], skip: &[PathBuf]) -> Snapshot {
    let network = inventory.network();
    if let Some(note) = &network.note {
        tracing::info!(note, "network connections");
    }
    Snapshot {
        files: files_under(dirs, skip)
            .into_iter()
            .map(|p| LiveFile {
                path: p.display().to_string(),
                sha256: String::new(),
            })
            .collect(),
        processes: inventory.processes().iter().map(|p| p.live()).collect(),
        persistence: inventory.persistence(),
        connections: network.connections,
    }
}

/// Runs blocking file-system work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Conflict(format!("a local action stopped unexpectedly: {e}")))?
}

fn missing(request: &ActionRequest, what: &str) -> Error {
    Error::InvalidInput(format!(
        "action {}: the target has no {what}",
        request.action_id
    ))
}

/// The persistence entry an action targets.
fn entry_of(request: &ActionRequest) -> LivePersistence {
    let t = &request.target;
    let field = |k: &str| {
        t.detail
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    LivePersistence {
        mechanism: field("mechanism"),
        location: field("location"),
        name: t.name.clone(),
        value: t.value.clone().unwrap_or_default(),
    }
}

/// The start time (seconds since the epoch) an action's process was seen with.
fn start_time_of(request: &ActionRequest) -> Option<u64> {
    let detail = &request.target.detail;
    detail
        .get("start_time")
        .and_then(|v| v.as_u64())
        .or_else(|| {
            detail
                .get("started_at")
                .and_then(|v| v.as_str())
                .and_then(vigil_engine::clock::parse)
                .and_then(|t| u64::try_from(t.unix_timestamp()).ok())
        })
}

/// The domain a block action targets.
fn domain_of(request: &ActionRequest) -> String {
    let t = &request.target;
    let text = t.value.as_deref().unwrap_or(&t.name);
    hosts::host_of(text).to_string()
}

/// A message with what else happened, when something did.
fn with_note(message: String, note: &str) -> String {
    if note.is_empty() {
        message
    } else {
        format!("{message}; {note}")
    }
}

fn unsupported(request: &ActionRequest) -> Error {
    Error::InvalidInput(format!(
        "{} is not available on this computer yet",
        request.kind.label()
    ))
}

#[async_trait]
impl Connector for LocalConnector {
    fn name(&self) -> &'static str {
        crate::CONNECTOR
    }

    async fn snapshot(&self, _machine: &MachineRef) -> Result<Snapshot> {
        let inventory = self.inventory.clone();
        let dirs = self.snapshot_dirs();
        let skip = self.config.own_dirs();
        blocking(move || Ok(snapshot_now(inventory.as_ref(), &dirs, &skip))).await
    }

    #[tracing::instrument(skip_all, fields(action = request.action_id, kind = request.kind.as_str()))]
    async fn execute(&self, request: &ActionRequest) -> Result<Outcome> {
        let config = self.config.clone();
        let id = request.action_id;
        let machine = request.machine.name.clone();
        let name = request.target.name.clone();
        match request.kind {
            ActionKind::QuarantineFile => {
                let path = PathBuf::from(
                    request
                        .target
                        .path
                        .clone()
                        .ok_or_else(|| missing(request, "path"))?,
                );
                let sha = request.target.sha256.clone();
                let done =
                    blocking(move || quarantine::quarantine(&config, id, &path, sha.as_deref()))
                        .await?;
                Ok(match done {
                    Quarantined::Done(record) => Outcome::Done {
                        message: format!(
                            "{name} moved to quarantine on {machine} (from {})",
                            record.original_path.display()
                        ),
                        undo: Some(record.original_path.display().to_string()),
                    },
                    Quarantined::Missing => Outcome::NotFound {
                        message: format!("{name} is no longer on {machine}"),
                    },
                })
            }
            ActionKind::KillProcess => {
                let pid = request.target.pid.ok_or_else(|| missing(request, "pid"))?;
                let start = start_time_of(request).ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "refusing to stop process {pid} without the start time it was seen with (a reused pid could be hit)"
                    ))
                })?;
                let stopped = blocking(move || process::kill(pid, start)).await?;
                Ok(match stopped {
                    Stopped::Killed(p) => Outcome::Done {
                        message: format!("process {name} ({}) stopped on {machine}", p.image),
                        undo: None,
                    },
                    Stopped::Gone => Outcome::NotFound {
                        message: format!("process {name} is no longer running on {machine}"),
                    },
                    Stopped::Reused { now_started } => Outcome::NotFound {
                        message: format!(
                            "process {name} has ended; pid {pid} now belongs to a process started at {} (not touched)",
                            inventory::start_time_text(now_started)
                        ),
                    },
                })
            }
            ActionKind::RemovePersistence => {
                let entry = entry_of(request);
                let removed = blocking(move || persistence::remove(&config, id, &entry)).await?;
                Ok(match removed {
                    persistence::Removed::Done { note } => Outcome::Done {
                        message: with_note(
                            format!("{name} removed from {machine} (backed up for undo)"),
                            &note,
                        ),
                        undo: None,
                    },
                    persistence::Removed::NotThere => Outcome::NotFound {
                        message: format!("{name} is no longer on {machine}"),
                    },
                })
            }
            ActionKind::BlockDomain | ActionKind::BlockUrl => {
                let domain = domain_of(request);
                let hosts_file = config.hosts_file.clone();
                let d = domain.clone();
                blocking(move || hosts::block(&hosts_file, id, &d)).await?;
                Ok(Outcome::Done {
                    message: format!(
                        "{domain} blocked on {machine} (hosts file {})",
                        self.config.hosts_file.display()
                    ),
                    undo: Some(domain),
                })
            }
            _ => Err(unsupported(request)),
        }
    }

    #[tracing::instrument(skip_all, fields(action = request.action_id, kind = request.kind.as_str()))]
    async fn undo(&self, request: &ActionRequest, _undo: Option<&str>) -> Result<Outcome> {
        let config = self.config.clone();
        let id = request.action_id;
        let name = request.target.name.clone();
        match request.kind {
            ActionKind::QuarantineFile => Ok(
                match blocking(move || quarantine::restore(&config, id)).await? {
                    Some(record) => Outcome::Done {
                        message: format!(
                            "{name} restored to {} (sha256 checked)",
                            record.original_path.display()
                        ),
                        undo: None,
                    },
                    None => Outcome::NotFound {
                        message: format!("nothing in the quarantine vault for action {id}"),
                    },
                },
            ),
            ActionKind::RemovePersistence => Ok(
                match blocking(move || persistence::restore(&config, id)).await? {
                    Some((backup, note)) => Outcome::Done {
                        message: with_note(
                            format!("{name} restored in {}", backup.file.display()),
                            &note,
                        ),
                        undo: None,
                    },
                    None => Outcome::NotFound {
                        message: format!("no backup for action {id}"),
                    },
                },
            ),
            ActionKind::BlockDomain | ActionKind::BlockUrl => {
                let hosts_file = config.hosts_file.clone();
                let removed = blocking(move || hosts::unblock(&hosts_file, id)).await?;
                Ok(if removed {
                    Outcome::Done {
                        message: format!("{} unblocked", domain_of(request)),
                        undo: None,
                    }
                } else {
                    Outcome::NotFound {
                        message: format!("the hosts file has no block of action {id}"),
                    }
                })
            }
            ActionKind::KillProcess => Err(Error::InvalidInput(
                "a stopped process cannot be started again by Vigil".into(),
            )),
            _ => Err(unsupported(request)),
        }
    }

    async fn was_applied(&self, request: &ActionRequest) -> Result<Applied> {
        let config = self.config.clone();
        let id = request.action_id;
        match request.kind {
            ActionKind::QuarantineFile => {
                blocking(move || {
                    // In the vault with the original still there: running it again finishes.
                    Ok(match quarantine::record(&config, id)? {
                        Some(record) if !exists(&record.original_path) => Applied::Yes,
                        _ => Applied::No,
                    })
                })
                .await
            }
            ActionKind::KillProcess => {
                let (Some(pid), Some(start)) = (request.target.pid, start_time_of(request)) else {
                    return Ok(Applied::Unknown);
                };
                blocking(move || {
                    Ok(match process::find(pid, start) {
                        Ok(_) => Applied::No,
                        Err(_) => Applied::Yes,
                    })
                })
                .await
            }
            ActionKind::RemovePersistence => {
                let entry = entry_of(request);
                blocking(move || {
                    Ok(
                        match (
                            persistence::backup(&config, id)?,
                            persistence::present(&entry)?,
                        ) {
                            (Some(_), false) => Applied::Yes,
                            _ => Applied::No,
                        },
                    )
                })
                .await
            }
            ActionKind::BlockDomain | ActionKind::BlockUrl => {
                let hosts_file = config.hosts_file.clone();
                blocking(move || {
                    Ok(if hosts::is_blocked(&hosts_file, id)? {
                        Applied::Yes
                    } else {
                        Applied::No
                    })
                })
                .await
            }
            _ => Ok(Applied::No),
        }
    }
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}
