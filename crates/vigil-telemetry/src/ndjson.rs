//! JSON-lines reader: ECS documents (winlogbeat / Elastic Agent), the flattened
//! Winlogbeat/NXLog lines of public datasets and `evtx_dump` output (`-o jsonl`, or `-o json`
//! with its `Record N` headers and pretty-printed documents), all mapped to Sigma's field
//! names.

use std::io::{BufRead, Read};

use serde_json::{Map, Value};

use crate::error::{Location, Position, Result, TelemetryError};
use crate::normalise::{self, keys};
use crate::read::{Record, SkipReport};

/// A streaming JSON-lines reader.
pub(crate) struct NdjsonStream<R: BufRead> {
    file: String,
    source: R,
    line: u64,
    buf: Vec<u8>,
    max_line_bytes: usize,
    done: bool,
    /// In `evtx_dump -o json` output: the record number of the header line just read.
    dump_record: Option<u64>,
}

/// The record number of an `evtx_dump -o json` header line (`Record 12`).
pub(crate) fn dump_header(line: &[u8]) -> Option<u64> {
    let n = line.trim_ascii().strip_prefix(b"Record ")?;
    std::str::from_utf8(n).ok()?.parse().ok()
}

impl<R: BufRead> NdjsonStream<R> {
    pub(crate) fn new(file: &str, source: R, max_line_bytes: usize) -> Self {
        NdjsonStream {
            file: file.to_string(),
            source,
            line: 0,
            buf: Vec::new(),
            max_line_bytes,
            done: false,
            dump_record: None,
        }
    }

    fn location(&self) -> Location {
        Location {
            file: self.file.clone(),
            position: Position::Line(self.line),
        }
    }

    /// Reads one line into `buf`, at most `max_line_bytes`; returns false at the end.
    /// A longer line is consumed to its end and reported as an error.
    fn read_line(&mut self) -> Result<bool> {
        self.buf.clear();
        let limit = self.max_line_bytes as u64 + 1;
        let n = Read::take(&mut self.source, limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| TelemetryError::io(&self.file, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        if self.buf.len() > self.max_line_bytes && self.buf.last() != Some(&b'\n') {
            // Discard the rest of the overlong line without holding it in memory.
            loop {
                let (found, used) = {
                    let chunk = self
                        .source
                        .fill_buf()
                        .map_err(|e| TelemetryError::io(&self.file, e))?;
                    if chunk.is_empty() {
                        (true, 0)
                    } else {
                        match chunk.iter().position(|b| *b == b'\n') {
                            Some(i) => (true, i + 1),
                            None => (false, chunk.len()),
                        }
                    }
                };
                self.source.consume(used);
                if found {
                    break;
                }
            }
            self.buf.clear();
            return Err(TelemetryError::record(
                &self.location(),
                format!("line longer than {} bytes", self.max_line_bytes),
            ));
        }
        Ok(true)
    }

    pub(crate) fn next_record(&mut self, skips: &mut SkipReport) -> Option<Result<Record>> {
        let _ = skips;
        if self.done {
            return None;
        }
        loop {
            match self.read_line() {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    if matches!(e, TelemetryError::Io { .. }) {
                        self.done = true;
                    }
                    return Some(Err(e));
                }
                Ok(true) => {}
            }
            let mut bytes: &[u8] = &self.buf;
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            let bytes = bytes.trim_ascii();
            if bytes.is_empty() {
                continue;
            }
            if let Some(number) = dump_header(bytes) {
                self.dump_record = Some(number);
                continue;
            }
            let location = match self.dump_record.take() {
                Some(number) => Location {
                    file: self.file.clone(),
                    position: Position::Record(number),
                },
                None => self.location(),
            };
            // A JSON line ends with `}`; a `{` line that does not opens a pretty-printed
            // document; anything else is a line of its own (and an error).
            if !bytes.starts_with(b"{") || bytes.ends_with(b"}") {
                return Some(parse_line(bytes, location));
            }
            let first = bytes.to_vec();
            return Some(
                self.read_document(first)
                    .and_then(|doc| parse_line(&doc, location)),
            );
        }
    }

    /// Reads the rest of a pretty-printed JSON document that starts with `first`: lines
    /// up to the one that closes its outermost brace (or the end of the file).
    fn read_document(&mut self, first: Vec<u8>) -> Result<Vec<u8>> {
        let mut depth = Depth::default();
        depth.scan(&first);
        let mut doc = first;
        while depth.open() {
            if !self.read_line()? {
                break;
            }
            if doc.len() + self.buf.len() > self.max_line_bytes {
                self.done = true;
                return Err(TelemetryError::record(
                    &self.location(),
                    format!("JSON document longer than {} bytes", self.max_line_bytes),
                ));
            }
            depth.scan(&self.buf);
            doc.extend_from_slice(&self.buf);
        }
        Ok(doc)
    }
}

/// Brace depth of JSON text read so far, outside strings.
#[derive(Default)]
struct Depth {
    depth: i64,
    in_string: bool,
    escaped: bool,
}

impl Depth {
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth -= 1,
                _ => {}
            }
        }
    }

    /// Whether the document is still open.
    fn open(&self) -> bool {
        self.depth > 0
    }
}

