//! Detection rules: which Sigma rules imports run (Vigil's own, SigmaHQ's Windows rules as
//! shipped or as `vigil rules update` last stored them, the user's folders), the engine the
//! app keeps compiled between imports, `rules update`, and what `rules list` and Settings
//! show.
//!
//! A rule a user's folder shares an id with wins over the shipped one.
//!
//! Longer than 400 lines: the three rule sources, their cache and their update share one
//! notion of which rule wins, kept in one file so that it stays one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_telemetry::sigma::sigmahq::{self, SelectOptions};
use vigil_telemetry::{RuleOrigin, RuleSources, SigmaEngine, SigmaHqRules};

use crate::domain::{
    ReasonCount, RuleSets, RuleSource, SigmaHqSet, SigmaHqSource, SigmaHqUpdate, SigmaRuleInfo,
    UserRuleDir,
};
use crate::{paths, Error, Result, Vigil};

/// The folder beside the store that holds what `vigil rules update` took.
pub const SIGMAHQ_DIR: &str = "sigmahq";
/// Inside it, the rules in use.
const CURRENT: &str = "current";
/// Inside `current`, where they came from.
const SOURCE_FILE: &str = "source.json";

/// The compiled rules the cache keeps between imports, at most. Measured on the default
/// set: all 2,535 rules compiled take 165 MB (65 KB a rule on average, most of it in the
/// few with long hash and command-line lists), a Sysmon process-creation file's 1,259
/// ~57 MB; so ~195 MB, the default set and a few hundred rules of the user's. An engine
/// over it (a user folder of thousands of rules) is dropped after the import and
/// compiled again, as needed, by the next.
pub const RULE_CACHE_BUDGET: usize = 3_000;

/// Where SigmaHQ's rules came from, as `vigil rules update` recorded it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Provenance {
    /// The archive or folder, as given.
    source: String,
    /// SHA-256 of the archive (empty for a folder).
    sha256: String,
    updated_at: String,
    rules: u32,
    skipped: u32,
}

impl From<RuleOrigin> for RuleSource {
    fn from(origin: RuleOrigin) -> Self {
        match origin {
            RuleOrigin::Vigil => RuleSource::Vigil,
            RuleOrigin::SigmaHq => RuleSource::Sigmahq,
            RuleOrigin::User => RuleSource::User,
        }
    }
}

/// What the cached engine was loaded from: the sources, and the size and time of every
/// user rule file and of the update's record, so that a changed file is seen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RuleKey {
    sources: RuleSources,
    files: Vec<(PathBuf, u64, Option<SystemTime>)>,
}

impl RuleKey {
    fn of(sources: RuleSources) -> RuleKey {
        let mut paths = Vec::new();
        for dir in &sources.user_dirs {
            walk(dir, &mut paths);
        }
        if let SigmaHqRules::Folder(dir) = &sources.sigmahq {
            paths.push(dir.join(SOURCE_FILE));
        }
        let files = paths
            .into_iter()
            .map(|p| {
                let meta = std::fs::metadata(&p).ok();
                let len = meta.as_ref().map_or(0, |m| m.len());
                let modified = meta.and_then(|m| m.modified().ok());
                (p, len, modified)
            })
            .collect();
        RuleKey { sources, files }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The compiled engine kept between imports, for the rules it was loaded from.
#[derive(Debug, Default)]
pub(crate) struct RuleCache {
    slot: Mutex<Option<(RuleKey, Arc<SigmaEngine>)>>,
}

impl RuleCache {
    /// The engine for these sources: the cached one when nothing changed, else a new one
    /// (loaded, compiled as records need it).
    fn get(&self, sources: RuleSources) -> Result<Arc<SigmaEngine>> {
        let key = RuleKey::of(sources);
        let mut slot = self
            .slot
            .lock()
            .map_err(|_| Error::Conflict("the rule cache is unusable".into()))?;
        if let Some((cached, engine)) = slot.as_ref() {
            if *cached == key {
                return Ok(Arc::clone(engine));
            }
        }
        let (engine, report) = SigmaEngine::load(&key.sources).map_err(rules_error)?;
        tracing::info!(
            rules = report.loaded,
            skipped = report.skipped.len(),
            "sigma rules loaded"
        );
        let engine = Arc::new(engine);
        *slot = Some((key, Arc::clone(&engine)));
        Ok(engine)
    }

    /// Forgets the engine when it holds more compiled rules than `budget`.
    fn trim(&self, budget: usize) {
        if let Ok(mut slot) = self.slot.lock() {
            let over = slot
                .as_ref()
                .is_some_and(|(_, e)| e.compiled().rules > budget);
            if over {
                tracing::info!(budget, "compiled rules dropped");
                *slot = None;
            }
        }
    }

    fn clear(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = None;
        }
    }

    /// Keeps `engine` for `sources` (the import benchmark's fresh stores run the rules
    /// of the store it measures).
    fn adopt(&self, sources: RuleSources, engine: Arc<SigmaEngine>) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((RuleKey::of(sources), engine));
        }
    }
}

