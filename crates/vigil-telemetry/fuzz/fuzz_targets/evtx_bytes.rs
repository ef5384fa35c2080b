//! The importer on arbitrary bytes behind an EVTX header magic: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend_from_slice(data);
    if std::io::Write::write_all(&mut file, &bytes).is_err() {
        return;
    }
    if let Ok(reader) = vigil_telemetry::Reader::open(file.path()) {
        for item in reader.take(100_000) {
            let _ = item;
        }
    }
});
