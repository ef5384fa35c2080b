//! The alert each detection raises: title, severity, category, MITRE technique, detection
//! source and the evidence entities (a process carries its start time so a kill can run).

use std::path::{Path, PathBuf};

use vigil_engine::clock;
use vigil_engine::domain::NewAlert;
use vigil_engine::domain::{EntityKind, NewEntity, Severity};

use super::Detection;
use crate::inventory::{start_time_text, ProcessInfo};
use crate::scan::{Hit, HitKind};

/// The MITRE ATT&CK technique of a persistence mechanism.
fn persistence_technique(mechanism: &str) -> &'static str {
    match mechanism {
        "systemd_unit" => "T1543.002",
        "cron" | "user_crontab" => "T1053.003",
        "shell_rc" => "T1546.004",
        "xdg_autostart" => "T1547.013",
        "launchd" => "T1543.001",
        "run_key" | "startup_folder" => "T1547.001",
        "scheduled_task" => "T1053.005",
        "service" => "T1543.003",
        _ => "T1547",
    }
}

/// What matched, for a title and a description.
fn matched(hit: &Hit) -> (String, &'static str, String, String) {
    match &hit.kind {
        HitKind::Ioc { description } => (
            description.clone(),
            "ioc",
            "ioc:sha256".to_string(),
            "Malware".to_string(),
        ),
        HitKind::Yara {
            rule,
            description,
            category,
            ..
        } => (
            if description.is_empty() {
                format!("YARA rule {rule}")
            } else {
                format!("{description} (YARA rule {rule})")
            },
            "yara",
            rule.clone(),
            if category.is_empty() {
                "Malware".to_string()
            } else {
                category.clone()
            },
        ),
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A process entity with the start time that identifies it (a kill needs it).
pub fn process_entity(machine_id: i64, process: &ProcessInfo) -> NewEntity {
    let mut entity = NewEntity::process(
        machine_id,
        process.pid,
        &process.image,
        Some(&process.command_line),
    );
    entity.detail = serde_json::json!({
        "start_time": process.start_time,
        "started_at": start_time_text(process.start_time),
    });
    entity
}

fn file_entity(machine_id: i64, hit: &Hit) -> NewEntity {
    NewEntity::file(
        machine_id,
        &hit.path.display().to_string(),
        Some(&hit.sha256),
    )
}

impl Detection {
    /// The files a snapshot must list so that actions on them can run (a flagged
    /// executable or persistence target outside the scanned folders).
    pub fn files(&self) -> Vec<PathBuf> {
        match self {
            Self::File { hit } | Self::Process { hit, .. } => vec![hit.path.clone()],
            Self::Persistence { target, .. } => vec![target.clone()],
            Self::Connection { .. } => Vec::new(),
        }
    }

    /// One line saying what was found.
    pub fn summary(&self) -> String {
        match self {
            Self::File { hit } => format!("{}: {}", hit.path.display(), matched(hit).0),
            Self::Process { process, hit } => format!(
                "process {} ({}) runs {}: {}",
                process.pid,
                name_of(&hit.path),
                hit.path.display(),
                matched(hit).0
            ),
            Self::Persistence { entry, target, hit } => format!(
                "{} {} starts {}: {}",
                entry.mechanism,
                entry.name,
                target.display(),
                hit.as_ref()
                    .map(|h| matched(h).0)
                    .unwrap_or_else(|| "a program in a temp or Downloads folder".into())
            ),
            Self::Connection {
                connection,
                process,
            } => format!(
                "{} connection to {}:{} (a threat indicator){}",
                connection.protocol,
                connection.remote_address.as_deref().unwrap_or("?"),
                connection.remote_port,
                process
                    .as_ref()
                    .map(|p| format!(" by {} ({})", name_of(Path::new(&p.image)), p.pid))
                    .unwrap_or_default()
            ),
        }
    }

    /// The alert for this detection on machine `machine_id`.
    pub fn alert(&self, machine_id: i64) -> NewAlert {
        let now = clock::now();
        let alert = |title: String,
                     severity: Severity,
                     category: String,
                     technique: &str,
                     source: &str,
                     rule_id: String,
                     entities: Vec<NewEntity>| NewAlert {
            title,
            description: self.summary(),
            severity,
            category,
            technique: technique.into(),
            detection_source: source.into(),
            rule_id,
            machine_id,
            user_name: None,
            first_seen: now.clone(),
            last_seen: now.clone(),
            entities,
            grade: Default::default(),
            logon_id: None,
        };
        match self {
            Self::File { hit } => {
                let (_, source, rule, category) = matched(hit);
                let title = match &hit.kind {
                    HitKind::Ioc { .. } => format!("Known malicious file {}", name_of(&hit.path)),
                    HitKind::Yara { rule, .. } => format!("{rule} matched {}", name_of(&hit.path)),
                };
                let technique = if source == "yara" { "T1204" } else { "" };
                alert(
                    title,
                    hit.severity(),
                    category,
                    technique,
                    source,
                    rule,
                    vec![file_entity(machine_id, hit)],
                )
            }
            Self::Process { process, hit } => {
                let (_, source, rule, category) = matched(hit);
                alert(
                    format!("Malicious program running: {}", name_of(&hit.path)),
                    hit.severity(),
                    category,
                    "T1204.002",
                    source,
                    rule,
                    vec![
                        process_entity(machine_id, process),
                        file_entity(machine_id, hit),
                    ],
                )
            }
            Self::Persistence { entry, target, hit } => {
                let mut entities = vec![NewEntity::persistence(
                    machine_id,
                    &entry.mechanism,
                    &entry.location,
                    &entry.name,
                    &entry.value,
                )];
                let technique = persistence_technique(&entry.mechanism);
                match hit {
                    Some(hit) => {
                        let (_, source, rule, _) = matched(hit);
                        entities.push(file_entity(machine_id, hit));
                        alert(
                            format!("Persistence starts a malicious file: {}", entry.name),
                            hit.severity(),
                            "Persistence".into(),
                            technique,
                            source,
                            rule,
                            entities,
                        )
                    }
                    None => {
                        if target.is_file() {
                            entities.push(NewEntity::file(
                                machine_id,
                                &target.display().to_string(),
                                None,
                            ));
                        }
                        alert(
                            format!(
                                "Persistence starts a program from a temporary folder: {}",
                                entry.name
                            ),
                            Severity::Medium,
                            "Persistence".into(),
                            technique,
                            "heuristic",
                            "local:persistence-temp-folder".into(),
                            entities,
                        )
                    }
                }
            }
            Self::Connection {
                connection,
                process,
            } => {
                let ip = connection.remote_address.clone().unwrap_or_default();
                let mut entities = vec![NewEntity::global(EntityKind::Ip, &ip)];
                entities.extend(process.iter().map(|p| process_entity(machine_id, p)));
                alert(
                    format!("Connection to a known malicious address {ip}"),
                    Severity::High,
                    "Command and control".into(),
                    "T1071",
                    "ioc",
                    "ioc:ip".into(),
                    entities,
                )
            }
        }
    }
}
