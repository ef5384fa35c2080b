//! Vigil's built-in heuristic detections over normalised events (Sigma, IOC and YARA
//! detections come with the telemetry issue). The lists they use are data, shared with the
//! analysers (`content/heuristics.json`).

use crate::domain::NewAlert;
use crate::domain::NewEvent;
use crate::domain::{file_name, NewEntity, Severity};
use crate::ops::heuristics::heuristics;

/// The rule id of "Office application started a script host".
pub const OFFICE_SCRIPT_HOST: &str = "vigil-heuristic-office-script-host";

/// Alerts the heuristics raise on these events (already stored, for `machine_id`).
pub fn scan(events: &[NewEvent]) -> Vec<NewAlert> {
    let h = heuristics();
    let mut alerts = Vec::new();
    for e in events.iter().filter(|e| e.kind == "process_start") {
        let (Some(image), Some(parent)) = (&e.image, &e.parent_image) else {
            continue;
        };
        let child = file_name(image).to_ascii_lowercase();
        let parent_name = file_name(parent).to_ascii_lowercase();
        if h.office_apps.contains(&parent_name) && h.script_hosts.contains(&child) {
            let mut entities = Vec::new();
            if let Some(pid) = e.pid {
                entities.push(NewEntity::process(
                    e.machine_id,
                    pid,
                    image,
                    e.command_line.as_deref(),
                ));
            }
            if let Some(ppid) = e.parent_pid {
                entities.push(NewEntity::process(e.machine_id, ppid, parent, None));
            }
            alerts.push(NewAlert {
                title: format!("Office application {parent_name} started script host {child}"),
                description: format!(
                    "{parent_name} started {child} with the command line: {}. Documents that run scripts are a common way malware gets in.",
                    e.command_line.as_deref().unwrap_or("(none)")
                ),
                severity: Severity::Medium,
                category: "Execution".into(),
                technique: "T1204.002".into(),
                detection_source: "heuristic".into(),
                rule_id: OFFICE_SCRIPT_HOST.into(),
                machine_id: e.machine_id,
                user_name: e.user_name.clone(),
                first_seen: e.ts.clone(),
                last_seen: e.ts.clone(),
                entities,
                grade: Default::default(),
                logon_id: None,
            });
        }
    }
    alerts
}