/// How deep a JSON record may nest: serde_json's own limit, named in the error.
pub const MAX_JSON_DEPTH: usize = 128;

/// Parses one JSON line into a [`Record`].
pub(crate) fn parse_line(bytes: &[u8], location: Location) -> Result<Record> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        TelemetryError::record(
            &location,
            format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        // serde_json stops at 128 levels: say which bound it was, not only where.
        let why = if e.to_string().starts_with("recursion limit exceeded") {
            format!(
                "nested deeper than {MAX_JSON_DEPTH} levels (the most a record may nest), at column {}",
                e.column()
            )
        } else {
            format!("not JSON: {e}")
        };
        TelemetryError::record(&location, why)
    })?;
    let Value::Object(doc) = value else {
        return Err(TelemetryError::record(&location, "not a JSON object"));
    };
    let evtx_dump = doc.get("Event").is_some_and(Value::is_object);
    let raw = if doc.contains_key("winlog") || doc.contains_key("winlog.channel") {
        flatten_ecs(&doc)
    } else if evtx_dump {
        // `evtx_dump` output: the record as the `evtx` crate renders it, and the same event
        // as the `.evtx` record it came from.
        crate::evtx::flatten_evtx(Value::Object(doc))
    } else {
        flatten_flat(doc)
    };
    let mut event = normalise::normalise(&raw, &location)?;
    event.fingerprint = evtx_dump
        .then(|| crate::evtx::identity_fingerprint(&raw, &event.ts))
        .flatten()
        .unwrap_or_else(|| normalise::fingerprint(bytes));
    Ok(Record {
        raw: Value::Object(raw),
        event,
        location,
    })
}

/// Looks up `a.b.c` as nested objects, or as a literal dotted key at the top.
fn path<'a>(doc: &'a Map<String, Value>, dotted: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(dotted) {
        return Some(v);
    }
    let mut parts = dotted.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for p in parts {
        cur = cur.get(p)?;
    }
    Some(cur)
}

fn path_str(doc: &Map<String, Value>, dotted: &str) -> Option<Value> {
    path(doc, dotted)
        .filter(|v| v.is_string() || v.is_number())
        .cloned()
}

