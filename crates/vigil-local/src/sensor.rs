//! The sensor: registers this computer as a machine (connector `local`, named by its
//! hostname), scans folders, sweeps running programs, persistence and connections, and
//! raises an alert for every detection, routed like any other.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use vigil_engine::domain::{NewMachine, Routing, Severity};
use vigil_engine::{Error, Result, Vigil};

use crate::connector::LocalConnector;
use crate::detect::{self, Detection};
use crate::inventory::HostInfo;
use crate::scan::{files_under, Hit, Scanner};

/// Files scanned per blocking batch.
const BATCH: usize = 64;

/// A detection and what became of its alert.
#[derive(Debug, Clone, Serialize)]
pub struct Reported {
    pub detection: Detection,
    pub alert: u32,
    pub routing: Routing,
    pub investigation: Option<u32>,
}

/// What one scan did.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSummary {
    pub machine: String,
    pub folders: Vec<PathBuf>,
    pub files: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub hits: Vec<Reported>,
    /// Files that could not be read, with the OS error.
    pub errors: Vec<String>,
}

/// What one sweep of running programs, persistence and connections did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepSummary {
    pub machine: String,
    pub processes: u64,
    /// Distinct executables of running processes scanned, and their bytes.
    pub executables: u64,
    pub bytes: u64,
    pub persistence: u64,
    pub connections: u64,
    pub seconds: f64,
    pub found: Vec<Reported>,
    /// What the OS did not show (e.g. owners of other users' sockets).
    pub notes: Vec<String>,
    /// Executables not scanned, and why.
    pub skipped: Vec<String>,
}

/// This computer's sensor, on one Vigil.
#[derive(Debug)]
pub struct Sensor {
    vigil: Vigil,
    connector: Arc<LocalConnector>,
    scanner: Arc<Scanner>,
    /// The indicators' version the scanner's hashes were loaded at.
    iocs_loaded: tokio::sync::Mutex<(i64, i64)>,
    machine_id: i64,
    host: HostInfo,
}

impl Sensor {
    /// Registers this computer in the store and loads the IOC hashes and YARA rules
    /// (Vigil's shipped rules plus `extra_rules` sources).
    #[tracing::instrument(skip_all)]
    pub async fn start(
        vigil: &Vigil,
        connector: Arc<LocalConnector>,
        extra_rules: Vec<String>,
    ) -> Result<Self> {
        let host = connector.inventory().host();
        let machine_id = vigil
            .register_machine(&NewMachine {
                name: host.hostname.clone(),
                os: host.os.clone(),
                os_family: host.os_family.clone(),
                role: "workstation".into(),
                tags: vec!["this-computer".into()],
                connector: Some(crate::CONNECTOR.into()),
                ..NewMachine::default()
            })
            .await?;
        let version = vigil.indicators_version().await?;
        let iocs = hash_indicators(vigil).await?;
        let scanner = tokio::task::spawn_blocking(move || Scanner::new(&extra_rules, iocs))
            .await
            .map_err(|e| Error::Conflict(format!("loading the YARA rules stopped: {e}")))??;
        tracing::info!(machine = %host.hostname, iocs = scanner.ioc_count(), "local sensor ready");
        Ok(Self {
            vigil: vigil.clone(),
            connector,
            scanner: Arc::new(scanner),
            iocs_loaded: tokio::sync::Mutex::new(version),
            machine_id,
            host,
        })
    }

    /// This computer's name in Vigil.
    pub fn machine(&self) -> &str {
        &self.host.hostname
    }

    /// The connector the sensor reports for.
    pub fn connector(&self) -> &Arc<LocalConnector> {
        &self.connector
    }

