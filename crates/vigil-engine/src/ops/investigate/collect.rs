//! Collect: the evidence around the seeds on one machine — the process tree up (to the
//! OS's own brokers) and down, what each of those processes did (files written, network
//! destinations, artefacts made), the processes a seed file or artefact started, the
//! persistence that starts a seed file, and the mail that delivered it — from the case's
//! window of events, in memory. A pure function: the case in, entities and links out.
//!
//! Longer than 400 lines: one pass over one window with a step per kind of evidence,
//! sharing the window's indexes; each step is a function of its own.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::domain::{EntityKind, NewEntity};
use crate::ops::evidence::{self, path_key, program_of};
use crate::ops::safety::is_system_account;
use crate::store::evidence::Known;

use super::case::CaseEvent;
use super::tree::Tree;
use crate::ops::heuristics::heuristics;

/// How far collection reaches, so that a noisy machine cannot make one investigation huge.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Generations followed up and down the process tree.
    pub depth: usize,
    /// Processes recorded in all.
    pub processes: usize,
    /// Children followed per process.
    pub children: usize,
    /// Events of one kind (files, network, artefacts) taken per process.
    pub per_process: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: 6,
            processes: 300,
            children: 64,
            per_process: 200,
        }
    }
}

/// What one pass found, by part.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub processes: usize,
    pub files: usize,
    pub network: usize,
    pub persistence: usize,
    pub mail: usize,
}

