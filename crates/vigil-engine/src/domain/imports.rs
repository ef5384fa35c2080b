//! What importing telemetry and IOC lists did, and the IOC lists Vigil holds.

use serde::{Deserialize, Serialize};

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
pub struct ImportSummary {
    pub files: u32,
    pub records: u32,
    pub events_added: u32,
    /// Records already in the store (a re-import).
    pub duplicates: u32,
    /// Records or files passed over, with the first reasons.
    pub skipped: u32,
    pub skip_reasons: Vec<String>,
    pub machines_added: u32,
    pub alerts: u32,
    pub investigations_started: u32,
    pub rules: u32,
    /// Seconds to load the rules (once per import).
    pub rules_seconds: f64,
    /// Seconds to load the rules, read, detect and store the records (committed).
    pub stored_seconds: f64,
    /// CPU seconds (all threads) spent reading, detecting and storing, rules excluded;
    /// 0 where the system does not say.
    pub stored_cpu_seconds: f64,
    /// Seconds to load the rules, read, detect, store and file the alerts.
    pub ingest_seconds: f64,
    /// Seconds in all, the investigations started included.
    pub seconds: f64,
}

/// Progress of a long import.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct ImportProgress {
    pub file: String,
    pub files_done: u32,
    pub files: u32,
    pub records: u32,
}

/// What importing an IOC list did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
pub struct IntelSummary {
    /// Indicators in the list.
    pub indicators: u32,
    /// Rows passed over (of a type Vigil does not match, or no indicator at all).
    pub skipped: u32,
    /// Why, for the first few: `line 7: type 'email-src' is not one Vigil matches …`.
    pub skip_reasons: Vec<String>,
    /// Of them, new to Vigil (a known kind and value keeps its first source).
    pub added: u32,
    /// Machines whose stored telemetry already shows a new indicator, by name.
    pub seen_on: Vec<String>,
    /// Alerts raised for those sightings (a sighting already alerted on is not counted).
    pub alerts: u32,
    pub investigations_started: u32,
}

/// An IOC list Vigil holds: the indicators that came from one file.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct IntelList {
    /// The file's name, as imported.
    pub source: String,
    pub indicators: u32,
    /// How many of each kind (`sha256`, `md5`, `domain`…), most first.
    pub kinds: Vec<KindCount>,
    /// When its first indicator was added.
    pub added_at: String,
    /// Alerts its indicators raised in imported telemetry, and on how many machines.
    pub alerts: u32,
    pub machines: u32,
}

/// Indicators of one kind in a list.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct KindCount {
    pub kind: String,
    pub count: u32,
}
