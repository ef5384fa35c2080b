//! Evaluating a record: the partitions its channel and event id reach, compiled now if
//! they were not.

use rsigma_eval::event::JsonEvent;
use serde_json::Value;

use super::{SigmaEngine, SigmaMatch};
use crate::read::Record;

impl SigmaEngine {
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
        let mut out: Vec<SigmaMatch> = Vec::new();
        for partition in covering.into_iter().map(|i| &self.partitions[i]) {
            let compiled = partition.compiled(&self.files, &self.entries);
            for r in compiled.engine.evaluate(&event) {
                if !r.is_detection() {
                    continue;
                }
                let header = r.header;
                let key = header
                    .rule_id
                    .clone()
                    .unwrap_or_else(|| header.rule_title.clone());
                let Some((entry, description)) = compiled.members.get(&key) else {
                    continue;
                };
                let e = &self.entries[*entry as usize];
                out.push(SigmaMatch {
                    description: description.clone(),
                    rule_id: key,
                    title: header.rule_title,
                    level: header
                        .level
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_else(|| e.level.clone()),
                    tags: header.tags,
                    status: e.status.clone(),
                    hunting: e.hunting,
                    author: e.author.clone(),
                    origin: e.origin,
                });
            }
        }
        out
    }
}