fn rules_error(e: vigil_telemetry::TelemetryError) -> Error {
    Error::InvalidInput(e.to_string())
}

fn blocking_failed(e: tokio::task::JoinError) -> Error {
    Error::InvalidInput(format!("loading rules failed: {e}"))
}

impl Vigil {
    /// Where `rules update` keeps its rules (beside the store), if the store is a file.
    fn sigmahq_dir(&self) -> Option<PathBuf> {
        self.db_path()
            .map(|db| paths::data_dir_of(db).join(SIGMAHQ_DIR))
    }

    /// The rules imports run: Vigil's own, the SigmaHQ update if one was stored (else the
    /// embedded set), the user's folders.
    pub(crate) async fn rule_sources(&self) -> Result<RuleSources> {
        let current = self.sigmahq_dir().map(|d| d.join(CURRENT));
        let sigmahq = match current {
            Some(dir) if dir.join(sigmahq::INDEX_FILE).is_file() => SigmaHqRules::Folder(dir),
            _ => SigmaHqRules::Embedded,
        };
        Ok(RuleSources {
            sigmahq,
            user_dirs: self.rule_dirs().await?,
        })
    }

    /// The Sigma engine for the rules in use: the one kept from the last import when its
    /// rules have not changed since.
    pub(crate) async fn sigma_engine(&self) -> Result<Arc<SigmaEngine>> {
        let sources = self.rule_sources().await?;
        let vigil = self.clone();
        tokio::task::spawn_blocking(move || vigil.rule_cache().get(sources))
            .await
            .map_err(blocking_failed)?
    }

    /// After an import: forget the compiled rules if they grew past the budget.
    pub(crate) fn trim_rule_cache(&self) {
        self.rule_cache().trim(RULE_CACHE_BUDGET);
    }

    /// Makes this store use `engine` (the import benchmark's fresh stores).
    pub(crate) async fn adopt_sigma_engine(&self, engine: Arc<SigmaEngine>) -> Result<()> {
        let sources = self.rule_sources().await?;
        self.rule_cache().adopt(sources, engine);
        Ok(())
    }

