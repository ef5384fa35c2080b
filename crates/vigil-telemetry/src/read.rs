//! Reading telemetry files: format detection and one streaming [`Reader`] for every format.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use serde_json::Value;

use crate::archive::ZipStream;
use crate::error::{Location, Result, TelemetryError};
use crate::event::Event;
use crate::evtx::{EvtxStream, EVTX_MAGIC};
use crate::ndjson::NdjsonStream;

/// A telemetry file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Windows event log file (`ElfFile\0` magic).
    Evtx,
    /// JSON lines: ECS documents or flattened Winlogbeat/NXLog events; also `evtx_dump`
    /// JSON output (one document per line, or pretty-printed after `Record N` headers).
    Ndjson,
    /// A zip archive whose members are EVTX or JSON-lines files.
    Zip,
}

/// One record read from a file.
#[derive(Debug, Clone)]
pub struct Record {
    /// Flat field map in Sigma's field names (`EventID`, `Channel`, `Provider_Name`,
    /// `Computer`, `Image`, `CommandLine`, …): what Sigma rules are evaluated against.
    pub raw: Value,
    /// The normalised event.
    pub event: Event,
    /// Where the record is in its file.
    pub location: Location,
}

impl Record {
    /// A record made from one JSON object in any of the JSON forms a file may hold (a flat
    /// Sysmon-named map, ECS, `evtx_dump`), as if it were line `line` of `file`: for telemetry
    /// written in memory (the demo office) that must meet the same readers and rules as an
    /// imported file.
    pub fn from_json(bytes: &[u8], file: &str, line: u64) -> Result<Record> {
        crate::ndjson::parse_line(
            bytes,
            Location {
                file: file.to_string(),
                position: crate::error::Position::Line(line),
            },
        )
    }
}

/// A record or file member that the reader skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// Where.
    pub location: Location,
    /// Why.
    pub reason: String,
}

/// What a reader skipped: the count and the first reasons (at most [`SkipReport::KEPT`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipReport {
    /// How many records or members were skipped in all.
    pub count: u64,
    /// The first skips, with their reasons.
    pub reasons: Vec<Skip>,
}

impl SkipReport {
    /// How many reasons are kept; the count goes on.
    pub const KEPT: usize = 100;

    pub(crate) fn push(&mut self, location: Location, reason: String) {
        self.count += 1;
        if self.reasons.len() < Self::KEPT {
            self.reasons.push(Skip { location, reason });
        }
    }
}

/// How a [`Reader`] treats malformed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// `false` (default): a malformed record or line is an `Err` item (iteration goes on
    /// after it, so the caller chooses to abort or continue). `true`: it is counted in
    /// [`Reader::skipped`] instead.
    pub skip_malformed: bool,
    /// Longest JSON line accepted (default 16 MiB); longer ones are malformed.
    pub max_line_bytes: usize,
    /// Largest EVTX member of a zip read into memory (default 1 GiB).
    pub max_zip_evtx_bytes: u64,
    /// Most members a zip may hold (default 100,000): a zip of millions of empty members
    /// is refused before any is read.
    pub max_zip_members: usize,
    /// Most a zip member may inflate, as a multiple of its compressed size (default 1,000;
    /// text compresses about 10 to 1, a zip bomb millions to 1).
    pub max_zip_ratio: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            skip_malformed: false,
            max_line_bytes: 16 * 1024 * 1024,
            max_zip_evtx_bytes: 1024 * 1024 * 1024,
            max_zip_members: 100_000,
            max_zip_ratio: 1_000,
        }
    }
}

/// Sniffs a format from a file's first bytes.
pub fn detect_format_bytes(head: &[u8]) -> Option<Format> {
    if head.starts_with(EVTX_MAGIC) {
        return Some(Format::Evtx);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(Format::Zip);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    if crate::ndjson::dump_header(first_line).is_some() {
        return Some(Format::Ndjson);
    }
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => Some(Format::Ndjson),
        _ => None,
    }
}

