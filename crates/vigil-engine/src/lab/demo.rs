//! Loading the demo office (`content/demo.json`) into an empty store: its groups, users and
//! machines, a week of ordinary telemetry expanded from the office's catalogue of ordinary
//! activity, the attack's events, the threat feed, and the machines' live state for the
//! `lab` connector. Then the attack's alert is raised (by `ops::detect`'s heuristic, not yet
//! by the shipped Sigma rules: those rate it high, and would start and run an investigation
//! while the demo loads).

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use vigil_telemetry::Record;

use crate::domain::{AutomationLevel, NewEvent, NewIndicator, NewMachine};
use crate::ops::groups::{create_group, NewGroup};
use crate::store::lab::put_object;
use crate::store::{events, indicators, machines, users};
use crate::{clock, Error, Result, Vigil};

use super::office::{office, Attack, LiveObject, Machine, Office, EVERY_MACHINE};
use super::sysmon::sysmon_json;
use super::Lab;

/// What the demo's telemetry is called where a record says where it came from.
const DEMO_LOG: &str = "northwind-week.ndjson";

/// The payload's SHA-256 (the same file sits on client4 and client7; the threat feed does
/// not name it, so the investigation finds the copy by the hash).
pub const PAYLOAD_SHA256: &str = "9f2b5c61d3a8e47f0b6c2d19e8a7f3c4b5d6e7f8091a2b3c4d5e6f708192a3b4";

/// What loading the demo wrote.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DemoSummary {
    pub machines: u32,
    pub users: u32,
    pub events: u32,
    pub indicators: u32,
    pub alerts: u32,
    /// Investigations the alert policies started on its alerts.
    pub investigations: u32,
}

/// A tiny deterministic generator (xorshift), so the demo is the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn event(machine_id: i64, ts: &str, kind: &str) -> NewEvent {
    NewEvent {
        machine_id,
        ts: ts.to_string(),
        kind: kind.to_string(),
        source: "demo".into(),
        ..NewEvent::default()
    }
}

/// A week of ordinary office life on one machine, drawn from the catalogue: each morning a
/// logon and the desktop, then six to eleven programs, each looking up and connecting to one
/// to three sites and, on a desktop that saves documents, now and then saving one.
fn ordinary_week(
    office: &Office,
    rng: &mut Rng,
    machine_id: i64,
    m: &Machine,
    now: OffsetDateTime,
    out: &mut Vec<NewEvent>,
) {
    let o = &office.ordinary;
    let user = format!("{}\\{}", office.account_domain, m.user);
    let programs = if o.desktop_roles.contains(&m.role) {
        &o.desktop_programs
    } else {
        &o.server_programs
    };
    let saves_documents = o.document_roles.contains(&m.role);
    let mut pid = 2000 + (machine_id * 37) % 500;
    for day in (1..=7).rev() {
        let morning = now - Duration::days(day) + Duration::minutes((rng.below(90)) as i64 - 45);
        let t = |offset_min: i64| clock::format(morning + Duration::minutes(offset_min));
        let mut logon = event(machine_id, &t(0), "logon");
        logon.user_name = Some(user.clone());
        logon.extra = Some(serde_json::json!({"logon_type": o.shell.logon_type}).to_string());
        out.push(logon);
        let shell_pid = pid;
        let mut shell = event(machine_id, &t(1), "process_start");
        shell.user_name = Some(user.clone());
        shell.pid = Some(shell_pid);
        shell.image = Some(o.shell.image.clone());
        shell.command_line = Some(o.shell.command_line.clone());
        shell.parent_pid = Some(o.shell.parent_pid);
        shell.parent_image = Some(o.shell.parent_image.clone());
        out.push(shell);
        for i in 0..(6 + rng.below(6)) as i64 {
            pid += 4 + rng.below(40) as i64;
            let program = rng.pick(programs);
            let image = &program.image;
            let mut start = event(machine_id, &t(2 + i * 37), "process_start");
            start.user_name = Some(user.clone());
            start.pid = Some(pid);
            start.image = Some(image.clone());
            start.command_line = Some(
                format!("\"{image}\" {}", program.arguments)
                    .trim()
                    .to_string(),
            );
            // A server's programs are services: the service manager (or, for WMI's
            // provider host, DCOM's svchost) starts them, not the desktop.
            start.parent_pid = Some(program.parent_pid.unwrap_or(shell_pid));
            start.parent_image = Some(
                program
                    .parent_image
                    .clone()
                    .unwrap_or_else(|| o.shell.image.clone()),
            );
            out.push(start);
            for j in 0..(1 + rng.below(3)) as i64 {
                let domain = rng.pick(&o.domains);
                let mut dns = event(machine_id, &t(3 + i * 37 + j), "dns_query");
                dns.pid = Some(pid);
                dns.image = Some(image.clone());
                dns.domain = Some(domain.clone());
                dns.user_name = Some(user.clone());
                out.push(dns);
                let mut conn = event(machine_id, &t(3 + i * 37 + j), "network_connection");
                conn.pid = Some(pid);
                conn.image = Some(image.clone());
                conn.domain = Some(domain.clone());
                conn.remote_ip = Some(format!("{}{}", o.web_address_prefix, 1 + rng.below(200)));
                conn.remote_port = Some(o.web_port);
                conn.user_name = Some(user.clone());
                out.push(conn);
            }
            if saves_documents && rng.below(3) == 0 {
                let mut file = event(machine_id, &t(10 + i * 37), "file_create");
                file.pid = Some(pid);
                file.image = Some(image.clone());
                file.target_path = Some(
                    o.document_path
                        .replace("{user}", &m.user)
                        .replace("{day}", &day.to_string())
                        .replace("{n}", &i.to_string()),
                );
                file.sha256 = Some(format!(
                    "{:016x}{:016x}{:016x}{:016x}",
                    rng.next(),
                    rng.next(),
                    rng.next(),
                    rng.next()
                ));
                file.user_name = Some(user.clone());
                out.push(file);
            }
        }
    }
}

