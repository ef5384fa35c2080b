//! The selection of SigmaHQ's rules Vigil runs, from a release (a folder, a checkout or
//! one of their release zips, bounded in files and size) — what the vendoring tool and
//! `vigil rules update` both make — and writing it with its index.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::{relative, IndexLine, INDEX_FILE};
use crate::error::{Result, TelemetryError};
use crate::logsource::LogsourceMap;
use crate::sigma::catalogue::{fnv1a, is_hunting, status_name};
use crate::sigma::RuleSkip;

/// A release with more entries than this is refused.
pub const MAX_FILES: usize = 20_000;
/// A rule file larger than this is refused (SigmaHQ's largest, the vulnerable-driver hash
/// list, is 295 KB).
pub const MAX_RULE_BYTES: u64 = 1 << 20;
/// A release whose rule files hold more than this in all is refused (SigmaHQ's Windows
/// rules are ~5 MB).
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// Which rules a selection takes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectOptions {
    /// Also take hunting rules (`rules-threat-hunting/windows`, and rules tagged
    /// `detection.threat-hunting`). Off by default: they are meant for an analyst's hunt,
    /// not for alerts.
    pub hunting: bool,
}

/// A rule the selection took.
#[derive(Debug, Clone)]
pub struct Selected {
    /// Its index line (path relative to the release's root).
    pub line: IndexLine,
    /// The file, unmodified.
    pub text: String,
}

/// What a selection took from a release and what it passed over.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Sorted by path.
    pub rules: Vec<Selected>,
    /// Rule files passed over; the reason starts with its class (`status experimental`,
    /// `does not compile`…) before any `: `.
    pub skipped: Vec<RuleSkip>,
    /// The release's `LICENSE`, when it has one.
    pub license: Option<String>,
}

impl Selection {
    /// How many rules were passed over, by class of reason.
    pub fn skipped_by_reason(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for s in &self.skipped {
            let class = s.reason.split(": ").next().unwrap_or_default().to_string();
            *out.entry(class).or_insert(0) += 1;
        }
        out
    }

    /// How many rules were taken, by level and status.
    pub fn by_level_and_status(&self) -> BTreeMap<(String, String), usize> {
        let mut out = BTreeMap::new();
        for r in &self.rules {
            *out.entry((r.line.level.clone(), r.line.status.clone()))
                .or_insert(0) += 1;
        }
        out
    }
}

/// The folders of a release the selection looks in.
fn wanted(rel: &str, options: SelectOptions) -> bool {
    let yaml = rel.ends_with(".yml") || rel.ends_with(".yaml");
    yaml && (rel.starts_with("rules/windows/")
        || rel.starts_with("rules-emerging-threats/")
        || (options.hunting && rel.starts_with("rules-threat-hunting/windows/")))
}

/// A member's path from the release's root: from its first `rules`, `rules-…` folder on
/// (release zips put them at the top, GitHub's source zips one folder down).
fn from_root(path: &str) -> Option<&str> {
    let mut offset = 0;
    for part in path.split('/') {
        if part == "rules" || part.starts_with("rules-") {
            return Some(&path[offset..]);
        }
        offset += part.len() + 1;
    }
    None
}

/// Picks the rules Vigil runs from a SigmaHQ release: an unpacked folder or checkout, or
/// a zip of one (`sigma_all_rules.zip`, `sigma_core.zip`…). See [`select_files`].
pub fn select(path: &Path, options: SelectOptions) -> Result<Selection> {
    if path.is_dir() {
        select_dir(path, options)
    } else {
        select_zip(path, options)
    }
}

fn too_many(name: &str) -> TelemetryError {
    TelemetryError::Rule {
        file: name.to_string(),
        reason: format!("more than {MAX_FILES} files: not a SigmaHQ release"),
    }
}

fn too_big(name: &str) -> TelemetryError {
    TelemetryError::Rule {
        file: name.to_string(),
        reason: format!(
            "its rule files hold more than {} MiB in all: not a SigmaHQ release",
            MAX_TOTAL_BYTES >> 20
        ),
    }
}

fn rule_too_big(name: &str, size: u64) -> TelemetryError {
    TelemetryError::Rule {
        file: name.to_string(),
        reason: format!(
            "{size} bytes: more than the {} KiB a rule file may hold",
            MAX_RULE_BYTES >> 10
        ),
    }
}

