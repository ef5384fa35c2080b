//! The importer on `evtx_dump`'s pretty-printed JSON (`Record N` headers, then a document
//! over many lines), read from memory: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"Record 1\n{".to_vec();
    bytes.extend_from_slice(data);
    let options = vigil_telemetry::ReadOptions {
        max_line_bytes: 1 << 16,
        ..Default::default()
    };
    if let Ok(reader) = vigil_telemetry::Reader::from_bytes("fuzz.json", bytes, options) {
        for item in reader {
            let _ = item;
        }
    }
});
