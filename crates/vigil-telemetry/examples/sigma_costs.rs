//! What loading and compiling Sigma rules costs, the numbers behind the lazy engine's
//! choices: loading the default rules' index, indexing a user's rule folder line by line
//! against parsing it with rsigma, compiling what a telemetry file's records need (and
//! evaluating them again once compiled), and compiling everything.
//!
//! Usage: `cargo run --release -p vigil-telemetry --example sigma_costs -- [--rules DIR] [FILE…]`
//! (memory is the process's resident set, read on Linux).

use std::path::PathBuf;
use std::time::Instant;

use vigil_telemetry::{Reader, Record, RuleSources, SigmaEngine, SigmaHqRules};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut rules, mut files) = (None, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rules" => rules = args.next().map(PathBuf::from),
            _ => files.push(PathBuf::from(arg)),
        }
    }

    let before = rss_mb();
    let t = Instant::now();
    let Ok((defaults, report)) = SigmaEngine::builtin_and_dirs(&[]) else {
        eprintln!("the default rules do not load");
        return;
    };
    println!(
        "default rules' index: {} rules in {:.1} ms, +{:.1} MB",
        report.loaded,
        ms(t),
        rss_mb() - before
    );
    drop(defaults);

    if let Some(dir) = &rules {
        let only = |dirs: Vec<PathBuf>| RuleSources {
            sigmahq: SigmaHqRules::Off,
            user_dirs: dirs,
        };
        let t = Instant::now();
        let indexed = SigmaEngine::load(&only(vec![dir.clone()]));
        let light = ms(t);
        let t = Instant::now();
        let mut paths = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                    paths.push(p);
                }
            }
        }
        let parsed: usize = paths
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| rsigma_parser::parse_sigma_yaml(&t).ok())
            .map(|c| c.rules.len())
            .sum();
        println!(
            "{}: indexed lightly in {light:.1} ms ({} rules); parsed by rsigma in {:.1} ms ({parsed} rules)",
            dir.display(),
            indexed.map(|(e, _)| e.rule_count()).unwrap_or(0),
            ms(t)
        );
    }

    for file in &files {
        let records: Vec<Record> = match Reader::open(file) {
            Ok(r) => r.flatten().collect(),
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        let Ok((engine, _)) = SigmaEngine::builtin_and_dirs(&[]) else {
            continue;
        };
        let before = rss_mb();
        let t = Instant::now();
        let matches: usize = records.iter().map(|r| engine.evaluate(r).len()).sum();
        let first = ms(t);
        let t = Instant::now();
        for r in &records {
            engine.evaluate(r);
        }
        let again = ms(t);
        let c = engine.compiled();
        println!(
            "{}: {} records, {matches} matches: {first:.1} ms first ({} of {} partitions, {} rules compiled, +{:.1} MB), {again:.2} ms again",
            file.display(),
            records.len(),
            c.partitions,
            c.partitions_total,
            c.rules,
            rss_mb() - before
        );
    }

    let Ok((engine, _)) = SigmaEngine::builtin_and_dirs(&[]) else {
        return;
    };
    let before = rss_mb();
    let t = Instant::now();
    engine.compile_all();
    let c = engine.compiled();
    println!(
        "every default rule compiled: {:.1} ms, {} partitions, {} rules, +{:.1} MB",
        ms(t),
        c.partitions,
        c.rules,
        rss_mb() - before
    );
}
