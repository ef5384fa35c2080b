//! Vigil's telemetry layer: reads EVTX and JSON-lines telemetry into normalised events,
//! evaluates Sigma rules on them and parses IOC lists. Pure parsing and detection: no async
//! runtime, no store; the engine decides transactions and storage.

mod archive;
mod artefact;
pub mod error;
pub mod event;
mod evtx;
pub mod intel;
pub mod logsource;
mod ndjson;
pub mod normalise;
pub mod read;
pub mod sigma;

pub use error::{Location, Position, Result, TelemetryError};
pub use event::{Artefact, ArtefactKind, ArtefactOp, Event, EventKind, Mention, MentionKind};
pub use evtx::evtx_chunks;
pub use intel::{parse_csv, parse_stix, Indicator, IndicatorKind, ParsedList};
pub use read::{
    detect_format, raw_evtx_records, Format, ReadOptions, Reader, Record, Skip, SkipReport,
};
pub use sigma::{
    LoadReport, RuleCounts, RuleInfo, RuleOrigin, RuleSkip, RuleSources, SigmaEngine, SigmaHqRules,
    SigmaMatch,
};
