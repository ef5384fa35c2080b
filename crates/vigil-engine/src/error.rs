//! Errors: a `thiserror` enum inside the engine, and one closed, serialisable error with a
//! stable code that crosses every boundary (IPC, CLI `--json`).

use serde::{Deserialize, Serialize};

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something named by the caller does not exist.
    #[error("{what} not found: {name}")]
    NotFound { what: &'static str, name: String },
    /// The caller asked for something that does not make sense.
    #[error("{0}")]
    InvalidInput(String),
    /// The request conflicts with the current state (e.g. approving a rejected action).
    #[error("{0}")]
    Conflict(String),
    /// The machine could not be reached (its agent is offline, or left before it answered):
    /// the action waits for it rather than failing.
    #[error("{0}")]
    Unreachable(String),
    /// The store could not be opened, migrated or queried.
    #[error("store error: {0}")]
    Store(#[from] sqlx::Error),
    /// A migration failed.
    #[error("store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A file or folder could not be read or written.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// An I/O error with the path or operation it concerns.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::Conflict(_) | Error::Unreachable(_) => ErrorCode::Conflict,
            Error::Store(_) | Error::Migrate(_) => ErrorCode::Store,
            Error::Io { .. } => ErrorCode::Io,
        }
    }
}

/// Stable error codes. The UI and scripts match on these, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    InvalidInput,
    Conflict,
    Store,
    Io,
    Internal,
}

/// The one error that crosses a boundary: a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_json_shape_is_stable() {
        let error: ApiError = Error::NotFound {
            what: "machine",
            name: "client9".into(),
        }
        .into();
        let json = serde_json::to_string(&error).expect("serialise");
        assert_eq!(
            json,
            r#"{"code":"not_found","message":"machine not found: client9"}"#
        );
    }
}
