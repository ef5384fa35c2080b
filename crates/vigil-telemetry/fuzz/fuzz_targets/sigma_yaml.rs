//! The Sigma rule loader on arbitrary YAML text: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sources = vec![("fuzz.yml".to_string(), text.to_string())];
    let (engine, _report) = vigil_telemetry::SigmaEngine::from_sources(&sources);
    let _ = engine.rule_count();
});
