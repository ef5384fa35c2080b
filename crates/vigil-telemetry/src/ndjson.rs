//! JSON-lines reader: ECS documents (winlogbeat / Elastic Agent) and the flattened
//! Winlogbeat/NXLog lines of public datasets, both mapped to Sigma's field names.

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
            return Some(parse_line(bytes, self.location()));
        }
    }
}

/// Parses one JSON line into a [`Record`].
pub(crate) fn parse_line(bytes: &[u8], location: Location) -> Result<Record> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        TelemetryError::record(
            &location,
            format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| TelemetryError::record(&location, format!("not JSON: {e}")))?;
    let Value::Object(doc) = value else {
        return Err(TelemetryError::record(&location, "not a JSON object"));
    };
    let raw = if doc.contains_key("winlog") || doc.contains_key("winlog.channel") {
        flatten_ecs(&doc)
    } else {
        flatten_flat(doc)
    };
    let event = normalise::normalise(&raw, &location, normalise::fingerprint(bytes))?;
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
    if !raw.contains_key("Hashes") {
        if let Some(Value::String(h)) =
            path(doc, "process.hash.sha256").or_else(|| path(doc, "file.hash.sha256"))
        {
            raw.insert("Hashes".into(), Value::String(format!("SHA256={h}")));
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
