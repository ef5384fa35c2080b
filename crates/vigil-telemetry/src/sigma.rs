//! Sigma detection: loads rule sets into one `rsigma` engine (one `add_rules` call) and
//! evaluates records, gated by logsource so a rule only sees the channels it was written for.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rsigma_eval::event::JsonEvent;
use rsigma_eval::Engine;
use rsigma_parser::{parse_sigma_yaml, SigmaRule};
use serde_json::Value;

use crate::error::{Result, TelemetryError};
use crate::logsource::{Gate, LogsourceMap};
use crate::read::Record;

/// Vigil's default rules, embedded: (file name, YAML).
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    (
        "office_spawns_script_host.yml",
        include_str!("../rules/office_spawns_script_host.yml"),
    ),
    (
        "lsass_access.yml",
        include_str!("../rules/lsass_access.yml"),
    ),
    (
        "encoded_powershell.yml",
        include_str!("../rules/encoded_powershell.yml"),
    ),
    (
        "service_from_user_folder.yml",
        include_str!("../rules/service_from_user_folder.yml"),
    ),
    (
        "service_from_user_folder_4697.yml",
        include_str!("../rules/service_from_user_folder_4697.yml"),
    ),
    (
        "run_key_persistence.yml",
        include_str!("../rules/run_key_persistence.yml"),
    ),
    (
        "schtasks_create.yml",
        include_str!("../rules/schtasks_create.yml"),
    ),
    (
        "scheduled_task_4698.yml",
        include_str!("../rules/scheduled_task_4698.yml"),
    ),
    (
        "wmi_event_consumer.yml",
        include_str!("../rules/wmi_event_consumer.yml"),
    ),
    ("wmi_scrcons.yml", include_str!("../rules/wmi_scrcons.yml")),
    (
        "psexec_service.yml",
        include_str!("../rules/psexec_service.yml"),
    ),
    (
        "wmiprvse_spawns_shell.yml",
        include_str!("../rules/wmiprvse_spawns_shell.yml"),
    ),
    (
        "service_runs_shell.yml",
        include_str!("../rules/service_runs_shell.yml"),
    ),
    (
        "powershell_runs_temp_executable.yml",
        include_str!("../rules/powershell_runs_temp_executable.yml"),
    ),
    (
        "installer_temp_spawns_shell.yml",
        include_str!("../rules/installer_temp_spawns_shell.yml"),
    ),
    (
        "dcsync_replication_rights.yml",
        include_str!("../rules/dcsync_replication_rights.yml"),
    ),
    (
        "comsvcs_minidump.yml",
        include_str!("../rules/comsvcs_minidump.yml"),
    ),
    (
        "hidden_powershell_payload.yml",
        include_str!("../rules/hidden_powershell_payload.yml"),
    ),
    (
        "services_spawns_shell.yml",
        include_str!("../rules/services_spawns_shell.yml"),
    ),
    (
        "obfuscated_downloader_script.yml",
        include_str!("../rules/obfuscated_downloader_script.yml"),
    ),
];

