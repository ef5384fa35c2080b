//! A sandbox for the local connector's tests: a temp home (with Downloads), a temp data
//! folder for the store and vault, and a temp hosts file.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use vigil_engine::connectors::{ActionRequest, MachineRef, Target};
use vigil_engine::domain::{ActionKind, AutomationLevel};
use vigil_engine::{OpenOptions, Vigil};
use vigil_local::{LocalConfig, LocalConnector};

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub downloads: PathBuf,
    pub data: PathBuf,
    pub hosts: PathBuf,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        let home = root.join("home/u");
        let downloads = home.join("Downloads");
        let data = root.join("data");
        std::fs::create_dir_all(&downloads).expect("downloads");
        std::fs::create_dir_all(&data).expect("data");
        let hosts = root.join("hosts");
        std::fs::write(&hosts, "127.0.0.1 localhost\n::1 localhost\n").expect("hosts");
        Self {
            dir,
            home,
            downloads,
            data,
            hosts,
        }
    }

    pub fn config(&self) -> LocalConfig {
        LocalConfig::new(self.data.clone(), self.home.clone(), self.hosts.clone())
    }

    pub fn connector(&self) -> Arc<LocalConnector> {
        LocalConnector::new(self.config())
    }

    pub async fn vigil(&self, connector: Arc<LocalConnector>) -> Vigil {
        Vigil::open(OpenOptions {
            db: Some(self.data.join("vigil.sqlite3")),
            connectors: vec![connector],
        })
        .await
        .expect("open")
    }
}

/// The EICAR test string, assembled so this source file itself is not flagged.
pub fn eicar() -> Vec<u8> {
    [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
    ]
    .concat()
    .into_bytes()
}

/// An action request as the engine would build it.
pub fn request(action_id: i64, kind: ActionKind, target: Target) -> ActionRequest {
    ActionRequest {
        action_id,
        kind,
        machine: MachineRef {
            id: 1,
            name: "this-computer".into(),
            os_family: "linux".into(),
        },
        target,
    }
}

/// Sets the automation level of the group this machine is in.
pub async fn set_level_of_this_machine(vigil: &Vigil, machine: &str, level: AutomationLevel) {
    let groups = vigil.groups().await.expect("groups");
    let group = groups
        .iter()
        .find(|g| g.machines.iter().any(|m| m == machine))
        .expect("the machine is in a group");
    vigil
        .set_group_level(&group.name, level)
        .await
        .expect("set level");
}

/// Imports threat indicators, one `type,value,description` line each.
pub async fn import_iocs(vigil: &Vigil, sandbox: &Sandbox, lines: &[String]) {
    let csv = sandbox.data.join("iocs.csv");
    std::fs::write(&csv, lines.join("\n") + "\n").expect("csv");
    vigil.import_intel(&csv).await.expect("intel");
}

/// Starts `program` with `args`, a program the test has just written. Another test's
/// thread may fork while the file is still open for writing; the child holds it until it
/// execs, and starting the program meanwhile fails with "Text file busy": try again for a
/// moment.
pub fn start(program: &std::path::Path, args: &[&str]) -> std::process::Child {
    let mut tries = 0;
    loop {
        match std::process::Command::new(program).args(args).spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.expect("spawn"),
        }
    }
}
