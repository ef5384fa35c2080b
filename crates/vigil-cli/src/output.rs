//! Printing results: JSON for scripts, plain text for people.

use serde::Serialize;
use vigil_engine::ApiError;

/// Where and how results are printed.
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or the text `human` renders.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => println!("{text}"),
                Err(error) => eprintln!("error: cannot print JSON: {error}"),
            }
        } else {
            println!("{}", human());
        }
    }

    /// Prints an error as one line (JSON on stdout too when `--json`).
    pub fn error(&self, error: &ApiError) {
        if self.json {
            if let Ok(text) = serde_json::to_string(error) {
                println!("{text}");
            }
        }
        eprintln!("error: {}", error.message);
    }
}
