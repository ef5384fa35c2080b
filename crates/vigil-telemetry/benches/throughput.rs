//! Throughput on the shared fixtures: raw `evtx` parsing, Vigil's reader (parse +
//! normalise), and Sigma evaluation with the full SigmaHQ rule set.
//! Run: `cargo bench -p vigil-telemetry --bench throughput` (prints SKIPPED without fixtures).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vigil_telemetry::{Reader, Record, SigmaEngine};

fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            evtx_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "evtx") {
            out.push(p);
        }
    }
}

/// Runs `f` (which returns how many items it did) until at least `min` has passed.
fn rate(min: Duration, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let start = Instant::now();
    let mut items = 0;
    let mut rounds = 0;
    while start.elapsed() < min || rounds == 0 {
        items += f();
        rounds += 1;
    }
    (items as f64 / start.elapsed().as_secs_f64(), items / rounds)
}

fn main() {
    // `cargo test --all-targets` runs benches too (in debug, without `--bench`): skip.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benchmark: run it with `cargo bench` (skipped under cargo test)");
        return;
    }
    // `$VIGIL_SHARED_FIXTURES` for a checkout that is not beside `shared/` (a git worktree).
    let fixtures = std::env::var_os("VIGIL_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"));
    if !fixtures.is_dir() {
        println!("SKIPPED: ../shared/fixtures is absent");
        return;
    }
    let mut files = Vec::new();
    evtx_files(&fixtures, &mut files);
    files.sort();
    let min = Duration::from_secs(3);

    let (raw_rate, per_round) = rate(min, || {
        let mut n = 0;
        for f in &files {
            let Ok(mut parser) = evtx::EvtxParser::from_path(f) else {
                continue;
            };
            let settings = evtx::ParserSettings::new().num_threads(1).indent(false);
            parser = parser.with_configuration(settings);
            n += parser.records_json().filter(|r| r.is_ok()).count();
        }
        n
    });
    println!(
        "evtx records_json (1 thread): {raw_rate:>10.0} records/s ({per_round} records in {} files)",
        files.len()
    );

    let (ours, _) = rate(min, || {
        files
            .iter()
            .filter_map(|f| Reader::open(f).ok())
            .map(|r| r.filter(|x| x.is_ok()).count())
            .sum()
    });
    println!("vigil Reader (parse + normalise): {ours:>10.0} records/s");

    let zips: Vec<PathBuf> = std::fs::read_dir(fixtures.join("Security-Datasets"))
        .map(|_| {
            let mut v = Vec::new();
            let mut stack = vec![fixtures.join("Security-Datasets")];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "zip") {
                        v.push(p);
                    }
                }
            }
            v
        })
        .unwrap_or_default();
    let (json_rate, json_n) = rate(min, || {
        zips.iter()
            .filter_map(|f| Reader::open(f).ok())
            .map(|r| r.filter(|x| x.is_ok()).count())
            .sum()
    });
    println!("vigil Reader, zipped JSON lines: {json_rate:>10.0} records/s ({json_n} records)");

    let start = Instant::now();
    let Ok((engine, report)) = SigmaEngine::from_dirs(&[fixtures.join("sigma-rules")]) else {
        println!("SKIPPED: sigma-rules unreadable");
        return;
    };
    println!(
        "SigmaHQ load: {} rules loaded, {} skipped, in {:.2} s",
        report.loaded,
        report.skipped.len(),
        start.elapsed().as_secs_f64()
    );
    let mut records: Vec<Record> = files
        .iter()
        .filter_map(|f| Reader::open(f).ok())
        .flat_map(|r| r.flatten())
        .collect();
    records.extend(
        zips.iter()
            .filter_map(|f| Reader::open(f).ok())
            .flat_map(|r| r.flatten()),
    );
    let mut matches = 0;
    let (eval_rate, _) = rate(min, || {
        matches = records.iter().map(|r| engine.evaluate(r).len()).sum();
        records.len()
    });
    println!(
        "Sigma evaluate ({} rules, 1 thread): {eval_rate:>10.0} events/s ({} events, {matches} matches per pass)",
        engine.rule_count(),
        records.len()
    );
}
