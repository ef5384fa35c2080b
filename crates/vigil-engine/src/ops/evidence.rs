//! What an event names as evidence: the entities it shows (the process, the file, the
//! service, task, registry value, WMI subscription, account, BITS job, antivirus detection,
//! Kerberos ticket or script it made, the destinations it reached), each with its part in
//! the event (culprit, actor, target, evidence) and the links between them. The same
//! mapping serves an alert at import and an investigation reading stored events.
//!
//! Longer than 400 lines: one mapping per kind of event, and the import and the
//! investigation must read an event the same way, so they are kept side by side.

use serde_json::{json, Value};
use vigil_telemetry::{Artefact, ArtefactKind, ArtefactOp, Event, MentionKind};

use crate::domain::{EntityKind, NewEntity, Role};
use crate::ops::heuristics::heuristics;
use crate::ops::safety::{canonical_path, is_system_account};

/// An event, as the evidence mapping reads it (from an import's `Event` or a stored row).
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen<'a> {
    /// The stored kind name (`process_start`, `service_install`, …).
    pub kind: &'a str,
    /// When it happened (RFC 3339).
    pub ts: Option<&'a str>,
    pub user: Option<&'a str>,
    pub pid: Option<i64>,
    pub image: Option<&'a str>,
    pub command_line: Option<&'a str>,
    pub parent_pid: Option<i64>,
    pub parent_image: Option<&'a str>,
    pub target_path: Option<&'a str>,
    pub sha256: Option<&'a str>,
    pub url: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub remote_ip: Option<&'a str>,
    pub registry_key: Option<&'a str>,
    pub registry_value: Option<&'a str>,
    /// The name of what the event is about (a service, a task), when the source says.
    pub name: Option<&'a str>,
    pub artefact: Option<&'a Artefact>,
}

impl<'a> Seen<'a> {
    /// An imported event.
    pub fn of_event(e: &'a Event) -> Seen<'a> {
        Seen {
            kind: e.kind.as_str(),
            ts: Some(&e.ts),
            user: e.user.as_deref(),
            pid: e.pid,
            image: e.image.as_deref(),
            command_line: e.command_line.as_deref(),
            parent_pid: e.parent_pid,
            parent_image: e.parent_image.as_deref(),
            target_path: e.target_path.as_deref(),
            sha256: e.sha256.as_deref(),
            url: e.url.as_deref(),
            domain: e.dns_domain.as_deref(),
            remote_ip: e.remote_ip.as_deref(),
            registry_key: e.registry_key.as_deref(),
            registry_value: e.registry_value.as_deref(),
            name: e.name.as_deref(),
            artefact: e.artefact.as_deref(),
        }
    }
}

/// What an event shows: entities (with their part) and links between them, by index.
#[derive(Debug, Default)]
pub struct Shown {
    pub entities: Vec<NewEntity>,
    /// (from, to, relation), indexes into `entities`.
    pub links: Vec<(usize, usize, &'static str)>,
}

impl Shown {
    fn push(&mut self, mut entity: NewEntity, role: Role) -> usize {
        entity.role = role;
        let key = entity.key();
        if let Some(i) = self
            .entities
            .iter()
            .position(|e| e.kind == entity.kind && e.key() == key)
        {
            // The stronger part wins (culprit before actor before target before evidence).
            if role < self.entities[i].role {
                self.entities[i].role = role;
            }
            return i;
        }
        self.entities.push(entity);
        self.entities.len() - 1
    }

