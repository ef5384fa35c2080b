//! What a detection's hit becomes: a Sigma rule's match or an indicator's sighting is an
//! alert under the key that deduplicates it (rule or indicator, machine, culprit), gathered
//! one per key in an [`AlertSet`] before it is filed.

use std::collections::HashMap;

use vigil_telemetry::{Event, SigmaMatch};

use crate::domain::NewAlert;
use crate::domain::NewEntity;
use crate::domain::{EntityKind, Grade, Severity};
use crate::ops::evidence::{self, Seen};

/// The MITRE tactic (as a category) and technique in a rule's tags.
fn attack_tags(tags: &[String]) -> (String, String) {
    let mut tactics: Vec<String> = Vec::new();
    let mut technique = String::new();
    for tag in tags {
        let Some(rest) = tag.strip_prefix("attack.") else {
            continue;
        };
        if rest.len() > 1 && rest.starts_with('t') && rest[1..2].chars().all(|c| c.is_ascii_digit())
        {
            if technique.is_empty() {
                technique = rest.to_uppercase();
            }
        } else if !(rest.len() > 1
            && (rest.starts_with('g') || rest.starts_with('s'))
            && rest[1..].chars().all(|c| c.is_ascii_digit()))
        {
            let words: Vec<String> = rest
                .split(['_', '-'])
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            let tactic = words.join(" ");
            if !tactics.contains(&tactic) {
                tactics.push(tactic);
            }
        }
    }
    // Every tactic, so that a policy on "Persistence" takes a rule tagged privilege
    // escalation first and persistence second.
    (tactics.join(", "), technique)
}

/// What deduplicates an alert within one import: rule, machine and first entity.
pub(crate) type AlertKey = (String, i64, String);

/// The alerts of one import (or one list's lookup), one per key: a second hit under the
/// same key widens the first alert's time span, and the alert keeps the user and entities
/// of its earliest event, in whatever order the workers delivered the events.
#[derive(Debug, Default)]
pub(crate) struct AlertSet {
    keys: HashMap<AlertKey, usize>,
    alerts: Vec<NewAlert>,
}

impl AlertSet {
    /// Adds the alerts one stored event of `machine` raises: the Sigma rules' `matches` and
    /// the indicators it shows (`hits`).
    pub fn add_event(&mut self, e: &Event, machine: i64, matches: &[SigmaMatch], hits: &[Hit]) {
        for m in matches {
            let (key, alert) = sigma_alert(e, m, machine);
            self.add(key, alert);
        }
        for hit in hits {
            let seen = Sighting {
                machine_id: machine,
                user: e.user.clone(),
                ts: &e.ts,
                path: e.target_path.as_deref().or(e.image.as_deref()),
                sha256: e.sha256.as_deref(),
            };
            let (key, alert) = ioc_alert(hit, &seen);
            self.add(key, alert);
        }
    }

    /// Adds a hit's alert, or folds it into the one its key already has.
    pub fn add(&mut self, key: AlertKey, alert: NewAlert) {
        let Some(&i) = self.keys.get(&key) else {
            self.keys.insert(key, self.alerts.len());
            self.alerts.push(alert);
            return;
        };
        let known = &mut self.alerts[i];
        let last_seen = std::cmp::max(&known.last_seen, &alert.last_seen).clone();
        // Two events of the same millisecond: the same one wins whichever came first.
        let earlier = match alert.first_seen.cmp(&known.first_seen) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => tie_key(&alert) < tie_key(known),
        };
        if earlier {
            *known = alert;
        }
        known.last_seen = last_seen;
    }

    /// How many alerts it holds.
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    /// The alerts, one per key.
    pub fn into_alerts(self) -> Vec<NewAlert> {
        self.alerts
    }
}

/// What orders two alerts of one key raised at the same time.
fn tie_key(alert: &NewAlert) -> (Option<&str>, String) {
    (alert.user_name.as_deref(), format!("{:?}", alert.entities))
}

/// The entities an event names, for an alert's evidence: the culprit first.
fn entities_of(event: &Event, machine: i64) -> Vec<NewEntity> {
    let mut entities = evidence::shown(&Seen::of_event(event), machine).entities;
    entities.sort_by_key(|e| e.role);
    entities
}

/// The alert a Sigma rule's hit on an event raises on `machine`, under the key that
/// deduplicates it within one import (rule, machine, culprit).
pub(crate) fn sigma_alert(e: &Event, m: &SigmaMatch, machine: i64) -> (AlertKey, NewAlert) {
    let entities = entities_of(e, machine);
    let first = entities.first().map(NewEntity::key).unwrap_or_default();
    let (category, technique) = attack_tags(&m.tags);
    let alert = NewAlert {
        title: m.title.clone(),
        description: m.description.clone(),
        severity: Severity::of_level(&m.level),
        category,
        technique,
        detection_source: "sigma".into(),
        rule_id: m.rule_id.clone(),
        machine_id: machine,
        user_name: e.user.clone(),
        first_seen: e.ts.clone(),
        last_seen: e.ts.clone(),
        entities,
        grade: grade_of(m),
        logon_id: e.logon_id,
    };
    ((m.rule_id.clone(), machine, first), alert)
}

