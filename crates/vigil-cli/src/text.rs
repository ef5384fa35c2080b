//! Plain-text renderings of the engine's views, for people at a terminal.

use std::fmt::Write;

use vigil_engine::domain::{
    ActionView, AlertView, GroupView, ImportSummary, IntelList, IntelSummary, InvestigationDetails,
    InvestigationSummary, MachineView, Overview,
};
use vigil_engine::lab::DemoSummary;

/// Lays rows out in columns as wide as their widest cell.
fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return "(none)".to_string();
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row));
    }
    out
}

pub fn overview(o: &Overview) -> String {
    format!(
        "machines         {}\nalerts           {} ({} active)\ninvestigations   {}\nevents           {}\npending actions  {}",
        o.machines, o.alerts, o.active_alerts, o.investigations, o.events, o.pending_actions
    )
}

pub fn demo(s: &DemoSummary) -> String {
    format!(
        "demo environment loaded: {} machines, {} users, {} events, {} threat indicators, {} alerts, {} started\nnext: vigil investigations, then vigil actions --pending",
        s.machines,
        s.users,
        s.events,
        s.indicators,
        s.alerts,
        counted(s.investigations, "investigation")
    )
}

pub fn machines(machines: &[MachineView]) -> String {
    table(
        &["NAME", "RISK", "ALERTS", "GROUP", "AUTOMATION", "OS"],
        machines
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    format!("{:?}", m.risk).to_lowercase(),
                    m.active_alerts.to_string(),
                    m.group.clone(),
                    m.automation_level.as_str().to_string(),
                    m.os.clone(),
                ]
            })
            .collect(),
    )
}

pub fn alerts(alerts: &[AlertView]) -> String {
    table(
        &[
            "ID",
            "SEVERITY",
            "STATUS",
            "MACHINE",
            "SOURCE",
            "INVESTIGATION",
            "TITLE",
        ],
        alerts
            .iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    a.severity.as_str().to_string(),
                    a.status.clone(),
                    a.machine.clone(),
                    a.detection_source.clone(),
                    a.investigation_id
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "-".into()),
                    a.title.clone(),
                ]
            })
            .collect(),
    )
}

pub fn investigations(rows: &[InvestigationSummary]) -> String {
    table(
        &[
            "ID", "STATUS", "MACHINES", "USERS", "STARTED", "DURATION", "TITLE",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    r.status.as_str().to_string(),
                    r.machine_names.join(","),
                    r.user_names.join(","),
                    r.started_at.clone().unwrap_or_else(|| r.created_at.clone()),
                    format!("{:.1}s", r.duration_s),
                    r.title.clone(),
                ]
            })
            .collect(),
    )
}

pub fn actions(actions: &[ActionView]) -> String {
    table(
        &[
            "ID",
            "STATE",
            "ACTION",
            "TARGET",
            "MACHINE",
            "INV",
            "DECIDED BY",
            "RESULT",
        ],
        actions
            .iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    a.state.as_str().to_string(),
                    a.label.clone(),
                    a.entity.clone().unwrap_or_default(),
                    a.machine.clone().unwrap_or_default(),
                    a.investigation_id
                        .map(|i| i.to_string())
                        .unwrap_or_default(),
                    a.decided_by.clone().unwrap_or_default(),
                    a.result.clone(),
                ]
            })
            .collect(),
    )
}

pub fn groups(groups: &[GroupView]) -> String {
    let mut out = String::new();
    for g in groups {
        let rules: Vec<String> = g
            .rules
            .iter()
            .map(|r| format!("{}={}", r.field, r.pattern))
            .collect();
        let _ = writeln!(
            out,
            "{} [{}] {}\n  rules: {}\n  machines: {}",
            g.name,
            g.automation_level.as_str(),
            g.automation_label,
            if rules.is_empty() {
                "(matches what no other group does)".into()
            } else {
                rules.join(" and ")
            },
            if g.machines.is_empty() {
                "(none)".into()
            } else {
                g.machines.join(", ")
            }
        );
    }
    out.trim_end().to_string()
}

