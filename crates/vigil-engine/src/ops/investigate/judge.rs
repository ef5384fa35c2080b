//! The judge: a verdict with reasons for every entity of a case, as a pure function of it —
//! threat intelligence, YARA and antivirus findings, the alerts that name it (weighed by
//! their severity, grade and the entity's part in them), heuristics (data in
//! `content/heuristics.json`), then propagation along the evidence links until nothing
//! changes. It also ranks the findings (the culprit first) and groups like ones.
//!
//! Longer than 400 lines: the judge is pure and one function (with its propagation rules),
//! and its rules are read together when a verdict is questioned; its lists are data.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::domain::{file_name, EntityKind, FolderClass, Grade, Reason, Role, Severity, Verdict};
use crate::ops::safety::{is_critical_process, is_os_binary, is_os_path, is_system_account};

use crate::ops::heuristics::Heuristics;

/// An entity of the case.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub kind: EntityKind,
    pub name: String,
    pub path: Option<String>,
    /// A file's or a process image's SHA-256, lower case, when it is known.
    pub sha256: Option<String>,
    pub command_line: Option<String>,
    pub value: Option<String>,
    pub detail: Value,
}

/// An alert of the case, as the judge weighs it.
#[derive(Debug, Clone)]
pub struct AlertFacts {
    pub title: String,
    pub severity: Severity,
    pub grade: Grade,
    /// `sigma`, `ioc`, `yara`, …
    pub source: String,
    pub rule_id: String,
    pub description: String,
}

/// An entity an alert names, with its part.
#[derive(Debug, Clone, Copy)]
pub struct Named {
    pub entity: i64,
    pub role: Role,
    /// Index into `Case::alerts`.
    pub alert: usize,
}

/// What the judge reads.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub items: Vec<Item>,
    /// (from, to, relation).
    pub links: Vec<(i64, i64, String)>,
    pub alerts: Vec<AlertFacts>,
    pub named: Vec<Named>,
    /// Entities an IOC list names: (list, description).
    pub intel: HashMap<i64, (String, String)>,
}

/// A finding's group: like findings decided as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    pub label: String,
}

/// The judge's word on one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub verdict: Verdict,
    /// The strongest first.
    pub reasons: Vec<Reason>,
    /// For ranking findings: higher first.
    pub score: i64,
    pub group: Option<Group>,
}

/// A reason and how much it weighs (0–100).
#[derive(Debug, Clone)]
struct Weighed {
    reason: Reason,
    weight: i64,
}

#[derive(Debug, Default, Clone)]
struct Judgement {
    reasons: Vec<Weighed>,
}

impl Judgement {
    fn verdict(&self) -> Verdict {
        self.reasons
            .iter()
            .map(|r| r.reason.verdict)
            .max()
            .unwrap_or(Verdict::NoThreatsFound)
    }

    fn weight(&self) -> i64 {
        self.reasons.iter().map(|r| r.weight).max().unwrap_or(0)
    }

    fn add(&mut self, analyzer: &str, verdict: Verdict, weight: i64, text: String) -> bool {
        if self.reasons.iter().any(|r| r.reason.text == text) {
            return false;
        }
        self.reasons.push(Weighed {
            reason: Reason {
                analyzer: analyzer.to_string(),
                verdict,
                text,
            },
            weight,
        });
        true
    }
}

fn lower_name(path: &str) -> String {
    file_name(path).to_ascii_lowercase()
}

/// An entity the OS cannot do without (lsass.exe in System32, SYSTEM): never judged worse
/// than suspicious on what others did with it, since Vigil will not act on it anyway.
fn is_os_own(item: &Item) -> bool {
    match item.kind {
        EntityKind::Process => item.path.as_deref().is_some_and(is_critical_process),
        EntityKind::File => item.path.as_deref().is_some_and(is_os_path),
        EntityKind::User => is_system_account(item.value.as_deref().unwrap_or(&item.name)),
        _ => false,
    }
}

