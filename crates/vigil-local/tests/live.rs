//! What runs on this computer, for real: sockets opened by the test and the processes it
//! spawns show up in the inventory with their owners; a running program with a listed
//! hash, persistence that starts a file from a temp folder and a connection to a listed
//! IP each raise an alert, and the investigation acts on the real process and file.

#![cfg(target_os = "linux")]

mod common;

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use vigil_engine::connectors::{Connector, LiveConnection, MachineRef};
use vigil_engine::domain::{ActionKind, ActionState, AutomationLevel, EntityKind, Verdict};
use vigil_engine::{ActionFilter, Vigil};
use vigil_local::scan::sha256_file;
use vigil_local::{Detection, Sensor};

fn me() -> Option<i64> {
    Some(i64::from(std::process::id()))
}

fn find(list: &[LiveConnection], what: impl Fn(&LiveConnection) -> bool) -> &LiveConnection {
    list.iter()
        .find(|c| what(c))
        .unwrap_or_else(|| panic!("not in the inventory: {list:#?}"))
}

#[test]
fn sockets_of_this_process_are_listed_with_addresses_states_and_its_pid() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let (_server, _) = listener.accept().expect("accept");
    let client_port = client.local_addr().expect("addr").port();
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let udp_port = udp.local_addr().expect("addr").port();

    let started = Instant::now();
    let network = connector.inventory().network();
    println!(
        "network inventory: {} sockets in {:?} (note: {:?})",
        network.connections.len(),
        started.elapsed(),
        network.note
    );
    let list = &network.connections;
    let listening = find(list, |c| c.local_port == port && c.state == "listen");
    assert_eq!(listening.protocol, "tcp");
    assert_eq!(listening.local_address, "127.0.0.1");
    assert_eq!(listening.remote_address, None);
    assert_eq!(listening.pid, me());
    let out = find(list, |c| {
        c.local_port == client_port && c.remote_port == port && c.state == "established"
    });
    assert_eq!(out.remote_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(out.pid, me());
    let bound = find(list, |c| c.protocol == "udp" && c.local_port == udp_port);
    assert_eq!(bound.state, "bound");
    assert_eq!(bound.pid, me());

    // An IPv6 listener where the machine has IPv6 loopback.
    if let Ok(v6) = TcpListener::bind("[::1]:0") {
        let port6 = v6.local_addr().expect("addr").port();
        let network = connector.inventory().network();
        let l6 = find(&network.connections, |c| {
            c.protocol == "tcp6" && c.local_port == port6
        });
        assert_eq!(l6.local_address, "::1");
        assert_eq!(l6.pid, me());
    } else {
        println!("skipped the IPv6 part: no ::1 on this machine");
    }
}

/// `sleep` copied into `dir` under `name`, with bytes appended so its hash is its own
/// (the real `sleep` must never match the indicator), started for 300 s.
fn dummy_program(dir: &Path, name: &str) -> (PathBuf, Child) {
    std::fs::create_dir_all(dir).expect("dir");
    let exe = dir.join(name);
    let mut bytes = std::fs::read("/bin/sleep").expect("read sleep");
    bytes.extend_from_slice(format!("vigil test marker {name}").as_bytes());
    std::fs::write(&exe, bytes).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let child = common::start(&exe, &["300"]);
    (exe, child)
}

