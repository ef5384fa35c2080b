//! SigmaHQ's Windows rules: the set embedded at build time (`sigmahq/`, see its README),
//! the selection that picks them from a SigmaHQ release (a folder, a checkout or one of
//! their release zips), and the index file that tells Vigil every selected rule's gate and
//! without parsing it.

mod select;

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::catalogue::{is_hunting, Indexed, RuleEntry, RuleFile, Text};
use super::RuleOrigin;
use crate::error::{Result, TelemetryError};

pub use select::{
    select, select_files, write_selection, SelectOptions, Selected, Selection, MAX_FILES,
    MAX_RULE_BYTES, MAX_TOTAL_BYTES,
};

/// The SigmaHQ commit the embedded rules were taken from.
pub const COMMIT: &str = "8eaafff";
/// Where they come from.
pub const REPOSITORY: &str = "https://github.com/SigmaHQ/sigma";
/// The attribution the Detection Rule License asks for, as the app and the CLI show it.
pub const ATTRIBUTION: &str =
    "Detection rules by the SigmaHQ project and its contributors, under the Detection Rule License 1.1";
/// The licence's text.
pub const LICENSE_URL: &str = "https://github.com/SigmaHQ/Detection-Rule-License";
/// The index file beside the selected rules.
pub const INDEX_FILE: &str = "index.jsonl";

/// One rule embedded at build time (`build.rs` writes the table from `sigmahq/index.jsonl`;
/// its text is at the same place in `EMBEDDED_TEXT`).
pub(crate) struct EmbeddedRule {
    pub path: &'static str,
    pub id: &'static str,
    pub title: &'static str,
    pub level: &'static str,
    pub status: &'static str,
    pub author: &'static str,
    pub tags: &'static [&'static str],
    pub product: Option<&'static str>,
    pub category: Option<&'static str>,
    pub service: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/sigmahq_rules.rs"));

/// How many SigmaHQ rules are embedded.
pub fn embedded_count() -> usize {
    EMBEDDED.len()
}

/// One line of an index file: a selected rule and what loading needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexLine {
    /// The file, relative to the folder, with `/` separators.
    pub path: String,
    /// FNV-1a (64 bit, hex) of the file.
    pub fnv: String,
    pub id: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub author: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

fn entry(file: u32, line: Entry<'_>) -> RuleEntry {
    RuleEntry {
        file,
        ordinal: 0,
        key: line.id.to_string(),
        title: line.title.to_string(),
        level: line.level.to_string(),
        status: line.status.to_string(),
        author: line.author.to_string(),
        hunting: is_hunting(&line.tags, line.path),
        tags: line.tags,
        product: line.product.map(str::to_string),
        category: line.category.map(str::to_string),
        service: line.service.map(str::to_string),
        origin: RuleOrigin::SigmaHq,
    }
}

/// The fields of an index line or an embedded rule, borrowed.
struct Entry<'a> {
    path: &'a str,
    id: &'a str,
    title: &'a str,
    level: &'a str,
    status: &'a str,
    author: &'a str,
    tags: Vec<String>,
    product: Option<&'a str>,
    category: Option<&'a str>,
    service: Option<&'a str>,
}

/// The embedded rules, as catalogue entries (no YAML is read).
pub(crate) fn embedded() -> Indexed {
    let mut out = Indexed::default();
    out.files.reserve(EMBEDDED.len());
    out.entries.reserve(EMBEDDED.len());
    for (i, (r, text)) in EMBEDDED.iter().zip(EMBEDDED_TEXT).enumerate() {
        out.files.push(RuleFile {
            name: format!("sigmahq:{}", r.path),
            text: Text::Static(text),
            seq: i as u32,
        });
        out.entries.push(entry(
            i as u32,
            Entry {
                path: r.path,
                id: r.id,
                title: r.title,
                level: r.level,
                status: r.status,
                author: r.author,
                tags: r.tags.iter().map(|t| (*t).to_string()).collect(),
                product: r.product,
                category: r.category,
                service: r.service,
            },
        ));
    }
    out
}

/// The rules of a folder `vigil rules update` wrote, from its index (rule files are read
/// when their partition compiles).
pub(crate) fn from_folder(dir: &Path) -> Result<Indexed> {
    let index = dir.join(INDEX_FILE);
    let name = index.display().to_string();
    let text = std::fs::read_to_string(&index).map_err(|e| TelemetryError::io(&name, e))?;
    let mut out = Indexed::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| TelemetryError::Rule {
            file: name.clone(),
            reason: format!("line {}: {reason}", n + 1),
        };
        let line: IndexLine = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let rel = relative(&line.path).ok_or_else(|| bad(format!("bad path {}", line.path)))?;
        let fnv = u64::from_str_radix(&line.fnv, 16).map_err(|e| bad(e.to_string()))?;
        let path = dir.join(rel);
        let seq = out.files.len() as u32;
        out.files.push(RuleFile {
            name: path.display().to_string(),
            text: Text::Disk { path, fnv },
            seq,
        });
        out.entries.push(entry(
            seq,
            Entry {
                path: &line.path,
                id: &line.id,
                title: &line.title,
                level: &line.level,
                status: &line.status,
                author: &line.author,
                tags: line.tags.clone(),
                product: line.product.as_deref(),
                category: line.category.as_deref(),
                service: line.service.as_deref(),
            },
        ));
    }
    Ok(out)
}

/// A `/`-separated relative path with plain components only, as a path.
pub(crate) fn relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let plain = !path.is_empty()
        && p.components().all(|c| matches!(c, Component::Normal(_)))
        && !path.contains('\\');
    plain.then(|| p.to_path_buf())
}
