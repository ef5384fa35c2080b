//! The local connector's actions on real files and processes in temp folders: kill by
//! pid + start time, persistence removed and restored from a sandboxed HOME, hosts-file
//! block and unblock, quarantine refusals and crash recovery.

mod common;

use vigil_engine::connectors::{Applied, Connector, MachineRef, Outcome, Target};
use vigil_engine::domain::{ActionKind, EntityKind};
use vigil_local::actions::quarantine;
use vigil_local::inventory;

fn done(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Done { .. })
}

#[cfg(unix)]
#[tokio::test]
async fn a_dummy_process_is_killed_by_pid_and_start_time_and_a_mismatch_is_refused() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    // A real process with a marker name: `sleep` copied under another name.
    let dummy = sandbox.home.join("vigil-test-marker-dropper");
    std::fs::copy("/bin/sleep", &dummy).expect("copy sleep");
    let mut child = common::start(&dummy, &["300"]);
    let pid = i64::from(child.id());
    // Until the child has exec'd, /proc shows the test binary's name and arguments.
    let mut seen = None;
    for _ in 0..200 {
        seen = inventory::processes(Some(pid))
            .into_iter()
            .find(|p| p.pid == pid && p.command_line.contains("300"));
        if seen.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let seen = seen.expect("the dummy is listed");
    assert!(
        seen.image.ends_with("vigil-test-marker-dropper"),
        "{seen:?}"
    );
    assert!(seen.command_line.contains("300"));
    let target = |start: u64| Target {
        kind: Some(EntityKind::Process),
        name: format!("vigil-test-marker-dropper ({pid})"),
        path: Some(seen.image.clone()),
        pid: Some(pid),
        detail: serde_json::json!({ "start_time": start }),
        ..Target::default()
    };

    // A pid whose start time differs (a reused pid) is never touched.
    let wrong = common::request(1, ActionKind::KillProcess, target(seen.start_time - 3600));
    let outcome = connector.execute(&wrong).await.expect("execute");
    assert!(
        matches!(outcome, Outcome::NotFound { ref message } if message.contains("not touched")),
        "{outcome:?}"
    );
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "still running"
    );

    // No start time at all: refused with a clear message.
    let mut blind = common::request(2, ActionKind::KillProcess, target(0));
    blind.target.detail = serde_json::json!({});
    let error = connector.execute(&blind).await.expect_err("refused");
    assert!(error.to_string().contains("start time"), "{error}");

    let right = common::request(3, ActionKind::KillProcess, target(seen.start_time));
    assert_eq!(
        connector.was_applied(&right).await.expect("applied"),
        Applied::No
    );
    let outcome = connector.execute(&right).await.expect("execute");
    assert!(done(&outcome), "{outcome:?}");
    let status = child.wait().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9));
    assert_eq!(
        connector.was_applied(&right).await.expect("applied"),
        Applied::Yes
    );
    // Again: nothing left to do.
    let again = connector.execute(&right).await.expect("execute");
    assert!(matches!(again, Outcome::NotFound { .. }), "{again:?}");
}

#[tokio::test]
async fn refuses_to_kill_vigil_itself() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let me = inventory::processes(Some(i64::from(std::process::id())))
        .pop()
        .expect("self");
    let request = common::request(
        1,
        ActionKind::KillProcess,
        Target {
            pid: Some(me.pid),
            detail: serde_json::json!({ "start_time": me.start_time }),
            ..Target::default()
        },
    );
    let error = connector.execute(&request).await.expect_err("refused");
    assert!(error.to_string().contains("Vigil itself"), "{error}");
}

fn persistence_target(
    mechanism: &str,
    location: &std::path::Path,
    name: &str,
    value: &str,
) -> Target {
    Target {
        kind: Some(EntityKind::Persistence),
        name: name.into(),
        value: Some(value.into()),
        detail: serde_json::json!({ "mechanism": mechanism, "location": location.display().to_string() }),
        ..Target::default()
    }
}

