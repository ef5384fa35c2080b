//! Partitions: the rules of one logsource gate in one rsigma engine, compiled (parsed,
//! compiled, indexed) the first time a record needs it. Several import workers evaluate
//! at once: a partition compiles once, the others wait for it.
//!
//! Why one engine per gate: splitting the large ones (Sysmon process creation: 1,259
//! rules) by the image file name rules need took a one-record import from 1,259 compiled
//! rules to 623 but only from ~140 to ~110 ms (the cost is in the heavy rules no image
//! anchors: regexes, long command-line lists), and each extra engine a record reached
//! cost evaluation time: `vigil bench import` spent 136 us of CPU a record against 118
//! with one engine per gate.

use std::collections::HashMap;
use std::sync::OnceLock;

use rsigma_eval::{CompiledRule, Engine};

use super::catalogue::{RuleEntry, RuleFile};
use super::RuleSkip;
use crate::logsource::Gate;

/// A partition of at least this many rules checks rsigma's bloom filter before its rules
/// (the per-field probes pay off over many rules; on a few they cost more than they save).
const BLOOM_AT: usize = 64;

/// A partition of at least this many rules compiles on several threads (parsing and
/// compiling its rules; the index is built once, after): Sysmon process creation's in
/// ~20% less time on two cores.
const PARALLEL_AT: usize = 128;

/// The compiled form of a partition.
pub(crate) struct Compiled {
    pub engine: Engine,
    /// The rule key a match reports → (entry, the rule's description).
    pub members: HashMap<String, (u32, String)>,
    /// Rules that did not compile.
    pub skipped: Vec<(u32, RuleSkip)>,
}

/// The rules of one gate, compiled together when first needed.
pub(crate) struct Partition {
    /// Indexes into the catalogue's entries.
    pub entries: Vec<u32>,
    compiled: OnceLock<Compiled>,
}

impl Partition {
    pub fn new(entries: Vec<u32>) -> Partition {
        Partition {
            entries,
            compiled: OnceLock::new(),
        }
    }

    /// The compiled partition, compiling it now if no one has.
    pub fn compiled(&self, files: &[RuleFile], entries: &[RuleEntry]) -> &Compiled {
        self.compiled
            .get_or_init(|| compile(files, entries, &self.entries))
    }

    /// The compiled partition, if it is.
    pub fn if_compiled(&self) -> Option<&Compiled> {
        self.compiled.get()
    }
}

/// Parses and compiles the rules of a partition into one engine (a single index build), on
/// several threads when it is large. A rule that does not parse or compile is skipped
/// with the reason.
fn compile(files: &[RuleFile], entries: &[RuleEntry], members: &[u32]) -> Compiled {
    // By file, so that a file holding several rules is parsed once.
    let mut by_file: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut sorted = members.to_vec();
    sorted.sort_by_key(|&i| (entries[i as usize].file, entries[i as usize].ordinal));
    for i in sorted {
        let file = entries[i as usize].file;
        match by_file.last_mut() {
            Some((f, list)) if *f == file => list.push(i),
            _ => by_file.push((file, vec![i])),
        }
    }
    let threads = if members.len() >= PARALLEL_AT {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    } else {
        1
    };
    let chunk = by_file.len().div_ceil(threads).max(1);
    let parts: Vec<Part> = if threads > 1 {
        std::thread::scope(|scope| {
            let handles: Vec<_> = by_file
                .chunks(chunk)
                .map(|files_part| {
                    (
                        files_part,
                        scope.spawn(move || compile_part(files, entries, files_part)),
                    )
                })
                .collect();
            handles
                .into_iter()
                .map(|(files_part, h)| {
                    h.join()
                        .unwrap_or_else(|_| failed_part(files, entries, files_part))
                })
                .collect()
        })
    } else {
        vec![compile_part(files, entries, &by_file)]
    };
    let mut by_key = HashMap::with_capacity(members.len());
    let mut rules = Vec::with_capacity(members.len());
    let mut skipped = Vec::new();
    for part in parts {
        for (entry, rule) in part.rules {
            let key = entries[entry as usize].key.clone();
            let description = rule.description.clone().unwrap_or_default();
            by_key.insert(key, (entry, description));
            rules.push(rule);
        }
        skipped.extend(part.skipped);
    }
    let mut engine = Engine::new();
    engine.set_bloom_prefilter(rules.len() >= BLOOM_AT);
    // One index build for the whole partition.
    engine.extend_compiled_rules(rules);
    Compiled {
        engine,
        members: by_key,
        skipped,
    }
}