/// What a rule's hit says of an entity, by the entity's part, the rule's severity and grade.
fn alert_weight(role: Role, alert: &AlertFacts) -> Option<(Verdict, i64)> {
    use Severity::*;
    let hunting = alert.grade == Grade::Hunting;
    Some(match (role, alert.severity) {
        (Role::Culprit, Critical) if !hunting => (Verdict::Malicious, 90),
        (Role::Culprit, High) if !hunting => (Verdict::Malicious, 80),
        (Role::Culprit, Critical | High) => (Verdict::Suspicious, 30),
        (Role::Culprit, Medium) => (Verdict::Suspicious, if hunting { 20 } else { 50 }),
        (Role::Culprit, _) => (Verdict::Suspicious, if hunting { 10 } else { 20 }),
        (Role::Actor, Critical | High) => (Verdict::Suspicious, if hunting { 20 } else { 55 }),
        (Role::Actor, Medium) => (Verdict::Suspicious, 35),
        (Role::Actor, _) => (Verdict::Suspicious, 15),
        (Role::Evidence, Critical | High) if !hunting => (Verdict::Suspicious, 25),
        (Role::Evidence, _) => (Verdict::Suspicious, 10),
        (Role::Target, _) => return None,
    })
}

/// An entity's facts (`detail.facts`, as [label, value] pairs).
fn facts_of(detail: &Value) -> Vec<(String, String)> {
    detail
        .get("facts")
        .and_then(Value::as_array)
        .map(|facts| {
            facts
                .iter()
                .filter_map(|f| {
                    Some((
                        f.get(0)?.as_str()?.to_string(),
                        f.get(1)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How a relation reads in a group's label ("37 files written by …").
fn grouped_as(relation: &str) -> &'static str {
    match relation {
        "wrote" => "written by",
        "spawned" => "started by",
        "connected to" => "contacted by",
        "resolved" => "looked up by",
        "requested" => "requested by",
        "created" => "made by",
        "starts" => "started by",
        "names" | "downloads from" => "named by",
        "ran" => "run by",
        "started" => "started by",
        _ => "linked to",
    }
}

fn plural(kind: EntityKind, n: usize) -> String {
    let word = match kind {
        EntityKind::File => "files",
        EntityKind::Process => "processes",
        EntityKind::Url => "URLs",
        EntityKind::Domain => "domains",
        EntityKind::Ip => "IP addresses",
        EntityKind::User => "accounts",
        EntityKind::Persistence => "persistence entries",
        EntityKind::EmailMessage => "messages",
        EntityKind::RegistryValue => "registry values",
        EntityKind::BitsJob => "BITS jobs",
        EntityKind::AvDetection => "antivirus detections",
        EntityKind::ServiceTicket => "service tickets",
        EntityKind::Script => "scripts",
    };
    format!("{n} {word}")
}

/// Like findings: at least this many of one kind, reached from one entity the same way (or
/// named for the same reason), make one group.
pub const GROUP_MIN: usize = 4;

/// Judges every entity of `case`.
pub fn judge(case: &Case, h: &Heuristics) -> BTreeMap<i64, Judged> {
    let by_id: HashMap<i64, &Item> = case.items.iter().map(|i| (i.id, i)).collect();
    let mut judged: HashMap<i64, Judgement> = case
        .items
        .iter()
        .map(|i| (i.id, Judgement::default()))
        .collect();

    // Threat intelligence.
    for (entity, (source, description)) in &case.intel {
        let (Some(j), Some(item)) = (judged.get_mut(entity), by_id.get(entity)) else {
            continue;
        };
        let what = if description.is_empty() {
            "a known threat"
        } else {
            description
        };
        j.add(
            "threat_intel",
            Verdict::Malicious,
            100,
            format!(
                "{} matches an indicator in {source}: {what}",
                item.kind.as_str().replace('_', " ")
            ),
        );
    }

    // The alerts that name each entity.
    for named in &case.named {
        let (Some(item), Some(alert)) = (by_id.get(&named.entity), case.alerts.get(named.alert))
        else {
            continue;
        };
        let j = judged.entry(named.entity).or_default();
        let rule = if alert.rule_id.is_empty() {
            String::new()
        } else {
            format!(", rule {}", alert.rule_id)
        };
        let file = item.kind == EntityKind::File;
        if alert.source == "ioc" && file && named.role == Role::Culprit {
            j.add(
                "threat_intel",
                Verdict::Malicious,
                100,
                format!("a known threat: {}", alert.description),
            );
            continue;
        }
        if alert.source == "yara" && file && named.role == Role::Culprit {
            j.add(
                "yara",
                Verdict::Malicious,
                95,
                format!("a YARA rule matched its content{rule}"),
            );
            continue;
        }
        let Some((mut verdict, weight)) = alert_weight(named.role, alert) else {
            continue;
        };
        // What the OS needs, and generic brokers, are the scene, not the culprit.
        // A file a rule is about is the OS's own only if it is one of its programs: a log
        // or a DLL planted in System32 is the attack's.
        let os_own = match item.kind {
            EntityKind::File if named.role == Role::Culprit => {
                item.path.as_deref().is_some_and(is_os_binary)
            }
            _ => is_os_own(item),
        };
        let bystander = os_own
            || (item.kind == EntityKind::Process
                && named.role != Role::Culprit
                && item.path.as_deref().is_some_and(|p| h.is_broker(p)));
        if bystander {
            if named.role != Role::Culprit {
                continue;
            }
            verdict = verdict.min(Verdict::Suspicious);
        }
        let part = match named.role {
            Role::Culprit => "what the alert is about",
            Role::Actor => "did what the alert is about",
            Role::Evidence => "named in the alert",
            Role::Target => "targeted",
        };
        let grade = if alert.grade == Grade::Hunting {
            ", a threat-hunting rule"
        } else {
            ""
        };
        j.add(
            "alert",
            verdict,
            weight,
            format!(
                "{part}: \"{}\" ({} severity, {}{rule}{grade})",
                alert.title,
                alert.severity.as_str(),
                alert.source
            ),
        );
    }

    // Heuristics on each entity.
    for item in &case.items {
        let j = judged.entry(item.id).or_default();
        let lower = |s: &Option<String>| s.as_deref().unwrap_or("").to_ascii_lowercase();
        match item.kind {
            EntityKind::Process | EntityKind::File => {
                if let Some(tool) = item.path.as_deref().and_then(|p| h.attack_tool(p)) {
                    j.add(
                        "heuristic",
                        Verdict::Suspicious,
                        50,
                        format!("its name is that of an attack tool ({tool})"),
                    );
                }
            }
            _ => {}
        }
        match item.kind {
            EntityKind::Process => {
                let cmd = format!(" {} ", lower(&item.command_line));
                let image = lower_name(item.path.as_deref().unwrap_or(""));
                if (image.starts_with("powershell") || image.starts_with("pwsh"))
                    && h.encoded_command_markers
                        .iter()
                        .any(|m| cmd.contains(m.as_str()))
                {
                    j.add(
                        "heuristic",
                        Verdict::Suspicious,
                        45,
                        "PowerShell ran an encoded command".into(),
                    );
                }
            }
            EntityKind::Persistence => {
                let value = lower(&item.value);
                let mechanism = item
                    .detail
                    .get("mechanism")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let what = match mechanism {
                    "service" => "the service",
                    "scheduled_task" => "the scheduled task",
                    "wmi_subscription" => "the WMI subscription",
                    _ => "it",
                };
                if h.runs_commands(&value) {
                    j.add(
                        "heuristic",
                        Verdict::Suspicious,
                        55,
                        format!("{what} runs commands (a shell or script host), not a program"),
                    );
                } else if h.is_user_writable(&value) {
                    j.add(
                        "heuristic",
                        Verdict::Suspicious,
                        45,
                        format!("{what} starts a program from a folder any user can write"),
                    );
                }
            }
            EntityKind::Script => {
                let text = lower(&item.value);
                let decoded: String = item
                    .detail
                    .get("facts")
                    .and_then(Value::as_array)
                    .map(|facts| {
                        facts
                            .iter()
                            .filter_map(|f| f.get(1).and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join(" ")
                            .to_ascii_lowercase()
                    })
                    .unwrap_or_default();
                let all = format!("{text} {decoded}");
                let downloads = h.download_markers.iter().any(|m| all.contains(m.as_str()));
                let runs = h.execution_markers.iter().any(|m| all.contains(m.as_str()));
                if downloads && runs {
                    j.add(
                        "heuristic",
                        Verdict::Suspicious,
                        55,
                        "the script downloads code and runs it".into(),
                    );
                } else if runs && text.contains("frombase64string") {
                    j.add(
                        "heuristic",
                        Verdict::Suspicious,
                        45,
                        "the script decodes and runs hidden code".into(),
                    );
                }
            }
            EntityKind::User => {
                let facts = facts_of(&item.detail);
                if let Some((_, group)) = facts
                    .iter()
                    .find(|(l, v)| l == "group" && h.privileged_groups.contains(&v.to_lowercase()))
                {
                    j.add(
                        "heuristic",
                        Verdict::Suspicious,
                        50,
                        format!("put in the privileged group {group}, which is given everything"),
                    );
                }
            }
            EntityKind::ServiceTicket if lower(&item.value).contains("weak") => {
                j.add(
                    "heuristic",
                    Verdict::Suspicious,
                    45,
                    "the ticket uses weak encryption (RC4 or DES): whoever asked for it can try to \
                     crack the service account's password offline (Kerberoasting)"
                        .into(),
                );
            }
            EntityKind::AvDetection => {
                j.add(
                    "antivirus",
                    Verdict::Malicious,
                    90,
                    format!("the antivirus reported the threat {}", item.name),
                );
            }
            _ => {}
        }
    }

    // Heuristics along links.
    for (from, to, relation) in &case.links {
        let (Some(a), Some(b)) = (by_id.get(from), by_id.get(to)) else {
            continue;
        };
        let parent = lower_name(a.path.as_deref().unwrap_or(""));
        if relation == "spawned" && a.kind == EntityKind::Process && b.kind == EntityKind::Process {
            let child = lower_name(b.path.as_deref().unwrap_or(""));
            if h.office_apps.contains(&parent) && h.script_hosts.contains(&child) {
                judged.entry(b.id).or_default().add(
                    "heuristic",
                    Verdict::Suspicious,
                    60,
                    format!("Office application {parent} started script host {child}"),
                );
            }
        }
        if relation == "wrote" && b.kind == EntityKind::File {
            let path = b.path.as_deref().unwrap_or("");
            if h.is_executable(path)
                && FolderClass::of_path(path) == FolderClass::Temp
                && (h.script_hosts.contains(&parent) || h.office_apps.contains(&parent))
            {
                judged.entry(b.id).or_default().add(
                    "heuristic",
                    Verdict::Suspicious,
                    45,
                    format!("{parent} dropped an executable file in a temporary folder"),
                );
            }
        }
        // An antivirus's finding speaks for the file it names.
        if relation == "found" && a.kind == EntityKind::AvDetection && b.kind == EntityKind::File {
            judged.entry(b.id).or_default().add(
                "antivirus",
                Verdict::Malicious,
                90,
                format!("the antivirus found the threat {} in it", a.name),
            );
        }
    }

    // A rule that names an artefact (or a process) as its culprit and a heuristic on its own
    // content agree: two independent signs make it malicious, though neither alone does.
    for item in &case.items {
        let Some(j) = judged.get_mut(&item.id) else {
            continue;
        };
        let rule = j.reasons.iter().any(|r| {
            r.reason.analyzer == "alert"
                && r.reason.text.starts_with("what the alert is about")
                && r.weight >= 50
        });
        let heuristic = j
            .reasons
            .iter()
            .filter(|r| r.reason.analyzer == "heuristic" && r.weight >= 45)
            .map(|r| r.reason.text.clone())
            .next();
        if let (true, Some(h), false) = (rule, heuristic, j.verdict() == Verdict::Malicious) {
            j.add(
                "heuristic",
                Verdict::Malicious,
                65,
                format!("a detection rule and a heuristic agree: {h}"),
            );
        }
    }

    // Propagation along evidence until nothing changes.
    for _round in 0..8 {
        let mut changed = false;
        let verdicts: HashMap<i64, Verdict> =
            judged.iter().map(|(id, j)| (*id, j.verdict())).collect();
        let malicious = |id: &i64| verdicts.get(id) == Some(&Verdict::Malicious);
        // Entities whose own content a heuristic found suspect.
        let content_suspect: std::collections::HashSet<i64> = judged
            .iter()
            .filter(|(_, j)| {
                j.reasons
                    .iter()
                    .any(|r| r.reason.analyzer == "heuristic" && r.weight >= 45)
            })
            .map(|(id, _)| *id)
            .collect();
        for (from, to, relation) in &case.links {
            let (Some(a), Some(b)) = (by_id.get(from), by_id.get(to)) else {
                continue;
            };
            let mut say = |id: i64, verdict: Verdict, weight: i64, text: String| {
                if let Some(item) = by_id.get(&id) {
                    if is_os_own(item)
                        || (item.kind == EntityKind::Process
                            && item.path.as_deref().is_some_and(|p| h.is_broker(p)))
                    {
                        return;
                    }
                }
                changed |= judged
                    .entry(id)
                    .or_default()
                    .add("propagation", verdict, weight, text);
            };
            match relation.as_str() {
                // A process running a malicious file is malicious.
                "ran as" if malicious(from) && a.kind == EntityKind::File => say(
                    b.id,
                    Verdict::Malicious,
                    70,
                    format!("runs {} which is malicious", a.name),
                ),
                // What a malicious artefact starts is malicious, and so is the file it runs.
                "started" if malicious(from) => say(
                    b.id,
                    Verdict::Malicious,
                    70,
                    format!("started by {} which is malicious", a.name),
                ),
                // The program a malicious service, task or subscription runs is its payload.
                "starts"
                    if malicious(from)
                        && a.kind == EntityKind::Persistence
                        && b.kind == EntityKind::File =>
                {
                    say(
                        b.id,
                        Verdict::Malicious,
                        65,
                        format!("the program {} runs, which is malicious", a.name),
                    )
                }
                "starts" if malicious(to) && a.kind != EntityKind::Process => say(
                    a.id,
                    Verdict::Malicious,
                    75,
                    format!("starts {} which is malicious", b.name),
                ),
                // Mail that delivered a malicious file is malicious.
                "delivered" if malicious(to) => say(
                    a.id,
                    Verdict::Malicious,
                    70,
                    format!("delivered the malicious attachment {}", b.name),
                ),
                // A program a malicious process dropped where any user can write is its
                // payload.
                "wrote"
                    if malicious(from)
                        && a.kind == EntityKind::Process
                        && b.kind == EntityKind::File
                        && b.path
                            .as_deref()
                            .is_some_and(|p| h.is_executable(p) && h.is_user_writable(p)) =>
                {
                    say(
                        b.id,
                        Verdict::Malicious,
                        65,
                        format!("a program dropped by malicious process {}", a.name),
                    )
                }
                // A script a malicious process ran, whose own text fetches or hides code, is
                // the attack's code.
                "created"
                    if malicious(from)
                        && a.kind == EntityKind::Process
                        && b.kind == EntityKind::Script
                        && content_suspect.contains(&b.id) =>
                {
                    say(
                        b.id,
                        Verdict::Malicious,
                        60,
                        format!("run by malicious process {}", a.name),
                    )
                }
                // What a malicious process made or reached is at least suspicious.
                "wrote" | "created" | "connected to" | "resolved" | "requested" | "spawned"
                    if malicious(from) && a.kind == EntityKind::Process =>
                {
                    say(
                        b.id,
                        Verdict::Suspicious,
                        20,
                        format!("{relation} by malicious process {}", a.name),
                    )
                }
                // Where a malicious script or process downloads from is where the attack's
                // code is.
                "downloads from"
                    if malicious(from)
                        && matches!(a.kind, EntityKind::Script | EntityKind::Process) =>
                {
                    say(
                        b.id,
                        Verdict::Malicious,
                        60,
                        format!("{} downloads from it, and is malicious", a.name),
                    )
                }
                "names"
                    if malicious(from)
                        && a.kind == EntityKind::Script
                        && matches!(b.kind, EntityKind::Domain | EntityKind::Ip) =>
                {
                    say(
                        b.id,
                        Verdict::Suspicious,
                        30,
                        format!("named by a malicious script ({})", a.name),
                    )
                }
                // The process that made a malicious artefact, or wrote a malicious file,
                // is suspicious.
                "created" | "wrote"
                    if malicious(to)
                        && a.kind == EntityKind::Process
                        && (relation == "created"
                            || !a
                                .path
                                .as_deref()
                                .is_some_and(|p| h.is_broker(p) || h.is_receiver(p))) =>
                {
                    say(
                        a.id,
                        Verdict::Suspicious,
                        40,
                        format!(
                            "{} {} which is malicious",
                            if relation == "wrote" { "wrote" } else { "made" },
                            b.name
                        ),
                    )
                }
                _ => {}
            }
        }
        // A copy of a malicious file (the same content, by its hash, under any name or on
        // any machine) is as malicious: the payload planted on a second machine.
        let mut malicious_files: HashMap<&str, &Item> = HashMap::new();
        for o in case.items.iter().filter(|o| o.kind == EntityKind::File) {
            if let (Some(sha), true) = (o.sha256.as_deref(), malicious(&o.id)) {
                malicious_files.entry(sha).or_insert(o);
            }
        }
        for item in case.items.iter().filter(|i| i.kind == EntityKind::File) {
            let Some(sha) = item.sha256.as_deref() else {
                continue;
            };
            // Not a file among the OS's: an attack that runs a renamed copy of an OS
            // program (`rundll32.exe` as `updater.exe`) would make the original the copy.
            if malicious(&item.id) || is_os_own(item) {
                continue;
            }
            if let Some(original) = malicious_files.get(sha) {
                changed |= judged.entry(item.id).or_default().add(
                    "propagation",
                    Verdict::Malicious,
                    70,
                    format!(
                        "the same file as {}, which is malicious (sha256 {sha})",
                        original.path.as_deref().unwrap_or(&original.name)
                    ),
                );
            }
        }
        if !changed {
            break;
        }
    }

    // Verdicts, ranked reasons and scores.
    let mut out: BTreeMap<i64, Judged> = BTreeMap::new();
    for item in &case.items {
        let mut j = judged.remove(&item.id).unwrap_or_default();
        j.reasons.sort_by_key(|r| std::cmp::Reverse(r.weight));
        // A user is judged only when something names them (a DCSync, an account made).
        let verdict = if j.reasons.is_empty() && item.kind == EntityKind::User {
            Verdict::Unknown
        } else {
            j.verdict()
        };
        // Among equals, what the attack left (an artefact) comes before the process that
        // left it, and that before the files and addresses.
        let kind_bonus = match item.kind {
            EntityKind::Persistence
            | EntityKind::RegistryValue
            | EntityKind::BitsJob
            | EntityKind::AvDetection
            | EntityKind::ServiceTicket
            | EntityKind::Script => 9,
            EntityKind::User if item.detail.get("account").is_some() => 9,
            EntityKind::Process => 6,
            EntityKind::File | EntityKind::User => 3,
            _ => 0,
        };
        let verdict_rank = match verdict {
            Verdict::Malicious => 2000,
            Verdict::Suspicious => 1000,
            _ => 0,
        };
        let score = verdict_rank + j.weight() * 10 + (j.reasons.len() as i64).min(3) + kind_bonus;
        out.insert(
            item.id,
            Judged {
                verdict,
                reasons: j.reasons.into_iter().map(|w| w.reason).collect(),
                score,
                group: None,
            },
        );
    }
    group(case, &by_id, &mut out);
    out
}

/// Groups like findings: those of one kind reached from one entity by one relation, then
/// those of one kind named for the same strongest reason.
fn group(case: &Case, by_id: &HashMap<i64, &Item>, judged: &mut BTreeMap<i64, Judged>) {
    let finding = |id: &i64, judged: &BTreeMap<i64, Judged>| {
        judged
            .get(id)
            .is_some_and(|j| j.verdict.is_finding() && j.group.is_none())
    };
    let mut by_parent: BTreeMap<(i64, &str, EntityKind), Vec<i64>> = BTreeMap::new();
    for (from, to, relation) in &case.links {
        if let Some(item) = by_id.get(to) {
            if finding(to, judged) {
                by_parent
                    .entry((*from, relation.as_str(), item.kind))
                    .or_default()
                    .push(*to);
            }
        }
    }
    type Members<'a> = ((i64, &'a str, EntityKind), Vec<i64>);
    let mut groups: Vec<Members> = by_parent
        .into_iter()
        .filter(|(_, members)| members.len() >= GROUP_MIN)
        .collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for ((from, relation, kind), members) in groups {
        let members: Vec<i64> = members.into_iter().filter(|m| finding(m, judged)).collect();
        if members.len() < GROUP_MIN {
            continue;
        }
        let parent = by_id.get(&from).map(|p| p.name.as_str()).unwrap_or("?");
        let g = Group {
            key: format!(
                "group:{}:{}:{from}",
                kind.as_str(),
                relation.replace(' ', "_")
            ),
            label: format!(
                "{} {} {parent}",
                plural(kind, members.len()),
                grouped_as(relation)
            ),
        };
        for m in members {
            if let Some(j) = judged.get_mut(&m) {
                j.group = Some(g.clone());
            }
        }
    }
    let mut by_reason: BTreeMap<(EntityKind, String), Vec<i64>> = BTreeMap::new();
    for item in &case.items {
        if let Some(j) = judged.get(&item.id).filter(|_| finding(&item.id, judged)) {
            if let Some(first) = j.reasons.first() {
                by_reason
                    .entry((item.kind, first.text.clone()))
                    .or_default()
                    .push(item.id);
            }
        }
    }
    for ((kind, reason), members) in by_reason {
        if members.len() < GROUP_MIN {
            continue;
        }
        // "7 persistence entries named by the alert “Sticky Key Like Backdoor”".
        let why = match reason.split_once(": \"") {
            Some((_, rest)) if reason.starts_with("what the alert is about") => format!(
                "named by the alert “{}”",
                rest.split('"').next().unwrap_or(rest)
            ),
            _ => reason.clone(),
        };
        let g = Group {
            key: format!("group:{}:reason:{}", kind.as_str(), members[0]),
            label: format!("{}: {why}", plural(kind, members.len())),
        };
        for m in members {
            if let Some(j) = judged.get_mut(&m) {
                j.group = Some(g.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::heuristics::heuristics;

    fn item(id: i64, kind: EntityKind, name: &str, path: Option<&str>) -> Item {
        Item {
            id,
            kind,
            name: name.into(),
            path: path.map(str::to_string),
            sha256: None,
            command_line: None,
            value: None,
            detail: Value::Null,
        }
    }

    /// What the threat feed says of entity `id`: a backdoor.
    fn a_backdoor_in_the_feed(id: i64) -> HashMap<i64, (String, String)> {
        HashMap::from([(id, ("feed".to_string(), "a backdoor".to_string()))])
    }

    fn alert(severity: Severity, grade: Grade) -> AlertFacts {
        AlertFacts {
            title: "A rule".into(),
            severity,
            grade,
            source: "sigma".into(),
            rule_id: "r1".into(),
            description: String::new(),
        }
    }

    fn verdicts(case: &Case) -> Vec<(i64, Verdict)> {
        judge(case, heuristics())
            .into_iter()
            .map(|(id, j)| (id, j.verdict))
            .collect()
    }

    #[test]
    fn a_rule_weighs_by_severity_grade_and_part() {
        let proc = |id| {
            item(
                id,
                EntityKind::Process,
                "evil.exe (1)",
                Some(r"C:\Users\a\evil.exe"),
            )
        };
        for (severity, grade, role, expected) in [
            (
                Severity::Critical,
                Grade::Detection,
                Role::Culprit,
                Verdict::Malicious,
            ),
            (
                Severity::High,
                Grade::Detection,
                Role::Culprit,
                Verdict::Malicious,
            ),
            (
                Severity::High,
                Grade::Hunting,
                Role::Culprit,
                Verdict::Suspicious,
            ),
            (
                Severity::Medium,
                Grade::Detection,
                Role::Culprit,
                Verdict::Suspicious,
            ),
            (
                Severity::Low,
                Grade::Detection,
                Role::Culprit,
                Verdict::Suspicious,
            ),
            (
                Severity::High,
                Grade::Detection,
                Role::Actor,
                Verdict::Suspicious,
            ),
            (
                Severity::High,
                Grade::Detection,
                Role::Target,
                Verdict::NoThreatsFound,
            ),
        ] {
            let case = Case {
                items: vec![proc(1)],
                alerts: vec![alert(severity, grade)],
                named: vec![Named {
                    entity: 1,
                    role,
                    alert: 0,
                }],
                ..Case::default()
            };
            assert_eq!(
                verdicts(&case),
                [(1, expected)],
                "{severity:?} {grade:?} {role:?}"
            );
        }
    }

    #[test]
    fn a_file_planted_in_the_os_folder_is_the_attacks_not_the_os() {
        let file = |id, path: &str| item(id, EntityKind::File, file_name(path), Some(path));
        let case = Case {
            items: vec![
                file(1, r"C:\Windows\System32\mimilsa.log"),
                file(2, r"C:\Windows\System32\ualapi.dll"),
                file(3, r"C:\Windows\System32\comsvcs.dll"),
            ],
            alerts: vec![alert(Severity::Critical, Grade::Detection)],
            named: (1..=3)
                .map(|entity| Named {
                    entity,
                    role: Role::Culprit,
                    alert: 0,
                })
                .collect(),
            ..Case::default()
        };
        assert_eq!(
            verdicts(&case),
            [
                (1, Verdict::Malicious),
                (2, Verdict::Malicious),
                (3, Verdict::Suspicious)
            ]
        );
    }

    #[test]
    fn what_the_os_needs_is_never_the_culprit_of_what_others_did() {
        let case = Case {
            items: vec![
                item(
                    1,
                    EntityKind::Process,
                    "services.exe (600)",
                    Some(r"C:\Windows\System32\services.exe"),
                ),
                item(
                    2,
                    EntityKind::Process,
                    "lsass.exe (700)",
                    Some(r"C:\Windows\System32\lsass.exe"),
                ),
                item(3, EntityKind::Persistence, "PSEXESVC", None),
            ],
            alerts: vec![alert(Severity::High, Grade::Detection)],
            named: vec![
                Named {
                    entity: 1,
                    role: Role::Actor,
                    alert: 0,
                },
                Named {
                    entity: 2,
                    role: Role::Culprit,
                    alert: 0,
                },
                Named {
                    entity: 3,
                    role: Role::Culprit,
                    alert: 0,
                },
            ],
            links: vec![(1, 3, "created".into())],
            ..Case::default()
        };
        assert_eq!(
            verdicts(&case),
            [
                (1, Verdict::NoThreatsFound),
                (2, Verdict::Suspicious),
                (3, Verdict::Malicious)
            ]
        );
    }

    #[test]
    fn malice_flows_along_the_evidence() {
        let intel = a_backdoor_in_the_feed(1);
        let case = Case {
            items: vec![
                item(
                    1,
                    EntityKind::File,
                    "updater.exe",
                    Some(r"C:\Users\a\updater.exe"),
                ),
                item(
                    2,
                    EntityKind::Process,
                    "updater.exe (7)",
                    Some(r"C:\Users\a\updater.exe"),
                ),
                item(3, EntityKind::Persistence, "Updater", None),
                item(4, EntityKind::Ip, "203.0.113.9", None),
                item(
                    5,
                    EntityKind::Process,
                    "svc.exe (9)",
                    Some(r"C:\Users\a\svc.exe"),
                ),
            ],
            links: vec![
                (1, 2, "ran as".into()),
                (3, 1, "starts".into()),
                (2, 4, "connected to".into()),
                (3, 5, "started".into()),
            ],
            intel,
            ..Case::default()
        };
        assert_eq!(
            verdicts(&case),
            [
                (1, Verdict::Malicious),
                (2, Verdict::Malicious),
                (3, Verdict::Malicious),
                (4, Verdict::Suspicious),
                (5, Verdict::Malicious),
            ]
        );
    }

    #[test]
    fn a_copy_of_a_malicious_file_is_malicious_unless_it_lies_among_the_os_files() {
        let intel = a_backdoor_in_the_feed(1);
        let with_hash = |id, path: &str, sha: &str| Item {
            sha256: Some(sha.into()),
            ..item(
                id,
                EntityKind::File,
                crate::domain::file_name(path),
                Some(path),
            )
        };
        let case = Case {
            items: vec![
                with_hash(1, r"C:\Users\a\Downloads\updater.exe", "aa"),
                with_hash(2, r"C:\ProgramData\Update\wupdsvc.exe", "aa"),
                // The original a renamed copy was made from is not the copy's.
                with_hash(3, r"C:\Windows\System32\wupdsvc.exe", "aa"),
                with_hash(4, r"C:\ProgramData\Update\other.exe", "bb"),
            ],
            intel,
            ..Case::default()
        };
        assert_eq!(
            verdicts(&case),
            [
                (1, Verdict::Malicious),
                (2, Verdict::Malicious),
                (3, Verdict::NoThreatsFound),
                (4, Verdict::NoThreatsFound),
            ]
        );
    }

    #[test]
    fn the_culprit_ranks_first_and_like_findings_are_one_group() {
        let mut items = vec![
            item(
                1,
                EntityKind::Process,
                "dropper.exe (1)",
                Some(r"C:\Users\a\dropper.exe"),
            ),
            item(2, EntityKind::Persistence, "Updater", None),
        ];
        let mut links = vec![(1, 2, "created".into())];
        for i in 0..37 {
            items.push(item(
                100 + i,
                EntityKind::File,
                &format!("f{i}.txt"),
                Some(&format!(r"C:\Users\a\f{i}.txt")),
            ));
            links.push((1, 100 + i, "wrote".into()));
        }
        let case = Case {
            items,
            links,
            alerts: vec![alert(Severity::Critical, Grade::Detection)],
            named: vec![Named {
                entity: 1,
                role: Role::Culprit,
                alert: 0,
            }],
            ..Case::default()
        };
        let judged = judge(&case, heuristics());
        let mut ranked: Vec<(&i64, &Judged)> = judged
            .iter()
            .filter(|(_, j)| j.verdict.is_finding())
            .collect();
        ranked.sort_by_key(|r| std::cmp::Reverse(r.1.score));
        assert_eq!(*ranked[0].0, 1, "the rule's culprit first");
        let group = judged[&100].group.clone().expect("grouped");
        assert_eq!(group.label, "37 files written by dropper.exe (1)");
        assert!((100..137).all(|i| judged[&i].group.as_ref() == Some(&group)));
        assert_eq!(judged[&2].group, None, "one of a kind stays on its own");
    }
}