fn refuse(file: &str, head: &[u8]) -> TelemetryError {
    let reason = if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        "UTF-16 text is not supported: save the JSON lines as UTF-8".to_string()
    } else if let Some(intel) = Intel::of(head) {
        format!(
            "{}, not telemetry: import it as threat intelligence (Settings, \
             \"Import an IOC list…\", or vigil intel import)",
            intel.what()
        )
    } else {
        "not an EVTX file, JSON lines, or a zip of them".to_string()
    };
    TelemetryError::Format {
        file: file.to_string(),
        reason,
    }
}

/// Threat intelligence given as telemetry (a dropped IOC list), told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intel {
    /// A STIX bundle: JSON, but no telemetry.
    Stix,
    /// A list whose complete lines read as indicators.
    List,
}

impl Intel {
    fn of(head: &[u8]) -> Option<Intel> {
        if Intel::is_stix(head) {
            return Some(Intel::Stix);
        }
        let text = String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
        let complete = text.rfind('\n').map_or(&*text, |end| &text[..end]);
        match crate::intel::parse_csv(complete, "") {
            Ok(list) if !list.indicators.is_empty() => Some(Intel::List),
            _ => None,
        }
    }

    fn is_stix(head: &[u8]) -> bool {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let compact: Vec<u8> = head
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let has = |needle: &[u8]| compact.windows(needle.len()).any(|w| w == needle);
        compact.starts_with(b"{")
            && has(b"\"type\":\"bundle\"")
            && (has(b"\"objects\"") || has(b"\"spec_version\""))
    }

    fn what(self) -> &'static str {
        match self {
            Intel::Stix => "a STIX bundle of threat indicators",
            Intel::List => "a list of threat indicators (IOCs)",
        }
    }
}

/// The format of a file starting with `head`, or why it is refused.
fn format_of(name: &str, head: &[u8]) -> Result<Format> {
    detect_format_bytes(head)
        .filter(|format| *format != Format::Ndjson || !Intel::is_stix(head))
        .ok_or_else(|| refuse(name, head))
}

/// Reads up to `n` bytes from the start of a source.
pub(crate) fn read_head(source: &mut impl Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    source.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Detects a file's format from its content (EVTX magic, zip magic, or a JSON object).
pub fn detect_format(path: impl AsRef<Path>) -> Result<Format> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let mut file = File::open(path).map_err(|e| TelemetryError::io(&name, e))?;
    let head = read_head(&mut file, 512).map_err(|e| TelemetryError::io(&name, e))?;
    format_of(&name, &head)
}

/// What a reader reads from: a file, or bytes already in memory (a fuzzer's input, an
/// agent's upload), read the same way.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    File(std::path::PathBuf),
    Bytes(std::sync::Arc<[u8]>),
}

/// A seekable byte stream a source opens.
pub(crate) trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl Source {
    /// Opens the source from its start (a zip opens it again for each member).
    pub(crate) fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>> {
        match self {
            Source::File(path) => Ok(Box::new(
                File::open(path).map_err(|e| TelemetryError::io(name, e))?,
            )),
            Source::Bytes(bytes) => Ok(Box::new(std::io::Cursor::new(bytes.clone()))),
        }
    }
}

pub(crate) enum Stream {
    Evtx(Box<EvtxStream<BufReader<Box<dyn ReadSeek>>>>),
    Ndjson(NdjsonStream<BufReader<Box<dyn ReadSeek>>>),
    Zip(Box<ZipStream>),
}

/// A streaming reader over one telemetry file: an iterator of records in file order.
///
/// Malformed records come out as `Err` items (or are counted in [`Reader::skipped`] with
/// [`ReadOptions::skip_malformed`]); iteration continues after them. An I/O error ends it.
pub struct Reader {
    format: Format,
    stream: Stream,
    options: ReadOptions,
    skipped: SkipReport,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("format", &self.format)
            .field("skipped", &self.skipped.count)
            .finish()
    }
}

