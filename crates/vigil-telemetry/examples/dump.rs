//! Prints every record of a telemetry file as one JSON line: the flat Sigma field map and
//! the normalised event. Usage: `cargo run --example dump -- <file>...`

use std::io::Write;

fn main() {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in std::env::args().skip(1) {
        let reader = match vigil_telemetry::Reader::open(&path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        for record in reader {
            match record {
                Ok(r) => {
                    let line = serde_json::json!({"raw": r.raw, "event": r.event});
                    if writeln!(out, "{line}").is_err() {
                        return;
                    }
                }
                Err(e) => eprintln!("{e}"),
            }
        }
    }
}
