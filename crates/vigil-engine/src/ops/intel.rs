//! Threat intelligence: IOC lists (CSV or STIX 2.1) in, matched against telemetry. An
//! event that shows an indicator raises an alert, whether the list came first (matched as
//! the telemetry is imported) or the telemetry did (a new list is looked up in the events
//! already stored, so that yesterday's logs answer today's report).

use std::collections::HashMap;
use std::path::Path;

use sqlx::SqliteConnection;
use vigil_telemetry::{Event, IndicatorKind};

use crate::domain::{IntelList, IntelSummary, KindCount, NewIndicator};
use crate::ops::detections::{ioc_alert, AlertSet, Hit, Sighting};
use crate::store::{alerts, indicators};
use crate::{Error, Result, Vigil};

/// Indicators by kind, for matching events during an import.
pub(crate) struct Intel {
    by_kind: HashMap<String, HashMap<String, (String, String)>>,
}

impl Intel {
    pub async fn load(conn: &mut SqliteConnection) -> Result<Self> {
        let rows = indicators::all(conn).await?;
        let mut by_kind: HashMap<String, HashMap<String, (String, String)>> = HashMap::new();
        for (kind, value, source, description) in rows {
            by_kind
                .entry(kind)
                .or_default()
                .insert(value, (source, description));
        }
        Ok(Self { by_kind })
    }

    /// The indicators an event shows. Nothing is allocated for kinds no list holds (most
    /// imports: this runs for every record).
    pub fn hits(&self, event: &Event) -> Vec<Hit> {
        let mut out = Vec::new();
        let mut check = |kind: &'static str, value: &Option<String>| {
            let (Some(listed), Some(value)) = (self.by_kind.get(kind), value) else {
                return;
            };
            // IPs have no case; the rest is compared lower-case.
            let value = if kind == "ip" {
                value.clone()
            } else {
                value.to_ascii_lowercase()
            };
            if let Some((source, description)) = listed.get(&value) {
                out.push(Hit {
                    kind,
                    value,
                    source: source.clone(),
                    description: description.clone(),
                });
            }
        };
        check("sha256", &event.sha256);
        check("sha1", &event.sha1);
        check("md5", &event.md5);
        check("domain", &event.dns_domain);
        check("url", &event.url);
        check("ip", &event.remote_ip);
        out
    }
}

impl Vigil {
    /// The IOC lists held, newest first.
    pub async fn intel_lists(&self) -> Result<Vec<IntelList>> {
        let mut conn = self.store().pool().acquire().await?;
        let rows = indicators::lists(&mut conn).await?;
        let mut lists: Vec<IntelList> = Vec::new();
        for (source, kind, count, added_at) in rows {
            let at = match lists.iter().position(|l| l.source == source) {
                Some(at) => at,
                None => {
                    lists.push(IntelList {
                        source,
                        indicators: 0,
                        kinds: Vec::new(),
                        added_at: added_at.clone(),
                        alerts: 0,
                        machines: 0,
                    });
                    lists.len() - 1
                }
            };
            let list = &mut lists[at];
            list.indicators += count as u32;
            list.kinds.push(KindCount {
                kind,
                count: count as u32,
            });
            list.added_at = std::cmp::min(list.added_at.clone(), added_at);
        }
        let raised = alerts::ioc_alerts_by_rule(&mut conn).await?;
        for list in &mut lists {
            list.kinds
                .sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(&b.kind)));
            let rule = format!("ioc:{}", list.source);
            if let Some((_, alerts, machines)) = raised.iter().find(|(r, _, _)| *r == rule) {
                list.alerts = *alerts as u32;
                list.machines = *machines as u32;
            }
        }
        lists.sort_by(|a, b| b.added_at.cmp(&a.added_at).then(a.source.cmp(&b.source)));
        Ok(lists)
    }

    /// Forgets the indicators of one IOC list (alerts it raised stay, with their
    /// history). Returns how many went.
    pub async fn remove_intel_list(&self, source: &str) -> Result<u32> {
        let gone = {
            let mut conn = self.store().pool().acquire().await?;
            indicators::remove_list(&mut conn, source).await?
        };
        if gone == 0 {
            return Err(Error::NotFound {
                what: "IOC list",
                name: source.to_string(),
            });
        }
        Ok(gone as u32)
    }

    /// Imports an IOC list: CSV (`type,value[,description]`, or columns named by a header
    /// as feeds export them), one indicator per line, or a STIX 2.1 bundle. The new
    /// indicators are then looked up in the telemetry already stored: each machine that
    /// shows one gets an alert, routed like any other.
    pub async fn import_intel(&self, path: &Path) -> Result<IntelSummary> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let source = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stix = text.trim_start().starts_with('{');
        let parsed = if stix {
            vigil_telemetry::parse_stix(&text, &source)
        } else {
            vigil_telemetry::parse_csv(&text, &source)
        }
        .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let indicators: Vec<NewIndicator> = parsed
            .indicators
            .into_iter()
            .map(|i| NewIndicator {
                kind: i.kind.as_str().to_string(),
                value: i.value,
                source: source.clone(),
                description: i.description,
            })
            .collect();
        let mut summary = IntelSummary {
            indicators: indicators.len() as u32,
            skipped: parsed.skipped,
            skip_reasons: parsed.skip_reasons,
            ..IntelSummary::default()
        };

        // The new indicators are the rows after the last id: SQLite numbers new rows
        // consecutively, and this transaction is the only writer.
        let mut tx = self.store().pool().begin().await?;
        let last = indicators::last_id(&mut tx).await?;
        summary.added = indicators::add(&mut tx, &indicators).await? as u32;
        let found = if summary.added > 0 {
            indicators::sightings_after(&mut tx, last).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;

        let mut alerts = AlertSet::default();
        let mut names: HashMap<i64, String> = HashMap::new();
        for row in &found {
            let hit = Hit {
                // Stored kinds are the parser's names; an unknown one cannot be stored.
                kind: IndicatorKind::parse(&row.kind).map_or("ip", IndicatorKind::as_str),
                value: row.value.clone(),
                source: row.source.clone(),
                description: row.description.clone(),
            };
            let seen = Sighting {
                machine_id: row.machine_id,
                user: row.user_name.clone(),
                ts: &row.ts,
                path: row.path.as_deref(),
                sha256: row.sha256.as_deref(),
            };
            let (key, alert) = ioc_alert(&hit, &seen);
            alerts.add(key, alert);
            names.insert(row.machine_id, row.machine.clone());
        }
        summary.seen_on = names.values().cloned().collect();
        summary.seen_on.sort();

        let filed = self.file_alerts(alerts.into_alerts(), &names).await?;
        summary.alerts = filed.alerts;
        summary.investigations_started = filed.investigations_started;
        for investigation in filed.to_run {
            self.run_investigation(investigation).await?;
        }
        Ok(summary)
    }
}