    fn link(&mut self, from: usize, to: usize, relation: &'static str) {
        if from != to && !self.links.contains(&(from, to, relation)) {
            self.links.push((from, to, relation));
        }
    }
}

/// Whether a registry path is one whose values start programs (a run key, Winlogon…).
pub fn is_autostart_key(path: &str) -> bool {
    let p = path.to_lowercase().replace('/', "\\");
    heuristics()
        .autostart_registry
        .iter()
        .any(|k| p.contains(k.as_str()))
}

/// A Windows path as processes see it: `%SystemRoot%` and `\SystemRoot` spelled out, quotes
/// and arguments dropped, so a service's binary matches the image of the process it starts.
pub fn real_path(path: &str) -> String {
    let p = path.trim();
    let p = match p.strip_prefix('"') {
        Some(rest) => rest.split('"').next().unwrap_or(rest),
        None => p,
    };
    let lower = p.to_lowercase();
    for (var, real) in [
        ("%systemroot%", r"C:\Windows"),
        ("%windir%", r"C:\Windows"),
        (r"\systemroot", r"C:\Windows"),
        ("%programfiles%", r"C:\Program Files"),
        ("%programdata%", r"C:\ProgramData"),
        ("%comspec%", r"C:\Windows\System32\cmd.exe"),
        (r"\??\", ""),
    ] {
        if lower.starts_with(var) {
            return format!("{real}{}", &p[var.len()..]);
        }
    }
    p.to_string()
}

/// Whether text is a file path (`C:\…`, `\\host\share\…`, `/usr/…`, `%TEMP%\…`) with a
/// file name, not a word or a version number.
pub fn looks_like_path(text: &str) -> bool {
    let t = text.trim();
    let rooted = t.get(1..3) == Some(":\\")
        || t.starts_with("\\\\")
        || t.starts_with('/')
        || t.starts_with('%');
    let named = crate::domain::file_name(t).contains('.');
    rooted && named && t.len() > 3
}

/// The program a command line starts (`"C:\x\a.exe" -y` → `C:\x\a.exe`).
pub fn program_of(command: &str) -> Option<String> {
    let c = command.trim();
    if c.is_empty() {
        return None;
    }
    let first = if let Some(rest) = c.strip_prefix('"') {
        rest.split('"').next().unwrap_or(rest).to_string()
    } else {
        // An unquoted path with spaces: up to the first executable extension.
        let lower = c.to_lowercase();
        match [
            ".exe", ".dll", ".bat", ".cmd", ".ps1", ".vbs", ".js", ".sys", ".com",
        ]
        .iter()
        .filter_map(|ext| lower.find(&format!("{ext} ")).map(|i| i + ext.len()))
        .min()
        {
            Some(end) => c[..end].to_string(),
            None => c.split_whitespace().next().unwrap_or(c).to_string(),
        }
    };
    Some(real_path(&first))
}

fn facts_json(facts: &[(String, String)]) -> Value {
    Value::Array(facts.iter().map(|(l, v)| json!([l, v])).collect())
}

fn op_fact(op: ArtefactOp) -> &'static str {
    match op {
        ArtefactOp::Created => "created",
        ArtefactOp::Changed => "changed",
        ArtefactOp::Deleted => "deleted",
        ArtefactOp::AddedToGroup => "added to a group",
        ArtefactOp::RemovedFromGroup => "removed from a group",
        ArtefactOp::Enabled => "enabled",
        ArtefactOp::Ran => "ran",
        ArtefactOp::Detected => "detected",
        ArtefactOp::Blocked => "blocked",
    }
}

/// A one-line name for a script: its first words, whitespace folded.
fn script_name(text: &str) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = folded.len().min(72);
    while !folded.is_char_boundary(end) {
        end -= 1;
    }
    if end < folded.len() {
        format!("{}…", &folded[..end])
    } else {
        folded
    }
}

/// The entity an artefact is, on `machine`.
pub fn artefact_entity(a: &Artefact, machine: i64) -> NewEntity {
    let mut facts = vec![("what happened".to_string(), op_fact(a.op).to_string())];
    facts.extend(a.facts.iter().cloned());
    let value = a.value.clone().unwrap_or_default();
    let persistence = |mechanism: &str, location: &str, name: &str| {
        let mut e = NewEntity::persistence(machine, mechanism, location, name, &value);
        e.detail["facts"] = facts_json(&facts);
        e.detail["op"] = json!(op_fact(a.op));
        e
    };
    let other = |kind: EntityKind, name: String| {
        let mut e = NewEntity::artefact(kind, machine, &a.name, &name, a.value.as_deref());
        e.detail["facts"] = facts_json(&facts);
        e.detail["op"] = json!(op_fact(a.op));
        e
    };
    match a.kind {
        ArtefactKind::Service => persistence(
            "service",
            r"HKLM\SYSTEM\CurrentControlSet\Services",
            &a.name,
        ),
        ArtefactKind::ScheduledTask => persistence("scheduled_task", "Task Scheduler", &a.name),
        ArtefactKind::WmiSubscription => {
            persistence("wmi_subscription", r"root\subscription", &a.name)
        }
        ArtefactKind::RegistryValue if is_autostart_key(&a.name) => {
            let (location, name) = a.name.rsplit_once('\\').unwrap_or(("", &a.name));
            // A generic value name says little on its own: `sethc.exe\Debugger`.
            let generic = [
                "debugger",
                "(default)",
                "shell",
                "userinit",
                "globalflag",
                "load",
                "run",
            ];
            let shown = match location.rsplit_once('\\') {
                Some((_, key)) if generic.contains(&name.to_lowercase().as_str()) => {
                    format!("{key}\\{name}")
                }
                _ => name.to_string(),
            };
            let mut e = persistence("run_key", location, name);
            // A value with no name (or only invisible characters) hides from regedit.
            e.name = if shown
                .trim_matches(|c: char| c.is_whitespace() || c.is_control())
                .is_empty()
            {
                format!(
                    "{} (a value with no name)",
                    location.rsplit('\\').next().unwrap_or(location)
                )
            } else {
                shown
            };
            e
        }
        ArtefactKind::RegistryValue => other(EntityKind::RegistryValue, a.name.clone()),
        ArtefactKind::Account => {
            // By its bare name: `CORP\\bob` is created, `bob` is put in a group.
            let bare = a.name.rsplit('\\').next().unwrap_or(&a.name);
            let mut e = NewEntity::global(EntityKind::User, bare);
            e.name = a.name.clone();
            e.detail = json!({ "account": op_fact(a.op), "facts": facts_json(&facts) });
            e
        }
        ArtefactKind::BitsJob => other(EntityKind::BitsJob, a.name.clone()),
        ArtefactKind::AvDetection => other(EntityKind::AvDetection, a.name.clone()),
        ArtefactKind::ServiceTicket => other(EntityKind::ServiceTicket, a.name.clone()),
        ArtefactKind::ScriptBlock => other(
            EntityKind::Script,
            script_name(a.value.as_deref().unwrap_or(&a.name)),
        ),
    }
}

/// The relation from an artefact to a file it names.
fn file_relation(kind: ArtefactKind) -> &'static str {
    match kind {
        ArtefactKind::Service
        | ArtefactKind::ScheduledTask
        | ArtefactKind::WmiSubscription
        | ArtefactKind::RegistryValue => "starts",
        ArtefactKind::BitsJob => "saved to",
        ArtefactKind::AvDetection => "found",
        _ => "names",
    }
}

