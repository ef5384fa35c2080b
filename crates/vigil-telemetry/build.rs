//! Embeds SigmaHQ's selected Windows rules (`sigmahq/`): a table of every rule's path, id,
//! title, level, status, author, tags and logsource, from `sigmahq/index.jsonl`
//! (written by `cargo run -p vigil-telemetry --example vendor_sigmahq`), with the text of
//! each file. Every file is checked against the index, so that a rule edited or added by
//! hand fails the build instead of running under a stale gate.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
}

fn text(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn option(value: &serde_json::Value, key: &str) -> String {
    match value.get(key).and_then(|v| v.as_str()) {
        Some(s) => format!("Some({s:?})"),
        None => "None".into(),
    }
}

fn list(value: &serde_json::Value, key: &str) -> String {
    let items: Vec<String> = value
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .map(|s| format!("{s:?}"))
                .collect()
        })
        .unwrap_or_default();
    format!("&[{}]", items.join(", "))
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("sigmahq");
    println!("cargo:rerun-if-changed=sigmahq");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("sigmahq_rules.rs");
    let mut table = String::from("pub(crate) static EMBEDDED: &[EmbeddedRule] = &[\n");
    // The texts in a table of their own, so that reading the metadata at start-up does
    // not page in the rules' text beside it.
    let mut texts = String::from("pub(crate) static EMBEDDED_TEXT: &[&str] = &[\n");
    match std::fs::read_to_string(root.join("index.jsonl")) {
        Err(_) => {
            println!("cargo:warning=sigmahq/index.jsonl is missing: no SigmaHQ rules are embedded")
        }
        Ok(index) => {
            let mut listed = std::collections::HashSet::new();
            for (n, line) in index
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let value: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("sigmahq/index.jsonl line {}: {e}", n + 1));
                let rel = text(&value, "path");
                let path = root.join(&rel);
                let body = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("sigmahq/{rel} (index.jsonl line {}): {e}", n + 1));
                let want = text(&value, "fnv");
                let got = format!("{:016x}", fnv1a(&body));
                assert_eq!(
                    got, want,
                    "sigmahq/{rel} differs from what index.jsonl recorded: vendored rules stay unmodified; run the vendor_sigmahq example again to change them"
                );
                listed.insert(path.clone());
                let _ = writeln!(
                    table,
                    "    EmbeddedRule {{ path: {rel:?}, id: {:?}, title: {:?}, level: {:?}, status: {:?}, author: {:?}, tags: {}, product: {}, category: {}, service: {} }},",
                    text(&value, "id"),
                    text(&value, "title"),
                    text(&value, "level"),
                    text(&value, "status"),
                    text(&value, "author"),
                    list(&value, "tags"),
                    option(&value, "product"),
                    option(&value, "category"),
                    option(&value, "service"),
                );
                let _ = writeln!(texts, "    include_str!({:?}),", path.display().to_string());
            }
            let mut files = Vec::new();
            yaml_files(&root, &mut files);
            for f in files {
                assert!(
                    listed.contains(&f),
                    "{} is not in sigmahq/index.jsonl: run the vendor_sigmahq example to add rules",
                    f.display()
                );
            }
        }
    }
    table.push_str("];\n");
    texts.push_str("];\n");
    table.push_str(&texts);
    std::fs::write(&out, table).expect("OUT_DIR is writable");
}
