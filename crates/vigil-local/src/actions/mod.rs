//! Real actions on this computer. Each one is keyed by its action id (vault entry, backup,
//! hosts-file marker), so running it again is safe and a restart can tell whether it ran.

pub mod hosts;
pub mod persistence;
pub mod process;
pub mod quarantine;

use std::path::Path;

use vigil_engine::Error;

/// An OS error with what was being done; a permission error says plainly that Vigil lacks
/// the rights (it never elevates itself).
pub fn os_error(doing: String, error: std::io::Error) -> Error {
    if error.kind() == std::io::ErrorKind::PermissionDenied {
        Error::io(
            format!("{doing}: Vigil does not have the rights for this (it never uses sudo or elevates itself; run it as an administrator to allow it)"),
            error,
        )
    } else {
        Error::io(doing, error)
    }
}

/// Writes a file and flushes it to disk.
pub(crate) fn write_synced(path: &Path, data: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)
        .map_err(|e| os_error(format!("cannot create {}", path.display()), e))?;
    file.write_all(data)
        .and_then(|()| file.sync_all())
        .map_err(|e| os_error(format!("cannot write {}", path.display()), e))
}
