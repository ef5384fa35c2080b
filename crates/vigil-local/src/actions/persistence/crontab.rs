//! The current user's crontab, read with `crontab -l` and written with `crontab -` (cron
//! keeps it in a spool folder users may not read or write directly).

use std::io::Write;
use std::process::{Command, Stdio};

use vigil_engine::{Error, Result};

/// The program that reads and installs crontabs.
const CRONTAB: &str = "crontab";

/// The current user's crontab text (empty when they have none); `None` when the
/// `crontab` program is not installed.
pub fn read() -> Result<Option<String>> {
    let output = match Command::new(CRONTAB)
        .arg("-l")
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(super::os_error("cannot run crontab -l".into(), e)),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()))
    } else if stderr.contains("no crontab for") {
        Ok(Some(String::new()))
    } else {
        Err(Error::Conflict(format!(
            "crontab -l failed ({}): {}",
            output.status,
            stderr.trim()
        )))
    }
}

/// Installs `text` as the current user's crontab.
pub fn install(text: &str) -> Result<()> {
    let mut child = Command::new(CRONTAB)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| super::os_error("cannot run crontab -".into(), e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| super::os_error("cannot write to crontab -".into(), e))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| super::os_error("crontab - did not finish".into(), e))?;
    if !output.status.success() {
        return Err(Error::Conflict(format!(
            "crontab - refused the new crontab ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// The user a crontab location names: `crontab:<user>`.
pub fn user_of(location: &str) -> Option<&str> {
    location.strip_prefix("crontab:").filter(|u| !u.is_empty())
}
