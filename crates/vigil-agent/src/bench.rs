//! `vigil-agent bench`: an office of simulated agents against a console in this process,
//! over real TLS on loopback, with a real store. Each simulated agent enrols with a token,
//! keeps a session, sends Sysmon process starts at a steady rate (numbered, kept until
//! acknowledged, sent again after a reconnect as the agent's outbox is) and carries out the
//! console's commands with a real `local` connector on a folder of its own. Prints: events
//! sent and stored (lost, duplicated), the delay from sending to the console's commit
//! (p50/p99), the time for every agent to be back after the console restarts, and the time
//! from approval to done of quarantines on online agents (p50/p99). With `--idle`, also the
//! CPU and memory of a real `vigil-agent run` process left idle.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use vigil_channel::agent::AgentDir;
use vigil_channel::frame::{self, Item, ToAgent, ToConsole};
use vigil_engine::connectors::wire::{carry_out, fit, Command};
use vigil_engine::connectors::MachineRef;
use vigil_engine::{ActionFilter, OpenOptions, Vigil};
use vigil_local::scan::{Hit, HitKind};
use vigil_local::{Detection, LocalConfig, LocalConnector};

use crate::outbox::Result;
use crate::run::{jitter, MAX_BACKOFF};

/// What the bench is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub agents: usize,
    /// Events a second, per agent.
    pub rate: u64,
    pub seconds: u64,
    /// Quarantines approved one after another (on as many agents, round robin).
    pub actions: usize,
    /// Seconds a real agent process is watched idle (0: not measured).
    pub idle: u64,
}

/// One simulated agent's state, shared between its session tasks and the bench.
struct Sim {
    dir: AgentDir,
    hostname: String,
    connector: Arc<LocalConnector>,
    home: PathBuf,
    /// Items not yet acknowledged, oldest first, and when each batch was first sent.
    unacked: Mutex<VecDeque<(Item, Option<Instant>)>>,
    next_seq: AtomicU64,
    acked: AtomicU64,
    /// Send-to-commit delays of acknowledged items, in microseconds.
    delays: Mutex<Vec<u64>>,
    sessions: AtomicUsize,
    in_session: AtomicBool,
}

impl Sim {
    fn event(&self, seq: u64) -> Item {
        Item {
            seq,
            kind: "event".into(),
            body: json!({
                "@timestamp": vigil_engine::clock::now(),
                "Hostname": self.hostname,
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "SourceName": "Microsoft-Windows-Sysmon",
                "EventID": 1,
                "User": "OFFICE\\anna",
                "ProcessId": 4000 + seq % 1000,
                "Image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
                "CommandLine": format!("\"WINWORD.EXE\" /n \"C:\\Users\\anna\\Documents\\minutes-{seq}.docx\""),
                "ParentProcessId": 3000,
                "ParentImage": "C:\\Windows\\explorer.exe",
            }),
        }
    }

    fn push(&self, item: Item) {
        lock(&self.unacked).push_back((item, None));
    }

    /// The console holds everything up to `upto`: those items go, and their delays count.
    fn acked(&self, upto: u64) {
        let now = Instant::now();
        self.acked.fetch_max(upto, Ordering::SeqCst);
        let mut unacked = lock(&self.unacked);
        let mut delays = lock(&self.delays);
        while unacked.front().is_some_and(|(i, _)| i.seq <= upto) {
            if let Some((_, Some(sent))) = unacked.pop_front() {
                delays
                    .push(u64::try_from(now.duration_since(sent).as_micros()).unwrap_or(u64::MAX));
            }
        }
    }