    /// The rules imports run: Vigil's own, SigmaHQ's (embedded or updated, with where
    /// they came from), and each user folder with how many of its rules load.
    #[tracing::instrument(skip(self))]
    pub async fn rule_sets(&self) -> Result<RuleSets> {
        let sources = self.rule_sources().await?;
        let provenance = match &sources.sigmahq {
            SigmaHqRules::Folder(dir) => read_provenance(dir),
            _ => None,
        };
        let engine = self.sigma_engine().await?;
        let per_dir: Vec<u32> = sources
            .user_dirs
            .iter()
            .map(|d| {
                let d = d.display().to_string();
                engine
                    .rules()
                    .filter(|r| r.origin == RuleOrigin::User && r.file.starts_with(&d))
                    .count() as u32
            })
            .collect();
        let replaced = engine
            .report()
            .skipped
            .iter()
            .filter(|s| s.reason.starts_with("replaced by the user's copy"))
            .count() as u32;
        let counts = engine.counts();
        let sigmahq = match provenance {
            Some(p) => SigmaHqSet {
                rules: counts.sigmahq as u32,
                source: SigmaHqSource::Update,
                commit: None,
                file: Some(p.source),
                updated_at: Some(p.updated_at),
                replaced_by_user: replaced,
            },
            None => SigmaHqSet {
                rules: counts.sigmahq as u32,
                source: SigmaHqSource::Embedded,
                commit: Some(sigmahq::COMMIT.into()),
                file: None,
                updated_at: None,
                replaced_by_user: replaced,
            },
        };
        Ok(RuleSets {
            vigil_rules: counts.vigil as u32,
            sigmahq,
            user_dirs: sources
                .user_dirs
                .iter()
                .zip(per_dir)
                .map(|(d, rules)| UserRuleDir {
                    path: d.display().to_string(),
                    rules,
                })
                .collect(),
            attribution: sigmahq::ATTRIBUTION.into(),
        })
    }

    /// One loaded Sigma rule by its id, with its author (for an alert's page).
    pub async fn sigma_rule(&self, rule_id: &str) -> Result<SigmaRuleInfo> {
        let engine = self.sigma_engine().await?;
        let info = engine.rule(rule_id).ok_or_else(|| Error::NotFound {
            what: "Sigma rule",
            name: rule_id.to_string(),
        })?;
        Ok(SigmaRuleInfo {
            attribution: (info.origin == RuleOrigin::SigmaHq)
                .then(|| sigmahq::ATTRIBUTION.to_string()),
            rule_id: info.rule_id,
            title: info.title,
            level: info.level,
            status: info.status,
            author: info.author,
            hunting: info.hunting,
            origin: info.origin.into(),
            file: info.file,
        })
    }

    /// Takes SigmaHQ's rules from a newer release (one of their release zips, or an
    /// unpacked folder or checkout), as the shipped set was selected, and uses them from
    /// now on instead of the embedded ones. All or nothing: a bad release changes nothing.
    #[tracing::instrument(skip(self))]
    pub async fn update_sigmahq(&self, path: &Path) -> Result<SigmaHqUpdate> {
        let Some(dir) = self.sigmahq_dir() else {
            return Err(Error::InvalidInput(
                "rules update needs a store on disk (beside which the rules are kept)".into(),
            ));
        };
        let source = path.to_path_buf();
        let updated_at = crate::clock::now();
        let at = updated_at.clone();
        let update = tokio::task::spawn_blocking(move || install(&source, &dir, at))
            .await
            .map_err(blocking_failed)??;
        self.rule_cache().clear();
        tracing::info!(rules = update.rules, source = %update.source, updated_at, "SigmaHQ rules updated");
        Ok(update)
    }
}

