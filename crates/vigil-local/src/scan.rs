//! Scanning files: the hashes of each against the store's IOC hashes (SHA-256 always; MD5
//! and SHA-1 only when some indicator is one), and YARA rules (the shipped set, which
//! detects the EICAR test string, plus any the admin adds). Pure: no store access; the
//! sensor turns hits into alerts.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;
use sha2::{Digest, Sha256};
use vigil_engine::domain::Severity;
use vigil_engine::{Error, Result};

/// Vigil's own YARA rules, shipped with the app.
pub const SHIPPED_RULES: &str = include_str!("../rules/eicar.yar");

/// Files larger than this are hashed but not scanned with YARA.
pub const MAX_YARA_BYTES: u64 = 64 * 1024 * 1024;

/// How deep a folder scan goes below each folder.
pub const MAX_DEPTH: usize = 12;

/// Why a file was flagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HitKind {
    /// One of its hashes is a known indicator.
    Ioc { description: String },
    /// A YARA rule matched its content.
    Yara {
        rule: String,
        description: String,
        severity: String,
        category: String,
    },
}

/// A flagged file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub path: PathBuf,
    pub sha256: String,
    pub kind: HitKind,
}

impl Hit {
    /// The alert severity this hit asks for.
    pub fn severity(&self) -> Severity {
        match &self.kind {
            HitKind::Ioc { .. } => Severity::High,
            HitKind::Yara { severity, .. } => Severity::parse(severity).unwrap_or(Severity::High),
        }
    }
}

/// What scanning one file found.
#[derive(Debug, Clone, Default)]
pub struct FileScan {
    pub sha256: String,
    pub bytes: u64,
    pub hits: Vec<Hit>,
}

/// Compiled YARA rules and the IOC hashes to look for. The hashes can be replaced while
/// scans run (a list imported while the watcher watches); a file is checked against the
/// set it started with.
pub struct Scanner {
    rules: yara_x::Rules,
    iocs: RwLock<Arc<HashIocs>>,
}

/// File-hash indicators, and which hashes they need.
#[derive(Debug, Default)]
struct HashIocs {
    set: HashSet<String>,
    /// Whether any indicator is an MD5 (32 hex digits) or a SHA-1 (40): only then are
    /// files hashed with them too.
    want_md5: bool,
    want_sha1: bool,
}

impl HashIocs {
    fn new(iocs: HashSet<String>) -> Self {
        let set: HashSet<String> = iocs.into_iter().map(|h| h.to_ascii_lowercase()).collect();
        Self {
            want_md5: set.iter().any(|h| h.len() == 32),
            want_sha1: set.iter().any(|h| h.len() == 40),
            set,
        }
    }

    fn hashers(&self) -> Hashers {
        Hashers {
            sha256: Sha256::new(),
            sha1: self.want_sha1.then(sha1::Sha1::new),
            md5: self.want_md5.then(md5::Md5::new),
        }
    }
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("iocs", &self.ioc_count())
            .finish()
    }
}

impl Scanner {
    /// The shipped rules plus `extra` rule sources, and the file-hash IOCs: SHA-256, SHA-1
    /// and MD5 values together (hex; their lengths tell them apart).
    pub fn new(extra: &[String], iocs: HashSet<String>) -> Result<Self> {
        let mut compiler = yara_x::Compiler::new();
        compiler
            .add_source(SHIPPED_RULES)
            .map_err(|e| Error::InvalidInput(format!("Vigil's own YARA rules: {e}")))?;
        for (i, source) in extra.iter().enumerate() {
            compiler.new_namespace(&format!("user{i}"));
            compiler
                .add_source(source.as_str())
                .map_err(|e| Error::InvalidInput(format!("YARA rules: {e}")))?;
        }
        Ok(Self {
            rules: compiler.build(),
            iocs: RwLock::new(Arc::new(HashIocs::new(iocs))),
        })
    }

    /// Replaces the IOC hashes (SHA-256, SHA-1 and MD5 values together) for the files
    /// scanned from now on.
    pub fn set_iocs(&self, iocs: HashSet<String>) {
        let iocs = Arc::new(HashIocs::new(iocs));
        *self.iocs.write().unwrap_or_else(PoisonError::into_inner) = iocs;
    }

