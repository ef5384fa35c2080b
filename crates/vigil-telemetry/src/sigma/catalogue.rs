//! The rule catalogue: what Vigil knows of every rule before compiling it (id, title,
//! level, status, author, tags, logsource, where its text is), from the embedded
//! tables, a `rules update` folder's index, or a light read of a user's rule files. Rules
//! a user folder shares an id with win over the shipped ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::scan::{scan_head, Head, HeadLogsource};
use super::{RuleOrigin, RuleSkip};
use crate::error::{Result, TelemetryError};

/// Where a rule file's text is.
#[derive(Debug, Clone)]
pub(crate) enum Text {
    /// Embedded in the binary.
    Static(&'static str),
    /// Read already (a user's rule file).
    Held(Arc<str>),
    /// On disk, read when its partition compiles (a `rules update` folder), with the
    /// FNV-1a hash its index recorded.
    Disk { path: PathBuf, fnv: u64 },
}

/// A rule file.
#[derive(Debug)]
pub(crate) struct RuleFile {
    /// As reports name it: `builtin:x.yml`, `sigmahq:rules/windows/…`, or a path.
    pub name: String,
    pub text: Text,
    /// Its place in the load order, which reports follow.
    pub seq: u32,
}

impl RuleFile {
    /// The file's text, checked against its index for files on disk.
    pub fn read(&self) -> std::result::Result<std::borrow::Cow<'_, str>, String> {
        match &self.text {
            Text::Static(s) => Ok((*s).into()),
            Text::Held(s) => Ok(s.as_ref().into()),
            Text::Disk { path, fnv } => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("unreadable: {e}"))?;
                if fnv1a(text.as_bytes()) != *fnv {
                    return Err("changed since `vigil rules update` wrote it".into());
                }
                Ok(text.into())
            }
        }
    }
}

/// FNV-1a (64 bit) of a rule file, as index files record it.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// One rule as the catalogue knows it.
#[derive(Debug, Clone)]
pub(crate) struct RuleEntry {
    /// Index into the catalogue's files.
    pub file: u32,
    /// Which rule of the file's parsed collection (0 unless it holds several).
    pub ordinal: u32,
    /// The id, else the title: what deduplicates and what matches report.
    pub key: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub author: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub origin: RuleOrigin,
    /// Hunting-grade: tagged `detection.threat-hunting` or from a `rules-threat-hunting`
    /// folder.
    pub hunting: bool,
}

/// Whether a rule is hunting-grade, by its tags and file.
pub(crate) fn is_hunting(tags: &[String], file: &str) -> bool {
    tags.iter().any(|t| t == "detection.threat-hunting")
        || file
            .split(['/', '\\'])
            .any(|part| part == "rules-threat-hunting")
}

/// Rules read from one source, before deduplication.
#[derive(Debug, Default)]
pub(crate) struct Indexed {
    pub files: Vec<RuleFile>,
    /// `file` indexes `files`.
    pub entries: Vec<RuleEntry>,
    /// With the load-order place of the file they concern.
    pub skipped: Vec<(u32, RuleSkip)>,
    /// The next file's place in the load order.
    pub next_seq: u32,
}

impl Indexed {
    fn push_file(&mut self, name: String, text: Text, seq: u32) -> u32 {
        self.files.push(RuleFile { name, text, seq });
        (self.files.len() - 1) as u32
    }

    fn skip(&mut self, seq: u32, file: &str, title: Option<&str>, reason: String) {
        self.skipped.push((
            seq,
            RuleSkip {
                file: file.to_string(),
                title: title.map(str::to_string),
                reason,
            },
        ));
    }
}

