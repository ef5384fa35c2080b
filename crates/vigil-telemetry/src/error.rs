//! The crate's error type: every error names the file, the record or line, and the field.

use std::fmt;

/// Where a record came from: a file (or `archive.zip!member`) and a position in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file as given by the caller; for a zip member, `archive.zip!member.json`.
    pub file: String,
    /// The record, chunk or line inside the file.
    pub position: Position,
}

/// A position inside a telemetry file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// An EVTX record, by its EventRecordID.
    Record(u64),
    /// An EVTX chunk (64 KiB block), by its number from 0.
    Chunk(u64),
    /// A line of a JSON-lines file, from 1.
    Line(u64),
    /// The file as a whole.
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Record(n) => write!(f, "{}: record {n}", self.file),
            Position::Chunk(n) => write!(f, "{}: chunk {n}", self.file),
            Position::Line(n) => write!(f, "{}: line {n}", self.file),
            Position::File => write!(f, "{}", self.file),
        }
    }
}

/// Everything that can go wrong while reading telemetry, rules or indicator lists.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not in a format we read.
    #[error("{file}: {reason}")]
    Format {
        /// The file.
        file: String,
        /// Why it was refused.
        reason: String,
    },
    /// A record or line is malformed as a whole (not JSON, corrupt EVTX record).
    #[error("{location}: {reason}")]
    Record {
        /// Where.
        location: Location,
        /// What is wrong.
        reason: String,
    },
    /// A field of a record has a missing or unusable value.
    #[error("{location}: field {field}: {reason}")]
    Field {
        /// Where.
        location: Location,
        /// The field name, as written in the source.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A Sigma rule file could not be used.
    #[error("{file}: {reason}")]
    Rule {
        /// The rule file (or `builtin:<name>`).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A row or object of an indicator list is malformed.
    #[error("{source_name}: {item}: {reason}")]
    Intel {
        /// The list's name as given by the caller.
        source_name: String,
        /// `line 4` for CSV, `object 3` / `indicator--…` for STIX.
        item: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = TelemetryError> = std::result::Result<T, E>;

impl TelemetryError {
    pub(crate) fn io(file: &str, source: std::io::Error) -> Self {
        TelemetryError::Io {
            file: file.to_string(),
            source,
        }
    }

    pub(crate) fn field(location: &Location, field: &str, reason: impl Into<String>) -> Self {
        TelemetryError::Field {
            location: location.clone(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn record(location: &Location, reason: impl Into<String>) -> Self {
        TelemetryError::Record {
            location: location.clone(),
            reason: reason.into(),
        }
    }

    /// Where the error is, when it concerns one record or line.
    pub fn location(&self) -> Option<&Location> {
        match self {
            TelemetryError::Record { location, .. } | TelemetryError::Field { location, .. } => {
                Some(location)
            }
            _ => None,
        }
    }
}