/// The artefact of an event stored without one (by an older Vigil, the demo, a source
/// whose normalisation predates artefacts): a registry value, service or task from the
/// event's own fields.
fn legacy_artefact(seen: &Seen<'_>) -> Option<Artefact> {
    let (kind, name, value) = match seen.kind {
        "registry_set" => (
            ArtefactKind::RegistryValue,
            seen.registry_key?.to_string(),
            seen.registry_value.map(str::to_string),
        ),
        "service_install" => (
            ArtefactKind::Service,
            seen.name?.to_string(),
            seen.target_path.or(seen.command_line).map(str::to_string),
        ),
        "scheduled_task" => (
            ArtefactKind::ScheduledTask,
            seen.name?.to_string(),
            seen.command_line.map(str::to_string),
        ),
        _ => return None,
    };
    let mentions = value
        .as_deref()
        .and_then(program_of)
        .filter(|p| looks_like_path(p))
        .map(|p| {
            vec![vigil_telemetry::Mention {
                kind: MentionKind::File,
                value: p,
            }]
        })
        .unwrap_or_default();
    Some(Artefact {
        kind,
        op: ArtefactOp::Created,
        name,
        value,
        facts: Vec::new(),
        mentions,
    })
}

/// Everything an event shows, on `machine`.
pub fn shown(seen: &Seen<'_>, machine: i64) -> Shown {
    let legacy = if seen.artefact.is_none() {
        legacy_artefact(seen)
    } else {
        None
    };
    let seen = &Seen {
        artefact: seen.artefact.or(legacy.as_ref()),
        ..*seen
    };
    let mut out = Shown::default();
    let process = match (seen.pid, seen.image) {
        (Some(pid), Some(image)) => {
            Some(NewEntity::process(machine, pid, image, seen.command_line))
        }
        // A start logged without its process id is still the program that ran.
        (None, Some(image)) if seen.kind == "process_start" => {
            let mut p = NewEntity::unnumbered_process(machine, image, seen.command_line);
            if let Some(ts) = seen.ts {
                p.detail = json!({ "last_seen": ts });
            }
            Some(p)
        }
        _ => None,
    };
    let process_role = match seen.kind {
        "process_start" | "process_access" | "object_access" | "privilege_use"
        | "network_connection" | "dns_query" | "other" => Role::Culprit,
        _ => Role::Actor,
    };
    // The artefact comes first: when there is one, it is what the event is about.
    let mut artefact_index = None;
    if let Some(a) = seen.artefact {
        let i = out.push(artefact_entity(a, machine), Role::Culprit);
        artefact_index = Some(i);
        // A binding ties its consumer (the artefact) to its filter.
        if a.kind == ArtefactKind::WmiSubscription {
            if let Some((_, filter)) = a.facts.iter().find(|(l, _)| l == "filter") {
                if !filter.is_empty() && *filter != a.name {
                    let mut e = NewEntity::persistence(
                        machine,
                        "wmi_subscription",
                        r"root\subscription",
                        filter,
                        "",
                    );
                    e.detail["facts"] = json!([["type", "__EventFilter"]]);
                    let j = out.push(e, Role::Evidence);
                    out.link(i, j, "bound to");
                }
            }
        }
        // The process an antivirus names found or ran the threat; it is not the threat.
        let av_process = (a.kind == ArtefactKind::AvDetection)
            .then(|| {
                a.facts
                    .iter()
                    .find(|(l, _)| l == "process")
                    .map(|(_, v)| v.to_lowercase())
            })
            .flatten();
        for m in &a.mentions {
            if m.kind == MentionKind::File
                && (crate::domain::file_name(&m.value).trim().is_empty()
                    || av_process.as_deref() == Some(m.value.to_lowercase().as_str()))
            {
                continue;
            }
            let (entity, relation) = match m.kind {
                MentionKind::File => (
                    NewEntity::file(machine, &real_path(&m.value), None),
                    file_relation(a.kind),
                ),
                MentionKind::Url => (
                    NewEntity::global(EntityKind::Url, &m.value),
                    "downloads from",
                ),
                MentionKind::Domain => (
                    NewEntity::global(EntityKind::Domain, &m.value.to_lowercase()),
                    "names",
                ),
                MentionKind::Ip => (NewEntity::global(EntityKind::Ip, &m.value), "names"),
            };
            // An antivirus's threat file is as much the culprit as the detection.
            let role = if a.kind == ArtefactKind::AvDetection && m.kind == MentionKind::File {
                Role::Culprit
            } else {
                Role::Evidence
            };
            let j = out.push(entity, role);
            out.link(i, j, relation);
        }
        // Who asked for a ticket, or changed an account.
        if let Some(user) = seen.user.filter(|u| !is_system_account(u)) {
            if matches!(a.kind, ArtefactKind::Account | ArtefactKind::ServiceTicket) {
                let j = out.push(NewEntity::global(EntityKind::User, user), Role::Actor);
                out.link(
                    j,
                    i,
                    if a.kind == ArtefactKind::Account {
                        "changed"
                    } else {
                        "asked for"
                    },
                );
            }
        }
    }
    let process_index = process.map(|p| {
        let role = if artefact_index.is_some() {
            Role::Actor
        } else {
            process_role
        };
        out.push(p, role)
    });
    if let (Some(p), Some(a)) = (process_index, artefact_index) {
        out.link(p, a, "created");
    }
    // A new process's parent: what started it (never the culprit of its child's alert).
    if seen.kind == "process_start" {
        if let (Some(ppid), Some(parent), Some(child)) =
            (seen.parent_pid, seen.parent_image, process_index)
        {
            let j = out.push(
                NewEntity::process(machine, ppid, parent, None),
                Role::Evidence,
            );
            out.link(j, child, "spawned");
        }
    }
    if let Some(path) = seen.target_path {
        match seen.kind {
            "file_create" => {
                let j = out.push(NewEntity::file(machine, path, seen.sha256), Role::Culprit);
                if let Some(p) = process_index {
                    out.entities[p].role = Role::Actor;
                    out.link(p, j, "wrote");
                }
            }
            "process_access" | "object_access" if path.to_lowercase().ends_with(".exe") => {
                let mut target = NewEntity::file(machine, path, None);
                target.name = crate::domain::file_name(path).to_string();
                let j = out.push(target, Role::Target);
                if let Some(p) = process_index {
                    out.link(p, j, "opened");
                }
            }
            // A driver or library loaded (Sysmon 6, 7): with no process to blame (a
            // driver), the file is what the event is about; else it is what the process
            // loaded.
            "other" => match process_index {
                None => {
                    out.push(NewEntity::file(machine, path, seen.sha256), Role::Culprit);
                }
                Some(p) => {
                    let j = out.push(NewEntity::file(machine, path, seen.sha256), Role::Evidence);
                    out.link(p, j, "loaded");
                }
            },
            _ => {}
        }
    }
    let reached = |out: &mut Shown, entity: NewEntity, relation: &'static str| {
        let j = out.push(entity, Role::Evidence);
        if let Some(p) = process_index {
            out.link(p, j, relation);
        }
    };
    if seen.artefact.is_none() {
        if let Some(domain) = seen.domain {
            reached(
                &mut out,
                NewEntity::global(EntityKind::Domain, &domain.to_lowercase()),
                "resolved",
            );
        }
        if let Some(url) = seen.url {
            reached(
                &mut out,
                NewEntity::global(EntityKind::Url, url),
                "requested",
            );
        }
    }
    // A process started to fetch something names where from.
    if let (Some(p), "process_start", Some(cmd)) = (process_index, seen.kind, seen.command_line) {
        for url in urls_in(cmd) {
            let j = out.push(NewEntity::global(EntityKind::Url, &url), Role::Evidence);
            out.link(p, j, "downloads from");
        }
    }
    // A local address says nothing of where an attack came from or went.
    let remote = seen.remote_ip.filter(|ip| {
        !ip.parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback() || a.is_unspecified())
    });
    if let Some(ip) = remote {
        let relation = if seen.kind == "logon" {
            "logged on from"
        } else {
            "connected to"
        };
        reached(&mut out, NewEntity::global(EntityKind::Ip, ip), relation);
    }
    // A logon is about the account that logged on (the logon process only carried it);
    // with no process and no artefact (a directory access), the account is the evidence.
    if seen.kind == "logon" || process_index.is_none() && artefact_index.is_none() {
        if let Some(user) = seen.user.filter(|u| !is_system_account(u)) {
            out.push(NewEntity::global(EntityKind::User, user), Role::Culprit);
        }
    }
    out
}

