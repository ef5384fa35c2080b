//! Sigma logsource gating: which records a rule may be evaluated on, from the embedded
//! `logsource-map.yaml` (data, not code).

use std::collections::{BTreeMap, HashMap};

use rsigma_parser::LogSource;
use serde::Deserialize;

/// The embedded default map.
pub const DEFAULT_MAP: &str = include_str!("../logsource-map.yaml");

#[derive(Debug, Deserialize)]
struct MapFile {
    products: Vec<String>,
    services: BTreeMap<String, Vec<String>>,
    categories: BTreeMap<String, Vec<Condition>>,
}

/// One channel (and event ids) a logsource covers.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Condition {
    /// The event log channel.
    pub channel: String,
    /// The event ids; empty means any.
    #[serde(default)]
    pub event_ids: Vec<i64>,
    /// Sigma field name -> source field name, added as aliases for the rule's evaluation.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl Condition {
    fn covers(&self, channel: &str, event_id: i64) -> bool {
        self.channel.eq_ignore_ascii_case(channel)
            && (self.event_ids.is_empty() || self.event_ids.contains(&event_id))
    }
}

/// The records a rule may be evaluated on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Any record (a rule with no category or service).
    All,
    /// Records matching one of these conditions.
    Any(Vec<Condition>),
}

impl Gate {
    /// Whether a record of this channel and event id passes.
    pub fn covers(&self, channel: &str, event_id: i64) -> bool {
        match self {
            Gate::All => true,
            Gate::Any(conds) => conds.iter().any(|c| c.covers(channel, event_id)),
        }
    }
}

/// The logsource map: Sigma product/category/service to channels and event ids.
#[derive(Debug)]
pub struct LogsourceMap {
    products: Vec<String>,
    services: HashMap<String, Vec<String>>,
    categories: HashMap<String, Vec<Condition>>,
}

impl LogsourceMap {
    /// Parses a map in the format of `logsource-map.yaml`.
    pub fn parse(text: &str) -> Result<LogsourceMap, String> {
        let file: MapFile = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        Ok(LogsourceMap {
            products: file.products,
            services: file.services.into_iter().collect(),
            categories: file.categories.into_iter().collect(),
        })
    }

    /// The embedded default map.
    pub fn builtin() -> LogsourceMap {
        match LogsourceMap::parse(DEFAULT_MAP) {
            Ok(map) => map,
            // The embedded file is checked by a unit test; an empty map gates everything out.
            Err(_) => LogsourceMap {
                products: Vec::new(),
                services: HashMap::new(),
                categories: HashMap::new(),
            },
        }
    }

    /// The gate of a rule's logsource, or why the rule cannot run on Vigil's telemetry.
    pub fn gate(&self, ls: &LogSource) -> Result<Gate, String> {
        if let Some(p) = &ls.product {
            if !self.products.iter().any(|x| x.eq_ignore_ascii_case(p)) {
                return Err(format!("no telemetry for logsource product '{p}'"));
            }
        }
        let service_channels = match &ls.service {
            Some(s) => Some(
                self.services
                    .get(s.as_str())
                    .ok_or_else(|| format!("logsource service '{s}' is not mapped"))?,
            ),
            None => None,
        };
        match (&ls.category, service_channels) {
            (Some(c), channels) => {
                let conds = self
                    .categories
                    .get(c.as_str())
                    .ok_or_else(|| format!("logsource category '{c}' is not mapped"))?;
                let conds: Vec<Condition> = conds
                    .iter()
                    .filter(|cond| {
                        channels.is_none_or(|chs| {
                            chs.iter().any(|ch| ch.eq_ignore_ascii_case(&cond.channel))
                        })
                    })
                    .cloned()
                    .collect();
                if conds.is_empty() {
                    return Err(format!(
                        "logsource category '{c}' has no channel in service '{}'",
                        ls.service.as_deref().unwrap_or_default()
                    ));
                }
                Ok(Gate::Any(conds))
            }
            (None, Some(channels)) => Ok(Gate::Any(
                channels
                    .iter()
                    .map(|ch| Condition {
                        channel: ch.clone(),
                        event_ids: Vec::new(),
                        fields: BTreeMap::new(),
                    })
                    .collect(),
            )),
            (None, None) if ls.product.is_some() => Ok(Gate::All),
            (None, None) => Err("logsource names no product, category or service".into()),
        }
    }

    /// Field aliases (Sigma name, source name) that apply to a record of this channel and
    /// event id, from any category condition that covers it.
    pub fn aliases(&self) -> Vec<(String, i64, String, String)> {
        let mut out = Vec::new();
        for conds in self.categories.values() {
            for c in conds {
                for (sigma, source) in &c.fields {
                    for id in &c.event_ids {
                        out.push((
                            c.channel.to_ascii_lowercase(),
                            *id,
                            sigma.clone(),
                            source.clone(),
                        ));
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_map_parses() {
        let map = LogsourceMap::parse(DEFAULT_MAP).expect("map parses");
        assert!(map.categories.contains_key("process_creation"));
    }

    fn ls(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            product: product.map(Into::into),
            category: category.map(Into::into),
            service: service.map(Into::into),
            ..LogSource::default()
        }
    }

    #[test]
    fn sysmon_process_creation_does_not_cover_security_event_1() {
        let map = LogsourceMap::builtin();
        let gate = map
            .gate(&ls(Some("windows"), Some("process_creation"), None))
            .expect("mapped");
        assert!(gate.covers("Microsoft-Windows-Sysmon/Operational", 1));
        assert!(gate.covers("security", 4688));
        assert!(!gate.covers("Security", 1));
        assert!(!gate.covers("Microsoft-Windows-Sysmon/Operational", 13));
    }

    #[test]
    fn unmapped_logsources_are_refused_with_a_reason() {
        let map = LogsourceMap::builtin();
        assert!(map
            .gate(&ls(Some("linux"), Some("process_creation"), None))
            .is_err());
        assert!(map.gate(&ls(None, Some("webserver"), None)).is_err());
        assert!(map.gate(&ls(Some("windows"), None, Some("nope"))).is_err());
        assert_eq!(map.gate(&ls(Some("windows"), None, None)), Ok(Gate::All));
    }
}
