//! The channel between the console and the Vigil agents on an office's machines (see
//! `../shared/AGENTS.md`): the console's private CA ([`pki`]), one-time enrolment tokens
//! ([`token`]), mutual TLS with `rustls` in which every message's machine is the one its
//! certificate names ([`tls`]), length-prefixed frames ([`frame`]), the console's listener
//! ([`console`]) and the agent's side ([`agent`]).
//!
//! Enrolment (token → the agent's own key → a certificate from the console's CA, the console
//! pinned by its CA's key), then sessions: authenticated hellos, the agent's numbered
//! outbox items acknowledged by a high-water mark, the console's commands with ids and
//! expiries; revocation ends a session. What the items and commands mean is the engine's
//! (the console's [`console::Office`]) and the agent's business.

pub mod agent;
pub mod console;
pub mod frame;
pub mod pki;
pub mod tls;
pub mod token;

use std::path::Path;

/// What went wrong on the channel, said for the log line an admin reads.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file of the console's or the agent's data folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The other side, a token or a certificate was refused; says why.
    #[error("refused: {0}")]
    Refused(String),
    /// The agent is not connected, left, or did not answer in time.
    #[error("offline: {0}")]
    Offline(String),
    /// The connection failed or broke off.
    #[error("connection: {0}")]
    Connection(String),
    /// Something of our own is unusable (a key file, a certificate we made).
    #[error("{0}")]
    Broken(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The time now, in seconds since 1970.
pub(crate) fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