async fn wait_for_actions(vigil: &Vigil, kinds: &[ActionKind]) -> Vec<ActionState> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let actions = vigil.actions(ActionFilter::All).await.expect("actions");
        let states: Vec<ActionState> = kinds
            .iter()
            .filter_map(|k| actions.iter().find(|a| a.kind == *k).map(|a| a.state))
            .collect();
        if states.len() == kinds.len()
            && states
                .iter()
                .all(|s| matches!(s, ActionState::Succeeded | ActionState::Failed))
        {
            return states;
        }
        assert!(Instant::now() < deadline, "actions: {actions:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_program_with_a_listed_hash_is_killed_and_its_file_quarantined() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let vigil = sandbox.vigil(connector.clone()).await;
    let (exe, mut child) = dummy_program(&sandbox.home.join(".cache/updater"), "updaterd");
    let sha = sha256_file(&exe).expect("hash");
    common::import_iocs(&vigil, &sandbox, &[format!("sha256,{sha},test dropper")]).await;
    let sensor = Sensor::start(&vigil, connector, Vec::new())
        .await
        .expect("sensor");
    common::set_level_of_this_machine(&vigil, sensor.machine(), AutomationLevel::Full).await;

    let summary = sensor.sweep().await.expect("sweep");
    println!(
        "sweep: {} processes, {} executables ({:.1} MB) in {:.2} s",
        summary.processes,
        summary.executables,
        summary.bytes as f64 / 1e6,
        summary.seconds
    );
    let pid = i64::from(child.id());
    let found = summary
        .found
        .iter()
        .find(|r| matches!(&r.detection, Detection::Process { process, .. } if process.pid == pid))
        .unwrap_or_else(|| panic!("the dummy is found: {summary:#?}"));
    let alert = vigil.alert(found.alert).await.expect("alert");
    assert_eq!(alert.detection_source, "ioc");
    assert!(alert.title.contains("updaterd"), "{alert:?}");

    let states = wait_for_actions(
        &vigil,
        &[ActionKind::KillProcess, ActionKind::QuarantineFile],
    )
    .await;
    assert_eq!(
        states,
        [ActionState::Succeeded, ActionState::Succeeded],
        "{:#?}",
        vigil.actions(ActionFilter::All).await
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(child.wait().expect("wait").signal(), Some(9));
    assert!(!exe.exists(), "the program left its folder");
    let inv = vigil
        .investigation(found.investigation.expect("investigated"))
        .await
        .expect("investigation");
    let process = inv
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::Process && e.pid == u32::try_from(pid).ok())
        .expect("the process is evidence");
    assert_eq!(process.verdict, Verdict::Malicious, "{process:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autostart_entries_starting_temp_or_malicious_files_are_alerts_and_clean_ones_are_not() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let vigil = sandbox.vigil(connector.clone()).await;
    let autostart = sandbox.home.join(".config/autostart");
    std::fs::create_dir_all(&autostart).expect("autostart");
    let dropped = sandbox.downloads.join("helper.sh");
    std::fs::write(&dropped, "#!/bin/sh\nsleep 1\n").expect("write");
    let desktop = |name: &str, exec: &str| {
        std::fs::write(
            autostart.join(name),
            format!("[Desktop Entry]\nType=Application\nName={name}\nExec={exec}\n"),
        )
        .expect("write");
    };
    desktop(
        "helper.desktop",
        &format!("/bin/sh \"{}\"", dropped.display()),
    );
    desktop("clean.desktop", "/usr/bin/true --quiet");
    let units = sandbox.home.join(".config/systemd/user");
    std::fs::create_dir_all(&units).expect("units");
    let payload = sandbox.home.join(".local/share/sync/syncd");
    std::fs::create_dir_all(payload.parent().expect("parent")).expect("dir");
    std::fs::write(&payload, common::eicar()).expect("eicar");
    std::fs::write(
        units.join("syncd.service"),
        format!(
            "[Service]\nExecStart=-{} --daemon\n[Install]\nWantedBy=default.target\n",
            payload.display()
        ),
    )
    .expect("unit");
    let sensor = Sensor::start(&vigil, connector, Vec::new())
        .await
        .expect("sensor");
    common::set_level_of_this_machine(&vigil, sensor.machine(), AutomationLevel::SemiAny).await;

    let summary = sensor.sweep().await.expect("sweep");
    let ours: Vec<&Detection> = summary
        .found
        .iter()
        .map(|r| &r.detection)
        .filter(|d| matches!(d, Detection::Persistence { entry, .. } if entry.location.starts_with(&sandbox.home.display().to_string())))
        .collect();
    assert_eq!(ours.len(), 2, "{ours:#?}");
    let temp = ours
        .iter()
        .find(
            |d| matches!(d, Detection::Persistence { entry, .. } if entry.name == "helper.desktop"),
        )
        .expect("the Downloads autostart");
    assert!(
        matches!(temp, Detection::Persistence { target, hit: None, .. } if *target == dropped),
        "{temp:#?}"
    );
    let bad = ours
        .iter()
        .find(
            |d| matches!(d, Detection::Persistence { entry, .. } if entry.name == "syncd.service"),
        )
        .expect("the unit");
    assert!(
        matches!(bad, Detection::Persistence { target, hit: Some(_), .. } if *target == payload),
        "{bad:#?}"
    );
    let alerts = vigil.alerts(Some(sensor.machine())).await.expect("alerts");
    assert!(alerts
        .iter()
        .any(|a| a.title.contains("temporary folder: helper.desktop")
            && a.detection_source == "heuristic"));
    assert!(alerts
        .iter()
        .any(|a| a.title.contains("malicious file: syncd.service") && a.technique == "T1543.002"));
    // The investigation proposes removing the unit (malicious: it starts an EICAR file).
    let actions = vigil.actions(ActionFilter::All).await.expect("actions");
    let remove = actions
        .iter()
        .find(|a| {
            a.kind == ActionKind::RemovePersistence && a.entity.as_deref() == Some("syncd.service")
        })
        .unwrap_or_else(|| panic!("{actions:#?}"));
    assert_eq!(remove.state, ActionState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_to_a_listed_ip_is_an_alert_and_its_process_and_ip_are_evidence() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let vigil = sandbox.vigil(connector.clone()).await;
    // 127.0.0.2 is loopback on Linux: a "C2 server" that is only this test's listener.
    let server = TcpListener::bind("127.0.0.2:0").expect("listen");
    let port = server.local_addr().expect("addr").port();
    let mut beacon = Command::new("bash")
        .arg("-c")
        .arg(format!("exec 3<>/dev/tcp/127.0.0.2/{port}; exec sleep 300"))
        .spawn()
        .expect("spawn bash");
    let _accepted = server.accept().expect("accept");
    common::import_iocs(&vigil, &sandbox, &["ip,127.0.0.2,test c2".to_string()]).await;
    let sensor = Sensor::start(&vigil, connector.clone(), Vec::new())
        .await
        .expect("sensor");
    common::set_level_of_this_machine(&vigil, sensor.machine(), AutomationLevel::SemiAny).await;

    // The snapshot the investigation collects from has the connection and its owner.
    let machine = MachineRef {
        id: 1,
        name: sensor.machine().into(),
        os_family: "linux".into(),
    };
    let snapshot = connector.snapshot(&machine).await.expect("snapshot");
    let pid = i64::from(beacon.id());
    let live = snapshot
        .connections
        .iter()
        .find(|c| c.remote_address.as_deref() == Some("127.0.0.2") && c.remote_port == port)
        .unwrap_or_else(|| panic!("{:#?}", snapshot.connections));
    assert_eq!(live.pid, Some(pid));

    let summary = sensor.sweep().await.expect("sweep");
    let found = summary
        .found
        .iter()
        .find(|r| matches!(&r.detection, Detection::Connection { process: Some(p), .. } if p.pid == pid))
        .unwrap_or_else(|| panic!("{summary:#?}"));
    let alert = vigil.alert(found.alert).await.expect("alert");
    assert_eq!(alert.rule_id, "ioc:ip");
    let inv = vigil
        .investigation(found.investigation.expect("investigated"))
        .await
        .expect("investigation");
    let ip = inv
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::Ip && e.value.as_deref() == Some("127.0.0.2"))
        .expect("the IP is evidence");
    assert_eq!(ip.verdict, Verdict::Malicious, "{ip:#?}");
    assert!(
        inv.graph.edges.iter().any(|e| e.label == "connected to"),
        "{:#?}",
        inv.graph
    );
    // The kill waits for approval, then stops the real process.
    let kill = inv
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::KillProcess)
        .unwrap_or_else(|| panic!("{:#?}", inv.actions));
    assert_eq!(kill.state, ActionState::Pending);
    let done = vigil
        .approve(&[kill.id], "test", None)
        .await
        .expect("approve");
    assert_eq!(done[0].state, ActionState::Succeeded, "{done:#?}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(beacon.wait().expect("wait").signal(), Some(9));
}
