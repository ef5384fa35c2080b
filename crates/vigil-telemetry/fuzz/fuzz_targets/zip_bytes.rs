//! The importer on arbitrary bytes behind a zip's magic, read from memory: its members are
//! sniffed and read as EVTX or JSON lines. Must never panic, nor inflate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(data);
    let options = vigil_telemetry::ReadOptions {
        max_line_bytes: 1 << 16,
        max_zip_evtx_bytes: 1 << 20,
        max_zip_members: 64,
        max_zip_ratio: 100,
        ..Default::default()
    };
    if let Ok(reader) = vigil_telemetry::Reader::from_bytes("fuzz.zip", bytes, options) {
        for item in reader.take(10_000) {
            let _ = item;
        }
    }
});