#[tokio::test]
async fn an_xdg_autostart_entry_in_a_sandboxed_home_is_removed_and_restored() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let autostart = sandbox.home.join(".config/autostart");
    std::fs::create_dir_all(&autostart).expect("autostart");
    let entry = autostart.join("updater.desktop");
    let content = "[Desktop Entry]\nType=Application\nName=Updater\nExec=/tmp/.x/updater --quiet\n";
    std::fs::write(&entry, content).expect("write");

    let machine = MachineRef {
        id: 1,
        name: "m".into(),
        os_family: "linux".into(),
    };
    let snapshot = connector.snapshot(&machine).await.expect("snapshot");
    let live = snapshot
        .persistence
        .iter()
        .find(|p| p.name == "updater.desktop")
        .expect("the entry is in the inventory");
    assert_eq!(live.mechanism, "xdg_autostart");
    assert_eq!(live.value, "/tmp/.x/updater --quiet");

    let request = common::request(
        7,
        ActionKind::RemovePersistence,
        persistence_target(&live.mechanism, &autostart, &live.name, &live.value),
    );
    assert!(done(&connector.execute(&request).await.expect("remove")));
    assert!(!entry.exists());
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::Yes
    );
    let undo = connector.undo(&request, None).await.expect("undo");
    assert!(done(&undo), "{undo:?}");
    assert_eq!(std::fs::read_to_string(&entry).expect("restored"), content);
}

#[tokio::test]
async fn a_systemd_user_unit_and_a_shell_rc_line_are_removed_and_restored_byte_exact() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let units = sandbox.home.join(".config/systemd/user");
    std::fs::create_dir_all(&units).expect("units");
    let unit = "[Service]\nExecStart=/home/u/.cache/miner\n\n[Install]\nWantedBy=default.target\n";
    std::fs::write(units.join("miner.service"), unit).expect("unit");
    let bashrc = sandbox.home.join(".bashrc");
    let rc = "# my shell\nexport PATH=$HOME/bin:$PATH\nnohup /home/u/.cache/miner >/dev/null 2>&1 &\nalias ll='ls -l'\n";
    std::fs::write(&bashrc, rc).expect("rc");

    let machine = MachineRef {
        id: 1,
        name: "m".into(),
        os_family: "linux".into(),
    };
    let snapshot = connector.snapshot(&machine).await.expect("snapshot");
    let rc_entry = snapshot
        .persistence
        .iter()
        .find(|p| p.mechanism == "shell_rc")
        .expect("the rc line is listed");
    assert_eq!(
        rc_entry.value,
        "nohup /home/u/.cache/miner >/dev/null 2>&1 &"
    );
    assert!(snapshot
        .persistence
        .iter()
        .any(|p| p.mechanism == "systemd_unit" && p.name == "miner.service"));

    let unit_req = common::request(
        8,
        ActionKind::RemovePersistence,
        persistence_target(
            "systemd_unit",
            &units,
            "miner.service",
            "/home/u/.cache/miner",
        ),
    );
    let rc_req = common::request(
        9,
        ActionKind::RemovePersistence,
        persistence_target("shell_rc", &bashrc, &rc_entry.name, &rc_entry.value),
    );
    assert!(done(&connector.execute(&unit_req).await.expect("unit")));
    assert!(done(&connector.execute(&rc_req).await.expect("rc")));
    assert!(!units.join("miner.service").exists());
    let cut = std::fs::read_to_string(&bashrc).expect("rc");
    assert_eq!(
        cut,
        "# my shell\nexport PATH=$HOME/bin:$PATH\nalias ll='ls -l'\n"
    );

    assert!(done(
        &connector.undo(&unit_req, None).await.expect("undo unit")
    ));
    assert!(done(&connector.undo(&rc_req, None).await.expect("undo rc")));
    assert_eq!(
        std::fs::read_to_string(units.join("miner.service")).expect("unit"),
        unit
    );
    assert_eq!(std::fs::read_to_string(&bashrc).expect("rc"), rc);
}

#[tokio::test]
async fn a_domain_is_blocked_and_unblocked_in_a_temp_hosts_file() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let before = std::fs::read_to_string(&sandbox.hosts).expect("hosts");
    let request = common::request(
        21,
        ActionKind::BlockDomain,
        Target {
            kind: Some(EntityKind::Domain),
            name: "evil.example.com".into(),
            value: Some("evil.example.com".into()),
            ..Target::default()
        },
    );
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::No
    );
    assert!(done(&connector.execute(&request).await.expect("block")));
    assert!(done(
        &connector.execute(&request).await.expect("block again")
    ));
    let blocked = std::fs::read_to_string(&sandbox.hosts).expect("hosts");
    assert!(blocked.starts_with(&before));
    assert_eq!(
        blocked.matches("evil.example.com").count(),
        2,
        "one IPv4 and one IPv6 line, written once: {blocked}"
    );
    assert!(blocked.contains("0.0.0.0 evil.example.com # vigil-block action=21"));
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::Yes
    );
    assert!(done(
        &connector.undo(&request, None).await.expect("unblock")
    ));
    assert_eq!(
        std::fs::read_to_string(&sandbox.hosts).expect("hosts"),
        before
    );

    // A URL blocks its host; a value that is no domain is refused.
    let url = common::request(
        22,
        ActionKind::BlockUrl,
        Target {
            value: Some("https://user@bad.example.org:8443/payload?x=1".into()),
            ..Target::default()
        },
    );
    assert!(done(&connector.execute(&url).await.expect("block url")));
    assert!(std::fs::read_to_string(&sandbox.hosts)
        .expect("hosts")
        .contains("0.0.0.0 bad.example.org # vigil-block action=22"));
    let bad = common::request(
        23,
        ActionKind::BlockDomain,
        Target {
            value: Some("evil.com\n0.0.0.0 bank.com".into()),
            ..Target::default()
        },
    );
    assert!(connector.execute(&bad).await.is_err());
}

