//! Printing results: JSON for scripts, plain text for people. When whoever reads the output
//! has gone (`vigil … | head`), the process ends quietly with status 0, as `ls` and `rg` do.

use std::io::Write;

use serde::Serialize;
use vigil_engine::domain::reveal;
use vigil_engine::ApiError;

/// Where and how results are printed.
pub struct Output {
    pub json: bool,
}

/// Writes `text` and a newline to stdout; ends the process (status 0) if stdout is closed.
pub fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if let Err(error) = written {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {error}");
    }
}

impl Output {
    /// Prints `value` as JSON, or the text `human` renders.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => say(&text),
                Err(error) => eprintln!("error: cannot print JSON: {error}"),
            }
        } else {
            // Text for a person: what an attacker wrote cannot disguise itself or drive the
            // terminal (an override, an escape sequence): it is written out (`reveal`).
            say(&reveal(&human()));
        }
    }

    /// Prints an error as one line (JSON on stdout too when `--json`).
    pub fn error(&self, error: &ApiError) {
        if self.json {
            if let Ok(text) = serde_json::to_string(error) {
                say(&text);
            }
        }
        eprintln!("error: {}", reveal(&error.message));
    }
}