/// The attack's events, on the machines `ids` names.
fn attack(attack: &Attack, ids: &HashMap<&str, i64>, now: OffsetDateTime) -> Vec<NewEvent> {
    let started = now - Duration::minutes(attack.started_minutes_ago);
    attack
        .events
        .iter()
        .map(|e| {
            let base = e
                .days_ago
                .map_or(started, |days| now - Duration::days(days));
            let ts = clock::format(base + Duration::minutes(e.minute));
            NewEvent {
                user_name: e.user_name.clone(),
                pid: e.pid,
                image: e.image.clone(),
                command_line: e.command_line.clone(),
                parent_pid: e.parent_pid,
                parent_image: e.parent_image.clone(),
                target_path: e.target_path.clone(),
                sha256: e.sha256.clone(),
                url: e.url.clone(),
                domain: e.domain.clone(),
                remote_ip: e.remote_ip.clone(),
                remote_port: e.remote_port,
                registry_key: e.registry_key.clone(),
                registry_value: e.registry_value.clone(),
                extra: e.extra.as_ref().map(Value::to_string),
                ..event(
                    ids.get(e.machine.as_str()).copied().unwrap_or_default(),
                    &ts,
                    &e.kind,
                )
            }
        })
        .collect()
}

impl Vigil {
    /// Loads the demo environment into an empty store; its week meets the detections, and
    /// the alert policies start what they start.
    pub async fn load_demo(&self) -> Result<DemoSummary> {
        self.load_demo_with_levels(&[]).await
    }

    /// Loads the demo environment as [`Vigil::load_demo`] does, with the groups named in
    /// `levels` at another automation level than the office's own: what another level
    /// would have done with the attack.
    pub async fn load_demo_with_levels(
        &self,
        levels: &[(String, AutomationLevel)],
    ) -> Result<DemoSummary> {
        let office = office()?;
        for (name, _) in levels {
            if !office
                .groups
                .iter()
                .any(|g| g.name.eq_ignore_ascii_case(name))
            {
                let known: Vec<&str> = office.groups.iter().map(|g| g.name.as_str()).collect();
                return Err(Error::InvalidInput(format!(
                    "the demo office has no group {name:?}; its groups are: {}",
                    known.join(", ")
                )));
            }
        }
        let _work = self.work_lock().await?;
        if self.overview().await?.machines > 0 {
            return Err(Error::Conflict(
                "the store already has machines; the demo environment loads only into an empty store (use --db with a new file)".into(),
            ));
        }
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().pool().begin().await?;
        for group in &office.groups {
            let group = NewGroup {
                name: group.name.clone(),
                description: group.description.clone(),
                automation_level: levels
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(&group.name))
                    .map_or(group.automation_level, |(_, level)| *level),
                rules: group.rules.clone(),
            };
            create_group(&mut tx, &group).await?;
        }
        for user in &office.users {
            let email = format!("{}@{}", user.name, office.mail_domain);
            users::upsert(&mut tx, &user.name, &user.display_name, &email).await?;
        }
        let (everywhere, here): (Vec<&LiveObject>, Vec<&LiveObject>) = office
            .live
            .iter()
            .partition(|o| o.machine.as_deref() == Some(EVERY_MACHINE));
        let mut rng = Rng(office.seed);
        let mut events = Vec::new();
        let mut ids = HashMap::new();
        for m in &office.machines {
            let id = machines::upsert(
                &mut tx,
                &NewMachine {
                    name: m.name.clone(),
                    domain: office.domain.clone(),
                    os: m.os.clone(),
                    os_family: m.os_family.clone(),
                    role: m.role.clone(),
                    tags: m.tags.clone(),
                    ip: m.ip.clone(),
                    connector: Some("lab".into()),
                },
            )
            .await?;
            ids.insert(m.name.as_str(), id);
            ordinary_week(office, &mut rng, id, m, now, &mut events);
            for object in &everywhere {
                put_object(
                    &mut tx,
                    Some(id),
                    &object.kind,
                    &object.key(),
                    &object.data(now),
                )
                .await?;
            }
        }
        let attack_events = attack(&office.attack, &ids, now);
        events.extend(attack_events.iter().cloned());
        events.sort_by(|a, b| a.ts.cmp(&b.ts));
        let written = events::insert(&mut tx, &events).await?;

