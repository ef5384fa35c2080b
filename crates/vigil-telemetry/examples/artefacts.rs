//! Counts the artefacts in telemetry files and folders by kind and operation, or prints
//! them one JSON line each. Usage:
//! `cargo run --release --example artefacts -- [--print] <file or folder>...`

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn files_under(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
        files_under(&entry.path(), out);
    }
}

fn main() {
    let mut print = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--print" => print = true,
            path => files_under(Path::new(path), &mut files),
        }
    }
    files.sort();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut counts: BTreeMap<(&str, String), u64> = BTreeMap::new();
    let mut events: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut read, mut records) = (0, 0u64);
    for file in &files {
        let Ok(reader) = vigil_telemetry::Reader::open(file) else {
            continue;
        };
        read += 1;
        for record in reader.flatten() {
            records += 1;
            let event = record.event;
            *events.entry(event.kind.as_str()).or_default() += 1;
            let Some(artefact) = event.artefact else {
                continue;
            };
            let op = format!("{:?}", artefact.op);
            *counts.entry((artefact.kind.as_str(), op)).or_default() += 1;
            if print {
                let line = serde_json::json!({
                    "file": file.display().to_string(),
                    "event_id": event.event_id,
                    "channel": event.channel,
                    "artefact": artefact,
                });
                if writeln!(out, "{line}").is_err() {
                    return;
                }
            }
        }
    }
    if print {
        return;
    }
    println!("{read} files, {records} records");
    println!("events by kind:");
    for (kind, n) in &events {
        println!("{n:>9}  {kind}");
    }
    println!("artefacts by kind and operation:");
    let mut total = 0;
    for ((kind, op), n) in &counts {
        println!("{n:>9}  {kind} {op}");
        total += n;
    }
    println!("{total:>9}  in all");
}
