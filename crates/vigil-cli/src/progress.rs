//! Progress of long imports on stderr: one line rewritten in place on a terminal, a line
//! every few seconds otherwise.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vigil_engine::ops::import::ImportProgress;

/// Shows import progress at most every half second.
pub struct Progress {
    started: Instant,
    last: Mutex<Option<Instant>>,
    terminal: bool,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            last: Mutex::new(None),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    pub fn show(&self, p: &ImportProgress) {
        let every = if self.terminal {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(5)
        };
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < every) {
            return;
        }
        *last = Some(Instant::now());
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "importing: {} of {} files, {} records ({:.0}/s) {}",
            p.files_done,
            p.files,
            p.records,
            f64::from(p.records) / secs,
            p.file
        );
        let mut err = std::io::stderr();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    pub fn done(&self) {
        if self.terminal && self.last.lock().map(|l| l.is_some()).unwrap_or(false) {
            let _ = writeln!(std::io::stderr());
        }
    }
}
