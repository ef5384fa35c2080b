//! Analyse: a verdict with reasons for every entity — threat intelligence, the alerts that
//! name it, heuristics (kept as data in `content/heuristics.json`), then propagation along
//! the evidence links until nothing changes.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use sqlx::SqliteConnection;

use crate::domain::{EntityKind, FolderClass, Reason, Verdict};
use crate::ops::entities::file_name;
use crate::Result;

/// Heuristic content, loaded once from the embedded data file.
/// The heuristic lists.
#[derive(Debug, Deserialize)]
pub struct Heuristics {
    pub office_apps: Vec<String>,
    pub script_hosts: Vec<String>,
    pub encoded_command_markers: Vec<String>,
    pub executable_extensions: Vec<String>,
    pub user_writable_markers: Vec<String>,
}

/// The heuristic lists, loaded once from the embedded data file.
pub fn heuristics() -> &'static Heuristics {
    static CONTENT: OnceLock<Heuristics> = OnceLock::new();
    CONTENT.get_or_init(|| {
        serde_json::from_str(include_str!("../../../content/heuristics.json")).unwrap_or(
            Heuristics {
                office_apps: Vec::new(),
                script_hosts: Vec::new(),
                encoded_command_markers: Vec::new(),
                executable_extensions: Vec::new(),
                user_writable_markers: Vec::new(),
            },
        )
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Item {
    id: i64,
    kind: EntityKind,
    name: String,
    path: Option<String>,
    sha256: Option<String>,
    command_line: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct Judgement {
    reasons: Vec<Reason>,
}

impl Judgement {
    fn verdict(&self) -> Verdict {
        self.reasons
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::NoThreatsFound)
    }

    fn add(&mut self, analyzer: &str, verdict: Verdict, text: String) -> bool {
        if self.reasons.iter().any(|r| r.text == text) {
            return false;
        }
        self.reasons.push(Reason {
            analyzer: analyzer.to_string(),
            verdict,
            text,
        });
        true
    }
}

fn lower_name(path: &str) -> String {
    file_name(path).to_ascii_lowercase()
}

/// Judges every entity of the investigation and writes verdicts and reasons.
/// Returns (malicious, suspicious) counts.
pub async fn judge(conn: &mut SqliteConnection, investigation: i64) -> Result<(usize, usize)> {
    let items: Vec<Item> = sqlx::query_as(
        "SELECT e.id, e.kind, e.name, e.path, e.sha256, e.command_line, e.value
         FROM evidence v JOIN entities e ON e.id = v.entity_id WHERE v.investigation_id = ?",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    let links: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT from_entity, to_entity, relation FROM evidence_links WHERE investigation_id = ?",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;
    let named_by_alerts: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT ae.entity_id, a.title, a.detection_source, a.rule_id, a.description
         FROM investigation_alerts ia JOIN alerts a ON a.id = ia.alert_id
         JOIN alert_entities ae ON ae.alert_id = a.id WHERE ia.investigation_id = ?",
    )
    .bind(investigation)
    .fetch_all(&mut *conn)
    .await?;

    let h = heuristics();
    let by_id: HashMap<i64, &Item> = items.iter().map(|i| (i.id, i)).collect();
    let mut judged: HashMap<i64, Judgement> = HashMap::new();

    for item in &items {
        let j = judged.entry(item.id).or_default();
        // Threat intelligence.
        let lookups: Vec<(&str, String)> = match item.kind {
            EntityKind::File => item.sha256.iter().map(|s| ("sha256", s.clone())).collect(),
            EntityKind::Url | EntityKind::Domain | EntityKind::Ip => item
                .value
                .iter()
                .map(|v| (item.kind.as_str(), v.to_ascii_lowercase()))
                .collect(),
            _ => Vec::new(),
        };
        for (kind, value) in lookups {
            if let Some((source, description)) =
                crate::ops::world::find_indicator(conn, kind, &value).await?
            {
                let what = if description.is_empty() {
                    "a known threat".to_string()
                } else {
                    description
                };
                j.add(
                    "threat_intel",
                    Verdict::Malicious,
                    format!(
                        "{} matches an indicator in {source}: {what}",
                        item.kind.as_str().replace('_', " ")
                    ),
                );
            }
        }
        // Heuristics.
        if item.kind == EntityKind::Process {
            let cmd = format!(
                " {} ",
                item.command_line
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            );
            if h.encoded_command_markers
                .iter()
                .any(|m| cmd.contains(m.as_str()))
                && lower_name(item.path.as_deref().unwrap_or("")).starts_with("powershell")
            {
                j.add(
                    "heuristic",
                    Verdict::Suspicious,
                    "PowerShell ran an encoded command".into(),
                );
            }
        }
        if item.kind == EntityKind::Persistence {
            let value = item
                .value
                .as_deref()
                .unwrap_or("")
                .to_ascii_lowercase()
                .replace('/', "\\");
            if h.user_writable_markers
                .iter()
                .any(|m| value.contains(&m.replace('/', "\\")))
            {
                j.add(
                    "heuristic",
                    Verdict::Suspicious,
                    format!("{} starts a program from a user-writable folder", item.name),
                );
            }
        }
    }
    for (entity, title, source, rule, description) in &named_by_alerts {
        if let Some(j) = judged.get_mut(entity) {
            let rule = if rule.is_empty() {
                String::new()
            } else {
                format!(", rule {rule}")
            };
            j.add(
                "alert",
                Verdict::Suspicious,
                format!("named in the alert \"{title}\" ({source}{rule})"),
            );
            // The file's MD5 or SHA-1 is an indicator (its SHA-256, looked up above, may
            // be unknown or not on the list): as strong as a known-bad SHA-256.
            if source == "ioc"
                && !j.reasons.iter().any(|r| r.analyzer == "threat_intel")
                && by_id
                    .get(entity)
                    .is_some_and(|i| i.kind == EntityKind::File)
            {
                j.add(
                    "threat_intel",
                    Verdict::Malicious,
                    format!("a known threat: {description}"),
                );
            }
            // A YARA rule matched the file's own bytes (the local sensor's scans): as
            // strong as a known-bad hash.
            if source == "yara"
                && by_id
                    .get(entity)
                    .is_some_and(|i| i.kind == EntityKind::File)
            {
                j.add(
                    "yara",
                    Verdict::Malicious,
                    format!("a YARA rule matched its content{rule}"),
                );
            }
        }
    }
    for (from, to, relation) in &links {
        let (Some(parent), Some(child)) = (by_id.get(from), by_id.get(to)) else {
            continue;
        };
        if relation == "spawned"
            && parent.kind == EntityKind::Process
            && child.kind == EntityKind::Process
        {
            let parent_name = lower_name(parent.path.as_deref().unwrap_or(""));
            let child_name = lower_name(child.path.as_deref().unwrap_or(""));
            if h.office_apps.contains(&parent_name) && h.script_hosts.contains(&child_name) {
                let text =
                    format!("Office application {parent_name} started script host {child_name}");
                judged.entry(child.id).or_default().add(
                    "heuristic",
                    Verdict::Suspicious,
                    text.clone(),
                );
            }
        }
        if relation == "wrote" && child.kind == EntityKind::File {
            let path = child.path.as_deref().unwrap_or("");
            let writer = lower_name(parent.path.as_deref().unwrap_or(""));
            let executable = h
                .executable_extensions
                .iter()
                .any(|ext| path.to_ascii_lowercase().ends_with(ext.as_str()));
            if executable
                && FolderClass::of_path(path) == FolderClass::Temp
                && (h.script_hosts.contains(&writer) || h.office_apps.contains(&writer))
            {
                judged.entry(child.id).or_default().add(
                    "heuristic",
                    Verdict::Suspicious,
                    format!("{writer} dropped an executable file in a temporary folder"),
                );
            }
        }
    }

    // Propagation along evidence until nothing changes.
    for _round in 0..8 {
        let mut changed = false;
        let verdicts: HashMap<i64, Verdict> =
            judged.iter().map(|(id, j)| (*id, j.verdict())).collect();
        let malicious = |id: &i64| verdicts.get(id) == Some(&Verdict::Malicious);
        // A process running a malicious file is malicious (same path or same hash).
        for item in items.iter().filter(|i| i.kind == EntityKind::Process) {
            let image = item.path.as_deref().unwrap_or("");
            for file in items
                .iter()
                .filter(|f| f.kind == EntityKind::File && malicious(&f.id))
            {
                if file
                    .path
                    .as_deref()
                    .is_some_and(|p| p.eq_ignore_ascii_case(image))
                    && links.iter().any(|(a, b, _)| {
                        (*a == file.id && *b == item.id) || (*a == item.id && *b == file.id)
                    })
                {
                    changed |= judged.entry(item.id).or_default().add(
                        "propagation",
                        Verdict::Malicious,
                        format!("runs {} which is malicious", file.name),
                    );
                }
            }
        }
        for (from, to, relation) in &links {
            let (Some(a), Some(b)) = (by_id.get(from), by_id.get(to)) else {
                continue;
            };
            match relation.as_str() {
                // What a malicious process created or contacted is at least suspicious.
                "wrote" | "created" | "connected to" | "resolved" | "requested" | "spawned"
                    if malicious(from) && a.kind == EntityKind::Process =>
                {
                    changed |= judged.entry(b.id).or_default().add(
                        "propagation",
                        Verdict::Suspicious,
                        format!("{relation} by malicious process {}", a.name),
                    );
                }
                // Persistence that starts a malicious file is malicious.
                "starts" if malicious(to) => {
                    changed |= judged.entry(a.id).or_default().add(
                        "propagation",
                        Verdict::Malicious,
                        format!("starts {} which is malicious", b.name),
                    );
                }
                // Mail that delivered a malicious file is malicious.
                "delivered" if malicious(to) => {
                    changed |= judged.entry(a.id).or_default().add(
                        "propagation",
                        Verdict::Malicious,
                        format!("delivered the malicious attachment {}", b.name),
                    );
                }
                _ => {}
            }
        }
        // Persistence created by a malicious process and pointing at a malicious file.
        for item in items.iter().filter(|i| i.kind == EntityKind::Persistence) {
            let value = item.value.as_deref().unwrap_or("").to_ascii_lowercase();
            for file in items
                .iter()
                .filter(|f| f.kind == EntityKind::File && malicious(&f.id))
            {
                let path = file.path.as_deref().unwrap_or("").to_ascii_lowercase();
                if !path.is_empty() && value.contains(&path) {
                    changed |= judged.entry(item.id).or_default().add(
                        "propagation",
                        Verdict::Malicious,
                        format!("starts {} which is malicious", file.name),
                    );
                }
            }
        }
        if !changed {
            break;
        }
    }

    let (mut malicious, mut suspicious) = (0, 0);
    for item in &items {
        let j = judged.remove(&item.id).unwrap_or_default();
        // A user is judged only when something names them (e.g. a DCSync alert).
        let verdict = if item.kind == EntityKind::User && j.reasons.is_empty() {
            Verdict::Unknown
        } else {
            j.verdict()
        };
        match verdict {
            Verdict::Malicious => malicious += 1,
            Verdict::Suspicious => suspicious += 1,
            _ => {}
        }
        sqlx::query("UPDATE evidence SET verdict = ?, reasons = ? WHERE investigation_id = ? AND entity_id = ?")
            .bind(verdict)
            .bind(serde_json::to_string(&j.reasons).unwrap_or_else(|_| "[]".into()))
            .bind(investigation)
            .bind(item.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok((malicious, suspicious))
}
