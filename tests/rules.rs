//! Detection rules end to end: what `rules list` shows, `rules update` from a release zip
//! (built here from small rule files, and from the fixtures' SigmaHQ rules when present),
//! a broken or absurd release changing nothing, and a SigmaHQ alert naming its rule's author.

use std::io::Write;
use std::path::{Path, PathBuf};

use vigil_engine::domain::{RuleSource, SigmaHqSource};
use vigil_engine::ErrorCode;

/// A zip of (member name, text).
fn zip(path: &Path, members: &[(String, String)]) {
    let file = std::fs::File::create(path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in members {
        zip.start_file(name.as_str(), options).expect("member");
        zip.write_all(text.as_bytes()).expect("write");
    }
    zip.finish().expect("finish");
}

fn rule(id: &str, title: &str, status: &str, needle: &str) -> String {
    format!(
        "title: {title}\nid: {id}\nstatus: {status}\nauthor: Release Author\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    selection:\n        CommandLine|contains: '{needle}'\n    condition: selection\nlevel: high\n"
    )
}

fn a_small_release() -> Vec<(String, String)> {
    vec![
        ("LICENSE".into(), "Detection Rule License 1.1".into()),
        (
            "rules/windows/process_creation/proc_creation_win_release_test.yml".into(),
            rule(
                "0e0e0e0e-0000-4000-8000-000000000001",
                "Release Test Rule",
                "test",
                "wscript.exe //B",
            ),
        ),
        (
            "rules/windows/process_creation/proc_creation_win_release_experimental.yml".into(),
            rule(
                "0e0e0e0e-0000-4000-8000-000000000002",
                "Release Experimental Rule",
                "experimental",
                "wscript",
            ),
        ),
        ("rules/linux/readme.txt".into(), "not a rule".into()),
    ]
}

fn data(name: &str) -> PathBuf {
    vigil_tests::workspace_root().join("tests/data").join(name)
}

#[tokio::test]
async fn rules_list_names_vigils_rules_sigmahqs_with_their_licence_and_the_users_folders() {
    let (vigil, dir) = vigil_tests::fresh_store().await;
    let sets = vigil.rule_sets().await.expect("rule sets");
    assert_eq!(sets.vigil_rules, 21);
    assert!(sets.sigmahq.rules > 2000, "{sets:?}");
    assert_eq!(sets.sigmahq.source, SigmaHqSource::Embedded);
    assert_eq!(sets.sigmahq.commit.as_deref(), Some("8eaafff"));
    assert!(
        sets.attribution.contains("SigmaHQ")
            && sets.attribution.contains("Detection Rule License 1.1"),
        "{sets:?}"
    );
    assert!(sets.user_dirs.is_empty());

    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).expect("mkdir");
    std::fs::write(
        mine.join("a.yml"),
        rule("mine-1", "My Rule", "stable", "mine"),
    )
    .expect("write");
    vigil.add_rule_dir(&mine).await.expect("added");
    let sets = vigil.rule_sets().await.expect("rule sets");
    assert_eq!(sets.user_dirs.len(), 1);
    assert_eq!(sets.user_dirs[0].rules, 1, "{sets:?}");
}

#[tokio::test]
async fn rules_update_takes_a_release_zip_and_later_imports_run_its_rules_instead() {
    let (vigil, dir) = vigil_tests::fresh_store().await;
    let archive = dir.path().join("sigma_core.zip");
    zip(&archive, &a_small_release());
    let update = vigil.update_sigmahq(&archive).await.expect("update");
    assert_eq!((update.rules, update.skipped), (1, 1), "{update:?}");
    assert_eq!(update.skipped_by_reason[0].reason, "status experimental");

    let sets = vigil.rule_sets().await.expect("rule sets");
    assert_eq!(sets.sigmahq.rules, 1);
    assert_eq!(sets.sigmahq.source, SigmaHqSource::Update);
    assert_eq!(
        sets.sigmahq.file.as_deref(),
        Some(archive.to_str().expect("utf-8"))
    );
    assert_eq!(
        sets.sigmahq.updated_at.as_deref(),
        Some(update.updated_at.as_str())
    );
    let current = dir.path().join("sigmahq/current");
    assert!(current.join("source.json").is_file());
    assert_eq!(
        std::fs::read_to_string(current.join("LICENSE")).expect("licence kept"),
        "Detection Rule License 1.1"
    );

    vigil
        .import(&[data("office_macro.ndjson")], |_| {})
        .await
        .expect("import");
    let alerts = vigil.alerts(None).await.expect("alerts");
    let sigma: Vec<&str> = alerts
        .iter()
        .filter(|a| a.detection_source == "sigma")
        .map(|a| a.rule_id.as_str())
        .collect();
    assert!(
        sigma.contains(&"0e0e0e0e-0000-4000-8000-000000000001"),
        "the release's rule runs: {sigma:?}"
    );
    let info = vigil
        .sigma_rule("0e0e0e0e-0000-4000-8000-000000000001")
        .await
        .expect("the rule is known");
    assert_eq!(
        (info.origin, info.author.as_str()),
        (RuleSource::Sigmahq, "Release Author")
    );
    assert!(info.attribution.is_some());
    for id in &sigma {
        let origin = vigil.sigma_rule(id).await.expect("known").origin;
        assert!(
            origin != RuleSource::Sigmahq || *id == "0e0e0e0e-0000-4000-8000-000000000001",
            "{id}: the embedded set no longer runs"
        );
    }
}

