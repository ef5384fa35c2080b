//! Benchmarks that print numbers (never timed tests): investigation latency on a large
//! store, an alert storm, and import throughput beside the raw EVTX parse rate.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::domain::NewAlert;
use crate::domain::{NewEntity, Severity};
use crate::domain::{NewEvent, NewMachine};
use crate::ops::alerts::Routing;
use crate::store::{events, machines};
use crate::{clock, Error, Result, Vigil};

/// Results of the investigation benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct InvestigationBench {
    pub machines: u32,
    pub events: u64,
    pub seed_seconds: f64,
    pub seed_events_per_second: f64,
    pub investigations: u32,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub storm_alerts: u32,
    pub storm_seconds: f64,
    pub storm_alerts_per_second: f64,
    pub storm_alerts_stored: u32,
    pub storm_alerts_lost: u32,
    pub storm_investigations: u32,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// One machine's day of ordinary events, plus an Office → script host chain at `pid`.
fn machine_events(machine: i64, per_machine: usize, now: &str) -> Vec<NewEvent> {
    let mut out = Vec::with_capacity(per_machine);
    let base = clock::parse(now).unwrap_or_else(time::OffsetDateTime::now_utc);
    for i in 0..per_machine {
        let ts = clock::format(base - time::Duration::seconds((per_machine - i) as i64 * 30));
        let pid = 1000 + (i as i64 % 300);
        let mut e = NewEvent {
            machine_id: machine,
            ts,
            pid: Some(pid),
            image: Some(format!(r"C:\Program Files\App{}\app.exe", i % 7)),
            user_name: Some(format!("OFFICE\\user{}", machine % 50)),
            source: "bench".into(),
            ..NewEvent::default()
        };
        match i % 4 {
            0 => {
                e.kind = "process_start".into();
                e.parent_pid = Some(pid - 1);
                e.parent_image = Some(r"C:\Windows\explorer.exe".into());
                e.command_line = Some(format!("app.exe --doc {i}"));
            }
            1 => {
                e.kind = "dns_query".into();
                e.domain = Some(format!("site{}.example.com", i % 40));
            }
            2 => {
                e.kind = "network_connection".into();
                e.remote_ip = Some(format!("198.51.100.{}", i % 250));
                e.remote_port = Some(443);
            }
            _ => {
                e.kind = "file_create".into();
                e.target_path = Some(format!(r"C:\Users\u\Documents\f{i}.docx"));
                e.sha256 = Some(format!("{:064x}", (machine as u128) << 32 | i as u128));
            }
        }
        out.push(e);
    }
    // The chain the alert names: WINWORD → wscript → payload writing a file.
    let chain = [
        (
            "process_start",
            9001,
            r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
            8000,
            r"C:\Windows\explorer.exe",
        ),
        (
            "process_start",
            9002,
            r"C:\Windows\System32\wscript.exe",
            9001,
            r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        ),
    ];
    for (kind, pid, image, ppid, pimage) in chain {
        out.push(NewEvent {
            machine_id: machine,
            ts: now.to_string(),
            kind: kind.into(),
            pid: Some(pid),
            image: Some(image.into()),
            parent_pid: Some(ppid),
            parent_image: Some(pimage.into()),
            source: "bench".into(),
            ..NewEvent::default()
        });
    }
    out.push(NewEvent {
        machine_id: machine,
        ts: now.to_string(),
        kind: "file_create".into(),
        pid: Some(9002),
        image: Some(r"C:\Windows\System32\wscript.exe".into()),
        target_path: Some(r"C:\Users\u\Downloads\payload.exe".into()),
        sha256: Some(format!("{:064x}", 0xbad0_0000_u128 + machine as u128)),
        source: "bench".into(),
        ..NewEvent::default()
    });
    out
}

fn alert(machine: i64, rule: String, severity: Severity, now: &str) -> NewAlert {
    NewAlert {
        title: "Office application started a script host".into(),
        description: String::new(),
        severity,
        category: "Execution".into(),
        technique: "T1204.002".into(),
        detection_source: "bench".into(),
        rule_id: rule,
        machine_id: machine,
        user_name: None,
        first_seen: now.to_string(),
        last_seen: now.to_string(),
        entities: vec![NewEntity::process(
            machine,
            9002,
            r"C:\Windows\System32\wscript.exe",
            None,
        )],
        grade: Default::default(),
        logon_id: None,
    }
}