fn select_dir(root: &Path, options: SelectOptions) -> Result<Selection> {
    let mut files = Vec::new();
    let mut seen = 0usize;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let name = dir.display().to_string();
        let entries = std::fs::read_dir(&dir).map_err(|e| TelemetryError::io(&name, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            seen += 1;
            if seen > MAX_FILES {
                return Err(too_many(&root.display().to_string()));
            }
            // Never follow a link out of the release.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut texts = Vec::new();
    let mut total = 0u64;
    let mut license = None;
    for path in files {
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let name = path.display().to_string();
        if rel == "LICENSE" {
            license = std::fs::read_to_string(&path).ok();
            continue;
        }
        if !wanted(&rel, options) {
            continue;
        }
        let size = std::fs::metadata(&path)
            .map_err(|e| TelemetryError::io(&name, e))?
            .len();
        if size > MAX_RULE_BYTES {
            return Err(rule_too_big(&name, size));
        }
        total += size;
        if total > MAX_TOTAL_BYTES {
            return Err(too_big(&root.display().to_string()));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| TelemetryError::io(&name, e))?;
        texts.push((rel, name, text));
    }
    let mut selection = select_files(texts, options)?;
    selection.license = license;
    Ok(selection)
}

fn select_zip(file: &Path, options: SelectOptions) -> Result<Selection> {
    let archive_name = file.display().to_string();
    let bad = |reason: String| TelemetryError::Rule {
        file: archive_name.clone(),
        reason,
    };
    let f = std::fs::File::open(file).map_err(|e| TelemetryError::io(&archive_name, e))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(f))
        .map_err(|e| bad(format!("not a readable zip archive: {e}")))?;
    if archive.len() > MAX_FILES {
        return Err(too_many(&archive_name));
    }
    let mut texts = Vec::new();
    let mut total = 0u64;
    let mut license = None;
    for i in 0..archive.len() {
        let mut member = archive
            .by_index(i)
            .map_err(|e| bad(format!("member {i}: {e}")))?;
        if member.is_dir() {
            continue;
        }
        let path = member.name().replace('\\', "/");
        let member_name = format!("{archive_name}!{path}");
        let Some(rel) = from_root(&path).map(str::to_string).or_else(|| {
            // The LICENSE beside the rule folders.
            (path.rsplit('/').next() == Some("LICENSE")).then(|| "LICENSE".to_string())
        }) else {
            continue;
        };
        if rel != "LICENSE" && (!wanted(&rel, options) || relative(&rel).is_none()) {
            continue;
        }
        if member.size() > MAX_RULE_BYTES {
            return Err(rule_too_big(&member_name, member.size()));
        }
        let mut bytes = Vec::new();
        // The header's size may lie: read no more than the bound allows.
        (&mut member)
            .take(MAX_RULE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| TelemetryError::Rule {
                file: member_name.clone(),
                reason: format!("cannot be unpacked: {e}"),
            })?;
        if bytes.len() as u64 > MAX_RULE_BYTES {
            return Err(rule_too_big(&member_name, bytes.len() as u64));
        }
        total += bytes.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(too_big(&archive_name));
        }
        let text = String::from_utf8(bytes).map_err(|_| TelemetryError::Rule {
            file: member_name.clone(),
            reason: "not UTF-8 text".into(),
        })?;
        if rel == "LICENSE" {
            license.get_or_insert(text);
        } else {
            texts.push((rel, member_name, text));
        }
    }
    texts.sort_by(|a, b| a.0.cmp(&b.0));
    let mut selection = select_files(texts, options)?;
    selection.license = license;
    Ok(selection)
}

/// The selection proper, over (path from the release's root, name for messages, text):
/// rules with `status: stable` or `test`, an id, one rule per file, a logsource Vigil's
/// map covers, that rsigma compiles, hunting ones only when asked. A file that is not YAML
/// fails the whole selection (a release's files all are: it is broken or not a release),
/// naming the file and the line; so does a release with no rule to take.
pub fn select_files(
    files: Vec<(String, String, String)>,
    options: SelectOptions,
) -> Result<Selection> {
    let map = LogsourceMap::builtin();
    let mut out = Selection::default();
    let mut ids = HashSet::new();
    let considered = files.len();
    for (rel, name, text) in files {
        check_yaml(&name, &text)?;
        let skip = |out: &mut Selection, title: Option<String>, reason: String| {
            out.skipped.push(RuleSkip {
                file: rel.clone(),
                title,
                reason,
            })
        };
        let collection = match rsigma_parser::parse_sigma_yaml(&text) {
            Ok(c) => c,
            Err(e) => {
                skip(&mut out, None, format!("not a Sigma rule: {e}"));
                continue;
            }
        };
        let docs =
            collection.rules.len() + collection.correlations.len() + collection.filters.len();
        if !collection.errors.is_empty() || docs != 1 || collection.rules.len() != 1 {
            let why = if collection.errors.is_empty() {
                format!("{docs} documents (correlations, filters or several rules)")
            } else {
                collection.errors.join("; ")
            };
            skip(&mut out, None, format!("not a single rule: {why}"));
            continue;
        }
        let Some(rule) = collection.rules.into_iter().next() else {
            continue;
        };
        let title = Some(rule.title.clone());
        let status = rule.status.map(status_name).unwrap_or_default();
        if !matches!(status, "stable" | "test") {
            let class = if status.is_empty() {
                "no status".to_string()
            } else {
                format!("status {status}")
            };
            skip(&mut out, title, class);
            continue;
        }
        let Some(id) = rule.id.clone() else {
            skip(&mut out, title, "no id".into());
            continue;
        };
        if !options.hunting && is_hunting(&rule.tags, &rel) {
            skip(&mut out, title, "hunting rule".into());
            continue;
        }
        if let Err(reason) = map.gate(&rule.logsource) {
            let windows = rule
                .logsource
                .product
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case("windows"));
            let class = if windows {
                "a Windows log Vigil does not read"
            } else {
                "not for Windows"
            };
            skip(&mut out, title, format!("{class}: {reason}"));
            continue;
        }
        if let Err(e) = rsigma_eval::compile_rule(&rule) {
            skip(&mut out, title, format!("does not compile: {e}"));
            continue;
        }
        if !ids.insert(id.clone()) {
            skip(&mut out, title, format!("duplicate id: {id}"));
            continue;
        }
        let line = IndexLine {
            path: rel.clone(),
            fnv: format!("{:016x}", fnv1a(text.as_bytes())),
            id,
            title: rule.title.clone(),
            level: rule
                .level
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            status: status.to_string(),
            author: rule.author.clone().unwrap_or_default(),
            tags: rule.tags.clone(),
            product: rule.logsource.product.clone(),
            category: rule.logsource.category.clone(),
            service: rule.logsource.service.clone(),
        };
        out.rules.push(Selected { line, text });
    }
    if out.rules.is_empty() {
        return Err(TelemetryError::Rule {
            file: "the release".into(),
            reason: format!(
                "no Windows rule Vigil can run among its {considered} rule files (expected rules/windows/… or rules-emerging-threats/…)"
            ),
        });
    }
    out.rules.sort_by(|a, b| a.line.path.cmp(&b.line.path));
    Ok(out)
}