/// The rules of a part whose thread panicked, all skipped.
fn failed_part(files: &[RuleFile], entries: &[RuleEntry], by_file: &[(u32, Vec<u32>)]) -> Part {
    let mut part = Part::default();
    for (file, members) in by_file {
        for &i in members {
            part.skipped.push((
                i,
                RuleSkip {
                    file: files[*file as usize].name.clone(),
                    title: Some(entries[i as usize].title.clone()),
                    reason: "compiling it failed (panic in the Sigma compiler)".into(),
                },
            ));
        }
    }
    part
}

#[derive(Default)]
struct Part {
    rules: Vec<(u32, CompiledRule)>,
    skipped: Vec<(u32, RuleSkip)>,
}

fn compile_part(files: &[RuleFile], entries: &[RuleEntry], by_file: &[(u32, Vec<u32>)]) -> Part {
    let mut part = Part::default();
    for (file, members) in by_file {
        let file = &files[*file as usize];
        let skip = |part: &mut Part, i: u32, reason: String| {
            part.skipped.push((
                i,
                RuleSkip {
                    file: file.name.clone(),
                    title: Some(entries[i as usize].title.clone()),
                    reason,
                },
            ))
        };
        let text = match file.read() {
            Ok(t) => t,
            Err(reason) => {
                for &i in members {
                    skip(&mut part, i, reason.clone());
                }
                continue;
            }
        };
        let collection = match rsigma_parser::parse_sigma_yaml(&text) {
            Ok(c) => c,
            Err(e) => {
                for &i in members {
                    skip(&mut part, i, format!("not a Sigma file: {e}"));
                }
                continue;
            }
        };
        let mut rules = collection.rules;
        for &i in members {
            let entry = &entries[i as usize];
            let Some(rule) = rules.get_mut(entry.ordinal as usize) else {
                let why = if collection.errors.is_empty() {
                    "not a Sigma rule".to_string()
                } else {
                    collection.errors.join("; ")
                };
                skip(&mut part, i, why);
                continue;
            };
            let ls = &rule.logsource;
            if (&ls.product, &ls.category, &ls.service)
                != (&entry.product, &entry.category, &entry.service)
            {
                // The index put it under another gate than its text names.
                skip(
                    &mut part,
                    i,
                    "its logsource reads differently parsed than indexed".into(),
                );
                continue;
            }
            match rsigma_eval::compile_rule(rule) {
                Ok(mut compiled) => {
                    // Matches report the key the catalogue knows the rule by (a light
                    // read takes `id: 3` as "3", rsigma only takes text ids).
                    compiled.id = Some(entry.key.clone());
                    part.rules.push((i, compiled));
                }
                Err(e) => skip(&mut part, i, format!("does not compile: {e}")),
            }
        }
    }
    part
}

/// Which partitions cover a record, by its channel (lower case) and event id.
#[derive(Default)]
pub(crate) struct PartitionIndex {
    /// Channel (lower case) → event id → partitions.
    by_event: HashMap<String, HashMap<i64, Vec<usize>>>,
    by_channel: HashMap<String, Vec<usize>>,
    everywhere: Vec<usize>,
}

impl PartitionIndex {
    pub fn new(gates: &[Gate]) -> PartitionIndex {
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
    pub fn covering(&self, channel: &str, event_id: i64) -> Vec<usize> {
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
