//! Scheduled tasks registered, changed, deleted or run (Security 4698–4702, TaskScheduler
//! 106, 129, 140–142, 200, 201): the task's path, what it runs, as whom and when.

use serde_json::{Map, Value};

use super::codes::TASK_TRIGGER;
use super::{inspect, is_true, program, Facts, Mentions};
use crate::event::{Artefact, ArtefactKind, ArtefactOp, Event};
use crate::normalise::{first, int, text, text_of, truncate};

/// The task a scheduled-task event is about.
pub(super) fn extract(raw: &Map<String, Value>, e: &mut Event) -> Option<Artefact> {
    let name = text(raw, "TaskName")?;
    let mut facts = Facts::default();
    let mut mentions = Mentions::default();
    let (op, mut value) = match e.event_id {
        4698 | 106 => (ArtefactOp::Created, None),
        4702 | 140 => (ArtefactOp::Changed, None),
        4699 | 141 => (ArtefactOp::Deleted, None),
        4700 => {
            facts.add("change", "enabled");
            (ArtefactOp::Changed, None)
        }
        4701 | 142 => {
            facts.add("change", "disabled");
            (ArtefactOp::Changed, None)
        }
        // Launched (129) or an action started or completed (200, 201): what ran.
        129 | 200 | 201 => {
            let ran = first(raw, &["Path", "ActionName"]);
            if e.image.is_none() {
                e.image.clone_from(&ran);
            }
            if e.event_id == 129 {
                e.pid = int(raw, "ProcessID").or(e.pid);
            }
            facts.maybe("result", text(raw, "ResultCode"));
            (ArtefactOp::Ran, ran)
        }
        _ => return None,
    };
    facts.maybe("by", first(raw, &["UserContext", "UserName"]));
    if let Some(xml) = text_of(raw, &["TaskContent", "TaskContentNew"]) {
        let definition = Definition::of(&xml);
        value = value.or_else(|| definition.command.clone());
        definition.facts(&mut facts);
        if let Some(program) = definition.program.as_deref() {
            mentions.file(program);
        }
    } else if let Some(program) = value.as_deref().and_then(program) {
        mentions.file(program);
    }
    if let Some(value) = &value {
        inspect(value, &mut facts, &mut mentions);
    }
    Some(Artefact {
        kind: ArtefactKind::ScheduledTask,
        op,
        name: truncate(&name),
        value: value.map(|v| truncate(&v)),
        facts: facts.0,
        mentions: mentions.into_vec(),
    })
}

/// What a task's XML says: the first `Exec` action's command and arguments, the account and
/// level it runs with, its author, triggers and whether it is hidden.
#[derive(Debug, Default)]
struct Definition {
    program: Option<String>,
    command: Option<String>,
    more_actions: Vec<String>,
    run_as: Option<String>,
    run_level: Option<String>,
    author: Option<String>,
    triggers: Vec<&'static str>,
    hidden: bool,
}

impl Definition {
    /// What `xml` defines.
    fn of(xml: &str) -> Definition {
        // Programs first, then COM handlers: the first is what the task runs.
        let mut actions = elements(xml, "Exec").filter_map(exec_command).chain(
            elements(xml, "ComHandler")
                .filter_map(|h| element(h, "ClassId"))
                .map(|id| format!("COM handler {id}")),
        );
        let command = actions.next();
        let more_actions = actions.collect();
        let first_action = elements(xml, "Exec").next();
        let triggers = element_block(xml, "Triggers")
            .map(|block| {
                TASK_TRIGGER
                    .iter()
                    .filter(|(tag, _)| block.contains(&format!("<{tag}")))
                    .map(|(_, words)| *words)
                    .collect()
            })
            .unwrap_or_default();
        Definition {
            program: first_action.and_then(|a| element(a, "Command")),
            command,
            more_actions,
            run_as: element(xml, "UserId").or_else(|| element(xml, "GroupId")),
            run_level: element(xml, "RunLevel"),
            author: element(xml, "Author"),
            triggers,
            hidden: element(xml, "Hidden").is_some_and(|h| is_true(&h)),
        }
    }

    /// The definition's facts: run as, run level, author, triggers, hidden, other actions.
    fn facts(&self, facts: &mut Facts) {
        facts.maybe("run as", self.run_as.as_deref());
        facts.maybe("run level", self.run_level.as_deref());
        facts.maybe("author", self.author.as_deref());
        for trigger in &self.triggers {
            facts.add("trigger", trigger);
        }
        if self.hidden {
            facts.add("hidden", "yes");
        }
        for action in &self.more_actions {
            facts.add("action", action);
        }
    }
}

/// `<Command>` and `<Arguments>` of a task's first `Exec` action.
pub(crate) fn command(xml: &str) -> Option<String> {
    elements(xml, "Exec").find_map(exec_command)
}

/// An `Exec` action's command and arguments.
fn exec_command(exec: &str) -> Option<String> {
    let cmd = element(exec, "Command")?;
    Some(match element(exec, "Arguments") {
        Some(args) if !args.is_empty() => format!("{cmd} {args}"),
        _ => cmd,
    })
}

/// The text of the first `<name>…</name>`, unescaped and trimmed.
fn element(xml: &str, name: &str) -> Option<String> {
    element_block(xml, name)
        .map(|inner| unescape_xml(inner.trim()))
        .filter(|s| !s.is_empty())
}

/// What the first `<name>…</name>` (or `<name attr="…">…</name>`) holds, as written.
fn element_block<'a>(xml: &'a str, name: &'a str) -> Option<&'a str> {
    elements(xml, name).next()
}

/// What each `<name>…</name>` holds, in order.
fn elements<'a>(xml: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    let mut rest = xml;
    std::iter::from_fn(move || loop {
        let at = rest.find('<')?;
        let tag = &rest[at + 1..];
        let after = tag.strip_prefix(name);
        let Some(after) = after.filter(|a| a.starts_with(['>', ' ', '\t', '\r', '\n'])) else {
            rest = tag;
            continue;
        };
        let open_end = after.find('>')?;
        let body = &after[open_end + 1..];
        if after[..open_end].ends_with('/') {
            rest = body;
            return Some("");
        }
        let close = format!("</{name}>");
        let end = body.find(&close)?;
        rest = &body[end + close.len()..];
        return Some(&body[..end]);
    })
}

/// XML text with its entities (and a CDATA wrapper) undone.
fn unescape_xml(s: &str) -> String {
    let s = s
        .strip_prefix("<![CDATA[")
        .and_then(|c| c.strip_suffix("]]>"))
        .unwrap_or(s);
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
