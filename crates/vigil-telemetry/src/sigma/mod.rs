//! Sigma detection: Vigil's own rules, SigmaHQ's Windows rules (embedded, or the set a
//! `vigil rules update` stored) and the user's rule folders, evaluated on records gated by
//! logsource so a rule only sees the channels it was written for.
//!
//! Loading is cheap: the shipped rules come with an index (built into the binary, or
//! written beside an update) that tells every rule's gate without parsing YAML; a user's
//! files are read line by line for their head (their detection is not parsed). Rules are
//! compiled by partition (one logsource gate: a channel and its event ids) the first time
//! a record needs them. [`SigmaEngine::report`] says what loaded: rules known to be
//! unusable when loading (logsource, YAML, duplicates) at once, rules that fail to compile
//! as their partition compiles; the eager constructors ([`SigmaEngine::from_sources`],
//! [`SigmaEngine::from_dirs`]) compile everything first, so their report is complete.

mod catalogue;
mod evaluate;
mod own;
mod partition;
mod scan;
pub mod sigmahq;
mod types;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::Result;
use crate::logsource::{Gate, LogsourceMap};
use catalogue::{Indexed, RuleEntry, RuleFile, Text};
use partition::{Partition, PartitionIndex};

pub use own::BUILTIN_RULES;
pub use types::{
    CompileStats, LoadReport, RuleCounts, RuleInfo, RuleOrigin, RuleSkip, RuleSources,
    SigmaHqRules, SigmaMatch,
};

/// A loaded Sigma rule set, ready to evaluate records (partitions compile on first use).
pub struct SigmaEngine {
    files: Vec<RuleFile>,
    /// Gated rules only.
    entries: Vec<RuleEntry>,
    by_key: HashMap<String, u32>,
    partitions: Vec<Partition>,
    index: PartitionIndex,
    /// Skips known at load, with their load-order place.
    skipped: Vec<(u32, RuleSkip)>,
    aliases: HashMap<(String, i64), Vec<(String, String)>>,
}

impl std::fmt::Debug for SigmaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaEngine")
            .field("rules", &self.entries.len())
            .field("partitions", &self.partitions.len())
            .field("compiled", &self.compiled())
            .finish()
    }
}

/// A rule's logsource: product, category, service.
type Logsource = (Option<String>, Option<String>, Option<String>);

/// Rule files as (file name, YAML text).
fn indexed_sources(sources: &[(String, String)], origin: RuleOrigin) -> Indexed {
    let mut out = Indexed::default();
    for (name, text) in sources {
        catalogue::index_text(
            &mut out,
            name.clone(),
            Text::Held(text.as_str().into()),
            origin,
        );
    }
    out
}

fn vigil_rules() -> Indexed {
    let mut out = Indexed::default();
    for (name, text) in BUILTIN_RULES {
        catalogue::index_text(
            &mut out,
            format!("builtin:{name}"),
            Text::Static(text),
            RuleOrigin::Vigil,
        );
    }
    out
}

impl SigmaEngine {
    /// Loads Vigil's own rules and the given sources, compiling nothing yet. A folder that
    /// cannot be read is an error; a rule that cannot be used is reported as skipped.
    pub fn load(sources: &RuleSources) -> Result<(SigmaEngine, LoadReport)> {
        let mut user = Indexed::default();
        catalogue::index_dirs(&mut user, &sources.user_dirs)?;
        let mut all = vec![user, vigil_rules()];
        match &sources.sigmahq {
            SigmaHqRules::Embedded => all.push(sigmahq::embedded()),
            SigmaHqRules::Folder(dir) => all.push(sigmahq::from_folder(dir)?),
            SigmaHqRules::Off => {}
        }
        let engine = SigmaEngine::build(catalogue::merge(all), &LogsourceMap::builtin());
        let report = engine.report();
        Ok((engine, report))
    }

    /// Vigil's own rules, SigmaHQ's embedded ones and every rule under the given folders,
    /// compiled as records need them.
    pub fn builtin_and_dirs(dirs: &[PathBuf]) -> Result<(SigmaEngine, LoadReport)> {
        SigmaEngine::load(&RuleSources {
            sigmahq: SigmaHqRules::Embedded,
            user_dirs: dirs.to_vec(),
        })
    }

    /// Loads every `.yml`/`.yaml` rule under the given folders (recursively) and compiles
    /// them. A folder that cannot be read is an error; a rule that cannot be used is
    /// reported as skipped.
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<(SigmaEngine, LoadReport)> {
        let mut user = Indexed::default();
        catalogue::index_dirs(&mut user, dirs)?;
        Ok(SigmaEngine::compiled_from(user, &LogsourceMap::builtin()))
    }

    /// Vigil's own rule set (see `rules/`), embedded in the binary, compiled.
    pub fn builtin() -> (SigmaEngine, LoadReport) {
        SigmaEngine::compiled_from(vigil_rules(), &LogsourceMap::builtin())
    }

    /// Loads rules from (file name, YAML text) pairs, with the embedded logsource map,
    /// and compiles them.
    pub fn from_sources(sources: &[(String, String)]) -> (SigmaEngine, LoadReport) {
        SigmaEngine::from_sources_with_map(sources, &LogsourceMap::builtin())
    }

    /// Loads rules from (file name, YAML text) pairs with a given logsource map, and
    /// compiles them (one engine per partition, each filled with a single index build).
    pub fn from_sources_with_map(
        sources: &[(String, String)],
        map: &LogsourceMap,
    ) -> (SigmaEngine, LoadReport) {
        SigmaEngine::compiled_from(indexed_sources(sources, RuleOrigin::User), map)
    }