/// The tie an entity gives an alert to an investigation, when it is specific enough: not a
/// user, not a generic OS process, not a local address.
pub fn is_tie_worthy(entity: &NewEntity) -> bool {
    match entity.kind {
        Some(EntityKind::User) => entity.detail.get("account").is_some(),
        Some(EntityKind::Process) => !entity.path.as_deref().is_some_and(|p| {
            heuristics()
                .brokers
                .contains(&crate::domain::file_name(p).to_lowercase())
        }),
        Some(EntityKind::File) => !entity
            .path
            .as_deref()
            .is_some_and(crate::ops::safety::is_os_path),
        Some(EntityKind::Ip) => entity
            .value
            .as_deref()
            .and_then(|v| v.parse::<std::net::IpAddr>().ok())
            .is_some_and(|ip| match ip {
                std::net::IpAddr::V4(v4) => {
                    !(v4.is_private()
                        || v4.is_loopback()
                        || v4.is_link_local()
                        || v4.is_unspecified())
                }
                std::net::IpAddr::V6(v6) => {
                    !(v6.is_loopback()
                        || v6.is_unspecified()
                        || (v6.segments()[0] & 0xffc0) == 0xfe80)
                }
            }),
        Some(EntityKind::Domain) => entity.value.as_deref().is_some_and(|d| d.contains('.')),
        _ => true,
    }
}