fn read_provenance(current: &Path) -> Option<Provenance> {
    let text = std::fs::read_to_string(current.join(SOURCE_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Selects, writes beside the old set, checks it loads, then swaps it in.
fn install(source: &Path, dir: &Path, updated_at: String) -> Result<SigmaHqUpdate> {
    let selection = sigmahq::select(source, SelectOptions::default()).map_err(rules_error)?;
    let sha256 = if source.is_file() {
        let bytes = std::fs::read(source)
            .map_err(|e| Error::io(format!("cannot read {}", source.display()), e))?;
        format!("{:x}", Sha256::digest(&bytes))
    } else {
        String::new()
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    let stamp = format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let incoming = dir.join(format!("incoming-{stamp}"));
    let result = (|| {
        sigmahq::write_selection(&selection, &incoming).map_err(rules_error)?;
        let provenance = Provenance {
            source: source.display().to_string(),
            sha256,
            updated_at: updated_at.clone(),
            rules: selection.rules.len() as u32,
            skipped: selection.skipped.len() as u32,
        };
        let text = serde_json::to_string_pretty(&provenance)
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        std::fs::write(incoming.join(SOURCE_FILE), text)
            .map_err(|e| Error::io("cannot record where the rules came from", e))?;
        // The new set must load before it replaces the old one.
        SigmaEngine::load(&RuleSources {
            sigmahq: SigmaHqRules::Folder(incoming.clone()),
            user_dirs: Vec::new(),
        })
        .map_err(rules_error)?;
        swap_in(dir, &incoming, &stamp)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&incoming);
    }
    result?;
    Ok(SigmaHqUpdate {
        source: source.display().to_string(),
        updated_at,
        rules: selection.rules.len() as u32,
        skipped: selection.skipped.len() as u32,
        skipped_by_reason: selection
            .skipped_by_reason()
            .into_iter()
            .map(|(reason, count)| ReasonCount {
                reason,
                count: count as u32,
            })
            .collect(),
    })
}

/// Puts `incoming` in the place of `current` (the old set moved aside first, and back if
/// the move fails).
fn swap_in(dir: &Path, incoming: &Path, stamp: &str) -> Result<()> {
    let current = dir.join(CURRENT);
    let previous = dir.join(format!("previous-{stamp}"));
    let had = current.exists();
    if had {
        std::fs::rename(&current, &previous)
            .map_err(|e| Error::io(format!("cannot move {} aside", current.display()), e))?;
    }
    if let Err(e) = std::fs::rename(incoming, &current) {
        if had {
            let _ = std::fs::rename(&previous, &current);
        }
        return Err(Error::io(
            format!("cannot put the new rules in {}", current.display()),
            e,
        ));
    }
    if had {
        let _ = std::fs::remove_dir_all(&previous);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_compiled_rules_are_kept_between_imports_until_the_rules_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vigil = Vigil::open(crate::OpenOptions {
            db: Some(dir.path().join("vigil.sqlite3")),
            ..crate::OpenOptions::default()
        })
        .await
        .expect("open");
        let first = vigil.sigma_engine().await.expect("engine");
        let again = vigil.sigma_engine().await.expect("engine");
        assert!(Arc::ptr_eq(&first, &again), "kept");

        let mine = dir.path().join("mine");
        std::fs::create_dir(&mine).expect("mkdir");
        let rule = |needle: &str| {
            format!("title: Mine\nid: mine-1\nlogsource: {{product: windows, category: process_creation}}\ndetection: {{s: {{CommandLine|contains: '{needle}'}}, condition: s}}\nlevel: high\n")
        };
        std::fs::write(mine.join("a.yml"), rule("x")).expect("write");
        vigil.add_rule_dir(&mine).await.expect("add");
        let with_folder = vigil.sigma_engine().await.expect("engine");
        assert!(!Arc::ptr_eq(&again, &with_folder), "a new folder drops it");
        assert!(with_folder.rule("mine-1").is_some());
        assert!(Arc::ptr_eq(
            &with_folder,
            &vigil.sigma_engine().await.expect("engine")
        ));

        std::fs::write(mine.join("a.yml"), rule("something longer")).expect("write");
        let edited = vigil.sigma_engine().await.expect("engine");
        assert!(
            !Arc::ptr_eq(&with_folder, &edited),
            "an edited rule drops it"
        );
    }

    #[test]
    fn an_engine_over_the_budget_is_dropped_after_the_import() {
        let cache = RuleCache::default();
        let sources = RuleSources {
            sigmahq: SigmaHqRules::Off,
            user_dirs: Vec::new(),
        };
        let engine = cache.get(sources.clone()).expect("engine");
        engine.compile_all();
        let compiled = engine.compiled().rules;
        cache.trim(compiled);
        assert!(Arc::ptr_eq(
            &engine,
            &cache.get(sources.clone()).expect("kept")
        ));
        cache.trim(compiled - 1);
        assert!(!Arc::ptr_eq(&engine, &cache.get(sources).expect("new")));
    }
}
