//! The importer on arbitrary bytes as JSON lines: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    // Start with `{` so format detection picks JSON lines.
    let mut bytes = b"{".to_vec();
    bytes.extend_from_slice(data);
    if std::io::Write::write_all(&mut file, &bytes).is_err() {
        return;
    }
    let options = vigil_telemetry::ReadOptions {
        max_line_bytes: 1 << 16,
        ..Default::default()
    };
    if let Ok(reader) = vigil_telemetry::Reader::open_with(file.path(), options) {
        for item in reader {
            let _ = item;
        }
    }
});
