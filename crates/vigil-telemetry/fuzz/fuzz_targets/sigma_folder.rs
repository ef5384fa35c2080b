//! The Sigma rule loader on a folder of arbitrary YAML files (the input split at 0xFF bytes,
//! one file each; correlation rules may name rules of other files): must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let sources: Vec<(String, String)> = data
        .split(|b| *b == 0xff)
        .take(16)
        .enumerate()
        .map(|(i, part)| {
            (
                format!("rules/{i}.yml"),
                String::from_utf8_lossy(part).into_owned(),
            )
        })
        .collect();
    let (engine, _report) = vigil_telemetry::SigmaEngine::from_sources(&sources);
    let _ = engine.rule_count();
});