/// ECS: `winlog.event_data.*` become top-level fields; `winlog.channel`, `winlog.event_id`,
/// `winlog.provider_name`, `host.name`, `@timestamp` fill the canonical keys.
fn flatten_ecs(doc: &Map<String, Value>) -> Map<String, Value> {
    let mut raw = Map::new();
    for section in ["winlog.event_data", "winlog.user_data"] {
        if let Some(Value::Object(data)) = path(doc, section) {
            for (k, v) in data {
                if k.contains(' ') {
                    raw.insert(k.replace(' ', ""), v.clone());
                }
                raw.insert(k.clone(), v.clone());
            }
        }
    }
    // Dotted-key documents: `winlog.event_data.Image` at the top level.
    for (k, v) in doc {
        if let Some(field) = k.strip_prefix("winlog.event_data.") {
            raw.insert(field.to_string(), v.clone());
        }
    }
    // ECS process fields when the event has no event_data of its own.
    for (ecs, sigma) in [
        ("process.executable", "Image"),
        ("process.command_line", "CommandLine"),
        ("process.pid", "ProcessId"),
        ("process.parent.executable", "ParentImage"),
        ("process.parent.pid", "ParentProcessId"),
        ("file.path", "TargetFilename"),
        ("dns.question.name", "QueryName"),
        ("destination.ip", "DestinationIp"),
        ("destination.port", "DestinationPort"),
        ("registry.path", "TargetObject"),
        ("url.full", "url"),
    ] {
        if !raw.contains_key(sigma) {
            if let Some(v) = path_str(doc, ecs) {
                raw.insert(sigma.into(), v);
            }
        }
    }
    // ECS keeps each hash apart (`process.hash.md5`…); Sysmon writes them in one field.
    if !raw.contains_key("Hashes") {
        const ECS_HASHES: [(&str, &str, &str); 3] = [
            ("process.hash.sha1", "file.hash.sha1", "SHA1"),
            ("process.hash.md5", "file.hash.md5", "MD5"),
            ("process.hash.sha256", "file.hash.sha256", "SHA256"),
        ];
        let hashes: Vec<String> = ECS_HASHES
            .into_iter()
            .filter_map(|(process, file, name)| {
                match path(doc, process).or_else(|| path(doc, file)) {
                    Some(Value::String(h)) => Some(format!("{name}={h}")),
                    _ => None,
                }
            })
            .collect();
        if !hashes.is_empty() {
            raw.insert("Hashes".into(), Value::String(hashes.join(",")));
        }
    }
    let canon = [
        (keys::EVENT_ID, &["winlog.event_id", "event.code"][..]),
        (keys::CHANNEL, &["winlog.channel"][..]),
        (
            keys::PROVIDER,
            &["winlog.provider_name", "event.provider"][..],
        ),
        (
            keys::COMPUTER,
            &["winlog.computer_name", "host.hostname", "host.name"][..],
        ),
        (keys::TIME, &["@timestamp", "event.created"][..]),
    ];
    for (key, sources) in canon {
        if let Some(v) = sources.iter().find_map(|s| path_str(doc, s)) {
            raw.insert(key.into(), v);
        }
    }
    if let Some(v) = raw.get(keys::EVENT_ID) {
        if let Some(n) = normalise::parse_int(v) {
            raw.insert(keys::EVENT_ID.into(), Value::from(n));
        }
    }
    raw
}

/// Flattened Winlogbeat/NXLog lines already use Sigma's names (`Channel`, `EventID`,
/// `Image`…); only the provider, host and time need their canonical keys.
fn flatten_flat(mut raw: Map<String, Value>) -> Map<String, Value> {
    let canon = [
        (
            keys::PROVIDER,
            &["SourceName", "ProviderName", "Provider"][..],
        ),
        (keys::COMPUTER, &["Hostname", "host", "computer_name"][..]),
        (
            keys::TIME,
            &["@timestamp", "TimeCreated", "UtcTime", "EventTime"][..],
        ),
    ];
    for (key, sources) in canon {
        if raw.get(key).is_some_and(|v| v.is_string()) {
            continue;
        }
        let found = sources.iter().find_map(|s| {
            raw.get(*s)
                .filter(|v| v.is_string())
                .cloned()
                .or_else(|| path_str(&raw, &format!("{s}.name")))
        });
        if let Some(v) = found {
            raw.insert(key.into(), v);
        }
    }
    if let Some(v) = raw.get(keys::EVENT_ID) {
        if let Some(n) = normalise::parse_int(v) {
            raw.insert(keys::EVENT_ID.into(), Value::from(n));
        }
    }
    raw
}