/// Whether a rule is a threat-hunting lead rather than a detection.
fn grade_of(m: &SigmaMatch) -> Grade {
    if m.tags
        .iter()
        .any(|t| t.eq_ignore_ascii_case("detection.threat-hunting"))
    {
        Grade::Hunting
    } else {
        Grade::Detection
    }
}

/// An indicator an event shows.
pub(crate) struct Hit {
    pub kind: &'static str,
    pub value: String,
    pub source: String,
    pub description: String,
}

/// Where and when an indicator was seen.
pub(crate) struct Sighting<'a> {
    pub machine_id: i64,
    pub user: Option<String>,
    pub ts: &'a str,
    /// The file the event is about, or its process's image.
    pub path: Option<&'a str>,
    pub sha256: Option<&'a str>,
}

/// The alert an indicator's sighting raises, under the key that deduplicates it within one
/// import: one alert per indicator and machine.
pub(crate) fn ioc_alert(hit: &Hit, seen: &Sighting<'_>) -> (AlertKey, NewAlert) {
    let key = (
        format!("ioc:{}:{}", hit.kind, hit.value),
        seen.machine_id,
        String::new(),
    );
    let entity = match hit.kind {
        "sha256" | "sha1" | "md5" => NewEntity::file(
            seen.machine_id,
            seen.path.unwrap_or(&hit.value),
            seen.sha256,
        ),
        "domain" => NewEntity::global(EntityKind::Domain, &hit.value),
        "url" => NewEntity::global(EntityKind::Url, &hit.value),
        _ => NewEntity::global(EntityKind::Ip, &hit.value),
    };
    let what = if hit.description.is_empty() {
        "a known threat"
    } else {
        &hit.description
    };
    let alert = NewAlert {
        title: format!("Known threat seen: {what}"),
        description: format!(
            "{} {} matches an indicator in {}",
            hit.kind, hit.value, hit.source
        ),
        severity: Severity::High,
        category: "Malware".into(),
        technique: String::new(),
        detection_source: "ioc".into(),
        rule_id: format!("ioc:{}", hit.source),
        machine_id: seen.machine_id,
        user_name: seen.user.clone(),
        first_seen: seen.ts.to_string(),
        last_seen: seen.ts.to_string(),
        entities: vec![entity],
        grade: Default::default(),
        logon_id: None,
    };
    (key, alert)
}

#[cfg(test)]
mod tests {
    use super::{attack_tags, AlertSet, NewAlert};

    fn alert(at: &str, user: &str) -> NewAlert {
        NewAlert {
            title: "t".into(),
            description: String::new(),
            severity: crate::domain::Severity::High,
            category: String::new(),
            technique: String::new(),
            detection_source: "sigma".into(),
            rule_id: "r".into(),
            machine_id: 1,
            user_name: Some(user.into()),
            first_seen: at.into(),
            last_seen: at.into(),
            entities: Vec::new(),
            grade: Default::default(),
            logon_id: None,
        }
    }

    /// The alert a set keeps for events delivered in this order: (user, first, last).
    fn kept(order: &[(&str, &str)]) -> (String, String, String) {
        let mut set = AlertSet::default();
        for (at, user) in order {
            set.add(("r".into(), 1, String::new()), alert(at, user));
        }
        let alerts = set.into_alerts();
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        (
            a.user_name.clone().unwrap_or_default(),
            a.first_seen.clone(),
            a.last_seen.clone(),
        )
    }

    #[test]
    fn one_alert_per_key_spans_its_events_whatever_order_they_came_in() {
        let early = ("2026-11-20T09:00:00.000Z", "bob");
        let late = ("2026-11-20T10:00:00.000Z", "carol");
        let expected = ("bob".to_string(), early.0.to_string(), late.0.to_string());
        assert_eq!(kept(&[early, late]), expected);
        assert_eq!(kept(&[late, early]), expected);
        // Same millisecond: the same event wins either way.
        let tie = ("2026-11-20T09:00:00.000Z", "anna");
        assert_eq!(kept(&[early, tie]), kept(&[tie, early]));
    }

    #[test]
    fn mitre_tags_give_category_and_technique() {
        let tags = [
            "attack.credential_access".to_string(),
            "attack.t1003.001".to_string(),
            "attack.s0002".to_string(),
            "attack.persistence".to_string(),
        ];
        assert_eq!(
            attack_tags(&tags),
            (
                "Credential Access, Persistence".to_string(),
                "T1003.001".to_string()
            )
        );
        assert_eq!(attack_tags(&[]), (String::new(), String::new()));
    }
}