    /// Scans `dirs` (Downloads, temp and autostart folders when empty) and raises an alert
    /// for each hit.
    #[tracing::instrument(skip(self))]
    pub async fn scan(&self, dirs: &[PathBuf]) -> Result<ScanSummary> {
        let started = Instant::now();
        let folders = if dirs.is_empty() {
            self.connector.default_dirs()
        } else {
            dirs.iter()
                .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()))
                .collect()
        };
        self.connector.note_scanned(&folders);
        let skip = self.connector.config().own_dirs();
        let list = folders.clone();
        let files = tokio::task::spawn_blocking(move || files_under(&list, &skip))
            .await
            .map_err(|e| Error::Conflict(format!("listing files stopped: {e}")))?;
        let mut summary = ScanSummary {
            machine: self.host.hostname.clone(),
            folders,
            files: 0,
            bytes: 0,
            seconds: 0.0,
            hits: Vec::new(),
            errors: Vec::new(),
        };
        for batch in files.chunks(BATCH) {
            self.scan_batch(batch.to_vec(), &mut summary).await?;
        }
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Scans these files (the watcher's new arrivals) and raises an alert for each hit.
    pub async fn scan_files(&self, files: Vec<PathBuf>) -> Result<ScanSummary> {
        let started = Instant::now();
        let mut summary = ScanSummary {
            machine: self.host.hostname.clone(),
            folders: Vec::new(),
            files: 0,
            bytes: 0,
            seconds: 0.0,
            hits: Vec::new(),
            errors: Vec::new(),
        };
        self.scan_batch(files, &mut summary).await?;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Reloads the IOC hashes when lists were imported or removed since they were loaded
    /// (a watcher runs for days; its scans use today's lists).
    async fn refresh_iocs(&self) -> Result<()> {
        let mut loaded = self.iocs_loaded.lock().await;
        let now = self.vigil.indicators_version().await?;
        if *loaded != now {
            let iocs = hash_indicators(&self.vigil).await?;
            tracing::info!(
                iocs = iocs.len(),
                "IOC lists changed; the sensor reloaded them"
            );
            self.scanner.set_iocs(iocs);
            *loaded = now;
        }
        Ok(())
    }

    async fn scan_batch(&self, batch: Vec<PathBuf>, summary: &mut ScanSummary) -> Result<()> {
        self.refresh_iocs().await?;
        let scanner = self.scanner.clone();
        let results = tokio::task::spawn_blocking(move || scanner.scan_files(&batch))
            .await
            .map_err(|e| Error::Conflict(format!("scanning stopped: {e}")))?;
        for (path, result) in results {
            match result {
                Ok(scan) => {
                    summary.files += 1;
                    summary.bytes += scan.bytes;
                    for hit in scan.hits {
                        summary
                            .hits
                            .push(self.report(Detection::File { hit }).await?);
                    }
                }
                // A file removed between listing and reading is not an error.
                Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot scan");
                    summary.errors.push(error.to_string());
                }
            }
        }
        Ok(())
    }

    /// Raises the alert for a detection on this computer.
    #[tracing::instrument(skip(self))]
    pub async fn report(&self, detection: Detection) -> Result<Reported> {
        // A flagged file outside the scanned folders: snapshots list it, so actions run.
        self.connector.note_scanned(&detection.files());
        let raised = self
            .vigil
            .raise_alert(detection.alert(self.machine_id))
            .await?;
        tracing::info!(found = %detection.summary(), alert = raised.alert, routing = ?raised.routing, "local detection");
        Ok(Reported {
            detection,
            alert: u32::try_from(raised.alert).unwrap_or(u32::MAX),
            routing: raised.routing,
            investigation: raised.investigation.and_then(|i| u32::try_from(i).ok()),
        })
    }

    /// Checks what runs on this computer now: the executables of running processes,
    /// what persistence entries start, and established connections (against the IP
    /// indicators); raises an alert for each detection.
    #[tracing::instrument(skip(self))]
    pub async fn sweep(&self) -> Result<SweepSummary> {
        let started = Instant::now();
        self.refresh_iocs().await?;
        let bad_ips: HashSet<String> = self
            .vigil
            .indicator_values("ip")
            .await?
            .into_iter()
            .map(|ip| ip.to_ascii_lowercase())
            .collect();
        let connector = self.connector.clone();
        let scanner = self.scanner.clone();
        let (mut summary, detections) = tokio::task::spawn_blocking(move || {
            let inventory = connector.inventory();
            let skip = connector.config().own_dirs();
            let processes = inventory.processes();
            let entries = inventory.persistence();
            let network = inventory.network();
            let programs = detect::running_programs(&scanner, &processes, &skip);
            let mut detections = programs.detections;
            detections.extend(detect::persistence(
                &scanner,
                &entries,
                &connector.config().home,
            ));
            detections.extend(detect::connections(
                &network.connections,
                &bad_ips,
                &processes,
            ));
            let summary = SweepSummary {
                processes: processes.len() as u64,
                executables: programs.scanned,
                bytes: programs.bytes,
                persistence: entries.len() as u64,
                connections: network.connections.len() as u64,
                notes: network.note.into_iter().collect(),
                skipped: programs.skipped,
                ..SweepSummary::default()
            };
            (summary, detections)
        })
        .await
        .map_err(|e| Error::Conflict(format!("the sweep stopped: {e}")))?;
        summary.machine = self.host.hostname.clone();
        for detection in detections {
            summary.found.push(self.report(detection).await?);
        }
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// The severity a hit is raised with (for callers that print it).
    pub fn severity_of(hit: &Hit) -> Severity {
        hit.severity()
    }
}

/// The file-hash indicators of every list: SHA-256, SHA-1 and MD5 values together.
async fn hash_indicators(vigil: &Vigil) -> Result<HashSet<String>> {
    let mut iocs = HashSet::new();
    for kind in ["sha256", "sha1", "md5"] {
        iocs.extend(vigil.indicator_values(kind).await?);
    }
    Ok(iocs)
}