#[tokio::test]
async fn quarantine_refuses_links_paths_outside_its_roots_and_vigils_own_files() {
    let sandbox = common::Sandbox::new();
    let config = sandbox.config();
    let real = sandbox.downloads.join("real.bin");
    std::fs::write(&real, b"x").expect("write");
    #[cfg(unix)]
    {
        let link = sandbox.downloads.join("link.bin");
        std::os::unix::fs::symlink("/etc/hostname", &link).expect("link");
        let e = quarantine::quarantine(&config, 1, &link, None).expect_err("link refused");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        // A folder on the path that is a link out is refused too.
        let out = tempfile::tempdir().expect("tmp");
        std::fs::write(out.path().join("f"), b"x").expect("write");
        let dir_link = sandbox.downloads.join("dirlink");
        std::os::unix::fs::symlink(out.path(), &dir_link).expect("link");
        let e = quarantine::quarantine(&config, 2, &dir_link.join("f"), None).expect_err("refused");
        assert!(e.to_string().contains("link"), "{e}");
        assert!(out.path().join("f").exists());
    }
    let mut narrow = config.clone();
    narrow.allowed_roots = vec![sandbox.home.join("Documents")];
    let e = quarantine::quarantine(&narrow, 3, &real, None).expect_err("outside");
    assert!(e.to_string().contains("outside the folders"), "{e}");
    std::fs::create_dir_all(config.vault_dir()).expect("vault");
    let own = config.vault_dir().join("9.quarantined");
    std::fs::write(&own, b"x").expect("write");
    let e = quarantine::quarantine(&config, 4, &own, None).expect_err("own data");
    assert!(e.to_string().contains("Vigil's own"), "{e}");
    let e = quarantine::quarantine(&config, 5, &real, Some(&"0".repeat(64))).expect_err("hash");
    assert!(e.to_string().contains("changed since"), "{e}");
    assert!(real.exists(), "nothing was moved by a refusal");
}

#[tokio::test]
async fn after_a_crash_quarantine_reports_truthfully_and_a_rerun_finishes() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let file = sandbox.downloads.join("eicar.com");
    std::fs::write(&file, common::eicar()).expect("write");
    let request = common::request(
        31,
        ActionKind::QuarantineFile,
        Target {
            kind: Some(EntityKind::File),
            name: "eicar.com".into(),
            path: Some(file.display().to_string()),
            ..Target::default()
        },
    );
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::No
    );
    assert!(done(
        &connector.execute(&request).await.expect("quarantine")
    ));
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::Yes
    );
    // Simulate a crash after the vault was written but before the original was removed.
    std::fs::write(&file, common::eicar()).expect("put back");
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::No
    );
    assert!(done(&connector.execute(&request).await.expect("rerun")));
    assert!(!file.exists());
    assert_eq!(
        connector.was_applied(&request).await.expect("applied"),
        Applied::Yes
    );
    // Undo refuses to overwrite a file that came back, then restores once it is gone.
    std::fs::write(&file, b"something else").expect("new file");
    assert!(connector.undo(&request, None).await.is_err());
    assert_eq!(std::fs::read(&file).expect("kept"), b"something else");
    std::fs::remove_file(&file).expect("rm");
    assert!(done(&connector.undo(&request, None).await.expect("undo")));
    assert_eq!(std::fs::read(&file).expect("restored"), common::eicar());
}

#[test]
fn a_permission_error_says_vigil_lacks_the_rights() {
    let error = vigil_local::actions::os_error(
        "cannot write /etc/hosts".into(),
        std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    );
    let text = error.to_string();
    assert!(text.contains("does not have the rights"), "{text}");
    assert!(text.contains("never uses sudo"), "{text}");
}