/// The http(s) URLs a command line names, each once (at most a few).
fn urls_in(command: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let lower = command.to_ascii_lowercase();
    let mut at = 0;
    while let Some(i) = lower[at..].find("http").map(|i| i + at) {
        at = i + 4;
        let rest = &command[i..];
        if !(rest.len() > 8
            && (rest[..7].eq_ignore_ascii_case("http://")
                || rest[..8].eq_ignore_ascii_case("https://")))
        {
            continue;
        }
        let end = rest
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '\'' | '"' | ')' | '(' | '<' | '>' | ';' | '|' | '`' | ','
                    )
            })
            .unwrap_or(rest.len());
        let url = rest[..end].trim_end_matches(['.', ']']);
        if url.len() > 10 && !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
        if out.len() == 4 {
            break;
        }
    }
    out
}

/// The tie a file's or process's hash gives (`sha256:<hash>`), when its entity is
/// tie-worthy (`worthy`, as [`is_tie_worthy`] says) or is a file planted among the OS's
/// files: a `wupdsvc.exe` in System32 is none of Windows' programs, so its hash is the
/// attack's, though its folder ties nothing.
pub fn hash_tie(entity: &NewEntity, worthy: bool) -> Option<String> {
    let sha = entity.sha256.as_deref()?;
    let planted = || {
        entity.kind == Some(EntityKind::File)
            && entity
                .path
                .as_deref()
                .is_some_and(|p| !crate::ops::safety::is_os_binary(p))
    };
    (worthy || planted()).then(|| format!("sha256:{sha}"))
}

