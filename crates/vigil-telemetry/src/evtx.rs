//! EVTX reader: streams records chunk by chunk and flattens each into Sigma's field names.

use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::sync::Arc;

use evtx::{EvtxParser, IntoIterChunks, ParserSettings};
use serde_json::{Map, Value};

use crate::error::{Location, Position, Result, TelemetryError};
use crate::normalise::{self, keys};
use crate::read::Record;

/// The EVTX file magic, `ElfFile\0`.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// A streaming EVTX reader over any seekable source. Records are parsed one chunk
/// (64 KiB, at most a few hundred records) at a time.
pub(crate) struct EvtxStream<R: Read + Seek> {
    file: String,
    chunks: IntoIterChunks<R>,
    settings: Arc<ParserSettings>,
    pending: VecDeque<Result<Record>>,
    chunk_index: u64,
    /// Reported after the last chunk: the file ends inside a chunk (a truncated copy).
    truncated: Option<TelemetryError>,
}

impl<R: Read + Seek> EvtxStream<R> {
    pub(crate) fn new(file: &str, mut source: R) -> Result<Self> {
        const HEADER: u64 = 4096;
        const CHUNK: u64 = 65_536;
        let len = source
            .seek(std::io::SeekFrom::End(0))
            .and_then(|len| source.rewind().map(|()| len))
            .map_err(|e| TelemetryError::io(file, e))?;
        let partial = len.saturating_sub(HEADER) % CHUNK;
        let truncated = (partial != 0).then(|| {
            TelemetryError::record(
                &Location {
                    file: file.to_string(),
                    position: Position::Chunk(len.saturating_sub(HEADER) / CHUNK),
                },
                format!("file is truncated: last chunk has {partial} of {CHUNK} bytes; its records are lost"),
            )
        });
        let settings = ParserSettings::new()
            .num_threads(1)
            .indent(false)
            .separate_json_attributes(false);
        let parser = EvtxParser::from_read_seek(source)
            .map_err(|e| TelemetryError::Format {
                file: file.to_string(),
                reason: format!("not a readable EVTX file: {e}"),
            })?
            .with_configuration(settings.clone());
        Ok(EvtxStream {
            file: file.to_string(),
            chunks: parser.into_chunks(),
            settings: Arc::new(settings),
            pending: VecDeque::new(),
            chunk_index: 0,
            truncated,
        })
    }

    fn load_next_chunk(&mut self) -> bool {
        let Some(chunk) = self.chunks.next() else {
            return false;
        };
        let number = self.chunk_index;
        self.chunk_index += 1;
        let chunk_location = Location {
            file: self.file.clone(),
            position: Position::Chunk(number),
        };
        let mut data = match chunk {
            Ok(data) => data,
            Err(e) => {
                self.pending.push_back(Err(TelemetryError::record(
                    &chunk_location,
                    format!("corrupt chunk: {e}"),
                )));
                return true;
            }
        };
        let mut parsed = match data.parse(Arc::clone(&self.settings)) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.pending.push_back(Err(TelemetryError::record(
                    &chunk_location,
                    format!("corrupt chunk: {e}"),
                )));
                return true;
            }
        };
        for record in parsed.iter() {
            let item = match record.and_then(|r| r.into_json()) {
                Ok(rendered) => {
                    let location = Location {
                        file: self.file.clone(),
                        position: Position::Record(rendered.event_record_id),
                    };
                    record_from_json(&rendered.data, location, rendered.timestamp)
                }
                Err(e) => Err(TelemetryError::record(
                    &chunk_location,
                    format!("corrupt record: {e}"),
                )),
            };
            self.pending.push_back(item);
        }
        true
    }
}

impl<R: Read + Seek> Iterator for EvtxStream<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if !self.load_next_chunk() {
                return self.truncated.take().map(Err);
            }
        }
    }
}

/// Builds a [`Record`] out of one record rendered by `evtx` as JSON.
fn record_from_json(json: &str, location: Location, ts: jiff::Timestamp) -> Result<Record> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| TelemetryError::record(&location, format!("rendered JSON unreadable: {e}")))?;
    let mut raw = flatten_evtx(value);
    if !raw.contains_key(keys::TIME) {
        raw.insert(keys::TIME.into(), Value::String(normalise::format_ts(ts)));
    }
    let fingerprint =
        identity_fingerprint(&raw).unwrap_or_else(|| normalise::fingerprint(json.as_bytes()));
    let event = normalise::normalise(&raw, &location, fingerprint)?;
    Ok(Record {
        raw: Value::Object(raw),
        event,
        location,
    })
}