#[tokio::test]
async fn a_broken_release_changes_nothing_and_says_which_member_and_line() {
    let (vigil, dir) = vigil_tests::fresh_store().await;
    let mut members = a_small_release();
    members.push((
        "rules/windows/process_creation/broken.yml".into(),
        "title: Broken\nid: x\nlogsource:\n    product: windows\ndetection:\n    s: [unclosed\n"
            .into(),
    ));
    let archive = dir.path().join("broken.zip");
    zip(&archive, &members);
    let error = vigil.update_sigmahq(&archive).await.expect_err("refused");
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    let message = error.to_string();
    assert!(
        message.contains("broken.zip!rules/windows/process_creation/broken.yml"),
        "{message}"
    );
    assert!(message.contains("line 7"), "{message}");
    let not_a_zip = dir.path().join("notes.zip");
    std::fs::write(&not_a_zip, "not a zip").expect("write");
    let message = vigil
        .update_sigmahq(&not_a_zip)
        .await
        .expect_err("refused")
        .to_string();
    assert!(message.contains("not a readable zip archive"), "{message}");

    let sets = vigil.rule_sets().await.expect("rule sets");
    assert_eq!(
        sets.sigmahq.source,
        SigmaHqSource::Embedded,
        "nothing changed"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("sigmahq"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

#[tokio::test]
async fn an_absurd_release_is_refused_naming_the_bound() {
    let (vigil, dir) = vigil_tests::fresh_store().await;
    let big = dir.path().join("big.zip");
    zip(
        &big,
        &[(
            "rules/windows/process_creation/huge.yml".into(),
            " ".repeat(2 << 20),
        )],
    );
    let message = vigil
        .update_sigmahq(&big)
        .await
        .expect_err("refused")
        .to_string();
    assert!(message.contains("huge.yml"), "{message}");
    assert!(message.contains("1024 KiB"), "{message}");

    let many = dir.path().join("many.zip");
    // One more than the 20,000 files a release may hold.
    let members: Vec<(String, String)> = (0..=20_000)
        .map(|i| (format!("x/{i}.txt"), String::new()))
        .collect();
    zip(&many, &members);
    let message = vigil
        .update_sigmahq(&many)
        .await
        .expect_err("refused")
        .to_string();
    assert!(message.contains("more than 20000 files"), "{message}");
    assert_eq!(
        vigil.rule_sets().await.expect("sets").sigmahq.source,
        SigmaHqSource::Embedded
    );
}

#[tokio::test]
async fn the_fixtures_sigmahq_release_zipped_updates_to_the_shipped_selection() {
    let Some(fixtures) = vigil_tests::shared_fixtures() else {
        return;
    };
    let root = fixtures.join("sigma-rules");
    let mut members = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p
                    .strip_prefix(&root)
                    .expect("inside")
                    .to_string_lossy()
                    .replace('\\', "/");
                members.push((name, std::fs::read_to_string(&p).expect("text")));
            }
        }
    }
    let (vigil, dir) = vigil_tests::fresh_store().await;
    let before = vigil.rule_sets().await.expect("sets").sigmahq.rules;
    let archive = dir.path().join("sigma_all_rules.zip");
    zip(&archive, &members);
    let update = vigil.update_sigmahq(&archive).await.expect("update");
    assert_eq!(
        update.rules, before,
        "the same selection as the shipped set"
    );
    let sets = vigil.rule_sets().await.expect("sets");
    assert_eq!(
        (sets.sigmahq.rules, sets.sigmahq.source),
        (before, SigmaHqSource::Update)
    );
}

#[tokio::test]
async fn a_sigmahq_alert_names_its_rules_author() {
    let (vigil, _dir) = vigil_tests::fresh_store().await;
    vigil
        .import(&[data("office_macro.ndjson")], |_| {})
        .await
        .expect("import");
    let alerts = vigil.alerts(None).await.expect("alerts");
    let mut authors = Vec::new();
    for a in alerts.iter().filter(|a| a.detection_source == "sigma") {
        let info = vigil.sigma_rule(&a.rule_id).await.expect("known rule");
        if info.origin == RuleSource::Sigmahq {
            assert!(!info.author.is_empty(), "{info:?}");
            assert!(info
                .attribution
                .as_deref()
                .is_some_and(|t| t.contains("SigmaHQ")));
            authors.push(info.author);
        }
    }
    assert!(
        !authors.is_empty(),
        "SigmaHQ's rules fire on the Office macro: {alerts:?}"
    );
    let missing = vigil.sigma_rule("no-such-rule").await.expect_err("unknown");
    assert_eq!(missing.code(), ErrorCode::NotFound);
}
