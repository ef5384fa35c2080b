//! Loading a case: the window of a machine's events around the investigation's alerts
//! (one indexed range read), completed with the starts of the alerts' processes' ancestors
//! that began before the window (looked up by pid), and the evidence already recorded.
//! Nothing here decides anything: collection and judgement are pure functions of the case.

use sqlx::SqliteConnection;
use vigil_telemetry::Artefact;

use crate::domain::EntityKind;
use crate::ops::evidence::Seen;
use crate::store::events::{self, EventRow};
use crate::store::{alerts, entities, evidence, indicators, investigations};
use crate::{clock, Result};

use super::judge;

/// At most this many events of one machine are read for one investigation; a window that
/// holds more is read from its start and the log says so.
pub const MAX_WINDOW_EVENTS: i64 = 100_000;

/// How many generations of ancestors are looked up before the window.
const ANCESTORS: usize = 6;

/// A stored event, its artefact read when first asked for (a window of PowerShell pipeline
/// events holds thousands of scripts no one looks at).
#[derive(Debug, Clone)]
pub struct CaseEvent {
    pub row: EventRow,
    artefact: std::sync::OnceLock<Option<Artefact>>,
    /// The name the source gave what the event is about (`extra.name`).
    pub name: Option<String>,
}

impl CaseEvent {
    fn of(row: EventRow) -> CaseEvent {
        let name = match row.kind.as_str() {
            "service_install" | "scheduled_task" if row.artefact.is_none() => {
                let extra: Option<serde_json::Value> = row
                    .extra
                    .as_deref()
                    .and_then(|e| serde_json::from_str(e).ok());
                extra.and_then(|e| e.get("name")?.as_str().map(str::to_string))
            }
            _ => None,
        };
        CaseEvent {
            row,
            artefact: std::sync::OnceLock::new(),
            name,
        }
    }

    /// The artefact the event shows, if any.
    pub fn artefact(&self) -> Option<&Artefact> {
        self.artefact
            .get_or_init(|| {
                self.row
                    .artefact
                    .as_deref()
                    .and_then(|a| serde_json::from_str(a).ok())
            })
            .as_ref()
    }

    /// Whether the event shows an artefact (without reading it).
    pub fn has_artefact(&self) -> bool {
        self.row.artefact.is_some()
    }

    /// Whether its artefact's text was left unread by the window's read.
    fn deferred(&self) -> bool {
        self.row.artefact.as_deref() == Some("")
    }

    /// The event as the evidence mapping reads it.
    pub fn seen(&self) -> Seen<'_> {
        let r = &self.row;
        Seen {
            kind: &r.kind,
            ts: Some(&r.ts),
            user: r.user_name.as_deref(),
            pid: r.pid,
            image: r.image.as_deref(),
            command_line: r.command_line.as_deref(),
            parent_pid: r.parent_pid,
            parent_image: r.parent_image.as_deref(),
            target_path: r.target_path.as_deref(),
            sha256: r.sha256.as_deref(),
            url: r.url.as_deref(),
            domain: r.domain.as_deref(),
            remote_ip: r.remote_ip.as_deref(),
            registry_key: r.registry_key.as_deref(),
            registry_value: r.registry_value.as_deref(),
            name: self.name.as_deref(),
            artefact: self.artefact(),
        }
    }

    /// A field of the event's `extra` JSON (a mail's subject, the source's channel…).
    pub fn extra(&self, field: &str) -> Option<String> {
        let extra: serde_json::Value = serde_json::from_str(self.row.extra.as_deref()?).ok()?;
        extra.get(field)?.as_str().map(str::to_string)
    }
}

/// The time span an investigation reads on one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub from: String,
    pub to: String,
}

/// The window on `machine`: its alerts' span, else when the threat was seen there (a
/// machine the scope grew to), else its latest events; widened by `minutes` each side.
pub async fn window_of(
    conn: &mut SqliteConnection,
    investigation: i64,
    machine: i64,
    minutes: u32,
) -> Result<Window> {
    let (first, last) = match alerts::span_on_machine(conn, investigation, machine).await? {
        Some(span) => span,
        None => match investigations::seen_on(conn, investigation, machine).await? {
            Some(seen) => seen,
            None => {
                let latest = events::latest_on(conn, machine)
                    .await?
                    .unwrap_or_else(clock::now);
                (latest.clone(), latest)
            }
        },
    };
    let around = time::Duration::minutes(i64::from(minutes));
    Ok(Window {
        from: clock::shift(&first, -around),
        to: clock::shift(&last, around),
    })
}

/// The machine's events in the window, in time order (at most [`MAX_WINDOW_EVENTS`]).
pub async fn events_in(
    conn: &mut SqliteConnection,
    machine: i64,
    window: &Window,
) -> Result<Vec<CaseEvent>> {
    let rows =
        events::in_window(conn, machine, &window.from, &window.to, MAX_WINDOW_EVENTS).await?;
    Ok(rows.into_iter().map(CaseEvent::of).collect())
}

