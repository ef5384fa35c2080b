//! EICAR lands in a watched Downloads folder → alert → investigation → quarantined
//! automatically under "Semi – require approval for non-temp folders" → undo restores it
//! byte-exact. Real files, a real watcher, a real store.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_engine::domain::{ActionKind, ActionState, AutomationLevel, FolderClass};
use vigil_engine::{ActionFilter, Vigil};
use vigil_local::scan::sha256_bytes;
use vigil_local::{Sensor, Watch};

async fn wait_for_quarantine(vigil: &Vigil) -> vigil_engine::domain::ActionView {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let actions = vigil.actions(ActionFilter::All).await.expect("actions");
        if let Some(a) = actions
            .iter()
            .find(|a| a.kind == ActionKind::QuarantineFile && a.state == ActionState::Succeeded)
        {
            return a.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no quarantine within 30 s; actions: {actions:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("meta").permissions().mode() & 0o7777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eicar_dropped_in_watched_downloads_is_quarantined_and_undo_restores_it() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let vigil = sandbox.vigil(connector.clone()).await;
    let sensor = Arc::new(
        Sensor::start(&vigil, connector.clone(), Vec::new())
            .await
            .expect("sensor"),
    );
    let machine = sensor.machine().to_string();
    common::set_level_of_this_machine(&vigil, &machine, AutomationLevel::SemiNonTemp).await;

    let watch = Watch::start(
        sensor.clone(),
        std::slice::from_ref(&sandbox.downloads),
        |_| {},
    )
    .expect("watch");
    let target = sandbox.downloads.join("eicar.com");
    assert_eq!(
        FolderClass::of_path(&target.display().to_string()),
        FolderClass::Temp
    );
    std::fs::write(&target, common::eicar()).expect("drop eicar");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    }

    let action = wait_for_quarantine(&vigil).await;
    watch.stop();
    assert!(!target.exists(), "the file left Downloads");
    assert_eq!(action.machine.as_deref(), Some(machine.as_str()));
    assert!(action
        .decided_by
        .as_deref()
        .unwrap_or("")
        .starts_with("automation"));

    let alerts = vigil.alerts(Some(&machine)).await.expect("alerts");
    let alert = alerts
        .iter()
        .find(|a| a.rule_id == "EICAR_Test_File")
        .expect("an EICAR alert on this machine");
    assert_eq!(alert.detection_source, "yara");
    let inv = vigil
        .investigation(action.investigation_id.expect("from an investigation"))
        .await
        .expect("investigation");
    assert_eq!(
        inv.summary.status,
        vigil_engine::domain::InvestigationStatus::Remediated,
        "{inv:#?}"
    );

    // Stored inert: the vault file does not hold the test string and is not executable.
    let vault = sandbox.data.join("quarantine");
    let stored = std::fs::read(vault.join(format!("{}.quarantined", action.id))).expect("vault");
    assert!(!stored.windows(16).any(|w| w == &common::eicar()[..16]));
    #[cfg(unix)]
    assert_eq!(
        mode(&vault.join(format!("{}.quarantined", action.id))) & 0o111,
        0
    );

    let undone = vigil.undo(&[action.id], "test").await.expect("undo");
    assert_eq!(undone[0].state, ActionState::Undone);
    let restored = std::fs::read(&target).expect("restored");
    assert_eq!(restored, common::eicar());
    assert_eq!(sha256_bytes(&restored), sha256_bytes(&common::eicar()));
    #[cfg(unix)]
    assert_eq!(mode(&target), 0o640);
    assert!(!vault.join(format!("{}.json", action.id)).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_ioc_hash_waits_for_approval_then_is_quarantined() {
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let vigil = sandbox.vigil(connector.clone()).await;
    let bad = b"pretend malware, listed by hash";
    common::import_iocs(
        &vigil,
        &sandbox,
        &[format!("sha256,{},test list", sha256_bytes(bad))],
    )
    .await;
    let sensor = Sensor::start(&vigil, connector, Vec::new())
        .await
        .expect("sensor");
    common::set_level_of_this_machine(&vigil, sensor.machine(), AutomationLevel::SemiAny).await;
    let docs = sandbox.home.join("Documents");
    std::fs::create_dir_all(&docs).expect("docs");
    let file = docs.join("invoice.bin");
    std::fs::write(&file, bad).expect("write");
    std::fs::write(docs.join("clean.txt"), b"nothing to see").expect("write");
    let summary = sensor
        .scan(std::slice::from_ref(&docs))
        .await
        .expect("scan");
    assert_eq!(summary.files, 2);
    assert_eq!(summary.hits.len(), 1, "{summary:#?}");
    assert!(matches!(
        &summary.hits[0].detection,
        vigil_local::Detection::File { hit } if matches!(hit.kind, vigil_local::HitKind::Ioc { .. })
    ));
    let actions = vigil.actions(ActionFilter::All).await.expect("actions");
    let quarantine = actions
        .iter()
        .find(|a| a.kind == ActionKind::QuarantineFile)
        .expect("a quarantine proposed");
    assert_eq!(quarantine.state, ActionState::Pending);
    assert!(file.exists(), "nothing happens before approval");
    let approved = vigil
        .approve(&[quarantine.id], "test", None)
        .await
        .expect("approve");
    assert_eq!(approved[0].state, ActionState::Succeeded, "{approved:#?}");
    assert!(!file.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_an_ioc_list_names_by_md5_is_found_and_judged_malicious_even_if_the_list_came_later()
{
    use md5::Digest;
    let sandbox = common::Sandbox::new();
    let connector = sandbox.connector();
    let vigil = sandbox.vigil(connector.clone()).await;
    let bad = b"pretend malware, listed by MD5 in a vendor report";
    let md5: String = md5::Md5::digest(bad)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sensor = Sensor::start(&vigil, connector, Vec::new())
        .await
        .expect("sensor");
    // The list comes while the sensor runs (as under `local watch`): its next scan uses it.
    common::import_iocs(&vigil, &sandbox, &[format!("md5,{md5},vendor report")]).await;
    common::set_level_of_this_machine(&vigil, sensor.machine(), AutomationLevel::SemiAny).await;
    let docs = sandbox.home.join("Documents");
    std::fs::create_dir_all(&docs).expect("docs");
    std::fs::write(docs.join("report.bin"), bad).expect("write");
    std::fs::write(docs.join("clean.txt"), b"nothing to see").expect("write");
    let summary = sensor
        .scan(std::slice::from_ref(&docs))
        .await
        .expect("scan");
    assert_eq!(summary.hits.len(), 1, "{summary:#?}");
    let investigation = summary.hits[0].investigation.expect("an investigation");
    let details = vigil.investigation(investigation).await.expect("details");
    let file = details
        .entities
        .iter()
        .find(|e| e.name == "report.bin")
        .expect("the file");
    assert_eq!(
        file.verdict,
        vigil_engine::domain::Verdict::Malicious,
        "{:?}",
        file.reasons
    );
    assert!(
        file.reasons
            .iter()
            .any(|r| r.analyzer == "threat_intel" && r.text.contains(&md5)),
        "{:?}",
        file.reasons
    );
    assert_eq!(
        file.sha256.as_deref(),
        Some(sha256_bytes(bad).as_str()),
        "the file is still known by its SHA-256"
    );
}

/// Regression: with the store in a folder above the scanned ones (`--db /tmp/x/v.sqlite3`,
/// scanning `/tmp/x/home/Downloads`), the scan skipped everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_in_a_parent_folder_does_not_hide_the_scanned_files() {
    let sandbox = common::Sandbox::new();
    let root = sandbox
        .home
        .parent()
        .and_then(|p| p.parent())
        .expect("root");
    let db = root.join("v.sqlite3");
    let connector = vigil_local::LocalConnector::new(vigil_local::LocalConfig::for_store(&db));
    let vigil = Vigil::open(vigil_engine::OpenOptions {
        db: Some(db),
        connectors: vec![connector.clone()],
    })
    .await
    .expect("open");
    std::fs::write(sandbox.downloads.join("eicar.com"), common::eicar()).expect("write");
    let sensor = Sensor::start(&vigil, connector, Vec::new())
        .await
        .expect("sensor");
    let summary = sensor
        .scan(std::slice::from_ref(&sandbox.downloads))
        .await
        .expect("scan");
    assert_eq!(summary.files, 1);
    assert_eq!(summary.hits.len(), 1);
}
