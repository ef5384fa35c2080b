//! Playbooks as data (`content/playbooks.json`): which collection steps each runs, in
//! which order, and which alert categories pick it.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct PlaybookData {
    title: String,
    steps: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    playbooks: HashMap<String, PlaybookData>,
    step_titles: HashMap<String, String>,
    by_category: Vec<(String, String)>,
}

fn content() -> &'static Content {
    static CONTENT: OnceLock<Content> = OnceLock::new();
    CONTENT.get_or_init(|| {
        serde_json::from_str(include_str!("../../content/playbooks.json")).unwrap_or(Content {
            playbooks: HashMap::new(),
            step_titles: HashMap::new(),
            by_category: Vec::new(),
        })
    })
}

/// A playbook: the steps an investigation runs on each machine of its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Playbook {
    MalwareOnMachine,
    EmailMaliciousFile,
    CompromisedUser,
    SuspiciousProcess,
    /// The general machine playbook, run on every machine that joins the scope.
    Machine,
}

impl Playbook {
    const ALL: [Playbook; 5] = [
        Self::MalwareOnMachine,
        Self::EmailMaliciousFile,
        Self::CompromisedUser,
        Self::SuspiciousProcess,
        Self::Machine,
    ];

    /// The playbook's id in the store and in alert policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalwareOnMachine => "malware_on_machine",
            Self::EmailMaliciousFile => "email_malicious_file",
            Self::CompromisedUser => "compromised_user",
            Self::SuspiciousProcess => "suspicious_process",
            Self::Machine => "machine",
        }
    }

    /// The playbooks an alert policy may name (the general machine playbook runs on every
    /// machine anyway).
    pub fn for_policies() -> impl Iterator<Item = Playbook> {
        Self::ALL.into_iter().filter(|p| *p != Self::Machine)
    }

    /// Parses an id written by `as_str`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The playbook's title.
    pub fn title(self) -> &'static str {
        content()
            .playbooks
            .get(self.as_str())
            .map(|p| p.title.as_str())
            .unwrap_or("Investigation")
    }

    /// The steps it runs on each machine, in order.
    pub fn steps(self) -> Vec<&'static str> {
        content()
            .playbooks
            .get(self.as_str())
            .map(|p| p.steps.iter().map(String::as_str).collect())
            .unwrap_or_else(|| vec!["scan", "process_tree", "files", "network", "persistence"])
    }

    /// The playbook for an alert, from its category (or title).
    pub fn for_alert(category: &str, title: &str) -> Self {
        let text = format!("{category} {title}").to_lowercase();
        content()
            .by_category
            .iter()
            .find(|(needle, _)| text.contains(needle.as_str()))
            .and_then(|(_, id)| Self::parse(id))
            .unwrap_or(Self::MalwareOnMachine)
    }
}

/// A step's title for the log.
pub fn step_title(step: &str) -> &'static str {
    content()
        .step_titles
        .get(step)
        .map(String::as_str)
        .unwrap_or("Collect")
}

/// What started an investigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An alert that an alert policy routed.
    Policy { alert: i64, playbook: Playbook },
    /// An analyst, from an alert.
    Alert { alert: i64 },
    /// An analyst, from a machine.
    Machine { machine: i64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_playbook_has_known_steps() {
        for playbook in Playbook::ALL {
            assert!(!playbook.steps().is_empty(), "{playbook:?}");
            for step in playbook.steps() {
                assert_ne!(
                    step_title(step),
                    "Collect",
                    "{playbook:?} step {step} has no title"
                );
            }
        }
    }

    #[test]
    fn categories_pick_playbooks() {
        assert_eq!(
            Playbook::for_alert("Phishing", ""),
            Playbook::EmailMaliciousFile
        );
        assert_eq!(
            Playbook::for_alert("Credential access", ""),
            Playbook::CompromisedUser
        );
        assert_eq!(
            Playbook::for_alert("Execution", "Office started a script host"),
            Playbook::SuspiciousProcess
        );
        assert_eq!(
            Playbook::for_alert("", "something"),
            Playbook::MalwareOnMachine
        );
    }
}