impl Reader {
    /// Opens a file with default options, detecting its format.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        Reader::open_with(path, ReadOptions::default())
    }

    /// Opens a file, detecting its format.
    pub fn open_with(path: impl AsRef<Path>, options: ReadOptions) -> Result<Reader> {
        let path = path.as_ref();
        let name = path.display().to_string();
        Reader::from_source(&name, Source::File(path.to_path_buf()), options)
    }

    /// Reads telemetry held in memory as if it were the file `name`, detecting its format:
    /// the same readers, limits and errors as [`Reader::open_with`], without a file.
    pub fn from_bytes(
        name: &str,
        bytes: impl Into<std::sync::Arc<[u8]>>,
        options: ReadOptions,
    ) -> Result<Reader> {
        Reader::from_source(name, Source::Bytes(bytes.into()), options)
    }

    fn from_source(name: &str, source: Source, options: ReadOptions) -> Result<Reader> {
        // One open for sniffing and reading: on a folder of small files, every system call
        // per file shows.
        let mut file = source.open(name)?;
        let head = read_head(&mut file, 512).map_err(|e| TelemetryError::io(name, e))?;
        let format = format_of(name, &head)?;
        file.rewind().map_err(|e| TelemetryError::io(name, e))?;
        let stream = match format {
            Format::Evtx => {
                Stream::Evtx(Box::new(EvtxStream::new(name, BufReader::new(file), None)?))
            }
            Format::Ndjson => Stream::Ndjson(NdjsonStream::new(
                name,
                BufReader::with_capacity(256 * 1024, file),
                options.max_line_bytes,
            )),
            Format::Zip => Stream::Zip(Box::new(ZipStream::new(name, source, &options)?)),
        };
        Ok(Reader {
            format,
            stream,
            options,
            skipped: SkipReport::default(),
        })
    }

    /// Opens the chunks numbered `chunks` of an EVTX file (see [`crate::evtx_chunks`]), so
    /// that several threads can read one large file, each its own run of chunks. Its
    /// records come out in file order, not in the order Windows reads a log that wrapped
    /// around. Any other format is an error.
    pub fn open_chunks(path: impl AsRef<Path>, chunks: std::ops::Range<u64>) -> Result<Reader> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let mut file = Source::File(path.to_path_buf()).open(&name)?;
        let head =
            read_head(&mut file, EVTX_MAGIC.len()).map_err(|e| TelemetryError::io(&name, e))?;
        if head != EVTX_MAGIC {
            return Err(TelemetryError::Format {
                file: name,
                reason: "only EVTX files are read by chunk".into(),
            });
        }
        file.rewind().map_err(|e| TelemetryError::io(&name, e))?;
        let stream = EvtxStream::new(&name, BufReader::new(file), Some(chunks))?;
        Ok(Reader {
            format: Format::Evtx,
            stream: Stream::Evtx(Box::new(stream)),
            options: ReadOptions::default(),
            skipped: SkipReport::default(),
        })
    }

    /// The detected format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// What was skipped so far (malformed records with `skip_malformed`, zip members that
    /// are neither EVTX nor JSON lines).
    pub fn skipped(&self) -> &SkipReport {
        &self.skipped
    }
}

impl Iterator for Reader {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let item = match &mut self.stream {
                Stream::Evtx(s) => s.next(),
                Stream::Ndjson(s) => s.next_record(&mut self.skipped),
                Stream::Zip(s) => s.next_record(&mut self.skipped),
            }?;
            match item {
                Err(e) if self.options.skip_malformed && e.location().is_some() => {
                    let location = e.location().cloned();
                    if let Some(location) = location {
                        let reason = e.to_string();
                        self.skipped.push(location, reason);
                    }
                }
                other => return Some(other),
            }
        }
    }
}

/// Parses an EVTX file with the `evtx` crate alone (records to JSON text, nothing more) and
/// returns how many records it holds: the raw rate that import throughput is measured
/// against.
pub fn raw_evtx_records(path: impl AsRef<Path>) -> Result<u64> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let mut parser =
        ::evtx::EvtxParser::from_path(path).map_err(|e| crate::TelemetryError::Format {
            file: name.clone(),
            reason: e.to_string(),
        })?;
    Ok(parser.records_json().filter(|r| r.is_ok()).count() as u64)
}