    fn compiled_from(indexed: Indexed, map: &LogsourceMap) -> (SigmaEngine, LoadReport) {
        let engine = SigmaEngine::build(catalogue::merge(vec![indexed]), map);
        engine.compile_all();
        let report = engine.report();
        (engine, report)
    }

    /// Gates the catalogue's rules and splits them into partitions (nothing compiled).
    fn build(indexed: Indexed, map: &LogsourceMap) -> SigmaEngine {
        let Indexed {
            files,
            entries: all,
            mut skipped,
            ..
        } = indexed;
        let mut gates: Vec<Gate> = Vec::new();
        let mut members: Vec<Vec<u32>> = Vec::new();
        // Rules share a few logsources: gate each once.
        let mut gate_of: HashMap<Logsource, Result<usize, String>> = HashMap::new();
        let mut entries = Vec::with_capacity(all.len());
        for entry in all {
            let logsource = (
                entry.product.clone(),
                entry.category.clone(),
                entry.service.clone(),
            );
            let gate =
                gate_of
                    .entry(logsource)
                    .or_insert_with_key(|(product, category, service)| {
                        let ls = rsigma_parser::LogSource {
                            product: product.clone(),
                            category: category.clone(),
                            service: service.clone(),
                            ..rsigma_parser::LogSource::default()
                        };
                        let gate = map.gate(&ls)?;
                        Ok(match gates.iter().position(|g| *g == gate) {
                            Some(i) => i,
                            None => {
                                gates.push(gate);
                                members.push(Vec::new());
                                gates.len() - 1
                            }
                        })
                    });
            match gate {
                Ok(g) => {
                    members[*g].push(entries.len() as u32);
                    entries.push(entry);
                }
                Err(reason) => {
                    let file = &files[entry.file as usize];
                    skipped.push((
                        file.seq,
                        RuleSkip {
                            file: file.name.clone(),
                            title: Some(entry.title.clone()),
                            reason: reason.clone(),
                        },
                    ));
                }
            }
        }
        let partitions: Vec<Partition> = members.into_iter().map(Partition::new).collect();
        let by_key = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i as u32))
            .collect();
        let mut aliases: HashMap<(String, i64), Vec<(String, String)>> = HashMap::new();
        for (channel, id, sigma, source) in map.aliases() {
            aliases
                .entry((channel, id))
                .or_default()
                .push((sigma, source));
        }
        tracing::debug!(
            rules = entries.len(),
            skipped = skipped.len(),
            partitions = partitions.len(),
            "sigma rules indexed"
        );
        SigmaEngine {
            files,
            entries,
            by_key,
            index: PartitionIndex::new(&gates),
            partitions,
            skipped,
            aliases,
        }
    }

    /// Compiles every partition not compiled yet (what a check of a rule folder needs).
    pub fn compile_all(&self) {
        for partition in &self.partitions {
            partition.compiled(&self.files, &self.entries);
        }
    }

    /// The entries the compiled partitions refused, with the reason.
    fn refused(&self) -> HashMap<u32, &RuleSkip> {
        let mut out = HashMap::new();
        for partition in &self.partitions {
            if let Some(compiled) = partition.if_compiled() {
                for (entry, skip) in &compiled.skipped {
                    out.insert(*entry, skip);
                }
            }
        }
        out
    }

    /// What loaded and what did not, so far: rules refused when loading, and those the
    /// partitions compiled until now refused.
    pub fn report(&self) -> LoadReport {
        let refused = self.refused();
        let mut skipped: Vec<(u32, RuleSkip)> = self.skipped.clone();
        skipped.extend(refused.iter().map(|(entry, skip)| {
            let seq = self.files[self.entries[*entry as usize].file as usize].seq;
            (seq, (*skip).clone())
        }));
        skipped.sort_by_key(|(seq, _)| *seq);
        LoadReport {
            loaded: self.entries.len() - refused.len(),
            skipped: skipped.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// How many rules are loaded (see [`LoadReport::loaded`]).
    pub fn rule_count(&self) -> usize {
        self.entries.len() - self.refused().len()
    }

    /// How many rules of each origin are loaded.
    pub fn counts(&self) -> RuleCounts {
        let refused = self.refused();
        let mut counts = RuleCounts::default();
        for (i, e) in self.entries.iter().enumerate() {
            if refused.contains_key(&(i as u32)) {
                continue;
            }
            match e.origin {
                RuleOrigin::Vigil => counts.vigil += 1,
                RuleOrigin::SigmaHq => counts.sigmahq += 1,
                RuleOrigin::User => counts.user += 1,
            }
        }
        counts
    }

    /// What has been compiled so far.
    pub fn compiled(&self) -> CompileStats {
        let mut stats = CompileStats::default();
        for partition in &self.partitions {
            stats.partitions_total += 1;
            if partition.if_compiled().is_some() {
                stats.partitions += 1;
                stats.rules += partition.entries.len();
            }
        }
        stats
    }

    /// Every loaded rule.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo> + '_ {
        (0..self.entries.len()).map(|i| self.info(i as u32))
    }

    /// A loaded rule by its id (its title when it has none).
    pub fn rule(&self, rule_id: &str) -> Option<RuleInfo> {
        self.by_key.get(rule_id).map(|i| self.info(*i))
    }

    fn info(&self, i: u32) -> RuleInfo {
        let e = &self.entries[i as usize];
        RuleInfo {
            rule_id: e.key.clone(),
            title: e.title.clone(),
            level: e.level.clone(),
            status: e.status.clone(),
            author: e.author.clone(),
            tags: e.tags.clone(),
            hunting: e.hunting,
            origin: e.origin,
            file: self.files[e.file as usize].name.clone(),
        }
    }
}