/// Entities and links found on one machine, and what ties them to the investigation.
#[derive(Debug, Default)]
pub struct Found {
    pub entities: Vec<NewEntity>,
    index: HashMap<(Option<EntityKind>, String), usize>,
    /// (from, to, relation), indexes into `entities`, each once.
    pub links: Vec<(usize, usize, &'static str)>,
    link_set: HashSet<(usize, usize, &'static str)>,
    pub counts: Counts,
    /// Process trees and user sessions of the evidence (`tree:…`, `session:…`).
    pub ties: Vec<String>,
}

impl Found {
    /// Adds an entity (once per kind and key); returns its index.
    pub fn add(&mut self, entity: NewEntity) -> usize {
        let key = (entity.kind, entity.key());
        if let Some(&i) = self.index.get(&key) {
            let known = &mut self.entities[i];
            if known.command_line.is_none() {
                known.command_line = entity.command_line;
            }
            if known.sha256.is_none() {
                known.sha256 = entity.sha256;
            }
            return i;
        }
        self.entities.push(entity);
        self.index.insert(key, self.entities.len() - 1);
        self.entities.len() - 1
    }

    /// Links two entities (once).
    pub fn link(&mut self, from: usize, to: usize, relation: &'static str) {
        if from != to && self.link_set.insert((from, to, relation)) {
            self.links.push((from, to, relation));
        }
    }

    fn merge(&mut self, shown: evidence::Shown) -> Vec<usize> {
        let at: Vec<usize> = shown.entities.into_iter().map(|e| self.add(e)).collect();
        for (from, to, relation) in shown.links {
            self.link(at[from], at[to], relation);
        }
        at
    }
}

/// The entity a known piece of evidence is, to link to.
fn entity_of(known: &Known) -> NewEntity {
    NewEntity {
        kind: Some(known.kind),
        machine_id: known.machine_id,
        name: known.name.clone(),
        path: known.path.clone(),
        sha256: known.sha256.clone(),
        pid: known.pid,
        command_line: known.command_line.clone(),
        value: known.value.clone(),
        detail: known.detail(),
        ..NewEntity::default()
    }
}

/// A process of the tree as an entity, with when it was last seen and whether it ended (so
/// that no one is asked to stop a process that is long gone).
fn process_entity(machine: i64, tree: &Tree, events: &[CaseEvent], p: usize) -> NewEntity {
    let process = &tree.procs[p];
    let cmd = process
        .start
        .and_then(|s| events[s].row.command_line.as_deref());
    let mut entity = NewEntity::process(machine, process.pid, &process.image, cmd);
    // When it was last seen doing something: its own events, or starting a child.
    let last = process
        .events
        .iter()
        .chain(process.start.iter())
        .chain(
            process
                .children
                .iter()
                .filter_map(|&c| tree.procs[c].start.as_ref()),
        )
        .map(|&i| &events[i].row.ts)
        .max()
        .cloned();
    let ended = process
        .events
        .iter()
        .any(|&i| events[i].row.kind == "process_end");
    let mut detail = serde_json::json!({ "ended": ended });
    if let Some(last) = last {
        detail["last_seen"] = serde_json::json!(last);
    }
    if let Some(start) = process.start {
        detail["started_at"] = serde_json::json!(events[start].row.ts);
    }
    entity.detail = detail;
    entity
}

/// Which part of the playbook an event's evidence belongs to.
fn part_of(e: &CaseEvent) -> &'static str {
    if e.has_artefact() {
        return if e.row.kind == "script_block" {
            "process_tree"
        } else {
            "persistence"
        };
    }
    match e.row.kind.as_str() {
        "file_create" => "files",
        "network_connection" | "dns_query" | "http_request" => "network",
        "registry_set" | "service_install" | "scheduled_task" => "persistence",
        "process_access" | "object_access" | "privilege_use" => "process_tree",
        _ => "",
    }
}

/// An event every process makes and no attack needs: a registry key opened or created with
/// no value written (Sysmon 12's CreateKey), outside the keys that start programs.
fn is_noise(e: &CaseEvent) -> bool {
    if e.row.kind != "registry_set" {
        return false;
    }
    match e.artefact() {
        Some(a) if a.kind == vigil_telemetry::ArtefactKind::RegistryValue => {
            a.value.is_none() && !evidence::is_autostart_key(&a.name)
        }
        _ => false,
    }
}

/// Logon sessions every service shares: they tie nothing together.
fn shared_session(id: i64) -> bool {
    matches!(id, 0 | 0x3e4 | 0x3e5 | 0x3e7)
}

/// Collects on `machine` around `seeds` (its evidence so far), the `parts` a playbook asks
/// for: `process_tree`, `files`, `network`, `persistence`, `mail`.
pub fn collect(
    machine: i64,
    events: &[CaseEvent],
    tree: &Tree,
    seeds: &[Known],
    parts: &[&str],
    limits: Limits,
) -> Found {
    let want = |part: &str| parts.contains(&part);
    let h = heuristics();
    let mut found = Found::default();
    let mut queue: VecDeque<(usize, usize, usize)> = VecDeque::new(); // (proc, entity, depth)
    let mut queued: HashSet<usize> = HashSet::new();
    let mut seed_files: Vec<(usize, String, Option<String>)> = Vec::new();
    let mut seed_programs: Vec<(usize, String, Option<String>)> = Vec::new();

    for known in seeds {
        let mut entity = entity_of(known);
        if let (EntityKind::Process, Some(pid), Some(image)) =
            (known.kind, known.pid, known.path.as_deref())
        {
            if let Some(p) = tree.get(pid, image) {
                let seen = process_entity(machine, tree, events, p).detail;
                for (k, v) in seen.as_object().into_iter().flatten() {
                    entity.detail[k] = v.clone();
                }
            }
        }
        let at = found.add(entity);
        match known.kind {
            EntityKind::Process => {
                if let (Some(pid), Some(image)) = (known.pid, known.path.as_deref()) {
                    if let Some(p) = tree.get(pid, image) {
                        if queued.insert(p) {
                            queue.push_back((p, at, 0));
                        }
                    }
                }
            }
            EntityKind::File => {
                if let Some(path) = &known.path {
                    seed_files.push((at, path.clone(), known.sha256.clone()));
                }
            }
            EntityKind::Persistence | EntityKind::BitsJob => {
                if let Some(value) = known.value.as_deref().filter(|v| !v.trim().is_empty()) {
                    if let Some(program) = program_of(value) {
                        seed_programs.push((at, program, Some(value.trim().to_string())));
                    }
                }
            }
            _ => {}
        }
    }

    // What a seed file or artefact started.
    if want("files") || want("persistence") {
        let starts: Vec<(usize, String, Option<String>, &'static str)> =
            seed_files
                .iter()
                .map(|(at, path, _)| (*at, path.clone(), None, "ran as"))
                .chain(seed_programs.iter().map(|(at, program, command)| {
                    (*at, program.clone(), command.clone(), "started")
                }))
                .collect();
        for (at, path, command, relation) in starts {
            // A file ran as any process of its image; an artefact started only those a broker
            // (services, the task scheduler, WMI, the shell) started, or whose parent is unknown.
            let by_broker = |p: &usize| {
                relation == "ran as"
                    || (tree.procs[*p].start.is_some()
                        && tree.procs[*p]
                            .parent
                            .as_ref()
                            .is_none_or(|(_, image)| h.is_broker(image)))
            };
            let mut procs: Vec<usize> = tree
                .running(&path)
                .iter()
                .copied()
                .filter(by_broker)
                .collect();
            if let Some(command) = command.as_deref() {
                let command = command.to_lowercase();
                let by_command: Vec<usize> = tree
                    .procs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| {
                        let start = &events[p.start?];
                        start
                            .row
                            .command_line
                            .as_deref()
                            .is_some_and(|c| c.trim().to_lowercase() == command)
                            .then_some(i)
                    })
                    .filter(by_broker)
                    .collect();
                for p in by_command {
                    if !procs.contains(&p) {
                        procs.push(p);
                    }
                }
            }
            for p in procs.into_iter().take(limits.children) {
                let process = &tree.procs[p];
                let cmd = process
                    .start
                    .and_then(|s| events[s].row.command_line.as_deref());
                let e = found.add(NewEntity::process(
                    machine,
                    process.pid,
                    &process.image,
                    cmd,
                ));
                found.link(at, e, relation);
                found.counts.processes += 1;
                if queued.insert(p) {
                    queue.push_back((p, e, 0));
                }
            }
        }
    }

    // Who wrote a seed file (a dropped program, a driver about to be loaded): its writer
    // and the writer's tree are the attack's.
    if want("files") && !seed_files.is_empty() {
        for (at, path, _) in &seed_files {
            let path = path.to_lowercase();
            let writers = events.iter().filter(|e| {
                e.row.kind == "file_create"
                    && e.row
                        .target_path
                        .as_deref()
                        .is_some_and(|t| t.to_lowercase() == path)
            });
            for e in writers.take(limits.children) {
                let (Some(pid), Some(image)) = (e.row.pid, e.row.image.as_deref()) else {
                    continue;
                };
                let Some(p) = tree.get(pid, image) else {
                    continue;
                };
                let w = found.add(process_entity(machine, tree, events, p));
                found.link(w, *at, "wrote");
                found.counts.processes += 1;
                if queued.insert(p) {
                    queue.push_back((p, w, 0));
                }
            }
        }
    }

    // The process tree, up and down, and what each process did.
    let mut recorded = 0usize;
    while let Some((p, at, depth)) = queue.pop_front() {
        if depth > limits.depth || recorded >= limits.processes {
            continue;
        }
        recorded += 1;
        let process = &tree.procs[p];
        let start = process.start.map(|s| &events[s]);
        // What its start names besides its parent: where its command line downloads from.
        if let Some(start) = start.filter(|_| want("network")) {
            found.merge(evidence::shown(&start.seen(), machine));
        }
        if let Some(start) = start {
            if let Some(user) = start
                .row
                .user_name
                .as_deref()
                .filter(|u| !is_system_account(u))
            {
                let u = found.add(NewEntity::global(EntityKind::User, user));
                found.link(u, at, "ran");
            }
            if let Some(session) = start.row.logon_id.filter(|s| !shared_session(*s)) {
                found.ties.push(format!("session:{machine}|{session}"));
            }
        }
        if want("process_tree") {
            match (tree.parent_of(p), process.parent.as_ref()) {
                (Some(parent), _) => {
                    let e = found.add(process_entity(machine, tree, events, parent));
                    found.link(e, at, "spawned");
                    found.counts.processes += 1;
                    if !h.is_broker(&tree.procs[parent].image) && queued.insert(parent) {
                        queue.push_back((parent, e, depth + 1));
                    }
                }
                (None, Some((ppid, pimage))) => {
                    let mut parent = NewEntity::process(machine, *ppid, pimage, None);
                    if let Some(s) = start {
                        parent.detail = serde_json::json!({ "last_seen": s.row.ts });
                    }
                    let e = found.add(parent);
                    found.link(e, at, "spawned");
                    found.counts.processes += 1;
                }
                (None, None) => {}
            }
            for &child in process.children.iter().take(limits.children) {
                let e = found.add(process_entity(machine, tree, events, child));
                found.link(at, e, "spawned");
                found.counts.processes += 1;
                if queued.insert(child) {
                    queue.push_back((child, e, depth + 1));
                }
            }
        }
        // A broker's own doings (every service's, every WMI call's) are not the attack's.
        if h.is_broker(&process.image) {
            continue;
        }
        let mut taken: HashMap<&'static str, usize> = HashMap::new();
        for &i in &process.events {
            let event = &events[i];
            let part = part_of(event);
            if part.is_empty() || !want(part) || is_noise(event) {
                continue;
            }
            let n = taken.entry(part).or_default();
            if *n >= limits.per_process {
                continue;
            }
            *n += 1;
            let added = found.merge(evidence::shown(&event.seen(), machine));
            // An event that names its process by pid alone (a script block): what it shows
            // is this process's doing.
            if event.row.image.is_none() {
                if let Some(&first) = added.first() {
                    found.link(at, first, "created");
                }
            }
            match part {
                "files" => found.counts.files += 1,
                "network" => found.counts.network += 1,
                "persistence" => found.counts.persistence += 1,
                _ => {}
            }
        }
    }

    // Other events about a seed artefact (a WMI consumer's binding to its filter, a task
    // changed, a service's start type): evidence of it too.
    if want("persistence") {
        let names: HashSet<String> = seeds
            .iter()
            .filter(|s| {
                matches!(
                    s.kind,
                    EntityKind::Persistence | EntityKind::BitsJob | EntityKind::RegistryValue
                )
            })
            .map(|s| s.name.to_lowercase())
            .collect();
        if !names.is_empty() {
            // Scripts are not persistence: thousands of pipeline events go unread.
            for event in events.iter().filter(|e| {
                e.has_artefact()
                    && e.row.kind != "script_block"
                    && e.artefact().is_some_and(|a| {
                        names.contains(&a.name.to_lowercase())
                            || a.facts
                                .iter()
                                .any(|(_, v)| names.contains(&v.to_lowercase()))
                    })
            }) {
                found.merge(evidence::shown(&event.seen(), machine));
                found.counts.persistence += 1;
            }
        }
    }

    // Persistence anywhere in the window that starts a seed file.
    if want("persistence") && !seed_files.is_empty() {
        let wanted: HashMap<String, usize> = seed_files
            .iter()
            .map(|(at, path, _)| (path_key(path), *at))
            .collect();
        for event in events.iter().filter(|e| {
            (e.has_artefact() && e.row.kind != "script_block") || e.row.kind == "registry_set"
        }) {
            let text = event
                .artefact()
                .and_then(|a| a.value.clone())
                .or_else(|| event.row.registry_value.clone())
                .or_else(|| event.row.command_line.clone())
                .unwrap_or_default();
            let Some(program) = program_of(&text) else {
                continue;
            };
            let Some(&file) = wanted.get(&path_key(&program)) else {
                continue;
            };
            let shown = evidence::shown(&event.seen(), machine);
            let added = found.merge(shown);
            if let Some(&artefact) = added.first() {
                found.link(artefact, file, "starts");
                found.counts.persistence += 1;
            }
        }
    }

    // Mail that delivered a seed file.
    if want("mail") {
        for (file, _, sha256) in &seed_files {
            let Some(sha256) = sha256 else { continue };
            for mail in events.iter().filter(|e| {
                e.row.kind == "email_received"
                    && e.row
                        .sha256
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(sha256))
            }) {
                let Some(message_id) = mail.extra("message_id").filter(|m| !m.is_empty()) else {
                    continue;
                };
                let subject = mail.extra("subject").unwrap_or_else(|| message_id.clone());
                let mut entity = NewEntity::global(EntityKind::EmailMessage, &message_id);
                entity.name = format!(
                    "\"{subject}\" from {}",
                    mail.extra("from").unwrap_or_else(|| "?".into())
                );
                entity.detail = mail
                    .row
                    .extra
                    .as_deref()
                    .and_then(|e| serde_json::from_str(e).ok())
                    .unwrap_or_default();
                let m = found.add(entity);
                found.link(m, *file, "delivered");
                found.counts.mail += 1;
                if let Some(user) = &mail.row.user_name {
                    let u = found.add(NewEntity::global(EntityKind::User, user));
                    found.link(m, u, "received by");
                }
            }
        }
    }

    // The trees the evidence's processes belong to: their topmost process below a broker.
    let mut trees: HashSet<String> = HashSet::new();
    for &p in &queued {
        let mut top = p;
        for _ in 0..limits.depth {
            match tree.parent_of(top) {
                Some(parent) if !h.is_broker(&tree.procs[parent].image) => top = parent,
                _ => break,
            }
        }
        let t = &tree.procs[top];
        trees.insert(format!(
            "tree:{machine}|{}|{}",
            t.pid,
            t.image.to_lowercase()
        ));
    }
    found.ties.extend(trees);
    found.ties.sort();
    found.ties.dedup();
    found
}
