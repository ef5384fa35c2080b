//! Import throughput beside the raw EVTX parse rate.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::domain::ImportSummary;
use crate::ops::import::expand;
use crate::{Error, OpenOptions, Result, Vigil};

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
    fn of(summary: &ImportSummary) -> ImportRun {
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

/// Measures the raw `evtx` parse rate of the EVTX files among `paths`, then imports them
/// end to end (parse → normalise → Sigma → store) and measures that; then the other
/// telemetry files among `paths` (JSON lines), measured apart.
pub async fn import(vigil: &Vigil, paths: &[PathBuf]) -> Result<ImportBench> {
    let mut skipped = Vec::new();
    let (mut evtx_files, mut other_files) = (Vec::new(), Vec::new());
    for (path, format) in expand(paths, &mut skipped)? {
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
    let engine = vigil.sigma_engine().await?;
    let warm = Arc::clone(&engine);
    let compiling = Instant::now();
    tokio::task::spawn_blocking(move || warm.compile_all())
        .await
        .map_err(|e| Error::InvalidInput(format!("compiling the rules failed: {e}")))?;
    let rules_compile_seconds = compiling.elapsed().as_secs_f64();
    let mut rules = 0;
    let mut evtx = ImportRun::default();
    if !evtx_files.is_empty() {
        let summary = vigil.import(&evtx_files, |_| {}).await?;
        rules = summary.rules;
        evtx = ImportRun::of(&summary);
        // Four more imports into fresh stores (same rules); the median rate is kept.
        let mut runs = vec![evtx];
        for round in 1..5 {
            let db =
                std::env::temp_dir().join(format!("vigil-bench-{}-{round}.db", std::process::id()));
            let fresh = Vigil::open(OpenOptions {
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
        let summary = vigil.import(&other_files, |_| {}).await?;
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