    /// Items to send (not yet sent in this session), at most `max`; marks them sent.
    fn to_send(&self, after: u64, max: usize) -> Vec<Item> {
        let now = Instant::now();
        let mut unacked = lock(&self.unacked);
        unacked
            .iter_mut()
            .filter(|(i, _)| i.seq > after)
            .take(max)
            .map(|(item, sent)| {
                sent.get_or_insert(now);
                item.clone()
            })
            .collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One session of a simulated agent, until the connection ends.
async fn session(sim: &Arc<Sim>) -> Result<()> {
    let started = sim
        .dir
        .start(&sim.hostname, None)
        .await
        .map_err(|e| e.to_string())?;
    sim.acked(started.acked);
    sim.sessions.fetch_add(1, Ordering::SeqCst);
    sim.in_session.store(true, Ordering::SeqCst);
    let (mut reader, writer) = tokio::io::split(started.tls);
    let (out, writing) = frame::writer::<_, ToConsole>(writer);
    let sending = {
        let (sim, out) = (sim.clone(), out.clone());
        tokio::spawn(async move {
            let mut sent = sim.acked.load(Ordering::SeqCst);
            loop {
                let items = sim.to_send(sent, 1000);
                if let Some(last) = items.last() {
                    sent = last.seq;
                    if out.send(ToConsole::Send { items }).is_err() {
                        break;
                    }
                }
                tokio::time::sleep(crate::run::SEND_EVERY).await;
            }
        })
    };
    let machine = MachineRef {
        id: 0,
        name: sim.hostname.clone(),
        os_family: std::env::consts::OS.into(),
    };
    let ended = loop {
        match frame::read::<_, ToAgent>(&mut reader).await {
            Ok(Some(ToAgent::Acked { upto })) => sim.acked(upto),
            Ok(Some(ToAgent::Command { id, body, .. })) => {
                let (connector, out, machine) =
                    (sim.connector.clone(), out.clone(), machine.clone());
                tokio::spawn(async move {
                    let answer = match serde_json::from_value::<Command>(body) {
                        Ok(command) => fit(
                            carry_out(connector.as_ref(), &machine, command).await,
                            crate::run::ANSWER_BYTES,
                        ),
                        Err(e) => vigil_engine::connectors::wire::Answer::Failed {
                            error: e.to_string(),
                        },
                    };
                    let result = serde_json::to_value(answer).unwrap_or_default();
                    let _ = out.send(ToConsole::Answer {
                        command: id,
                        result,
                    });
                });
            }
            Ok(Some(_)) => {}
            Ok(None) => break Ok(()),
            Err(e) => break Err(e.to_string()),
        }
    };
    sim.in_session.store(false, Ordering::SeqCst);
    sending.abort();
    writing.abort();
    ended
}

/// A simulated agent: sessions one after another, with the agent's backoff between them.
async fn keep_in_touch(sim: Arc<Sim>) {
    let mut backoff = Duration::from_millis(500);
    loop {
        if session(&sim).await.is_ok() {
            backoff = Duration::from_millis(500);
        }
        tokio::time::sleep(backoff + jitter()).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

async fn within(secs: u64, mut ready: impl FnMut() -> bool) -> Option<Duration> {
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(secs) {
        if ready() {
            return Some(began.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Runs the bench in a fresh folder under `dir` and prints its figures.
pub async fn bench(plan: &Plan, dir: &Path) -> Result<()> {
    let e = |e: vigil_engine::Error| e.to_string();
    let vigil = Vigil::open(OpenOptions {
        db: Some(dir.join("console/vigil.sqlite3")),
        ..OpenOptions::default()
    })
    .await
    .map_err(e)?;
    let (address, console) = vigil.serve_agents("127.0.0.1:0").await.map_err(e)?;
    let uses = u32::try_from(plan.agents + 1).unwrap_or(u32::MAX);
    let token = vigil
        .add_agent_token(std::slice::from_ref(&address), uses, 1)
        .map_err(e)?;
    println!(
        "bench agents: {} simulated agents x {} events/s for {} s, console on {address}",
        plan.agents, plan.rate, plan.seconds
    );
    let began = Instant::now();
    let mut sims = Vec::with_capacity(plan.agents);
    for n in 0..plan.agents {
        let hostname = format!("ws-{n:03}");
        let base = dir.join(&hostname);
        let home = base.join("home");
        std::fs::create_dir_all(home.join("Downloads")).map_err(|e| e.to_string())?;
        let agent = AgentDir::new(&base.join("data"));
        agent
            .enrol(&token, &hostname)
            .await
            .map_err(|e| e.to_string())?;
        let config = LocalConfig::new(base.join("data"), home.clone(), base.join("hosts"));
        sims.push(Arc::new(Sim {
            dir: agent,
            hostname,
            connector: LocalConnector::new(config),
            home,
            unacked: Mutex::new(VecDeque::new()),
            next_seq: AtomicU64::new(1),
            acked: AtomicU64::new(0),
            delays: Mutex::new(Vec::new()),
            sessions: AtomicUsize::new(0),
            in_session: AtomicBool::new(false),
        }));
    }
    println!(
        "  enrolled {} agents in {:.2} s",
        plan.agents,
        began.elapsed().as_secs_f64()
    );
    let tasks: Vec<_> = sims
        .iter()
        .map(|s| tokio::spawn(keep_in_touch(s.clone())))
        .collect();
    let all_in = || sims.iter().all(|s| s.in_session.load(Ordering::SeqCst));
    let connected = within(60, all_in)
        .await
        .ok_or("not every agent connected within 60 s")?;
    println!("  all in session after {:.2} s", connected.as_secs_f64());

    // Steady telemetry: each agent adds rate/10 events every 100 ms.
    let cpu_before = cpu_seconds();
    let ticks = plan.seconds * 10;
    let per_tick = (plan.rate / 10).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for _ in 0..ticks {
        tick.tick().await;
        for sim in &sims {
            for _ in 0..per_tick {
                let seq = sim.next_seq.fetch_add(1, Ordering::SeqCst);
                sim.push(sim.event(seq));
            }
        }
    }
    let sent: u64 = sims
        .iter()
        .map(|s| s.next_seq.load(Ordering::SeqCst) - 1)
        .sum();
    let drained = within(120, || sims.iter().all(|s| lock(&s.unacked).is_empty())).await;
    let cpu = cpu_seconds() - cpu_before;
    let stored = u64::from(vigil.overview().await.map_err(e)?.events);
    let mut delays: Vec<u64> = sims.iter().flat_map(|s| lock(&s.delays).clone()).collect();
    delays.sort_unstable();
    println!(
        "  events: {sent} sent, {stored} stored ({} lost, {} duplicated){}",
        sent.saturating_sub(stored),
        stored.saturating_sub(sent),
        if drained.is_some() {
            ""
        } else {
            "; NOT all acknowledged within 120 s"
        }
    );
    println!(
        "  send to commit: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} items)",
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        percentile(&delays, 1.0),
        delays.len()
    );
    println!(
        "  process CPU during the run: {cpu:.1} s in {:.1} s (console and simulated agents together)",
        plan.seconds as f64 + drained.map_or(120.0, |d| d.as_secs_f64())
    );

    // The console restarts: every agent is back in session.
    console.abort();
    let _ = console.await;
    let gone = within(10, || {
        sims.iter().all(|s| !s.in_session.load(Ordering::SeqCst))
    })
    .await;
    if gone.is_none() {
        println!("  (some sessions did not notice the console stopping within 10 s)");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restarted = Instant::now();
    let (_, console) = vigil.serve_agents(&address).await.map_err(e)?;
    let back = within(60, all_in).await;
    match back {
        Some(_) => println!(
            "  console restart (down 2 s): all {} agents back in session in {:.2} s",
            plan.agents,
            restarted.elapsed().as_secs_f64()
        ),
        None => println!("  console restart: NOT all agents back within 60 s"),
    }

    // Quarantines approved on online agents, one at a time.
    let mut took = Vec::new();
    for n in 0..plan.actions {
        let sim = &sims[n % sims.len()];
        let path = sim.home.join("Downloads").join(format!("invoice-{n}.com"));
        std::fs::write(&path, format!("bench payload {n}")).map_err(|e| e.to_string())?;
        let sha = vigil_local::scan::sha256_file(&path).map_err(|e| e.to_string())?;
        let hit = Hit {
            path: path.clone(),
            sha256: sha,
            kind: HitKind::Yara {
                rule: "Bench_Payload".into(),
                description: "a file the bench plants".into(),
                severity: "high".into(),
                category: "malware".into(),
            },
        };
        let alert =
            serde_json::to_value(Detection::File { hit }.alert(0)).map_err(|e| e.to_string())?;
        let seq = sim.next_seq.fetch_add(1, Ordering::SeqCst);
        sim.push(Item {
            seq,
            kind: "alert".into(),
            body: alert,
        });
        let name = format!("invoice-{n}.com");
        let mut pending = None;
        let until = Instant::now() + Duration::from_secs(30);
        while pending.is_none() && Instant::now() < until {
            pending = vigil
                .actions(ActionFilter::Pending)
                .await
                .map_err(e)?
                .into_iter()
                .find(|a| a.entity.as_deref() == Some(name.as_str()));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let Some(action) = pending else {
            let found = vigil
                .investigations(&vigil_engine::InvestigationFilter::default())
                .await
                .map_err(e)?;
            let said: Vec<String> = found
                .iter()
                .map(|i| format!("#{} {}: {}", i.id, i.status.as_str(), i.status_detail))
                .collect();
            return Err(format!(
                "no quarantine of {name} proposed within 30 s; investigations: {}",
                said.join("; ")
            ));
        };
        let approving = Instant::now();
        let done = vigil
            .approve(&[action.id], "bench", None)
            .await
            .map_err(e)?;
        took.push(u64::try_from(approving.elapsed().as_micros()).unwrap_or(u64::MAX));
        if done
            .first()
            .is_none_or(|a| a.state != vigil_engine::domain::ActionState::Succeeded)
            || path.exists()
        {
            return Err(format!(
                "the quarantine of {name} did not succeed: {done:?}"
            ));
        }
    }
    took.sort_unstable();
    if !took.is_empty() {
        println!(
            "  approval to done ({} quarantines on online agents): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            took.len(),
            percentile(&took, 0.5),
            percentile(&took, 0.99),
            percentile(&took, 1.0)
        );
    }
    console.abort();
    for task in tasks {
        task.abort();
    }
    if plan.idle > 0 {
        idle(plan, dir, &vigil).await?;
    }
    vigil.close().await;
    Ok(())
}

/// A real `vigil-agent run` left idle for `plan.idle` seconds: its CPU share and memory.
async fn idle(plan: &Plan, dir: &Path, vigil: &Vigil) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let base = dir.join("idle");
        let home = base.join("home");
        std::fs::create_dir_all(home.join("Downloads")).map_err(|e| e.to_string())?;
        let token_file = base.join("token");
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let agent = |args: &[&str]| {
            let mut c = std::process::Command::new(&exe);
            c.arg("--data")
                .arg(base.join("data"))
                .args(["--hostname", "ws-idle"])
                .args(args)
                .env("HOME", &home)
                .env("TMPDIR", &home)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            c
        };
        let (address, console) = vigil
            .serve_agents("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let token = vigil
            .add_agent_token(&[address], 1, 1)
            .map_err(|e| e.to_string())?;
        std::fs::write(&token_file, token).map_err(|e| e.to_string())?;
        let status = agent(&["enrol", "--token-file", &token_file.display().to_string()])
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("the idle agent could not enrol".into());
        }
        let mut child = agent(&["run"]).spawn().map_err(|e| e.to_string())?;
        let pid = child.id();
        // Start-up (YARA rules, first scan) is not idle.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let before = proc_cpu(pid)?;
        tokio::time::sleep(Duration::from_secs(plan.idle)).await;
        let after = proc_cpu(pid)?;
        let rss = proc_rss_kib(pid)?;
        let _ = child.kill();
        let _ = child.wait();
        console.abort();
        println!(
            "  idle agent process over {} s: {:.3} % of a core, {:.1} MB resident",
            plan.idle,
            (after - before) / plan.idle as f64 * 100.0,
            rss as f64 / 1024.0
        );
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (plan, dir, vigil);
        println!("  idle agent: measured on Linux only");
    }
    Ok(())
}

/// A process's user + system CPU seconds, from `/proc/PID/stat`.
#[cfg(target_os = "linux")]
fn proc_cpu(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name.
    Ok((ticks(11) + ticks(12)) / 100.0)
}

/// A process's resident memory in KiB, from `/proc/PID/status`.
#[cfg(target_os = "linux")]
fn proc_rss_kib(pid: u32) -> Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// This process's CPU seconds.
fn cpu_seconds() -> f64 {
    #[cfg(target_os = "linux")]
    {
        proc_cpu(std::process::id()).unwrap_or(0.0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        0.0
    }
}
