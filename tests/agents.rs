//! The office's agents as real processes: a console (`vigil serve`, or the engine in this
//! test process as the app runs it), an enrolment token, `vigil-agent` processes each with
//! its own data folder, HOME and temp folder, over real TLS on loopback: they enrol and
//! report in; a revoked one is refused; EICAR on two of them becomes one investigation whose
//! approved quarantines run on both and whose undo restores both; an outage of the console
//! loses and duplicates nothing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `vigil serve` on a free port; returns it and the address it listens on.
fn serve(db: &Path) -> (Serve, String) {
    let mut child = Command::new(vigil_tests::built_binary("vigil"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("its first line");
    let address = first
        .strip_prefix("listening for agents on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("vigil serve said {first:?}"))
        .to_string();
    (Serve(child), address)
}

fn agent(data: &Path, name: &str, args: &[&str]) -> std::process::Output {
    Command::new(vigil_tests::built_binary("vigil-agent"))
        .arg("--data")
        .arg(data)
        .args(["--hostname", name])
        .args(args)
        .output()
        .expect("vigil-agent")
}

#[test]
fn three_agents_enrol_report_in_and_a_revoked_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let (_serve, address) = serve(&db);
    let token =
        vigil_tests::vigil_json(&db, ["agents", "add", "--address", &address, "--uses", "3"]);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token["token"].as_str().expect("token")).expect("write");
    let names = ["ws-anna", "ws-bob", "ws-carol"];
    for name in names {
        let data = dir.path().join(name);
        let out = agent(
            &data,
            name,
            &["enrol", "--token-file", token_file.to_str().expect("path")],
        );
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = agent(&data, name, &["run", "--once"]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The token is spent: a fourth machine is refused, and says why.
    let out = agent(
        &dir.path().join("ws-dave"),
        "ws-dave",
        &["enrol", "--token-file", token_file.to_str().expect("path")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has been used"));

    let agents = vigil_tests::vigil_json(&db, ["agents", "list"]);
    assert_eq!(agents.as_array().map(Vec::len), Some(3), "{agents}");
    for a in agents.as_array().into_iter().flatten() {
        assert!(a["last_seen"].is_string(), "each said hello: {a}");
        assert_eq!(a["version"], env!("CARGO_PKG_VERSION"), "{a}");
        assert_eq!(
            a["online"], false,
            "each left after its hello (--once): {a}"
        );
    }
    // The console's machines: each agent's, with the agent connector.
    let machines = vigil_tests::vigil_json(&db, ["machines"]);
    for name in names {
        let m = machines
            .as_array()
            .and_then(|all| all.iter().find(|m| m["name"] == name))
            .unwrap_or_else(|| panic!("{name} in {machines}"));
        assert_eq!(m["connector"], "agent", "{m}");
    }

    let bob = agents
        .as_array()
        .and_then(|all| all.iter().find(|a| a["machine"] == "ws-bob"))
        .expect("bob");
    vigil_tests::vigil_json(&db, ["agents", "revoke", bob["id"].as_str().expect("id")]);
    let out = agent(&dir.path().join("ws-bob"), "ws-bob", &["run", "--once"]);
    assert!(!out.status.success(), "a revoked agent is refused");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("CertificateRevoked") || said.contains("may be revoked or expired"),
        "{said}"
    );
    let out = agent(&dir.path().join("ws-anna"), "ws-anna", &["run", "--once"]);
    assert!(out.status.success(), "the others still report in");
}

/// An agent process that is killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An office machine for an agent: its data folder, HOME (with Downloads) and temp folder.
struct Desk {
    name: &'static str,
    data: std::path::PathBuf,
    home: std::path::PathBuf,
    tmp: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl Desk {
    fn new(root: &Path, name: &'static str) -> Desk {
        let base = root.join(name);
        let desk = Desk {
            name,
            data: base.join("data"),
            home: base.join("home"),
            tmp: base.join("tmp"),
            log: base.join("agent.log"),
        };
        std::fs::create_dir_all(desk.home.join("Downloads")).expect("Downloads");
        std::fs::create_dir_all(&desk.tmp).expect("tmp");
        desk
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(vigil_tests::built_binary("vigil-agent"));
        command
            .arg("--data")
            .arg(&self.data)
            .args(["--hostname", self.name])
            .args(args)
            .env("HOME", &self.home)
            .env("TMPDIR", &self.tmp)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1");
        command
    }

    fn enrol(&self, token_file: &Path) {
        let out = self
            .command(&["enrol", "--token-file", token_file.to_str().expect("path")])
            .output()
            .expect("vigil-agent enrol");
        assert!(
            out.status.success(),
            "{}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn run(&self) -> Running {
        self.run_with(None)
    }

    /// Runs the agent, with a fail point armed if `failpoint` names one.
    fn run_with(&self, failpoint: Option<&str>) -> Running {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log");
        let mut command = self.command(&["run", "--every", "2"]);
        if let Some(name) = failpoint {
            command.env("VIGIL_FAILPOINT", name);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("vigil-agent run");
        Running(child)
    }

    fn downloads(&self, file: &str) -> std::path::PathBuf {
        self.home.join("Downloads").join(file)
    }

    fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The EICAR test file: harmless, and every scanner's YARA rules know it.
const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// Waits until `ready` gives something, at most `secs` seconds; else fails, with what the
/// agents of `desks` logged.
async fn within<T, F>(secs: u64, what: &str, desks: &[Desk], mut ready: impl FnMut() -> F) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(found) = ready().await {
            return found;
        }
        if std::time::Instant::now() > until {
            let logs: Vec<String> = desks
                .iter()
                .map(|d| format!("--- {}:\n{}", d.name, d.said()))
                .collect();
            panic!("not within {secs} s: {what}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eicar_on_two_agents_is_one_investigation_whose_approval_quarantines_both_and_undo_restores_both(
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vigil, token_file) = console(dir.path(), 3).await;
    let desks = [
        Desk::new(dir.path(), "ws-anna"),
        Desk::new(dir.path(), "ws-bob"),
        Desk::new(dir.path(), "ws-carol"),
    ];
    // Carol keeps an ordinary file, which nothing must touch.
    std::fs::write(desks[2].downloads("notes.txt"), b"minutes of Monday").expect("write");
    for desk in &desks {
        desk.enrol(&token_file);
    }
    let _agents: Vec<Running> = desks.iter().map(Desk::run).collect();
    within(30, "three agents online", &desks, || async {
        let agents = vigil.agents().ok()?;
        (agents.len() == 3 && agents.iter().all(|a| a.online)).then_some(())
    })
    .await;

    // The same file lands in Anna's and Bob's Downloads.
    std::fs::write(desks[0].downloads("invoice.com"), EICAR).expect("write");
    std::fs::write(desks[1].downloads("report.com"), EICAR).expect("write");
    let (pending, investigations) = two_quarantines_proposed(&vigil, &desks).await;
    assert_eq!(
        investigations.len(),
        1,
        "one attack, one investigation: {investigations:?}"
    );
    let mut machines = investigations[0].machine_names.clone();
    machines.sort();
    assert_eq!(machines, ["ws-anna", "ws-bob"]);
    let mut targets: Vec<(String, String)> = pending
        .iter()
        .map(|a| {
            assert_eq!(a.label, "Quarantine file", "{a:?}");
            (
                a.machine.clone().unwrap_or_default(),
                a.entity.clone().unwrap_or_default(),
            )
        })
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            ("ws-anna".to_string(), "invoice.com".to_string()),
            ("ws-bob".to_string(), "report.com".to_string())
        ]
    );

    // Approving runs both on their agents, at once.
    let ids: Vec<u32> = pending.iter().map(|a| a.id).collect();
    let done = vigil.approve(&ids, "admin", None).await.expect("approve");
    for action in &done {
        assert_eq!(
            action.state,
            vigil_engine::domain::ActionState::Succeeded,
            "{action:?}\n{}\n{}",
            desks[0].said(),
            desks[1].said()
        );
    }
    assert!(!desks[0].downloads("invoice.com").exists());
    assert!(!desks[1].downloads("report.com").exists());
    assert_eq!(
        std::fs::read(desks[2].downloads("notes.txt")).expect("carol's file"),
        b"minutes of Monday"
    );
    for desk in &desks[..2] {
        assert!(
            std::fs::read_dir(desk.data.join("quarantine"))
                .map(|d| d.count())
                .unwrap_or(0)
                > 0,
            "{}'s vault holds the file",
            desk.name
        );
    }

    // Undo brings both back, byte for byte.
    vigil.undo(&ids, "admin").await.expect("undo");
    assert_eq!(
        std::fs::read(desks[0].downloads("invoice.com")).expect("back"),
        EICAR
    );
    assert_eq!(
        std::fs::read(desks[1].downloads("report.com")).expect("back"),
        EICAR
    );
}

/// Waits until two quarantines are proposed; returns them and the investigations then.
async fn two_quarantines_proposed(
    vigil: &vigil_engine::Vigil,
    desks: &[Desk],
) -> (
    Vec<vigil_engine::domain::ActionView>,
    Vec<vigil_engine::domain::InvestigationSummary>,
) {
    let pending = within(60, "both quarantines proposed", desks, || async {
        let pending = vigil
            .actions(vigil_engine::ActionFilter::Pending)
            .await
            .ok()?;
        (pending.len() == 2).then_some(pending)
    })
    .await;
    let investigations = vigil
        .investigations(&vigil_engine::InvestigationFilter::default())
        .await
        .expect("investigations");
    (pending, investigations)
}

/// A console in this process, as the app runs it, and a token file for `uses` machines.
async fn console(root: &Path, uses: u32) -> (vigil_engine::Vigil, std::path::PathBuf) {
    let vigil = vigil_engine::Vigil::open(vigil_engine::OpenOptions {
        db: Some(root.join("console/vigil.sqlite3")),
        ..vigil_engine::OpenOptions::default()
    })
    .await
    .expect("open");
    let (address, _listening) = vigil.serve_agents("127.0.0.1:0").await.expect("serve");
    let token = vigil.add_agent_token(&[address], uses, 1).expect("token");
    let token_file = root.join("token");
    std::fs::write(&token_file, token).expect("write");
    (vigil, token_file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_while_carrying_out_an_action_carries_it_out_once_when_it_is_back() {
    use vigil_engine::domain::ActionState;
    use vigil_engine::failpoint::{AGENT_CARRIED_OUT, AGENT_JOURNALLED};
    for failpoint in [AGENT_JOURNALLED, AGENT_CARRIED_OUT] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (vigil, token_file) = console(dir.path(), 1).await;
        let desk = Desk::new(dir.path(), "ws-anna");
        desk.enrol(&token_file);
        let desks = [desk];
        let desk = &desks[0];
        let mut agent = desk.run_with(Some(failpoint));
        std::fs::write(desk.downloads("invoice.com"), EICAR).expect("write");
        let pending = within(60, "a quarantine proposed", &desks, || async {
            let pending = vigil
                .actions(vigil_engine::ActionFilter::Pending)
                .await
                .ok()?;
            (pending.len() == 1).then_some(pending)
        })
        .await;
        let id = pending[0].id;
        // The agent stops (killed) halfway: the action waits for its machine, not failed.
        let decided = vigil.approve(&[id], "admin", None).await.expect("approve");
        assert_eq!(
            decided[0].state,
            ActionState::WaitingForMachine,
            "{failpoint}: {:?}",
            decided[0]
        );
        let status = agent.0.wait().expect("the agent ended");
        assert!(!status.success(), "{failpoint}: it aborted");
        assert_eq!(
            desk.downloads("invoice.com").exists(),
            failpoint == AGENT_JOURNALLED,
            "{failpoint}: journalled only, or carried out"
        );
        // Back again, it finishes the command; the console's second ask gets its answer.
        agent = desk.run();
        let done = within(30, "the action succeeded", &desks, || async {
            let all = vigil
                .actions(vigil_engine::ActionFilter::History)
                .await
                .ok()?;
            all.into_iter()
                .find(|a| a.id == id && a.state == ActionState::Succeeded)
        })
        .await;
        assert!(
            done.result.contains("moved to quarantine"),
            "{failpoint}: {done:?}"
        );
        assert!(!desk.downloads("invoice.com").exists());
        let vault: Vec<_> = std::fs::read_dir(desk.data.join("quarantine"))
            .expect("vault")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            vault.len(),
            2,
            "{failpoint}: one file and its record: {vault:?}"
        );
        let log = desk.said();
        // Killed after journalling: carried out once, after the restart. Killed after
        // carrying out: asked again after the restart, which finds the file in the vault.
        let expected = if failpoint == AGENT_JOURNALLED { 1 } else { 2 };
        assert_eq!(
            log.matches("carrying out command=\"execute-").count(),
            expected,
            "{failpoint}\n{log}"
        );
        drop(agent);
    }
}

/// A free port on loopback (the console comes back on the same one).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `vigil serve` on `listen`, with a fail point armed if `failpoint` names one.
fn serve_on(db: &Path, listen: &str, failpoint: Option<&str>) -> Serve {
    let mut command = Command::new(vigil_tests::built_binary("vigil"));
    command
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(name) = failpoint {
        command.env("VIGIL_FAILPOINT", name);
    }
    let mut child = command.spawn().expect("vigil serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("its first line");
    assert!(first.starts_with("listening for agents"), "{first}");
    Serve(child)
}

/// The files named by the events the console holds for `machine`, one per event.
fn files_on_console(db: &Path, machine: &str) -> Vec<String> {
    let paths: Vec<String> = vigil_tests::read_store(db, async |pool| {
        sqlx::query_scalar(
            "SELECT e.target_path FROM events e JOIN machines m ON m.id = e.machine_id
             WHERE m.name = ? AND e.target_path IS NOT NULL",
        )
        .bind(machine)
        .fetch_all(pool)
        .await
        .expect("events")
    });
    let mut files: Vec<String> = paths
        .iter()
        .filter_map(|p| Path::new(p).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn an_outage_of_the_console_loses_no_event_and_duplicates_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("console/vigil.sqlite3");
    std::fs::create_dir_all(db.parent().expect("folder")).expect("folder");
    let listen = format!("127.0.0.1:{}", free_port());
    // The first console is killed as it is about to commit the agent's first items.
    let mut console = serve_on(
        &db,
        &listen,
        Some(vigil_engine::failpoint::AGENT_ITEMS_WRITTEN),
    );
    let token = vigil_tests::vigil_json(&db, ["agents", "add", "--address", &listen]);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token["token"].as_str().expect("token")).expect("write");
    let desk = Desk::new(dir.path(), "ws-anna");
    desk.enrol(&token_file);
    let agent = desk.run();
    std::fs::write(desk.downloads("1.txt"), b"one").expect("write");
    let status = console.0.wait().expect("the console ended");
    assert!(!status.success(), "the console aborted before its commit");
    // While the console is down: more files, and the agent itself restarts.
    std::fs::write(desk.downloads("2.txt"), b"two").expect("write");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    drop(agent);
    let agent = desk.run();
    std::fs::write(desk.downloads("3.txt"), b"three").expect("write");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    console = serve_on(&db, &listen, None);
    let expected = ["1.txt", "2.txt", "3.txt"];
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while files_on_console(&db, "ws-anna") != expected {
        assert!(
            std::time::Instant::now() < until,
            "the console has {:?}\n{}",
            files_on_console(&db, "ws-anna"),
            desk.said()
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // A while later, still each once.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(
        files_on_console(&db, "ws-anna"),
        expected,
        "{}",
        desk.said()
    );
    drop(agent);
    drop(console);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_known_only_to_the_console_finds_the_agents_that_reported_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vigil, token_file) = console(dir.path(), 2).await;
    let desks = [
        Desk::new(dir.path(), "ws-anna"),
        Desk::new(dir.path(), "ws-bob"),
    ];
    for desk in &desks {
        desk.enrol(&token_file);
    }
    let _agents: Vec<Running> = desks.iter().map(Desk::run).collect();
    // No scanner knows this file: Bob's agent reports it (path and hash) and nothing more.
    let payload = b"a tool no YARA rule knows, 2026-12-01";
    std::fs::write(desks[1].downloads("tool.bin"), payload).expect("write");
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(payload)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    within(30, "Bob's file reported to the console", &desks, || async {
        let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE sha256 = ?")
            .bind(&sha)
            .fetch_one(vigil.pool_for_tests())
            .await
            .ok()?;
        (known == 1).then_some(())
    })
    .await;
    assert!(vigil
        .investigations(&vigil_engine::InvestigationFilter::default())
        .await
        .expect("investigations")
        .is_empty());
    // The hash becomes known: the console finds Bob's machine in what its agent reported.
    let list = dir.path().join("feed.csv");
    std::fs::write(
        &list,
        format!("type,value,description\nsha256,{sha},dropper seen in the wild\n"),
    )
    .expect("write");
    vigil.import_intel(&list).await.expect("intel");
    // The same file lands on Anna's machine: her agent's event meets the list on the console.
    std::fs::write(desks[0].downloads("invoice.bin"), payload).expect("write");
    let (pending, investigations) = two_quarantines_proposed(&vigil, &desks).await;
    assert_eq!(investigations.len(), 1, "{investigations:?}");
    let mut machines = investigations[0].machine_names.clone();
    machines.sort();
    assert_eq!(machines, ["ws-anna", "ws-bob"]);
    let ids: Vec<u32> = pending.iter().map(|a| a.id).collect();
    let done = vigil.approve(&ids, "admin", None).await.expect("approve");
    assert!(
        done.iter()
            .all(|a| a.state == vigil_engine::domain::ActionState::Succeeded),
        "{done:?}"
    );
    assert!(!desks[0].downloads("invoice.bin").exists());
    assert!(!desks[1].downloads("tool.bin").exists());
}
