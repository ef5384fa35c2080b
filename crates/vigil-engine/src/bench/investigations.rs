//! Investigation latency on a large store of made-up machines, and an alert storm.

use std::time::Instant;

use serde::Serialize;

use super::percentile;
use crate::domain::{NewAlert, NewEntity, NewEvent, NewMachine, Routing, Severity};
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

/// A machine the benchmark seeded.
struct Seeded {
    id: i64,
    name: String,
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

/// Seeds `machines` machines with `events` events in all, then measures investigations
/// started from `samples` machines (p50/p99) and an alert storm of `storm` alerts.
pub async fn investigations(
    vigil: &Vigil,
    machines: u32,
    events: u64,
    samples: u32,
    storm: u32,
) -> Result<InvestigationBench> {
    if vigil.overview().await?.machines > 0 {
        return Err(Error::Conflict(
            "the benchmark needs an empty store (use --db with a new file)".into(),
        ));
    }
    let per_machine = (events / u64::from(machines.max(1))).max(4) as usize;
    let now = clock::now();
    let started = Instant::now();
    let mut seeded = Vec::with_capacity(machines as usize);
    let mut written = 0u64;
    let mut tx = vigil.store().pool().begin().await?;
    for m in 0..machines {
        let name = format!("pc{m:04}");
        let id = machines::upsert(
            &mut tx,
            &NewMachine {
                name: name.clone(),
                os: "Windows 11".into(),
                ..NewMachine::default()
            },
        )
        .await?;
        written += events::insert(&mut tx, &machine_events(id, per_machine, &now)).await?;
        seeded.push(Seeded { id, name });
    }
    tx.commit().await?;
    let seed_seconds = started.elapsed().as_secs_f64();

    let mut latencies = Vec::new();
    let step = (seeded.len() / samples.max(1) as usize).max(1);
    for (n, machine) in seeded
        .iter()
        .step_by(step)
        .take(samples as usize)
        .enumerate()
    {
        // Medium severity: the default policy leaves it to the analyst, who starts it.
        vigil
            .raise_alert(alert(
                machine.id,
                format!("bench-{n}"),
                Severity::Medium,
                &now,
            ))
            .await?;
        let t = Instant::now();
        vigil.investigate_machine(&machine.name, "bench").await?;
        latencies.push(t.elapsed());
    }
    latencies.sort();

    let before = vigil.overview().await?;
    let t = Instant::now();
    let mut raised = 0u32;
    for n in 0..storm {
        let machine = seeded[(n as usize * 7919) % seeded.len()].id;
        let r = vigil
            .raise_alert(alert(machine, format!("storm-{n}"), Severity::High, &now))
            .await?;
        if r.routing != Routing::Deduplicated {
            raised += 1;
        }
    }
    let storm_seconds = t.elapsed().as_secs_f64();
    let after = vigil.overview().await?;
    let stored = after.alerts.saturating_sub(before.alerts);
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
        storm_investigations: after.investigations.saturating_sub(before.investigations),
    })
}