/// The tie an entity gives by its id: `process:<id>` for a process (pids are reused, so it
/// holds only close in time), `entity:<id>` for anything else.
pub fn entity_tie(entity: &NewEntity, id: i64) -> String {
    match entity.kind {
        Some(EntityKind::Process) => format!("process:{id}"),
        // An account is named `CORP\\bob` by its creation and `bob` by its group change.
        Some(EntityKind::User) => {
            let name = entity
                .value
                .as_deref()
                .unwrap_or(&entity.name)
                .to_lowercase();
            format!("account:{}", name.rsplit('\\').next().unwrap_or(&name))
        }
        _ => format!("entity:{id}"),
    }
}

/// The tie an encoded PowerShell command gives (`payload:<machine>|<its start>`): a service,
/// task or value that holds it, the shell that passes it on and the PowerShell that runs
/// it are one chain, even where the log lost their process ids.
pub fn payload_tie(machine: i64, entity: &NewEntity) -> Option<String> {
    [entity.command_line.as_deref(), entity.value.as_deref()]
        .into_iter()
        .flatten()
        .find_map(encoded_command)
        .map(|payload| format!("payload:{machine}|{payload}"))
}

/// The first 64 characters of the base64 after `-enc`, `-e`, `-ec` or `-EncodedCommand`
/// (any prefix PowerShell accepts), when it is long enough to be specific.
fn encoded_command(command: &str) -> Option<&str> {
    let lower = command.to_ascii_lowercase();
    if !lower.contains("powershell") && !lower.contains("pwsh") {
        return None;
    }
    let mut words = command.split_whitespace();
    while let Some(word) = words.next() {
        let flag = word.trim_start_matches(['-', '/']).to_ascii_lowercase();
        if word.len() == flag.len() || flag.is_empty() {
            continue;
        }
        if flag == "ec" || "encodedcommand".starts_with(&flag) && flag.starts_with('e') {
            let arg = words.next()?.trim_matches(['"', '\'']);
            let b64 = arg
                .char_indices()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
                .map_or(arg, |(i, _)| &arg[..i]);
            return (b64.len() >= 40).then(|| &b64[..64.min(b64.len())]);
        }
    }
    None
}

