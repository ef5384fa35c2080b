//! Stopping a process, identified by pid and start time so a reused pid is never hit.

use std::time::{Duration, Instant};

use vigil_engine::{Error, Result};

use crate::inventory::{self, ProcessInfo};

/// What stopping a process did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// It was running and is gone now.
    Killed(ProcessInfo),
    /// No process with that pid runs now.
    Gone,
    /// The pid belongs to another process now (another start time): not touched.
    Reused { now_started: u64 },
}

/// The process with `pid` if it started at `start_time` (seconds since the epoch).
pub fn find(pid: i64, start_time: u64) -> std::result::Result<ProcessInfo, Stopped> {
    match inventory::processes(Some(pid))
        .into_iter()
        .find(|p| p.pid == pid)
    {
        None => Err(Stopped::Gone),
        Some(p) if p.start_time != start_time => Err(Stopped::Reused {
            now_started: p.start_time,
        }),
        Some(p) => Ok(p),
    }
}

/// Kills the process `pid` that started at `start_time`, and waits (up to 5 s) until it
/// is gone. Refuses Vigil itself and pid 0/1.
pub fn kill(pid: i64, start_time: u64) -> Result<Stopped> {
    if pid <= 1 || pid == i64::from(std::process::id()) {
        return Err(Error::InvalidInput(format!(
            "refusing to stop process {pid}: it is Vigil itself or the system's first process"
        )));
    }
    let process = match find(pid, start_time) {
        Ok(p) => p,
        Err(other) => return Ok(other),
    };
    send_kill(pid)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if find(pid, start_time).is_err() {
            return Ok(Stopped::Killed(process));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(Error::Conflict(format!(
        "process {pid} ({}) was sent a kill signal but is still running",
        process.image
    )))
}

#[cfg(unix)]
fn send_kill(pid: i64) -> Result<()> {
    let raw = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| Error::InvalidInput(format!("{pid} is not a process id")))?;
    rustix::process::kill_process(raw, rustix::process::Signal::KILL)
        .map_err(|e| super::os_error(format!("cannot stop process {pid}"), e.into()))
}

#[cfg(not(unix))]
fn send_kill(pid: i64) -> Result<()> {
    use sysinfo::{ProcessesToUpdate, System};
    let id = usize::try_from(pid)
        .map(sysinfo::Pid::from)
        .map_err(|_| Error::InvalidInput(format!("{pid} is not a process id")))?;
    let mut system =
        System::new().map_err(|e| Error::InvalidInput(format!("cannot list processes: {e}")))?;
    system.refresh_processes(ProcessesToUpdate::Some(&[id]), true);
    match system
        .process(id)
        .and_then(|p| p.kill_with(sysinfo::Signal::Kill))
    {
        Some(true) => Ok(()),
        _ => Err(Error::io(
            format!("cannot stop process {pid}"),
            std::io::Error::last_os_error(),
        )),
    }
}