/// The fingerprint of an event log record by its identity (computer, channel, record id,
/// time to the millisecond, event id), so that the same record read from the `.evtx` file
/// and from an `evtx_dump` export of it (which may print fewer digits of the time) is one
/// event. `None` without a record id.
pub(crate) fn identity_fingerprint(raw: &Map<String, Value>) -> Option<String> {
    let record_id = raw.get("EventRecordID")?;
    let field = |k: &str| raw.get(k).map(Value::to_string).unwrap_or_default();
    let time = normalise::text(raw, keys::TIME)
        .and_then(|t| normalise::normalise_ts(&t))
        .unwrap_or_default();
    let identity = format!(
        "evtx\0{}\0{}\0{record_id}\0{time}\0{}",
        field(keys::COMPUTER),
        field(keys::CHANNEL),
        field(keys::EVENT_ID)
    );
    Some(normalise::fingerprint(identity.as_bytes()))
}

/// `{"#text": x}` or `{"#attributes": …, "#text": x}` to `x`; other values unchanged.
fn unwrap_text(v: Value) -> Value {
    match v {
        Value::Object(mut m) => match m.remove("#text") {
            Some(t) => t,
            None => Value::Object(m),
        },
        other => other,
    }
}

fn attribute(v: &mut Value, name: &str) -> Option<Value> {
    v.get_mut("#attributes")?.as_object_mut()?.remove(name)
}

/// Flattens an `evtx`-rendered `{"Event": {"System": …, "EventData": …}}` into the flat map
/// Sigma rules address: `EventID`, `Channel`, `Provider_Name`, `Computer`, the EventData
/// fields by name, and UserData fields one level down.
pub(crate) fn flatten_evtx(value: Value) -> Map<String, Value> {
    let mut raw = Map::new();
    let mut event = match value {
        Value::Object(mut m) => match m.remove("Event") {
            Some(Value::Object(e)) => e,
            _ => m,
        },
        _ => return raw,
    };
    if let Some(mut system) = event.remove("System") {
        if let Some(id) = system.get_mut("EventID").map(Value::take) {
            raw.insert(keys::EVENT_ID.into(), unwrap_text(id));
        }
        for key in [
            "Channel",
            "Computer",
            "Level",
            "Task",
            "Opcode",
            "Keywords",
            "Version",
            "EventRecordID",
        ] {
            if let Some(v) = system.get_mut(key).map(Value::take) {
                raw.insert(key.into(), unwrap_text(v));
            }
        }
        if let Some(provider) = system.get_mut("Provider") {
            if let Some(name) = attribute(provider, "Name") {
                raw.insert(keys::PROVIDER.into(), name);
            }
            if let Some(guid) = attribute(provider, "Guid") {
                raw.insert("Provider_Guid".into(), guid);
            }
        }
        if let Some(t) = system
            .get_mut("TimeCreated")
            .and_then(|t| attribute(t, "SystemTime"))
        {
            raw.insert(keys::TIME.into(), t);
        }
        if let Some(sid) = system
            .get_mut("Security")
            .and_then(|s| attribute(s, "UserID"))
        {
            raw.insert("UserID".into(), sid);
        }
    }
    let mut put = |k: String, v: Value| {
        if k == "#attributes"
            || matches!(k.as_str(), keys::EVENT_ID | keys::CHANNEL | keys::PROVIDER)
        {
            return;
        }
        let v = unwrap_text(v);
        // Sigma writes `Source Name` (Defender, some classic providers) as `SourceName`.
        if k.contains(' ') {
            raw.entry(k.replace(' ', "")).or_insert_with(|| v.clone());
        }
        raw.insert(k, v);
    };
    if let Some(Value::Object(data)) = event.remove("EventData") {
        data.into_iter().for_each(|(k, v)| put(k, v));
    }
    if let Some(Value::Object(user)) = event.remove("UserData") {
        for (k, inner) in user {
            match inner {
                Value::Object(fields) => fields.into_iter().for_each(|(k, v)| put(k, v)),
                other => put(k, other),
            }
        }
    }
    raw
}