/// The tie a file's path gives (`path:<machine>|<path>`), unless it is an OS file every
/// process tree uses, or no path at all.
pub fn path_tie(machine: i64, path: &str) -> Option<String> {
    let key = path_key(path);
    (key.len() > 1 && !crate::ops::safety::is_os_path(&real_path(path)))
        .then(|| format!("path:{machine}|{key}"))
}

/// The canonical form the guard and the lists compare paths in.
pub fn path_key(path: &str) -> String {
    canonical_path(&real_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    const B64: &str =
        "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA";

    #[test]
    fn an_encoded_command_ties_the_service_the_shell_and_powershell() {
        let service = NewEntity::persistence(
            7,
            "service",
            "services",
            "Updater",
            &format!("%COMSPEC% /C start /b powershell -noP -sta -w 1 -enc {B64}"),
        );
        let shell = NewEntity::unnumbered_process(
            7,
            r"C:\Windows\System32\cmd.exe",
            Some(&format!(
                r"C:\windows\system32\cmd.exe /C start /b powershell -noP -sta -w 1 -enc  {B64}"
            )),
        );
        let ps = NewEntity::process(
            7,
            4312,
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
            Some(&format!(
                "powershell.exe -NoProfile -EncodedCommand \"{B64}\""
            )),
        );
        let tie = payload_tie(7, &service).expect("a tie");
        assert_eq!(tie, format!("payload:7|{}", &B64[..64]));
        assert_eq!(payload_tie(7, &shell).as_ref(), Some(&tie));
        assert_eq!(payload_tie(7, &ps).as_ref(), Some(&tie));
        // Another machine, a short argument, a flag that is not PowerShell's: no tie.
        assert_ne!(payload_tie(8, &ps).as_ref(), Some(&tie));
        let short = NewEntity::process(7, 1, "powershell.exe", Some("powershell -e ZQBjAGgAbwA="));
        assert_eq!(payload_tie(7, &short), None);
        let other = NewEntity::process(7, 1, "app.exe", Some(&format!("app.exe -e {B64}")));
        assert_eq!(payload_tie(7, &other), None);
        // Two starts logged without process ids are two entities when their commands differ.
        let again =
            NewEntity::unnumbered_process(7, r"C:\Windows\System32\cmd.exe", Some("cmd /c dir"));
        assert_ne!(shell.key(), again.key());
    }
}