impl Vigil {
    /// Seeds `machines` machines with `events` events in all, then measures investigations
    /// started from `samples` machines (p50/p99) and an alert storm of `storm` alerts.
    pub async fn bench_investigations(
        &self,
        machines: u32,
        events: u64,
        samples: u32,
        storm: u32,
    ) -> Result<InvestigationBench> {
        let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM machines")
            .fetch_one(self.store().pool())
            .await?;
        if existing > 0 {
            return Err(Error::Conflict(
                "the benchmark needs an empty store (use --db with a new file)".into(),
            ));
        }
        let per_machine = (events / u64::from(machines.max(1))).max(4) as usize;
        let now = clock::now();
        let started = Instant::now();
        let mut ids = Vec::with_capacity(machines as usize);
        let mut written = 0u64;
        let mut tx = self.store().pool().begin().await?;
        for m in 0..machines {
            let id = machines::upsert(
                &mut tx,
                &NewMachine {
                    name: format!("pc{m:04}"),
                    os: "Windows 11".into(),
                    ..NewMachine::default()
                },
            )
            .await?;
            ids.push(id);
            written += events::insert(&mut tx, &machine_events(id, per_machine, &now)).await?;
        }
        tx.commit().await?;
        let seed_seconds = started.elapsed().as_secs_f64();

        let mut latencies = Vec::new();
        let step = (ids.len() / samples.max(1) as usize).max(1);
        for (n, machine) in ids.iter().step_by(step).take(samples as usize).enumerate() {
            // Medium severity: the default policy leaves it to the analyst, who starts it.
            self.raise_alert(alert(
                *machine,
                format!("bench-{n}"),
                Severity::Medium,
                &now,
            ))
            .await?;
            let (name,): (String,) = sqlx::query_as("SELECT name FROM machines WHERE id = ?")
                .bind(machine)
                .fetch_one(self.store().pool())
                .await?;
            let t = Instant::now();
            self.investigate_machine(&name, "bench").await?;
            latencies.push(t.elapsed());
        }
        latencies.sort();

        let (before,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alerts")
            .fetch_one(self.store().pool())
            .await?;
        let (inv_before,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM investigations")
            .fetch_one(self.store().pool())
            .await?;
        let t = Instant::now();
        let mut raised = 0u32;
        for n in 0..storm {
            let machine = ids[(n as usize * 7919) % ids.len()];
            let r = self
                .raise_alert(alert(machine, format!("storm-{n}"), Severity::High, &now))
                .await?;
            if r.routing != Routing::Deduplicated {
                raised += 1;
            }
        }
        let storm_seconds = t.elapsed().as_secs_f64();
        let (after,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alerts")
            .fetch_one(self.store().pool())
            .await?;
        let (inv_after,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM investigations")
            .fetch_one(self.store().pool())
            .await?;
        let stored = (after - before) as u32;
        Ok(InvestigationBench {
            machines,
            events: written,
            seed_seconds,
            seed_events_per_second: written as f64 / seed_seconds.max(1e-9),
            investigations: latencies.len() as u32,
            p50_ms: percentile(&latencies, 0.50),
            p99_ms: percentile(&latencies, 0.99),
            max_ms: percentile(&latencies, 1.0),
            storm_alerts: storm,
            storm_seconds,
            storm_alerts_per_second: f64::from(storm) / storm_seconds.max(1e-9),
            storm_alerts_stored: stored,
            storm_alerts_lost: storm.saturating_sub(stored.max(raised)),
            storm_investigations: (inv_after - inv_before) as u32,
        })
    }
}

/// One import measured: records per second from reading to stored, rules loaded first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportRun {
    pub files: u32,
    pub records: u32,
    /// Loading the rules (a fixed cost per import, not in the rate).
    pub rules_seconds: f64,
    /// Read, normalise, detect, store (rule loading excluded).
    pub seconds: f64,
    pub records_per_second: f64,
    /// CPU time (all threads) per record, in microseconds.
    pub cpu_us_per_record: f64,
    /// Filing the alerts the detections raised (deduplicated, routed), after the store.
    pub alert_filing_seconds: f64,
    pub alerts: u32,
}

impl ImportRun {
    fn of(summary: &super::import::ImportSummary) -> ImportRun {
        let seconds = summary.stored_seconds - summary.rules_seconds;
        ImportRun {
            files: summary.files,
            records: summary.records,
            rules_seconds: summary.rules_seconds,
            seconds,
            records_per_second: f64::from(summary.records) / seconds.max(1e-9),
            cpu_us_per_record: summary.stored_cpu_seconds * 1e6 / f64::from(summary.records.max(1)),
            alert_filing_seconds: summary.ingest_seconds - summary.stored_seconds,
            alerts: summary.alerts,
        }
    }
}

/// Results of the import benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct ImportBench {
    pub rules: u32,
    /// Compiling every rule before the runs (an import compiles only what its records
    /// need, the first time they need it; the runs here measure ingest with them compiled).
    pub rules_compile_seconds: f64,
    pub evtx_records: u64,
    /// `evtx` alone rendering every record to JSON text, in this run.
    pub raw_evtx_records_per_second: f64,
    /// The EVTX files imported end to end (the import with the median rate of five: into
    /// this store, then into four fresh ones).
    pub evtx: ImportRun,
    /// `evtx.records_per_second / raw_evtx_records_per_second`.
    pub ratio_to_raw: f64,
    /// The other files (JSON lines, zipped or not), imported after.
    pub json: ImportRun,
}

impl Vigil {
    /// Measures the raw `evtx` parse rate of the EVTX files among `paths`, then imports
    /// them end to end (parse → normalise → Sigma → store) and measures that; then the
    /// other telemetry files among `paths` (JSON lines), measured apart.
    pub async fn bench_import(&self, paths: &[PathBuf]) -> Result<ImportBench> {
        let mut skipped = Vec::new();
        let (mut evtx_files, mut other_files) = (Vec::new(), Vec::new());
        for (path, format) in super::import::expand(paths, &mut skipped)? {
            match format {
                vigil_telemetry::Format::Evtx => evtx_files.push(path),
                _ => other_files.push(path),
            }
        }
        let files = evtx_files.clone();
        // Parsed again and again for at least a second and a half, so that one busy moment
        // does not make the rate.
        let (records, raw_rate) = tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            let (mut per_round, mut total, mut rounds) = (0u64, 0u64, 0u32);
            while rounds == 0 || (t.elapsed().as_secs_f64() < 1.5 && per_round > 0) {
                per_round = files
                    .iter()
                    .filter_map(|f| vigil_telemetry::raw_evtx_records(f).ok())
                    .sum();
                total += per_round;
                rounds += 1;
            }
            (
                per_round,
                total as f64 / t.elapsed().as_secs_f64().max(1e-9),
            )
        })
        .await
        .map_err(|e| Error::InvalidInput(format!("raw parse failed: {e}")))?;
        let engine = self.sigma_engine().await?;
        let warm = Arc::clone(&engine);
        let compiling = Instant::now();
        tokio::task::spawn_blocking(move || warm.compile_all())
            .await
            .map_err(|e| Error::InvalidInput(format!("compiling the rules failed: {e}")))?;
        let rules_compile_seconds = compiling.elapsed().as_secs_f64();
        let mut rules = 0;
        let mut evtx = ImportRun::default();
        if !evtx_files.is_empty() {
            let summary = self.import(&evtx_files, |_| {}).await?;
            rules = summary.rules;
            evtx = ImportRun::of(&summary);
            // Four more imports into fresh stores (same rules); the median rate is kept.
            let mut runs = vec![evtx];
            for round in 1..5 {
                let db = std::env::temp_dir()
                    .join(format!("vigil-bench-{}-{round}.db", std::process::id()));
                let fresh = Vigil::open(crate::OpenOptions {
                    db: Some(db.clone()),
                    connectors: Vec::new(),
                })
                .await?;
                fresh.adopt_sigma_engine(Arc::clone(&engine)).await?;
                let again = fresh.import(&evtx_files, |_| {}).await;
                drop(fresh);
                for suffix in ["", "-wal", "-shm", ".work-lock"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
                }
                runs.push(ImportRun::of(&again?));
            }
            runs.sort_by(|a, b| a.records_per_second.total_cmp(&b.records_per_second));
            evtx = runs.swap_remove(runs.len() / 2);
        }
        let mut json = ImportRun::default();
        if !other_files.is_empty() {
            let summary = self.import(&other_files, |_| {}).await?;
            rules = summary.rules;
            json = ImportRun::of(&summary);
        }
        Ok(ImportBench {
            rules,
            rules_compile_seconds,
            evtx_records: records,
            raw_evtx_records_per_second: raw_rate,
            ratio_to_raw: if records > 0 {
                evtx.records_per_second / raw_rate
            } else {
                0.0
            },
            evtx,
            json,
        })
    }
}
