//! Linux persistence the connector removes and restores for real: a systemd user unit is
//! disabled with it (its enabling links go, and come back with undo), and a line of the
//! user's crontab goes through the `crontab` program.

#![cfg(target_os = "linux")]

mod common;

use std::process::{Command, Stdio};

use vigil_engine::connectors::{Applied, Connector, MachineRef, Outcome, Target};
use vigil_engine::domain::{ActionKind, EntityKind};

fn message(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Done { message, .. } => message,
        Outcome::NotFound { message } => panic!("not found: {message}"),
    }
}

fn target(mechanism: &str, location: &str, name: &str, value: &str) -> Target {
    Target {
        kind: Some(EntityKind::Persistence),
        name: name.into(),
        value: Some(value.into()),
        detail: serde_json::json!({ "mechanism": mechanism, "location": location }),
        ..Target::default()
    }
}

fn machine() -> MachineRef {
    MachineRef {
        id: 1,
        name: "m".into(),
        os_family: "linux".into(),
    }
}

#[tokio::test]
async fn removing_a_user_unit_disables_it_and_undo_enables_it_again() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let units = sandbox.home.join(".config/systemd/user");
    let wants = units.join("default.target.wants");
    std::fs::create_dir_all(&wants).expect("units");
    let unit = "[Service]\nExecStart=/home/u/.cache/miner\n\n[Install]\nWantedBy=default.target\n";
    std::fs::write(units.join("miner.service"), unit).expect("unit");
    std::os::unix::fs::symlink("../miner.service", wants.join("miner.service")).expect("enable");
    // Another unit's link stays.
    std::os::unix::fs::symlink("../other.service", wants.join("other.service")).expect("other");

    let request = common::request(
        41,
        ActionKind::RemovePersistence,
        target(
            "systemd_unit",
            &units.display().to_string(),
            "miner.service",
            "/home/u/.cache/miner",
        ),
    );
    let removed = connector.execute(&request).await.expect("remove");
    let text = message(&removed);
    assert!(
        text.contains("disabled (1 enabling links removed)"),
        "{text}"
    );
    assert!(!units.join("miner.service").exists());
    assert!(std::fs::symlink_metadata(wants.join("miner.service")).is_err());
    assert!(std::fs::symlink_metadata(wants.join("other.service")).is_ok());
    let systemd_user = Command::new("systemctl")
        .args(["--user", "show-environment"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if systemd_user {
        assert!(text.contains("user service manager reloaded"), "{text}");
    } else {
        println!("systemctl --user is not available here: checked that the message says so");
        assert!(text.contains("was not reloaded"), "{text}");
    }
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::Yes
    );

    let undone = connector.undo(&request, None).await.expect("undo");
    let text = message(&undone);
    assert!(text.contains("enabled again (1 links)"), "{text}");
    assert_eq!(
        std::fs::read_to_string(units.join("miner.service")).expect("unit"),
        unit
    );
    assert_eq!(
        std::fs::read_link(wants.join("miner.service")).expect("link"),
        std::path::Path::new("../miner.service")
    );
}

/// Leaves the user's crontab as it was found: none.
struct NoCrontabAfter;

impl Drop for NoCrontabAfter {
    fn drop(&mut self) {
        let _ = Command::new("crontab")
            .arg("-r")
            .stderr(Stdio::null())
            .status();
    }
}

#[tokio::test]
async fn a_line_of_the_users_crontab_is_removed_and_restored_byte_exact() {
    use vigil_local::actions::persistence::crontab;
    // Only where the crontab program runs and this user has no crontab to lose.
    let before = match crontab::read() {
        Ok(Some(text)) if text.is_empty() => text,
        Ok(Some(_)) => {
            println!("skipped: this user has a crontab; the test only runs without one");
            return;
        }
        Ok(None) => {
            println!("skipped: the crontab program is not installed");
            return;
        }
        Err(error) => {
            println!("skipped: {error}");
            return;
        }
    };
    let _cleanup = NoCrontabAfter;
    let tab = "MAILTO=\"\"\n*/5 * * * * /tmp/.x/miner --quiet\n0 3 * * * /usr/bin/true\n";
    crontab::install(tab).expect("install");
    assert_ne!(before, tab);

    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let snapshot = connector.snapshot(&machine()).await.expect("snapshot");
    let entries: Vec<_> = snapshot
        .persistence
        .iter()
        .filter(|p| p.mechanism == "user_crontab")
        .collect();
    assert_eq!(entries.len(), 2, "the MAILTO line is no job: {entries:#?}");
    let miner = entries
        .iter()
        .find(|p| p.value.contains("miner"))
        .expect("the miner line");
    let user = vigil_local::inventory::current_user().expect("user");
    assert_eq!(miner.location, format!("crontab:{user}"));

    let request = common::request(
        51,
        ActionKind::RemovePersistence,
        target(&miner.mechanism, &miner.location, &miner.name, &miner.value),
    );
    message(&connector.execute(&request).await.expect("remove"));
    assert_eq!(
        crontab::read().expect("read").as_deref(),
        Some("MAILTO=\"\"\n0 3 * * * /usr/bin/true\n")
    );
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::Yes
    );
    message(&connector.undo(&request, None).await.expect("undo"));
    assert_eq!(crontab::read().expect("read").as_deref(), Some(tab));

    // Another user's crontab is refused, not touched.
    let other = common::request(
        52,
        ActionKind::RemovePersistence,
        target(
            "user_crontab",
            "crontab:someone-else",
            &miner.name,
            &miner.value,
        ),
    );
    let error = connector.execute(&other).await.expect_err("refused");
    assert!(error.to_string().contains("someone-else"), "{error}");
}
