//! Progress of long imports on stderr: one line rewritten in place on a terminal, a line
//! every few seconds otherwise.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vigil_engine::domain::ImportProgress;

/// Shows import progress at most every half second (every five seconds when stderr is
/// not a terminal), from the first report on: an import over by then shows only its
/// summary, and the rate is that of the records, not of the rules loading before them.
pub struct Progress {
    state: Mutex<State>,
    terminal: bool,
}

#[derive(Default)]
struct State {
    /// When the first report came, and the records it counted.
    first: Option<(Instant, u32)>,
    /// When a line was shown last.
    shown: Option<Instant>,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    pub fn show(&self, p: &ImportProgress) {
        let Some(line) = self.line(p, Instant::now()) else {
            return;
        };
        let mut err = std::io::stderr();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    /// The line to show for a report arriving at `now`, if it is time for one.
    fn line(&self, p: &ImportProgress, now: Instant) -> Option<String> {
        let every = if self.terminal {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(5)
        };
        let mut state = self.state.lock().ok()?;
        let (since, counted) = *state.first.get_or_insert((now, p.records));
        if now.duration_since(state.shown.unwrap_or(since)) < every {
            return None;
        }
        state.shown = Some(now);
        let secs = now.duration_since(since).as_secs_f64().max(0.001);
        Some(format!(
            "importing: {} of {} files, {} records ({:.0}/s) {}",
            p.files_done,
            p.files,
            p.records,
            f64::from(p.records.saturating_sub(counted)) / secs,
            p.file
        ))
    }

    pub fn done(&self) {
        if self.terminal && self.state.lock().is_ok_and(|s| s.shown.is_some()) {
            let _ = writeln!(std::io::stderr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quick_import_shows_no_line_and_the_rate_counts_from_the_first_records() {
        let progress = Progress {
            state: Mutex::new(State::default()),
            terminal: true,
        };
        let report = |records| ImportProgress {
            file: "Security.evtx".into(),
            files_done: 0,
            files: 1,
            records,
        };
        // The rules took a while to load; the first report is the first batch.
        let t0 = Instant::now();
        assert_eq!(progress.line(&report(64), t0), None);
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(progress.line(&report(5_064), at(200)), None, "too soon");
        assert_eq!(
            progress.line(&report(10_064), at(500)).as_deref(),
            Some("importing: 0 of 1 files, 10064 records (20000/s) Security.evtx")
        );
        assert_eq!(
            progress.line(&report(12_064), at(700)),
            None,
            "shown 200 ms ago"
        );
        assert!(progress.line(&report(20_064), at(1_000)).is_some());
    }
}
