//! Vendors SigmaHQ's Windows rules into `sigmahq/`: selects the rules Vigil can run from a
//! SigmaHQ release (a checkout, an unpacked folder or a release zip; the same selection
//! `vigil rules update` makes), writes them unmodified with their index, the release's
//! LICENSE and a README that says where they came from, how they were picked and how many.
//!
//! Usage: `cargo run -p vigil-telemetry --example vendor_sigmahq -- SRC DEST [--commit C] [--hunting]`
//! e.g. `… -- ../shared/fixtures/sigma-rules crates/vigil-telemetry/sigmahq --commit 8eaafff`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vigil_telemetry::sigma::sigmahq::{self, SelectOptions, Selection};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut positional, mut commit, mut options) = (
        Vec::new(),
        sigmahq::COMMIT.to_string(),
        SelectOptions::default(),
    );
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--commit" => commit = args.next().unwrap_or_default(),
            "--hunting" => options.hunting = true,
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    let [src, dest] = positional.as_slice() else {
        eprintln!("usage: vendor_sigmahq SRC DEST [--commit C] [--hunting]");
        return ExitCode::FAILURE;
    };
    match vendor(src, dest, &commit, options) {
        Ok(selection) => {
            println!(
                "{} rules written to {}",
                selection.rules.len(),
                dest.display()
            );
            for (class, n) in selection.skipped_by_reason() {
                println!("  skipped {n:5}  {class}");
            }
            if commit != sigmahq::COMMIT {
                println!("set sigmahq::COMMIT to {commit:?} too");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn vendor(
    src: &Path,
    dest: &Path,
    commit: &str,
    options: SelectOptions,
) -> Result<Selection, String> {
    let mut selection = sigmahq::select(src, options).map_err(|e| e.to_string())?;
    if selection.license.is_none() {
        return Err(format!(
            "{}: no LICENSE beside the rules; the Detection Rule License asks for it",
            src.display()
        ));
    }
    // Only ever replace a folder this tool wrote.
    if dest.exists() {
        if !dest.join(sigmahq::INDEX_FILE).exists() {
            return Err(format!(
                "{}: exists and holds no {}; not replacing it",
                dest.display(),
                sigmahq::INDEX_FILE
            ));
        }
        std::fs::remove_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    sigmahq::write_selection(&selection, dest).map_err(|e| e.to_string())?;
    let readme = readme(&selection, commit, options);
    std::fs::write(dest.join("README.md"), readme)
        .map_err(|e| format!("{}: {e}", dest.display()))?;
    selection.skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(selection)
}

fn readme(selection: &Selection, commit: &str, options: SelectOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# SigmaHQ's Windows rules, as Vigil ships them\n");
    let _ = writeln!(
        out,
        "{}.\n\nThese files are taken unmodified from the SigmaHQ project, <{}>, commit `{commit}`\n(folders `rules/windows` and `rules-emerging-threats`{}). Each rule keeps its `author`,\n`references` and every other field as its authors wrote them. They are licensed under the\nDetection Rule License (DRL) 1.1 (<{}>; see `LICENSE`). Vigil names the SigmaHQ project in\nthe app's settings, in `vigil rules list` and in its README, and shows a rule's author where\nit shows the rule.\n",
        sigmahq::ATTRIBUTION,
        sigmahq::REPOSITORY,
        if options.hunting { ", `rules-threat-hunting/windows`" } else { "" },
        sigmahq::LICENSE_URL,
    );
    let _ = writeln!(out, "## How they were picked\n");
    let _ = writeln!(
        out,
        "`cargo run -p vigil-telemetry --example vendor_sigmahq -- SRC crates/vigil-telemetry/sigmahq --commit {commit}`\nmakes the same selection `vigil rules update` makes from a newer release: a rule is taken when\n\n- it is the only document in its file and has an `id`;\n- its `status` is `stable` or `test`;\n- it is not a hunting rule (tagged `detection.threat-hunting`){};\n- its logsource is one Vigil reads (`logsource-map.yaml`);\n- rsigma compiles it.\n\n`index.jsonl` (generated) gives every rule's logsource, so that Vigil knows where each\nrule applies without parsing it; `build.rs` embeds the table and refuses a file that differs\nfrom it.\n",
        if options.hunting { " unless asked for" } else { "" },
    );
    let bytes: usize = selection.rules.iter().map(|r| r.text.len()).sum();
    let _ = writeln!(
        out,
        "## What was taken: {} rules ({:.1} MB of rule text)\n",
        selection.rules.len(),
        bytes as f64 / 1e6
    );
    let _ = writeln!(out, "| level | stable | test |\n|---|---:|---:|");
    let counts = selection.by_level_and_status();
    for level in ["critical", "high", "medium", "low", "informational"] {
        let n = |status: &str| {
            counts
                .get(&(level.to_string(), status.to_string()))
                .copied()
                .unwrap_or(0)
        };
        let _ = writeln!(out, "| {level} | {} | {} |", n("stable"), n("test"));
    }
    let _ = writeln!(
        out,
        "\n## What was passed over: {} files\n",
        selection.skipped.len()
    );
    let _ = writeln!(out, "| reason | files |\n|---|---:|");
    for (class, n) in selection.skipped_by_reason() {
        let _ = writeln!(out, "| {class} | {n} |");
    }
    out
}