/// A rule that fired on a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigmaMatch {
    /// The rule's id (its title when it has none).
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical` (empty when unset).
    pub level: String,
    /// Tags, e.g. `attack.execution`, `attack.t1059.001`.
    pub tags: Vec<String>,
    /// The rule's description (empty when unset).
    pub description: String,
}

/// A rule or document that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSkip {
    /// The file it came from (`builtin:<name>` for embedded rules).
    pub file: String,
    /// The rule's title, when it got that far.
    pub title: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// What loading a rule set did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// How many rules were loaded.
    pub loaded: usize,
    /// What was skipped, with file and reason.
    pub skipped: Vec<RuleSkip>,
}

/// The rules of one logsource gate, in an engine of their own, so that a record only
/// meets the rules written for its channel and event id.
struct Partition {
    engine: Engine,
    descriptions: HashMap<String, String>,
}

/// Which partitions cover a record, by its channel (lower case) and event id.
#[derive(Default)]
struct PartitionIndex {
    /// Channel (lower case) → event id → partitions.
    by_event: HashMap<String, HashMap<i64, Vec<usize>>>,
    by_channel: HashMap<String, Vec<usize>>,
    everywhere: Vec<usize>,
}

impl PartitionIndex {
    fn new(gates: &[Gate]) -> PartitionIndex {
        let mut index = PartitionIndex::default();
        for (i, gate) in gates.iter().enumerate() {
            let Gate::Any(conds) = gate else {
                index.everywhere.push(i);
                continue;
            };
            for c in conds {
                let channel = c.channel.to_ascii_lowercase();
                if c.event_ids.is_empty() {
                    index.by_channel.entry(channel).or_default().push(i);
                } else {
                    let ids = index.by_event.entry(channel).or_default();
                    for id in &c.event_ids {
                        ids.entry(*id).or_default().push(i);
                    }
                }
            }
        }
        index
    }

    /// The partitions a record of this channel (lower case) and event id meets, each once.
    fn covering(&self, channel: &str, event_id: i64) -> Vec<usize> {
        let mut out: Vec<usize> = self.everywhere.clone();
        if let Some(v) = self.by_channel.get(channel) {
            out.extend(v);
        }
        if let Some(v) = self
            .by_event
            .get(channel)
            .and_then(|ids| ids.get(&event_id))
        {
            out.extend(v);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A loaded Sigma rule set, ready to evaluate records.
pub struct SigmaEngine {
    partitions: Vec<Partition>,
    index: PartitionIndex,
    rule_count: usize,
    aliases: HashMap<(String, i64), Vec<(String, String)>>,
}

impl std::fmt::Debug for SigmaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaEngine")
            .field("rules", &self.rule_count)
            .field("partitions", &self.partitions.len())
            .finish()
    }
}

fn rule_key(rule: &SigmaRule) -> String {
    rule.id.clone().unwrap_or_else(|| rule.title.clone())
}

/// Every `.yml` / `.yaml` file under `dir`, sorted.
fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| TelemetryError::io(&name, e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rule_files(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// Rule files as (file name, YAML text).
type Sources = Vec<(String, String)>;

/// The (file name, text) of every rule file under `dirs`, and the files that could not
/// be read.
fn sources_from_dirs(dirs: &[PathBuf]) -> Result<(Sources, Vec<RuleSkip>)> {
    let mut files = Vec::new();
    for dir in dirs {
        rule_files(dir, &mut files)?;
    }
    let mut sources = Vec::with_capacity(files.len());
    let mut unreadable = Vec::new();
    for f in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => sources.push((f.display().to_string(), text)),
            Err(e) => unreadable.push(RuleSkip {
                file: f.display().to_string(),
                title: None,
                reason: format!("unreadable: {e}"),
            }),
        }
    }
    Ok((sources, unreadable))
}

impl SigmaEngine {
    /// Loads every `.yml`/`.yaml` rule under the given folders (recursively). A folder
    /// that cannot be read is an error; a rule that cannot be used is reported as skipped.
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<(SigmaEngine, LoadReport)> {
        let (sources, unreadable) = sources_from_dirs(dirs)?;
        let (engine, mut report) = SigmaEngine::from_sources(&sources);
        report.skipped.splice(0..0, unreadable);
        Ok((engine, report))
    }

    /// Vigil's default rules plus every rule under the given folders, in one engine.
    pub fn builtin_and_dirs(dirs: &[PathBuf]) -> Result<(SigmaEngine, LoadReport)> {
        let (mut sources, unreadable) = sources_from_dirs(dirs)?;
        sources.splice(
            0..0,
            BUILTIN_RULES
                .iter()
                .map(|(name, text)| (format!("builtin:{name}"), (*text).to_string())),
        );
        let (engine, mut report) = SigmaEngine::from_sources(&sources);
        report.skipped.splice(0..0, unreadable);
        Ok((engine, report))
    }

    /// Vigil's default rule set (see `rules/`), embedded in the binary.
    pub fn builtin() -> (SigmaEngine, LoadReport) {
        let sources: Vec<(String, String)> = BUILTIN_RULES
            .iter()
            .map(|(name, text)| (format!("builtin:{name}"), (*text).to_string()))
            .collect();
        SigmaEngine::from_sources(&sources)
    }

    /// Loads rules from (file name, YAML text) pairs, with the embedded logsource map.
    pub fn from_sources(sources: &[(String, String)]) -> (SigmaEngine, LoadReport) {
        SigmaEngine::from_sources_with_map(sources, &LogsourceMap::builtin())
    }

    /// Loads rules from (file name, YAML text) pairs with a given logsource map. All rules
    /// go into the engine with a single `add_rules` call.
    pub fn from_sources_with_map(
        sources: &[(String, String)],
        map: &LogsourceMap,
    ) -> (SigmaEngine, LoadReport) {
        let mut report = LoadReport::default();
        let mut skip = |file: &str, title: Option<&str>, reason: String| {
            report.skipped.push(RuleSkip {
                file: file.to_string(),
                title: title.map(str::to_string),
                reason,
            })
        };
        let mut gates: Vec<Gate> = Vec::new();
        let mut rules: Vec<SigmaRule> = Vec::new();
        let mut origin: Vec<(String, usize)> = Vec::new();
        let mut seen = HashSet::new();
        for (file, text) in sources {
            let collection = match parse_sigma_yaml(text) {
                Ok(c) => c,
                Err(e) => {
                    skip(file, None, format!("not a Sigma file: {e}"));
                    continue;
                }
            };
            for e in collection.errors {
                skip(file, None, e);
            }
            for c in &collection.correlations {
                skip(
                    file,
                    Some(&c.title),
                    "correlation rules are not supported".into(),
                );
            }
            for f in &collection.filters {
                skip(
                    file,
                    Some(&f.title),
                    "filter rules are not supported".into(),
                );
            }
            for rule in collection.rules {
                let gate = match map.gate(&rule.logsource) {
                    Ok(g) => g,
                    Err(reason) => {
                        skip(file, Some(&rule.title), reason);
                        continue;
                    }
                };
                let key = rule_key(&rule);
                if !seen.insert(key.clone()) {
                    skip(file, Some(&rule.title), format!("duplicate rule id {key}"));
                    continue;
                }
                let gate_index = match gates.iter().position(|g| *g == gate) {
                    Some(i) => i,
                    None => {
                        gates.push(gate);
                        gates.len() - 1
                    }
                };
                origin.push((file.clone(), gate_index));
                rules.push(rule);
            }
        }

        // One engine per gate, each filled with a single `add_rules` call.
        let mut by_gate: Vec<Vec<usize>> = vec![Vec::new(); gates.len()];
        for (i, (_, gate)) in origin.iter().enumerate() {
            by_gate[*gate].push(i);
        }
        let mut partitions = Vec::with_capacity(gates.len());
        let mut loaded = 0;
        for members in &by_gate {
            let mut engine = Engine::new();
            engine.set_bloom_prefilter(true);
            let failed: HashMap<usize, String> = engine
                .add_rules(members.iter().map(|&i| &rules[i]))
                .into_iter()
                .map(|(i, e)| (members[i], e.to_string()))
                .collect();
            let mut descriptions = HashMap::new();
            for &i in members {
                let rule = &rules[i];
                if let Some(reason) = failed.get(&i) {
                    skip(
                        &origin[i].0,
                        Some(&rule.title),
                        format!("does not compile: {reason}"),
                    );
                    continue;
                }
                descriptions.insert(rule_key(rule), rule.description.clone().unwrap_or_default());
            }
            loaded += descriptions.len();
            partitions.push(Partition {
                engine,
                descriptions,
            });
        }
        report.loaded = loaded;
        let mut aliases: HashMap<(String, i64), Vec<(String, String)>> = HashMap::new();
        for (channel, id, sigma, source) in map.aliases() {
            aliases
                .entry((channel, id))
                .or_default()
                .push((sigma, source));
        }
        tracing::debug!(
            loaded = report.loaded,
            skipped = report.skipped.len(),
            partitions = partitions.len(),
            "sigma rules loaded"
        );
        (
            SigmaEngine {
                partitions,
                index: PartitionIndex::new(&gates),
                rule_count: report.loaded,
                aliases,
            },
            report,
        )
    }

    /// How many rules are loaded.
    pub fn rule_count(&self) -> usize {
        self.rule_count
    }

    /// The rules that fire on a record, in no particular order. Only the rules whose
    /// logsource covers the record's channel and event id are evaluated.
    pub fn evaluate(&self, record: &Record) -> Vec<SigmaMatch> {
        let channel = record.event.channel.to_ascii_lowercase();
        let event_id = record.event.event_id;
        let covering = self.index.covering(&channel, event_id);
        if covering.is_empty() {
            return Vec::new();
        }
        let aliased;
        let raw = match self
            .aliases
            .get(&(channel, event_id))
            .zip(record.raw.as_object())
        {
            Some((pairs, map)) => {
                let mut map = map.clone();
                for (sigma, source) in pairs {
                    if let (false, Some(v)) = (map.contains_key(sigma), map.get(source)) {
                        let v = v.clone();
                        map.insert(sigma.clone(), v);
                    }
                }
                aliased = Value::Object(map);
                &aliased
            }
            None => &record.raw,
        };
        let event = JsonEvent::borrow(raw);
        let mut out = Vec::new();
        for partition in covering.into_iter().map(|i| &self.partitions[i]) {
            for r in partition.engine.evaluate(&event) {
                if !r.is_detection() {
                    continue;
                }
                let key = r
                    .header
                    .rule_id
                    .clone()
                    .unwrap_or_else(|| r.header.rule_title.clone());
                let Some(description) = partition.descriptions.get(&key) else {
                    continue;
                };
                out.push(SigmaMatch {
                    description: description.clone(),
                    rule_id: key,
                    title: r.header.rule_title,
                    level: r
                        .header
                        .level
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default(),
                    tags: r.header.tags,
                });
            }
        }
        out
    }
}
