//! Crash safety: the `vigil` CLI stops at each named fail point (`VIGIL_FAILPOINT`, one
//! after each commit of an investigation step and of an action), and is killed (SIGKILL) at
//! random points, while it investigates and runs actions; then it is restarted. No action
//! may be lost or applied twice, and no investigation may stay stuck.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn vigil() -> Command {
    Command::new(vigil_tests::built_binary("vigil"))
}

fn run(db: &Path, args: &[&str]) -> Value {
    vigil_tests::vigil_json(db, args)
}

/// Starts `vigil args` and kills it after `delay`.
fn run_and_kill(db: &Path, args: &[&str], delay: Duration) {
    let mut child = vigil()
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn vigil");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn sqlite_count(db: &Path, sql: &str) -> i64 {
    vigil_tests::read_store(db, async |pool| {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.expect("count");
        n
    })
}

/// What a crash left wrong: actions lost (left undecided or unfinished), actions applied
/// more than once or not exactly once, and investigations stuck (not all settled, or the
/// attack's not remediated).
fn damage(db: &Path, what: &str) -> (i64, i64, i64) {
    let (mut lost, mut duplicated, mut stuck) = (0, 0, 0);
    lost += sqlite_count(
            db,
            "SELECT COUNT(*) FROM actions WHERE state IN ('approved', 'running', 'waiting_for_machine')",
        );
    lost += sqlite_count(db, "SELECT COUNT(*) FROM actions WHERE state = 'pending'");
    duplicated += sqlite_count(
        db,
        "SELECT COUNT(*) FROM (SELECT action_id FROM lab_journal WHERE effect NOT LIKE 'undo %'
             GROUP BY action_id HAVING COUNT(*) > 1)",
    );
    // Every succeeded action that changed the lab did so exactly once.
    duplicated += sqlite_count(
            db,
            "SELECT COUNT(*) FROM actions a WHERE a.state = 'succeeded' AND a.result NOT LIKE 'Not found: %'
               AND a.kind <> 'expand_scope'
               AND (SELECT COUNT(*) FROM lab_journal j WHERE j.action_id = a.id) <> 1",
        );
    let open = sqlite_count(
        db,
        "SELECT COUNT(*) FROM investigations WHERE status IN ('queued', 'running')",
    );
    let remediated = sqlite_count(
        db,
        "SELECT COUNT(*) FROM investigations WHERE status = 'remediated'",
    );
    if open > 0 || remediated != 1 {
        stuck += 1;
        eprintln!("{what}: {open} investigations still open, {remediated} remediated");
        eprintln!("{}", run(db, &["investigations"]));
        let actions = run(db, &["actions"]);
        for a in actions.as_array().into_iter().flatten() {
            eprintln!(
                "  action {} {} {} {}",
                a["id"], a["kind"], a["state"], a["result"]
            );
        }
    }
    (lost, duplicated, stuck)
}

/// Runs `vigil args` with the fail point `point` armed; true when it stopped there.
fn run_to(db: &Path, args: &[&str], point: &str) -> bool {
    let out = vigil()
        .arg("--db")
        .arg(db)
        .arg("--json")
        .args(args)
        .env("VIGIL_FAILPOINT", point)
        .output()
        .expect("run vigil");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reached = stderr.contains(&format!("fail point {point} reached"));
    assert!(
        reached || out.status.success(),
        "vigil {args:?} with {point} armed: {stderr}"
    );
    assert!(!(reached && out.status.success()), "a fail point aborts");
    reached
}

/// The ids of the pending actions of the first pending action's kind.
fn pending_of_one_kind(db: &Path) -> Vec<String> {
    let pending = run(db, &["actions", "--pending"]);
    let Some(first) = pending.as_array().and_then(|a| a.first()).cloned() else {
        return Vec::new();
    };
    pending
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["kind"] == first["kind"])
        .map(|a| a["id"].to_string())
        .collect()
}

#[test]
fn stopped_at_each_fail_point_then_restarted_loses_and_duplicates_no_action() {
    for &point in vigil_engine::failpoint::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("vigil.sqlite3");
        // The demo's week starts an investigation, which runs what the group's level lets
        // run on its own: every fail point can be reached while the demo loads.
        let mut reached = run_to(&db, &["demo"], point);
        run(&db, &["recover"]);
        if sqlite_count(&db, "SELECT COUNT(*) FROM investigations") == 0 {
            run(&db, &["investigate", "--machine", "client4"]);
        }
        for _ in 0..40 {
            let ids = pending_of_one_kind(&db);
            if ids.is_empty() {
                break;
            }
            let mut args = vec!["approve"];
            args.extend(ids.iter().map(String::as_str));
            if reached {
                run(&db, &args);
            } else {
                reached = run_to(&db, &args, point);
                run(&db, &["recover"]);
            }
        }
        assert!(reached, "fail point {point} was never reached");
        assert_eq!(damage(&db, point), (0, 0, 0), "stopped at {point}");
    }
}

#[test]
fn kills_at_random_points_lose_and_duplicate_no_action() {
    let runs: u64 = std::env::var("VIGIL_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let seed = 0x00c0_ffee_u64;
    let mut rng = Rng(seed);
    let (mut lost, mut duplicated, mut stuck, mut kills) = (0, 0, 0, 0);
    for round in 0..runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("vigil.sqlite3");
        // Killed while the demo loads (its office is one transaction) or while its
        // investigation runs.
        run_and_kill(&db, &["demo"], Duration::from_millis(rng.below(1500)));
        kills += 1;
        if sqlite_count(&db, "SELECT COUNT(*) FROM machines") == 0 {
            run(&db, &["demo"]);
        }
        run(&db, &["recover"]);
        if sqlite_count(&db, "SELECT COUNT(*) FROM investigations") == 0 {
            run(&db, &["investigate", "--machine", "client4"]);
        }
        // Approve what waits, one kind at a time, killing each approval at a random point.
        for attempt in 0..80 {
            let pending = run(&db, &["actions", "--pending"]);
            let Some(first) = pending.as_array().and_then(|a| a.first()).cloned() else {
                break;
            };
            let kind = first["kind"].clone();
            let ids: Vec<String> = pending
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["kind"] == kind)
                .map(|a| a["id"].to_string())
                .collect();
            let mut args = vec!["approve"];
            args.extend(ids.iter().map(String::as_str));
            if attempt < 60 {
                run_and_kill(&db, &args, Duration::from_millis(rng.below(60)));
                kills += 1;
                run(&db, &["recover"]);
            } else {
                // Kills that always land before the decision is written make no progress.
                run(&db, &args);
            }
        }
        let (l, d, st) = damage(&db, &format!("round {round}"));
        lost += l;
        duplicated += d;
        stuck += st;
    }
    eprintln!(
        "crash test: {runs} rounds, {kills} kills (seed {seed:#x}): {lost} lost, {duplicated} duplicated, {stuck} stuck"
    );
    assert_eq!((lost, duplicated, stuck), (0, 0, 0));
}