/// Fails when a file is not YAML, naming it and the line.
fn check_yaml(name: &str, text: &str) -> Result<()> {
    for doc in yaml_serde::Deserializer::from_str(text) {
        if let Err(e) = yaml_serde::Value::deserialize(doc) {
            let reason = match e.location() {
                Some(at) => format!("line {}: not YAML: {e}", at.line()),
                None => format!("not YAML: {e}"),
            };
            return Err(TelemetryError::Rule {
                file: name.to_string(),
                reason,
            });
        }
    }
    Ok(())
}

/// Writes a selection into `dest` (which must not exist yet): each rule file unmodified
/// at its path, the index, and the release's licence.
pub fn write_selection(selection: &Selection, dest: &Path) -> Result<()> {
    let name = dest.display().to_string();
    if dest.exists() {
        return Err(TelemetryError::Rule {
            file: name,
            reason: "already exists".into(),
        });
    }
    let io = |path: &Path, e: std::io::Error| TelemetryError::io(&path.display().to_string(), e);
    std::fs::create_dir_all(dest).map_err(|e| io(dest, e))?;
    let mut index = String::new();
    for rule in &selection.rules {
        let rel = relative(&rule.line.path).ok_or_else(|| TelemetryError::Rule {
            file: rule.line.path.clone(),
            reason: "not a plain relative path".into(),
        })?;
        let path = dest.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, &rule.text).map_err(|e| io(&path, e))?;
        let line = serde_json::to_string(&rule.line).map_err(|e| TelemetryError::Rule {
            file: rule.line.path.clone(),
            reason: e.to_string(),
        })?;
        index.push_str(&line);
        index.push('\n');
    }
    let index_path = dest.join(INDEX_FILE);
    std::fs::write(&index_path, index).map_err(|e| io(&index_path, e))?;
    if let Some(license) = &selection.license {
        let path = dest.join("LICENSE");
        std::fs::write(&path, license).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::sigmahq::relative;

    #[test]
    fn release_members_are_read_from_their_rule_folders() {
        assert_eq!(
            from_root("sigma-r2025/rules/windows/a.yml"),
            Some("rules/windows/a.yml")
        );
        assert_eq!(
            from_root("rules-emerging-threats/2024/x.yml"),
            Some("rules-emerging-threats/2024/x.yml")
        );
        assert_eq!(from_root("docs/README.md"), None);
        let options = SelectOptions::default();
        assert!(wanted("rules/windows/process_creation/a.yml", options));
        assert!(!wanted("rules/linux/a.yml", options));
        assert!(!wanted("rules-threat-hunting/windows/a.yml", options));
        assert!(wanted(
            "rules-threat-hunting/windows/a.yml",
            SelectOptions { hunting: true }
        ));
    }

    #[test]
    fn index_paths_stay_inside_their_folder() {
        assert!(relative("rules/windows/a.yml").is_some());
        for bad in [
            "../a.yml",
            "/etc/passwd",
            "rules/../../a.yml",
            "a\\b.yml",
            "",
        ] {
            assert!(relative(bad).is_none(), "{bad}");
        }
    }
}
