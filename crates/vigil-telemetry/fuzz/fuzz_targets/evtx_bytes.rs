//! The importer on arbitrary bytes behind an EVTX header magic, read from memory: must never
//! panic, and must end.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend_from_slice(data);
    if let Ok(reader) = vigil_telemetry::Reader::from_bytes("fuzz.evtx", bytes, Default::default())
    {
        for item in reader.take(100_000) {
            let _ = item;
        }
    }
});
