//! Scan throughput: MB/s for sha256 alone and for sha256 + YARA (the shipped rules) over
//! generated files; then how long this computer's inventory and a sweep of its running
//! programs take. Prints numbers; run with `cargo bench -p vigil-local --bench scan`
//! (`VIGIL_BENCH_MB` sets the total size, default 300; files are in the page cache, so this
//! measures the CPU side).

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use vigil_local::detect;
use vigil_local::inventory;
use vigil_local::scan::{sha256_file, Scanner};

fn main() {
    // `cargo test --all-targets` runs benches too (in debug, without `--bench`): skip.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benchmark: run it with `cargo bench` (skipped under cargo test)");
        return;
    }
    let total_mb: usize = std::env::var("VIGIL_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().expect("tempdir");
    let file_mb = 2;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut files: Vec<PathBuf> = Vec::new();
    for i in 0..total_mb.div_ceil(file_mb) {
        let mut data = Vec::with_capacity(file_mb << 20);
        while data.len() < file_mb << 20 {
            // Half pseudo-random bytes, half text, like a Downloads folder.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if (state >> 60).is_multiple_of(2) {
                data.extend_from_slice(&state.to_le_bytes());
            } else {
                data.extend_from_slice(b"lorem ipsum ");
            }
        }
        let path = dir.path().join(format!("file-{i:04}.bin"));
        std::fs::write(&path, &data).expect("write");
        files.push(path);
    }
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mb = bytes as f64 / 1e6;
    let iocs: HashSet<String> = (0..10_000).map(|i| format!("{i:064x}")).collect();
    let started = Instant::now();
    let scanner = Scanner::new(&[], iocs).expect("rules");
    let compile = started.elapsed().as_secs_f64();

    let started = Instant::now();
    for f in &files {
        sha256_file(f).expect("hash");
    }
    let hash_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let results = scanner.scan_files(&files);
    let scan_s = started.elapsed().as_secs_f64();
    let hits: usize = results
        .iter()
        .map(|(_, r)| r.as_ref().map(|s| s.hits.len()).unwrap_or(0))
        .sum();

    println!(
        "files: {} ({mb:.0} MB), YARA rules compiled in {compile:.3} s",
        files.len()
    );
    println!("sha256 only:        {:>8.1} MB/s", mb / hash_s);
    println!(
        "sha256 + YARA + IOC: {:>8.1} MB/s ({scan_s:.2} s, {hits} hits, one thread)",
        mb / scan_s
    );

    // A list that names files by MD5 and SHA-1 too: every file is hashed three times.
    let mut all_kinds = (0..10_000)
        .map(|i| format!("{i:064x}"))
        .collect::<HashSet<_>>();
    all_kinds.extend((0..1_000).map(|i| format!("{i:032x}")));
    all_kinds.extend((0..1_000).map(|i| format!("{i:040x}")));
    let scanner_all = Scanner::new(&[], all_kinds).expect("rules");
    let started = Instant::now();
    let _ = scanner_all.scan_files(&files);
    let all_s = started.elapsed().as_secs_f64();
    println!(
        "sha256 + sha1 + md5 + YARA + IOC: {:>8.1} MB/s ({all_s:.2} s, when lists name MD5s and SHA-1s)",
        mb / all_s
    );

    let home = std::env::temp_dir();
    let os = inventory::this_os(&home);
    let timed = |what: &str, count: usize, started: Instant| {
        println!(
            "{what:<20} {count:>6} in {:>8.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    };
    let started = Instant::now();
    let processes = os.processes();
    timed("processes:", processes.len(), started);
    let started = Instant::now();
    let persistence = os.persistence();
    timed("persistence entries:", persistence.len(), started);
    let started = Instant::now();
    let network = os.network();
    timed("sockets:", network.connections.len(), started);
    let started = Instant::now();
    let sweep = detect::running_programs(&scanner, &processes, &[]);
    println!(
        "running programs:    {:>6} executables ({:.1} MB) scanned in {:.1} ms, {} skipped",
        sweep.scanned,
        sweep.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64() * 1e3,
        sweep.skipped.len()
    );
}
