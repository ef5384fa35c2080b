//! systemd units: what enables one (the `*.wants/` and `*.requires/` links beside it, which
//! is what `systemctl disable` removes), and telling the service manager about a change.

use std::path::{Path, PathBuf};

use vigil_engine::{Error, Result};

use super::super::os_error;

/// The folders of a unit folder whose links enable units.
const ENABLING: [&str; 3] = [".wants", ".requires", ".upholds"];

/// The links that enable unit `name` in `unit_dir`: (link, where it points).
pub fn enabling_links(unit_dir: &Path, name: &str) -> Vec<(PathBuf, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(unit_dir) else {
        return Vec::new();
    };
    let mut links: Vec<(PathBuf, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let dir = e.file_name().to_string_lossy().into_owned();
            ENABLING.iter().any(|suffix| dir.ends_with(suffix))
        })
        .map(|e| e.path().join(name))
        .filter_map(|link| {
            let meta = std::fs::symlink_metadata(&link).ok()?;
            meta.file_type()
                .is_symlink()
                .then(|| std::fs::read_link(&link).ok().map(|to| (link, to)))
                .flatten()
        })
        .collect();
    links.sort();
    links
}

/// Removes the links that enable a unit (`systemctl disable`).
pub fn disable(links: &[(PathBuf, PathBuf)]) -> Result<()> {
    for (link, _) in links {
        match std::fs::remove_file(link) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(os_error(format!("cannot remove {}", link.display()), e)),
        }
    }
    Ok(())
}

/// Puts the enabling links back (`systemctl enable`).
pub fn enable(links: &[(PathBuf, PathBuf)]) -> Result<()> {
    for (link, to) in links {
        if std::fs::symlink_metadata(link).is_ok() {
            continue;
        }
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| os_error(format!("cannot create {}", parent.display()), e))?;
        }
        symlink(to, link)?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(to: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(to, link).map_err(|e| {
        os_error(
            format!("cannot link {} to {}", link.display(), to.display()),
            e,
        )
    })
}

#[cfg(not(unix))]
fn symlink(_to: &Path, link: &Path) -> Result<()> {
    Err(Error::InvalidInput(format!(
        "cannot re-enable {}: systemd links exist only on Linux",
        link.display()
    )))
}

/// Whether a unit in `unit_dir` belongs to the user whose home is `home` (their own
/// service manager) rather than the system's.
pub fn is_user_unit(unit_dir: &Path, home: &Path) -> bool {
    unit_dir.starts_with(home)
}

/// Refuses to change a system unit without administrator rights (`is_admin`): Vigil
/// never elevates itself.
pub fn check_rights(unit_dir: &Path, home: &Path, is_admin: bool) -> Result<()> {
    if is_user_unit(unit_dir, home) || is_admin {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "changing the system unit folder {} needs administrator rights (Vigil never uses sudo or elevates itself; run it as an administrator to allow it)",
        unit_dir.display()
    )))
}

/// Whether this process runs as the administrator (root).
pub fn running_as_admin() -> bool {
    #[cfg(unix)]
    return rustix::process::geteuid().is_root();
    #[cfg(not(unix))]
    false
}

/// Asks the user's (or the system's) service manager to reload its units. Returns what
/// happened, for the action's message; a manager that cannot be reached (no session bus,
/// no systemd) is said, not hidden.
pub fn reload(user: bool) -> String {
    let args: &[&str] = if user {
        &["--user", "daemon-reload"]
    } else {
        &["daemon-reload"]
    };
    let which = if user { "user" } else { "system" };
    match crate::inventory::command_text("systemctl", args) {
        Ok(_) => format!("the {which} service manager reloaded its units"),
        Err(error) => {
            tracing::warn!(%error, "systemd reload");
            format!("the {which} service manager was not reloaded ({error}); it sees the change at its next start")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_units_need_administrator_rights_and_user_units_do_not() {
        let home = Path::new("/home/ann");
        let system = Path::new("/etc/systemd/system");
        let error = check_rights(system, home, false).expect_err("refused");
        assert!(
            error.to_string().contains("needs administrator rights"),
            "{error}"
        );
        assert!(error.to_string().contains("never uses sudo"), "{error}");
        assert!(check_rights(system, home, true).is_ok());
        assert!(check_rights(&home.join(".config/systemd/user"), home, false).is_ok());
    }
}
