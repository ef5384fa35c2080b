//! The importer on arbitrary bytes as JSON lines (ECS, flattened, `evtx_dump` one per line),
//! read from memory: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Start with `{` so format detection picks JSON lines.
    let mut bytes = b"{".to_vec();
    bytes.extend_from_slice(data);
    let options = vigil_telemetry::ReadOptions {
        max_line_bytes: 1 << 16,
        ..Default::default()
    };
    if let Ok(reader) = vigil_telemetry::Reader::from_bytes("fuzz.ndjson", bytes, options) {
        for item in reader {
            let _ = item;
        }
    }
});