/// Indexes one rule file's text. A plain single-rule document is read line by line (see
/// [`scan_head`]: its detection is not parsed); anything else (several documents,
/// collection actions, correlations, YAML the scan is not sure of) goes through rsigma's
/// parser, so that its rules and its errors are exactly what compiling it would see.
pub(crate) fn index_text(out: &mut Indexed, name: String, text: Text, origin: RuleOrigin) {
    let seq = out.next_seq;
    out.next_seq += 1;
    let body: &str = match &text {
        Text::Static(s) => s,
        Text::Held(s) => s,
        // Files on disk come with an index; they are never read lightly.
        Text::Disk { .. } => return,
    };
    let entry = |file: u32, ordinal: usize, head: Head| {
        let title = head.title.unwrap_or_default();
        let logsource = head.logsource.unwrap_or_default();
        RuleEntry {
            file,
            ordinal: ordinal as u32,
            key: head.id.unwrap_or_else(|| title.clone()),
            hunting: is_hunting(&head.tags, &name),
            title,
            level: head.level.unwrap_or_default(),
            status: head.status.unwrap_or_default(),
            author: head.author.unwrap_or_default(),
            tags: head.tags,
            product: logsource.product,
            category: logsource.category,
            service: logsource.service,
            origin,
        }
    };
    if let Some(head) = scan_head(body) {
        let file = out.push_file(name.clone(), text.clone(), seq);
        out.entries.push(entry(file, 0, head));
        return;
    }
    let collection = match rsigma_parser::parse_sigma_yaml(body) {
        Ok(c) => c,
        Err(e) => {
            out.skip(seq, &name, None, format!("not a Sigma file: {e}"));
            return;
        }
    };
    for e in collection.errors {
        out.skip(seq, &name, None, e);
    }
    for c in &collection.correlations {
        let reason = "correlation rules are not supported".to_string();
        out.skip(seq, &name, Some(&c.title), reason);
    }
    for f in &collection.filters {
        out.skip(
            seq,
            &name,
            Some(&f.title),
            "filter rules are not supported".into(),
        );
    }
    if collection.rules.is_empty() {
        return;
    }
    let file = out.push_file(name.clone(), text.clone(), seq);
    for (ordinal, rule) in collection.rules.into_iter().enumerate() {
        out.entries.push(entry(file, ordinal, head_of(rule)));
    }
}

/// The head of a rule rsigma's parser read.
pub(crate) fn head_of(rule: rsigma_parser::SigmaRule) -> Head {
    Head {
        title: Some(rule.title),
        id: rule.id,
        status: rule.status.map(|s| status_name(s).to_string()),
        level: rule.level.map(|l| l.as_str().to_string()),
        author: rule.author,
        tags: rule.tags,
        logsource: Some(HeadLogsource {
            product: rule.logsource.product,
            category: rule.logsource.category,
            service: rule.logsource.service,
        }),
    }
}

/// The name rsigma's status has in rule files.
pub(crate) fn status_name(status: rsigma_parser::Status) -> &'static str {
    match status {
        rsigma_parser::Status::Stable => "stable",
        rsigma_parser::Status::Test => "test",
        rsigma_parser::Status::Experimental => "experimental",
        rsigma_parser::Status::Deprecated => "deprecated",
        rsigma_parser::Status::Unsupported => "unsupported",
    }
}

/// Every `.yml` / `.yaml` file under `dir`, sorted.
pub(crate) fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| TelemetryError::io(&name, e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rule_files(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// Indexes every rule file under the user's folders. A folder that cannot be read is an
/// error; a file that cannot be read is skipped.
pub(crate) fn index_dirs(out: &mut Indexed, dirs: &[PathBuf]) -> Result<()> {
    let mut files = Vec::new();
    for dir in dirs {
        rule_files(dir, &mut files)?;
    }
    for f in files {
        let name = f.display().to_string();
        match std::fs::read_to_string(&f) {
            Ok(text) => index_text(out, name, Text::Held(text.into()), RuleOrigin::User),
            Err(e) => {
                let seq = out.next_seq;
                out.next_seq += 1;
                out.skip(seq, &name, None, format!("unreadable: {e}"));
            }
        }
    }
    Ok(())
}

/// The rules of several sources in one catalogue: the user's first (the first of an id
/// wins among them), then the shipped ones unless a user's rule has their id. Gating and
/// partitions come after.
pub(crate) fn merge(sources: Vec<Indexed>) -> Indexed {
    let mut out = Indexed::default();
    let mut taken: HashMap<String, (RuleOrigin, u32)> = HashMap::new();
    for source in sources {
        let (base, seq_base) = (out.files.len() as u32, out.next_seq);
        out.next_seq += source.next_seq.max(source.files.len() as u32);
        out.files.extend(source.files.into_iter().map(|mut f| {
            f.seq += seq_base;
            f
        }));
        out.skipped.extend(
            source
                .skipped
                .into_iter()
                .map(|(seq, skip)| (seq + seq_base, skip)),
        );
        for mut entry in source.entries {
            entry.file += base;
            let file = &out.files[entry.file as usize];
            let (seq, name) = (file.seq, file.name.clone());
            match taken.get(&entry.key) {
                Some((RuleOrigin::User, by)) if entry.origin != RuleOrigin::User => {
                    let reason = format!(
                        "replaced by the user's copy in {}",
                        out.files[*by as usize].name
                    );
                    out.skip(seq, &name, Some(&entry.title), reason);
                }
                Some(_) => {
                    let reason = format!("duplicate rule id {}", entry.key);
                    out.skip(seq, &name, Some(&entry.title), reason);
                }
                None => {
                    taken.insert(entry.key.clone(), (entry.origin, entry.file));
                    out.entries.push(entry);
                }
            }
        }
    }
    out
}