pub fn investigation(d: &InvestigationDetails) -> String {
    let s = &d.summary;
    let mut out = String::new();
    let _ = writeln!(out, "Investigation {}: {}", s.id, s.title);
    let _ = writeln!(
        out,
        "status: {}{}  duration: {:.1}s  pending: {:.1}s",
        s.status.as_str(),
        if s.status_detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.status_detail)
        },
        s.duration_s,
        s.pending_s
    );
    let _ = writeln!(
        out,
        "machines: {}",
        d.machines
            .iter()
            .map(|m| format!("{} ({})", m.name, m.reason))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "users: {}",
        d.users
            .iter()
            .map(|u| u.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(out, "\nKey findings:");
    for f in &d.key_findings {
        let why = f
            .reasons
            .iter()
            .map(|r| r.text.clone())
            .collect::<Vec<_>>()
            .join("; ");
        let _ = writeln!(
            out,
            "  [{}] {} {} on {} — {} ({})",
            f.verdict.as_str(),
            f.kind.as_str(),
            f.name,
            f.machine.as_deref().unwrap_or("-"),
            why,
            f.remediation_status.as_str()
        );
    }
    let _ = writeln!(out, "\nActions:\n{}", actions(&d.actions));
    let _ = writeln!(out, "\nLog:");
    for l in &d.log {
        let _ = writeln!(
            out,
            "  {} {:<36} {:<10} {:>5}ms  {}{}",
            l.started_at,
            l.step,
            l.status,
            l.duration_ms,
            l.machine
                .as_deref()
                .map(|m| format!("[{m}] "))
                .unwrap_or_default(),
            l.detail
        );
    }
    out.trim_end().to_string()
}

pub fn import(s: &ImportSummary) -> String {
    let mut out = format!(
        "imported {}: {}, {}, {} already known, {} skipped\n{}, {} ({}), {} started",
        counted(s.files, "file"),
        counted(s.records, "record"),
        counted(s.events_added, "new event"),
        s.duplicates,
        s.skipped,
        counted(s.machines_added, "new machine"),
        counted(s.alerts, "alert"),
        counted(s.rules, "rule"),
        counted(s.investigations_started, "investigation")
    );
    for reason in s.skip_reasons.iter().take(10) {
        let _ = write!(out, "\n  skipped: {reason}");
    }
    out
}

/// `1 alert`, `2 alerts`.
fn counted(n: u32, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// An IOC list imported, and where its new indicators had already been seen.
pub fn intel(s: &IntelSummary, file: &std::path::Path) -> String {
    let mut out = format!(
        "{}: {}, {} new",
        file.display(),
        counted(s.indicators, "indicator"),
        s.added
    );
    if !s.seen_on.is_empty() {
        let _ = write!(
            out,
            "\nalready seen on {}: {} raised, {} started",
            s.seen_on.join(", "),
            counted(s.alerts, "alert"),
            counted(s.investigations_started, "investigation")
        );
    } else if s.added > 0 {
        out.push_str("\nnone of the new ones shows in the telemetry already imported");
    }
    if s.skipped > 0 {
        let _ = write!(out, "\n{} passed over:", counted(s.skipped, "row"));
        for reason in &s.skip_reasons {
            let _ = write!(out, "\n  {reason}");
        }
        if s.skipped as usize > s.skip_reasons.len() {
            let _ = write!(out, "\n  …");
        }
    }
    out
}

/// The IOC lists held.
pub fn intel_lists(lists: &[IntelList]) -> String {
    if lists.is_empty() {
        return "no IOC list yet (add one with: vigil intel import FILE)".to_string();
    }
    table(
        &["LIST", "INDICATORS", "KINDS", "FOUND", "ADDED"],
        lists
            .iter()
            .map(|l| {
                vec![
                    l.source.clone(),
                    l.indicators.to_string(),
                    l.kinds
                        .iter()
                        .map(|k| format!("{} {}", k.count, k.kind))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if l.alerts == 0 {
                        "-".to_string()
                    } else {
                        format!(
                            "{} on {}",
                            counted(l.alerts, "alert"),
                            counted(l.machines, "machine")
                        )
                    },
                    l.added_at
                        .chars()
                        .take(16)
                        .collect::<String>()
                        .replace('T', " "),
                ]
            })
            .collect(),
    )
}

pub fn rules_added(dir: &std::path::Path, loaded: u32, skipped: &[String]) -> String {
    let mut out = format!(
        "{}: {loaded} rules loaded, {} skipped",
        dir.display(),
        skipped.len()
    );
    for reason in skipped.iter().take(10) {
        let _ = write!(out, "\n  skipped: {reason}");
    }
    if skipped.len() > 10 {
        let _ = write!(
            out,
            "\n  … and {} more (use --json for all)",
            skipped.len() - 10
        );
    }
    out
}

/// The rules imports run.
pub fn rule_sets(s: &vigil_engine::domain::RuleSets) -> String {
    let mut out = format!("Vigil's own rules: {}", s.vigil_rules);
    let from = match (&s.sigmahq.file, &s.sigmahq.updated_at, &s.sigmahq.commit) {
        (Some(file), Some(at), _) => format!("from {file}, updated {at}"),
        (_, _, Some(commit)) => format!("shipped with Vigil, SigmaHQ commit {commit}"),
        _ => String::new(),
    };
    let _ = write!(out, "\nSigmaHQ rules: {} ({from})", s.sigmahq.rules);
    if s.sigmahq.replaced_by_user > 0 {
        let _ = write!(
            out,
            "; {} replaced by your rules of the same id",
            s.sigmahq.replaced_by_user
        );
    }
    let _ = write!(out, "\n  {}", s.attribution);
    if s.user_dirs.is_empty() {
        out.push_str("\nYour rule folders: none (add one with: vigil rules add DIR)");
    } else {
        out.push_str("\nYour rule folders:");
        for d in &s.user_dirs {
            let _ = write!(out, "\n  {} ({} rules)", d.path, d.rules);
        }
    }
    out
}

/// What `rules update` took.
pub fn sigmahq_updated(u: &vigil_engine::domain::SigmaHqUpdate) -> String {
    let mut out = format!(
        "{}: {} SigmaHQ rules taken, {} passed over; used from now on instead of the shipped ones",
        u.source, u.rules, u.skipped
    );
    for r in &u.skipped_by_reason {
        let _ = write!(out, "\n  passed over {:5}  {}", r.count, r.reason);
    }
    out
}

/// One detection of a local scan or sweep.
pub fn local_hit(r: &vigil_local::sensor::Reported) -> String {
    let routing = serde_json::to_value(r.routing)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let investigation = r
        .investigation
        .map(|i| format!(", investigation {i}"))
        .unwrap_or_default();
    format!(
        "{} -> alert {} ({routing}{investigation})",
        r.detection.summary(),
        r.alert
    )
}

/// A sweep of running programs, persistence and connections.
pub fn local_sweep(s: &vigil_local::SweepSummary) -> String {
    let mut out = format!(
        "{}: {} processes ({} executables, {:.1} MB scanned), {} persistence entries, {} connections checked in {:.2} s, {} found",
        s.machine,
        s.processes,
        s.executables,
        s.bytes as f64 / 1e6,
        s.persistence,
        s.connections,
        s.seconds,
        s.found.len()
    );
    for found in &s.found {
        let _ = write!(out, "\n  {}", local_hit(found));
    }
    for note in &s.notes {
        let _ = write!(out, "\n  note: {note}");
    }
    for skipped in &s.skipped {
        let _ = write!(out, "\n  not scanned: {skipped}");
    }
    out
}

/// A local scan's summary.
pub fn local_scan(s: &vigil_local::ScanSummary) -> String {
    let mut out = format!(
        "{}: {} files ({:.1} MB) scanned in {:.2} s, {} hits",
        s.machine,
        s.files,
        s.bytes as f64 / 1e6,
        s.seconds,
        s.hits.len()
    );
    for hit in &s.hits {
        let _ = write!(out, "\n  {}", local_hit(hit));
    }
    for error in &s.errors {
        let _ = write!(out, "\n  cannot scan: {error}");
    }
    out
}
