//! IOC list parsers (CSV and STIX) on arbitrary text: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = vigil_telemetry::parse_csv(&text, "fuzz.csv");
    let _ = vigil_telemetry::parse_stix(&text, "fuzz.json");
});