    fn iocs(&self) -> Arc<HashIocs> {
        self.iocs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many IOC hashes are loaded.
    pub fn ioc_count(&self) -> usize {
        self.iocs().set.len()
    }

    /// Scans files with one YARA scanner; a file that cannot be read is an error in its
    /// slot (the others still scan).
    pub fn scan_files(&self, paths: &[PathBuf]) -> Vec<(PathBuf, Result<FileScan>)> {
        let mut yara = yara_x::Scanner::new(&self.rules);
        paths
            .iter()
            .map(|p| (p.clone(), self.scan_with(&mut yara, p)))
            .collect()
    }

    /// Scans one file.
    pub fn scan_file(&self, path: &Path) -> Result<FileScan> {
        let mut yara = yara_x::Scanner::new(&self.rules);
        self.scan_with(&mut yara, path)
    }

    /// Scans bytes already in memory as if they were the file at `path`.
    pub fn scan_bytes(&self, path: &Path, data: &[u8]) -> Result<FileScan> {
        let mut yara = yara_x::Scanner::new(&self.rules);
        let iocs = self.iocs();
        let mut hashes = iocs.hashers();
        hashes.update(data);
        let mut scan = FileScan {
            sha256: String::new(),
            bytes: data.len() as u64,
            hits: Vec::new(),
        };
        ioc_hit(&iocs, path, hashes, &mut scan);
        self.yara_hits(&mut yara, path, data, &mut scan)?;
        Ok(scan)
    }

    fn scan_with(&self, yara: &mut yara_x::Scanner<'_>, path: &Path) -> Result<FileScan> {
        let meta = std::fs::symlink_metadata(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if !meta.is_file() {
            return Err(Error::InvalidInput(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        let iocs = self.iocs();
        let mut hashes = iocs.hashers();
        if meta.len() > MAX_YARA_BYTES {
            stream(path, |chunk| hashes.update(chunk))?;
            let mut scan = FileScan {
                sha256: String::new(),
                bytes: meta.len(),
                hits: Vec::new(),
            };
            ioc_hit(&iocs, path, hashes, &mut scan);
            return Ok(scan);
        }
        let data = std::fs::read(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        hashes.update(&data);
        let mut scan = FileScan {
            sha256: String::new(),
            bytes: data.len() as u64,
            hits: Vec::new(),
        };
        ioc_hit(&iocs, path, hashes, &mut scan);
        self.yara_hits(yara, path, &data, &mut scan)?;
        Ok(scan)
    }

    fn yara_hits(
        &self,
        yara: &mut yara_x::Scanner<'_>,
        path: &Path,
        data: &[u8],
        scan: &mut FileScan,
    ) -> Result<()> {
        let results = yara
            .scan(data)
            .map_err(|e| Error::InvalidInput(format!("YARA scan of {}: {e}", path.display())))?;
        for rule in results.matching_rules() {
            let meta = |key: &str| {
                rule.metadata()
                    .find(|(k, _)| *k == key)
                    .and_then(|(_, v)| match v {
                        yara_x::MetaValue::String(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .unwrap_or_default()
            };
            scan.hits.push(Hit {
                path: path.to_path_buf(),
                sha256: scan.sha256.clone(),
                kind: HitKind::Yara {
                    rule: rule.identifier().to_string(),
                    description: meta("description"),
                    severity: meta("severity"),
                    category: meta("category"),
                },
            });
        }
        Ok(())
    }
}

/// Records the file's SHA-256 in `scan`, and a hit for the first of its hashes that is an
/// indicator.
fn ioc_hit(iocs: &HashIocs, path: &Path, hashes: Hashers, scan: &mut FileScan) {
    let sha256 = hex(&hashes.sha256.finalize());
    let sha1 = hashes.sha1.map(|h| hex(&h.finalize()));
    let md5 = hashes.md5.map(|h| hex(&h.finalize()));
    let listed = [
        ("SHA-256", Some(&sha256)),
        ("SHA-1", sha1.as_ref()),
        ("MD5", md5.as_ref()),
    ]
    .into_iter()
    .find_map(|(name, value)| value.filter(|v| iocs.set.contains(*v)).map(|v| (name, v)));
    if let Some((name, value)) = listed {
        scan.hits.push(Hit {
            path: path.to_path_buf(),
            sha256: sha256.clone(),
            kind: HitKind::Ioc {
                description: format!("its {name} {value} matches a threat indicator"),
            },
        });
    }
    scan.sha256 = sha256;
}

/// The hashes a scan computes: SHA-256 always, the others when an indicator needs them.
struct Hashers {
    sha256: Sha256,
    sha1: Option<sha1::Sha1>,
    md5: Option<md5::Md5>,
}

impl Hashers {
    fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        if let Some(h) = &mut self.sha1 {
            h.update(data);
        }
        if let Some(h) = &mut self.md5 {
            h.update(data);
        }
    }
}

/// Reads a file in 64 KiB pieces.
fn stream(path: &Path, mut each: impl FnMut(&[u8])) -> Result<()> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if n == 0 {
            return Ok(());
        }
        each(&buf[..n]);
    }
}

/// The sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    stream(path, |chunk| hasher.update(chunk))?;
    Ok(hex(&hasher.finalize()))
}

/// The sha256 of bytes, as lowercase hex.
pub fn sha256_bytes(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Regular files under `dirs` (symlinks never followed; `skip` folders left out), up to
/// `MAX_DEPTH` levels down.
pub fn files_under(dirs: &[PathBuf], skip: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack: Vec<(PathBuf, usize)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    let mut seen = HashSet::new();
    while let Some((dir, depth)) = stack.pop() {
        if skip.iter().any(|s| dir.starts_with(s)) || !seen.insert(dir.clone()) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        if meta.is_file() {
            files.push(dir);
            continue;
        }
        if !meta.is_dir() {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_file() {
                files.push(entry.path());
            } else if kind.is_dir() && depth < MAX_DEPTH {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The EICAR test string, assembled so this source file itself is not flagged.
    pub fn eicar() -> Vec<u8> {
        [
            "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
            "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
        ]
        .concat()
        .into_bytes()
    }

    #[test]
    fn the_shipped_rule_finds_eicar_and_nothing_in_plain_text() {
        let scanner = Scanner::new(&[], HashSet::new()).expect("rules");
        let hit = scanner
            .scan_bytes(Path::new("/tmp/x/eicar.com"), &eicar())
            .expect("scan");
        assert_eq!(hit.hits.len(), 1);
        assert!(
            matches!(&hit.hits[0].kind, HitKind::Yara { rule, .. } if rule == "EICAR_Test_File")
        );
        assert_eq!(hit.hits[0].severity(), Severity::High);
        let clean = scanner
            .scan_bytes(Path::new("/tmp/x/a.txt"), b"hello world")
            .expect("scan");
        assert!(clean.hits.is_empty());
    }

    #[test]
    fn a_known_hash_is_an_ioc_hit() {
        let data = b"not malware, but listed";
        let scanner =
            Scanner::new(&[], HashSet::from([sha256_bytes(data).to_uppercase()])).expect("rules");
        let scan = scanner.scan_bytes(Path::new("/tmp/a"), data).expect("scan");
        assert!(matches!(scan.hits[0].kind, HitKind::Ioc { .. }));
    }

    #[test]
    fn md5_and_sha1_indicators_are_hit_and_the_file_keeps_its_sha256() {
        let data = b"abc";
        // MD5("abc") and SHA-1("abc"), upper-case as some lists write them.
        for listed in [
            "900150983CD24FB0D6963F7D28E17F72",
            "A9993E364706816ABA3E25717850C26C9CD0D89D",
        ] {
            let scanner = Scanner::new(&[], HashSet::from([listed.to_string()])).expect("rules");
            let scan = scanner
                .scan_bytes(Path::new("/tmp/abc"), data)
                .expect("scan");
            assert_eq!(scan.sha256, sha256_bytes(data));
            assert_eq!(scan.hits.len(), 1, "{listed}");
            let HitKind::Ioc { description } = &scan.hits[0].kind else {
                panic!("not an IOC hit: {:?}", scan.hits[0]);
            };
            assert!(
                description.contains(&listed.to_ascii_lowercase()),
                "{description}"
            );
            assert_eq!(scan.hits[0].sha256, sha256_bytes(data));
        }
        // A large file is streamed, with the same result.
        let dir = tempfile::tempdir().expect("tmp");
        let big = dir.path().join("big.bin");
        let bytes = vec![7u8; (MAX_YARA_BYTES + 1) as usize];
        std::fs::write(&big, &bytes).expect("write");
        let md5_of_big = {
            let mut h = md5::Md5::new();
            h.update(&bytes);
            hex(&h.finalize())
        };
        let scanner = Scanner::new(&[], HashSet::from([md5_of_big])).expect("rules");
        let scan = scanner.scan_file(&big).expect("scan");
        assert_eq!(scan.hits.len(), 1);
        assert_eq!(scan.sha256, sha256_bytes(&bytes));
        // Nothing listed: nothing found.
        let scanner = Scanner::new(&[], HashSet::new()).expect("rules");
        assert!(scanner
            .scan_bytes(Path::new("/tmp/abc"), data)
            .expect("scan")
            .hits
            .is_empty());
    }

    #[test]
    fn folder_walks_follow_no_symlink() {
        let dir = tempfile::tempdir().expect("tmp");
        let outside = tempfile::tempdir().expect("tmp");
        std::fs::write(outside.path().join("secret"), b"x").expect("write");
        std::fs::write(dir.path().join("a"), b"x").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).expect("link");
        let files = files_under(&[dir.path().to_path_buf()], &[]);
        assert_eq!(files, vec![dir.path().join("a")]);
    }
}
