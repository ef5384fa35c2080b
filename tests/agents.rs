//! The office's agents as real processes: a console (`vigil serve`), an enrolment token from
//! `vigil agents add`, three `vigil-agent` processes each with its own data folder, over real
//! TLS on loopback; their machines show on the console; a revoked one is refused.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `vigil serve` on a free port; returns it and the address it listens on.
fn serve(db: &Path) -> (Serve, String) {
    let mut child = Command::new(vigil_tests::built_binary("vigil"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("its first line");
    let address = first
        .strip_prefix("listening for agents on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("vigil serve said {first:?}"))
        .to_string();
    (Serve(child), address)
}

fn agent(data: &Path, name: &str, args: &[&str]) -> std::process::Output {
    Command::new(vigil_tests::built_binary("vigil-agent"))
        .arg("--data")
        .arg(data)
        .args(["--hostname", name])
        .args(args)
        .output()
        .expect("vigil-agent")
}

#[test]
fn three_agents_enrol_report_in_and_a_revoked_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigil.sqlite3");
    let (_serve, address) = serve(&db);
    let token =
        vigil_tests::vigil_json(&db, ["agents", "add", "--address", &address, "--uses", "3"]);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token["token"].as_str().expect("token")).expect("write");
    let names = ["ws-anna", "ws-bob", "ws-carol"];
    for name in names {
        let data = dir.path().join(name);
        let out = agent(
            &data,
            name,
            &["enrol", "--token-file", token_file.to_str().expect("path")],
        );
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = agent(&data, name, &["run", "--once"]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The token is spent: a fourth machine is refused, and says why.
    let out = agent(
        &dir.path().join("ws-dave"),
        "ws-dave",
        &["enrol", "--token-file", token_file.to_str().expect("path")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has been used"));

    let agents = vigil_tests::vigil_json(&db, ["agents", "list"]);
    assert_eq!(agents.as_array().map(Vec::len), Some(3), "{agents}");
    assert!(
        agents
            .as_array()
            .into_iter()
            .flatten()
            .all(|a| a["online"] == true),
        "each said hello just now: {agents}"
    );
    // The console's machines: each agent's, with the agent connector.
    let machines = vigil_tests::vigil_json(&db, ["machines"]);
    for name in names {
        let m = machines
            .as_array()
            .and_then(|all| all.iter().find(|m| m["name"] == name))
            .unwrap_or_else(|| panic!("{name} in {machines}"));
        assert_eq!(m["connector"], "agent", "{m}");
    }

    let bob = agents
        .as_array()
        .and_then(|all| all.iter().find(|a| a["machine"] == "ws-bob"))
        .expect("bob");
    vigil_tests::vigil_json(&db, ["agents", "revoke", bob["id"].as_str().expect("id")]);
    let out = agent(&dir.path().join("ws-bob"), "ws-bob", &["run", "--once"]);
    assert!(!out.status.success(), "a revoked agent is refused");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("CertificateRevoked") || said.contains("may be revoked or expired"),
        "{said}"
    );
    let out = agent(&dir.path().join("ws-anna"), "ws-anna", &["run", "--once"]);
    assert!(out.status.success(), "the others still report in");
}