/// Adds to `events` the starts of `seeds`' ancestors that began before the window, up to a
/// few generations and no further than a broker (services, WMI, the shell). Returns how many
/// it added; `events` stays in time order.
pub async fn complete_lineage(
    conn: &mut SqliteConnection,
    machine: i64,
    window: &Window,
    seeds: &[(i64, String)],
    events: &mut Vec<CaseEvent>,
) -> Result<usize> {
    let h = crate::ops::heuristics::heuristics();
    let mut added = Vec::new();
    for (pid, image) in seeds {
        let mut current = Some((*pid, image.clone()));
        for _ in 0..ANCESTORS {
            let Some((pid, image)) = current.take() else {
                break;
            };
            let known = events
                .iter()
                .chain(added.iter())
                .find(|e: &&CaseEvent| {
                    e.row.kind == "process_start"
                        && e.row.pid == Some(pid)
                        && e.row
                            .image
                            .as_deref()
                            .is_some_and(|i| i.eq_ignore_ascii_case(&image))
                })
                .map(|e| (e.row.parent_pid, e.row.parent_image.clone()));
            let parent = match known {
                Some(parent) => parent,
                None => match events::start_before(conn, machine, pid, &image, &window.to).await? {
                    Some(start) => {
                        let start = CaseEvent::of(start);
                        let parent = (start.row.parent_pid, start.row.parent_image.clone());
                        added.push(start);
                        parent
                    }
                    None => break,
                },
            };
            match parent {
                (Some(ppid), Some(pimage)) if !h.is_broker(&pimage) => {
                    current = Some((ppid, pimage));
                }
                _ => break,
            }
        }
    }
    let n = added.len();
    if n > 0 {
        events.extend(added);
        events.sort_by(|a, b| a.row.ts.cmp(&b.row.ts).then(a.row.id.cmp(&b.row.id)));
        events.dedup_by_key(|e| e.row.id);
    }
    Ok(n)
}

/// Reads the scripts of the events `wanted` names (indexes into `events`) that the window's
/// read left unread.
pub async fn load_scripts(
    conn: &mut SqliteConnection,
    events: &mut [CaseEvent],
    wanted: &[usize],
) -> Result<usize> {
    let ids: Vec<(usize, i64)> = wanted
        .iter()
        .filter(|&&i| events[i].deferred())
        .map(|&i| (i, events[i].row.id))
        .collect();
    let wanted: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
    let texts = events::artefacts(conn, &wanted).await?;
    for (i, id) in &ids {
        let e = &mut events[*i];
        e.row.artefact = texts.get(id).cloned().flatten();
        e.artefact = std::sync::OnceLock::new();
    }
    Ok(ids.len())
}

/// What the judge reads of an investigation: its evidence (every machine), links, the
/// alerts that name its entities with their parts, and the IOC lists' word on them.
pub async fn judge_case(conn: &mut SqliteConnection, investigation: i64) -> Result<judge::Case> {
    let known = evidence::known(conn, investigation, None).await?;
    let links = entities::links_of(conn, investigation).await?;
    let rows = alerts::namings_of_investigation(conn, investigation).await?;
    let mut case = judge::Case {
        links,
        ..judge::Case::default()
    };
    let mut alert_index: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for row in rows {
        let at = *alert_index.entry(row.id).or_insert_with(|| {
            case.alerts.push(judge::AlertFacts {
                title: row.title.clone(),
                severity: row.severity,
                grade: row.grade,
                source: row.detection_source.clone(),
                rule_id: row.rule_id.clone(),
                description: row.description.clone(),
            });
            case.alerts.len() - 1
        });
        case.named.push(judge::Named {
            entity: row.entity_id,
            role: row.role,
            alert: at,
        });
    }
    // The IOC lists' word, one query per kind.
    for kind in ["sha256", "url", "domain", "ip"] {
        let wanted: Vec<(i64, String)> = known
            .iter()
            .filter_map(|k| {
                let value = match (kind, k.kind) {
                    ("sha256", EntityKind::File) => k.sha256.clone(),
                    ("url", EntityKind::Url)
                    | ("domain", EntityKind::Domain)
                    | ("ip", EntityKind::Ip) => k.value.clone(),
                    _ => None,
                }?;
                Some((k.id, value.to_ascii_lowercase()))
            })
            .collect();
        let values: Vec<&str> = wanted.iter().map(|(_, v)| v.as_str()).collect();
        let hits = indicators::matching(conn, kind, &values).await?;
        for (id, value) in &wanted {
            if let Some(hit) = hits.get(value) {
                case.intel.insert(*id, hit.clone());
            }
        }
    }
    case.items = known
        .into_iter()
        .map(|k| judge::Item {
            detail: k.detail(),
            id: k.id,
            kind: k.kind,
            name: k.name,
            path: k.path,
            sha256: k.sha256.map(|s| s.to_lowercase()),
            command_line: k.command_line,
            value: k.value,
        })
        .collect();
    Ok(case)
}