        let feed = &office.threat_feed;
        let indicators: Vec<NewIndicator> = feed
            .indicators
            .iter()
            .map(|i| NewIndicator {
                kind: i.kind.clone(),
                value: i.value.clone(),
                source: feed.source.clone(),
                description: i.description.clone(),
            })
            .collect();
        let indicators_added = indicators::add(&mut tx, &indicators).await?;

        for object in here {
            let machine = object
                .machine
                .as_deref()
                .and_then(|name| ids.get(name).copied());
            put_object(
                &mut tx,
                machine,
                &object.kind,
                &object.key(),
                &object.data(now),
            )
            .await?;
        }
        tx.commit().await?;
        self.add_connector(Arc::new(Lab::new(self.store().clone())));

        // The week meets the ordinary detections, as a real office's log does on import: the
        // shipped rules and the threat feed raise its alerts, and the alert policies start
        // what they start.
        let names: HashMap<i64, String> = ids
            .iter()
            .map(|(name, id)| (*id, (*name).to_string()))
            .collect();
        let mut records = Vec::new();
        for (line, e) in events.iter().enumerate() {
            let Some(machine) = names.get(&e.machine_id) else {
                continue;
            };
            let host = format!("{machine}.{}", office.domain);
            let Some(json) = sysmon_json(e, &host) else {
                continue;
            };
            let record = Record::from_json(json.to_string().as_bytes(), DEMO_LOG, line as u64 + 1)
                .map_err(|e| Error::InvalidInput(format!("the demo's own telemetry: {e}")))?;
            records.push((record, e.machine_id));
        }
        let detected = self.detect_written(&records, &names).await?;
        let (alerts, investigations) = (detected.alerts, detected.investigations);
        tracing::info!(events = written, alerts, "demo environment loaded");
        Ok(DemoSummary {
            machines: office.machines.len() as u32,
            users: office.users.len() as u32,
            events: written as u32,
            indicators: indicators_added as u32,
            alerts,
            investigations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_office_parses_and_its_feed_leaves_the_payload_to_the_investigation() {
        let office = office().expect("content/demo.json parses");
        assert_eq!(office.machines.len(), 12);
        // The feed knows the document and the C2, not the payload: the investigation judges
        // it by what it did, and finds its copy on client7 by its hash.
        assert!(!office
            .threat_feed
            .indicators
            .iter()
            .any(|i| i.value == PAYLOAD_SHA256));
        let names: Vec<&str> = office.machines.iter().map(|m| m.name.as_str()).collect();
        for e in &office.attack.events {
            assert!(names.contains(&e.machine.as_str()), "{}", e.machine);
        }
        for o in &office.live {
            if let Some(machine) = o.machine.as_deref().filter(|m| *m != EVERY_MACHINE) {
                assert!(names.contains(&machine), "{machine}");
            }
            assert!(!o.key().is_empty(), "{o:?} has a key");
        }
    }

    #[test]
    fn a_persistence_entry_is_keyed_as_the_connector_finds_it() {
        let office = office().expect("office");
        let run_key = office
            .live
            .iter()
            .find(|o| o.kind == "persistence")
            .expect("the run key");
        assert_eq!(
            run_key.key(),
            r"run_key|hku\s-1-5-21-3623811015-3361044348-30300820-1104\software\microsoft\windows\currentversion\run|windowsupdater"
        );
    }

    #[tokio::test]
    async fn the_lab_connector_comes_with_the_demo_and_with_a_store_that_holds_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let open = || {
            Vigil::open(crate::OpenOptions {
                db: Some(dir.path().join("vigil.sqlite3")),
                ..crate::OpenOptions::default()
            })
        };
        let vigil = open().await.expect("open");
        assert!(vigil.connectors().get(Some("lab")).is_none(), "no lab yet");
        vigil.load_demo().await.expect("demo");
        assert!(
            vigil.connectors().get(Some("lab")).is_some(),
            "the demo's lab"
        );
        drop(vigil);
        let again = open().await.expect("open again");
        assert!(
            again.connectors().get(Some("lab")).is_some(),
            "the store's lab"
        );
    }
}
