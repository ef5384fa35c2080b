//! Investigation latency on telemetry of real shape: real logs (Sysmon, Security,
//! PowerShell… from the files given) replicated onto one machine, each copy shifted by a day
//! with its process ids and logon sessions moved, until that machine holds the events asked
//! for; then investigations started from real rule hits in random copies, timed one by one.
//! A benchmark that prints numbers, never a timed test.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use vigil_telemetry::{Event, Reader, SigmaEngine, SigmaMatch};

use super::percentile;
use crate::domain::Routing;
use crate::domain::{NewMachine, Severity};
use crate::ops::detections::sigma_alert;
use crate::ops::import::{expand, new_event};
use crate::store::{events, log, machines};
use crate::{clock, Error, Result, Vigil};

/// Results of the real-shape investigation benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct RealShapeBench {
    /// Records read from the files given, and how many of them a rule fired on.
    pub records: u64,
    pub rule_hits: u64,
    /// Copies of them on the investigated machine, and the events it holds in all.
    pub copies: u32,
    pub machine_events: u64,
    pub seed_seconds: f64,
    pub investigations: u32,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Events the investigations read from their windows, on average.
    pub mean_window_events: f64,
}

/// A cheap, seeded random sequence (the benchmark must be the same run after run).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Copy `k` of an event: a day later per copy, its process ids and session moved.
fn copy_of(e: &Event, k: u32) -> Event {
    let mut c = e.clone();
    let days = time::Duration::days(i64::from(k));
    c.ts = clock::shift(&e.ts, days);
    let moved = |pid: Option<i64>| pid.map(|p| p + i64::from(k) * 1_000_000);
    c.pid = moved(e.pid);
    c.parent_pid = moved(e.parent_pid);
    c.logon_id = e.logon_id.map(|l| l + (i64::from(k) << 32));
    c.fingerprint = format!("{k}:{}", e.fingerprint);
    c
}

/// Seeds one machine with `events` events replicated from the telemetry under `paths`,
/// then times `samples` investigations, each started from a real rule hit in a random
/// copy (and cancelled after, so that the next starts its own).
pub async fn real_investigations(
    vigil: &Vigil,
    paths: &[PathBuf],
    events: u64,
    samples: u32,
) -> Result<RealShapeBench> {
    let existing = machines::count(&mut *vigil.store().pool().acquire().await?).await?;
    if existing > 0 {
        return Err(Error::Conflict(
            "the benchmark needs an empty store (use --db with a new file)".into(),
        ));
    }
    let mut skipped = Vec::new();
    let files = expand(paths, &mut skipped)?;
    let rule_dirs = vigil.rule_dirs().await?;
    let (base, hits): (Vec<Event>, Vec<(usize, SigmaMatch)>) =
        tokio::task::spawn_blocking(move || -> Result<_> {
            let (rules, _) = SigmaEngine::builtin_and_dirs(&rule_dirs)
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            let (mut base, mut hits) = (Vec::new(), Vec::new());
            for (path, _) in files {
                let reader = Reader::open(&path).map_err(|e| Error::InvalidInput(e.to_string()))?;
                for record in reader {
                    let record = record.map_err(|e| Error::InvalidInput(e.to_string()))?;
                    for m in rules.evaluate(&record) {
                        if Severity::of_level(&m.level) >= Severity::Medium {
                            hits.push((base.len(), m));
                        }
                    }
                    base.push(record.event);
                }
            }
            Ok((base, hits))
        })
        .await
        .map_err(|e| Error::InvalidInput(format!("reading failed: {e}")))??;
    if base.is_empty() || hits.is_empty() {
        return Err(Error::InvalidInput(
            "the telemetry given has no events a rule fires on".into(),
        ));
    }
    let copies = (events.div_ceil(base.len() as u64)).max(1) as u32;
    let started = Instant::now();
    let mut tx = vigil.store().pool().begin().await?;
    let machine = machines::upsert(
        &mut tx,
        &NewMachine {
            name: "bench-pc".into(),
            os: "Windows".into(),
            os_family: "windows".into(),
            ..NewMachine::default()
        },
    )
    .await?;
    let mut written = 0u64;
    'copies: for k in 0..copies {
        let mut rows = Vec::with_capacity(base.len());
        for e in &base {
            if written + rows.len() as u64 >= events {
                written += events::insert(&mut tx, &rows).await?;
                break 'copies;
            }
            rows.push(new_event(&copy_of(e, k), machine, "replay"));
        }
        written += events::insert(&mut tx, &rows).await?;
    }
    tx.commit().await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    // What a store that grew over months looks like: its log folded into the file and
    // its statistics known.
    vigil.store().checkpoint().await?;
    vigil.store().analyze().await?;

    let mut rng = Lcg(0x5eed);
    let mut latencies = Vec::new();
    let mut window_events = 0u64;
    for _ in 0..samples {
        let (i, m) = &hits[rng.below(hits.len())];
        let k = rng.below(copies as usize) as u32;
        let (_, alert) = sigma_alert(&copy_of(&base[*i], k), m, machine);
        let raised = vigil.file_alert(alert).await?;
        let investigation = match raised.investigation {
            Some(id) if raised.routing == Routing::Started => id,
            _ => {
                let (id, _) = vigil
                    .start_alert_investigation(raised.alert as u32, "bench")
                    .await?;
                i64::from(id)
            }
        };
        let t = Instant::now();
        let status = vigil.run_investigation(investigation).await?;
        latencies.push(t.elapsed());
        let read =
            log::telemetry_read(&mut *vigil.store().pool().acquire().await?, investigation).await?;
        window_events += read
            .split(" events from ")
            .filter_map(|part| part.rsplit(' ').next()?.parse::<u64>().ok())
            .sum::<u64>();
        if status.is_open() {
            vigil
                .cancel_investigation(investigation as u32, "bench")
                .await?;
        }
    }
    latencies.sort();
    Ok(RealShapeBench {
        records: base.len() as u64,
        rule_hits: hits.len() as u64,
        copies,
        machine_events: written,
        seed_seconds,
        investigations: latencies.len() as u32,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: percentile(&latencies, 1.0),
        mean_window_events: window_events as f64 / f64::from(samples.max(1)),
    })
}
