//! EVTX reader: streams records chunk by chunk and flattens each into Sigma's field names.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;

use evtx::{EvtxChunkData, EvtxParser, IntoIterChunks, ParserSettings};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Location, Position, Result, TelemetryError};
use crate::normalise::{self, keys};
use crate::read::Record;

/// The EVTX file magic, `ElfFile\0`.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";
/// The EVTX file header's size: the chunks start after it.
const HEADER: u64 = 4096;
/// The size of an EVTX chunk.
const CHUNK: u64 = 65_536;

/// How many whole 64 KiB chunks an EVTX file of `len` bytes holds (a truncated last one
/// not counted): the chunks [`crate::Reader::open_chunks`] can be given.
pub fn evtx_chunks(len: u64) -> u64 {
    len.saturating_sub(HEADER) / CHUNK
}

/// Where an [`EvtxStream`] takes its chunks from.
enum Chunks<R: Read + Seek> {
    /// Every chunk, in the order Windows reads them (the oldest first, for a log that
    /// wrapped around), numbered in that order.
    All {
        chunks: IntoIterChunks<R>,
        read: u64,
    },
    /// The chunks numbered `next..end`, in file order: one part of a file that several
    /// workers read at once.
    Range { source: R, next: u64, end: u64 },
}

impl<R: Read + Seek> Chunks<R> {
    /// The next chunk that is not blank, with its number; `Err` says why it is unreadable.
    fn next(&mut self) -> Option<(u64, std::result::Result<EvtxChunkData, String>)> {
        match self {
            Chunks::All { chunks, read } => {
                let chunk = chunks.next()?;
                *read += 1;
                Some((*read - 1, chunk.map_err(|e| e.to_string())))
            }
            Chunks::Range { source, next, end } => loop {
                if *next >= *end {
                    return None;
                }
                let number = *next;
                *next += 1;
                let mut data = vec![0; CHUNK as usize];
                let read = source
                    .seek(SeekFrom::Start(HEADER + number * CHUNK))
                    .and_then(|_| source.read_exact(&mut data));
                if let Err(e) = read {
                    return Some((number, Err(e.to_string())));
                }
                // A dirty log can hold blank chunks between used ones.
                if data.iter().all(|b| *b == 0) {
                    continue;
                }
                let chunk = EvtxChunkData::new(data, false).map_err(|e| e.to_string());
                return Some((number, chunk));
            },
        }
    }
}

/// A streaming EVTX reader over any seekable source. Records are parsed one chunk
/// (64 KiB, at most a few hundred records) at a time.
pub(crate) struct EvtxStream<R: Read + Seek> {
    file: String,
    chunks: Chunks<R>,
    settings: Arc<ParserSettings>,
    pending: VecDeque<Result<Record>>,
    /// Reported after the last chunk: the file ends inside a chunk (a truncated copy).
    truncated: Option<TelemetryError>,
}

impl<R: Read + Seek> EvtxStream<R> {
    /// Reads the whole file, or only the chunks numbered `range`.
    pub(crate) fn new(file: &str, mut source: R, range: Option<Range<u64>>) -> Result<Self> {
        let len = source
            .seek(std::io::SeekFrom::End(0))
            .and_then(|len| source.rewind().map(|()| len))
            .map_err(|e| TelemetryError::io(file, e))?;
        let partial = len.saturating_sub(HEADER) % CHUNK;
        // A part of the file reports its truncation only if it is the last part.
        let last_part = range.as_ref().is_none_or(|r| r.end >= evtx_chunks(len));
        let truncated = (partial != 0 && last_part).then(|| {
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
        let unreadable = |e: evtx::err::EvtxError| TelemetryError::Format {
            file: file.to_string(),
            reason: format!("not a readable EVTX file: {e}"),
        };
        let chunks = match range {
            None => {
                let parser = EvtxParser::from_read_seek(source)
                    .map_err(unreadable)?
                    .with_configuration(settings.clone());
                Chunks::All {
                    chunks: parser.into_chunks(),
                    read: 0,
                }
            }
            Some(range) => {
                // The file header is checked the same way; then the chunks are read where
                // they are.
                EvtxParser::from_read_seek(&mut source).map_err(unreadable)?;
                Chunks::Range {
                    source,
                    next: range.start,
                    end: range.end.min(evtx_chunks(len)),
                }
            }
        };
        Ok(EvtxStream {
            file: file.to_string(),
            chunks,
            settings: Arc::new(settings),
            pending: VecDeque::new(),
            truncated,
        })
    }

    fn load_next_chunk(&mut self) -> bool {
        let Some((number, chunk)) = self.chunks.next() else {
            return false;
        };
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
            let item = match record.and_then(|r| r.into_json_bytes()) {
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

/// Builds a [`Record`] out of one record rendered by `evtx` as JSON, flattening it while
/// it is parsed (no JSON tree is built and then taken apart).
fn record_from_json(json: &[u8], location: Location, ts: jiff::Timestamp) -> Result<Record> {
    let mut raw = flatten_streamed(json)
        .map_err(|e| TelemetryError::record(&location, format!("rendered JSON unreadable: {e}")))?;
    if !raw.contains_key(keys::TIME) {
        raw.insert(keys::TIME.into(), Value::String(normalise::format_ts(ts)));
    }
    let mut event = normalise::normalise(&raw, &location)?;
    event.fingerprint =
        identity_fingerprint(&raw, &event.ts).unwrap_or_else(|| normalise::fingerprint(json));
    Ok(Record {
        raw: Value::Object(raw),
        event,
        location,
    })
}

/// The fingerprint of an event log record by its identity (computer, channel, record id,
/// time to the millisecond, event id), so that the same record read from the `.evtx` file
/// and from an `evtx_dump` export of it (which may print fewer digits of the time) is one
/// event. `ts` is the record's normalised time. `None` without a record id.
pub(crate) fn identity_fingerprint(raw: &Map<String, Value>, ts: &str) -> Option<String> {
    let record_id = raw.get("EventRecordID")?;
    let mut identity = Vec::with_capacity(128);
    identity.extend_from_slice(b"evtx\0");
    let json = |identity: &mut Vec<u8>, v: Option<&Value>| {
        if let Some(v) = v {
            // Writing a `Value` into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *identity, v);
        }
    };
    json(&mut identity, raw.get(keys::COMPUTER));
    identity.push(0);
    json(&mut identity, raw.get(keys::CHANNEL));
    identity.push(0);
    json(&mut identity, Some(record_id));
    identity.push(0);
    identity.extend_from_slice(ts.as_bytes());
    identity.push(0);
    json(&mut identity, raw.get(keys::EVENT_ID));
    Some(normalise::fingerprint(&identity))
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

/// The flat map Sigma rules address, built from the parts of an `evtx`-rendered
/// `{"Event": {"System": …, "EventData": …}}`: `EventID`, `Channel`, `Provider_Name`,
/// `Computer`, the EventData fields by name, and UserData fields one level down.
struct Flat(Map<String, Value>);

impl Default for Flat {
    fn default() -> Self {
        // Sysmon and Security records carry 20 to 30 fields.
        Flat(Map::with_capacity(32))
    }
}

/// The `<System>` fields kept whole (see [`attributes_kept`] for the provider, time and
/// user).
fn kept_system_field(key: &str) -> bool {
    matches!(
        key,
        "EventID"
            | "Channel"
            | "Computer"
            | "Level"
            | "Task"
            | "Opcode"
            | "Keywords"
            | "Version"
            | "EventRecordID"
    )
}

impl Flat {
    /// One field of `<System>`.
    fn system(&mut self, key: &str, mut value: Value) {
        match attributes_kept(key) {
            Some(names) => {
                for (name, field) in names.iter().filter(|(name, _)| !name.is_empty()) {
                    if let Some(v) = attribute(&mut value, name) {
                        self.0.insert((*field).into(), v);
                    }
                }
            }
            None if kept_system_field(key) => {
                self.0.insert(key.into(), unwrap_text(value));
            }
            None => {}
        }
    }

    /// One field of `<EventData>`, or of the element inside `<UserData>`.
    fn data(&mut self, key: String, value: Value) {
        if key == "#attributes"
            || matches!(
                key.as_str(),
                keys::EVENT_ID | keys::CHANNEL | keys::PROVIDER
            )
        {
            return;
        }
        let value = unwrap_text(value);
        // Sigma writes `Source Name` (Defender, some classic providers) as `SourceName`.
        if key.contains(' ') {
            self.0
                .entry(key.replace(' ', ""))
                .or_insert_with(|| value.clone());
        }
        self.0.insert(key, value);
    }

    /// One child of `<UserData>`: its fields are taken one level down.
    fn user_data(&mut self, key: String, value: Value) {
        match value {
            Value::Object(fields) => fields.into_iter().for_each(|(k, v)| self.data(k, v)),
            other => self.data(key, other),
        }
    }
}

/// Flattens an `evtx`-rendered record already parsed as JSON (an `evtx_dump` export).
pub(crate) fn flatten_evtx(value: Value) -> Map<String, Value> {
    let mut flat = Flat::default();
    let event = match value {
        Value::Object(mut m) => match m.remove("Event") {
            Some(Value::Object(e)) => e,
            _ => m,
        },
        _ => return flat.0,
    };
    for (key, value) in event {
        match (key.as_str(), value) {
            ("System", Value::Object(system)) => {
                system.into_iter().for_each(|(k, v)| flat.system(&k, v));
            }
            ("EventData", Value::Object(data)) => {
                data.into_iter().for_each(|(k, v)| flat.data(k, v));
            }
            ("UserData", Value::Object(user)) => {
                user.into_iter().for_each(|(k, v)| flat.user_data(k, v));
            }
            _ => {}
        }
    }
    flat.0
}

/// Flattens an `evtx`-rendered record as its JSON text is parsed: what [`flatten_evtx`]
/// gives, without the JSON tree.
fn flatten_streamed(json: &[u8]) -> serde_json::Result<Map<String, Value>> {
    let mut flat = Flat::default();
    let mut parser = serde_json::Deserializer::from_slice(json);
    Streamed {
        flat: &mut flat,
        part: Part::Record,
    }
    .deserialize(&mut parser)?;
    parser.end()?;
    Ok(flat.0)
}

/// The visitor methods of a streamed part that passes over anything but an object (what
/// [`flatten_evtx`] does with a part of the wrong shape).
macro_rules! pass_over_all_but_maps {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(())
        }

        fn visit_unit<E>(self) -> std::result::Result<(), E> {
            Ok(())
        }

        fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
            Ok(())
        }

        fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
            Ok(())
        }

        fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
            Ok(())
        }

        fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
            Ok(())
        }

        fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
            Ok(())
        }
    };
}

/// The `<System>` children of which only attributes are kept: (attribute, the flat field
/// it becomes), in the order they are kept; an empty name fills the pair.
fn attributes_kept(key: &str) -> Option<&'static [(&'static str, &'static str); 2]> {
    const PROVIDER: [(&str, &str); 2] = [("Name", keys::PROVIDER), ("Guid", "Provider_Guid")];
    const TIME: [(&str, &str); 2] = [("SystemTime", keys::TIME), ("", "")];
    const SECURITY: [(&str, &str); 2] = [("UserID", "UserID"), ("", "")];
    match key {
        "Provider" => Some(&PROVIDER),
        "TimeCreated" => Some(&TIME),
        "Security" => Some(&SECURITY),
        _ => None,
    }
}

/// Streams `{"#attributes": {…}, …}` and takes the attributes named in `names` (up to two),
/// passing over everything else: what `attribute()` takes out of the parsed object.
struct Attributes<'a> {
    names: &'static [(&'static str, &'static str); 2],
    found: &'a mut [Option<Value>; 2],
    /// Inside `#attributes`.
    within: bool,
}

impl<'de> DeserializeSeed<'de> for Attributes<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Attributes<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an element with attributes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let Attributes {
            names,
            found,
            within,
        } = self;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !within && key == "#attributes" {
                map.next_value_seed(Attributes {
                    names,
                    found: &mut *found,
                    within: true,
                })?;
                continue;
            }
            match names
                .iter()
                .position(|(name, _)| within && !name.is_empty() && key == *name)
            {
                Some(i) => found[i] = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    pass_over_all_but_maps!();
}

/// Which part of a record a streamed JSON object is.
#[derive(Clone, Copy)]
enum Part {
    /// The document, or its `Event`: holds the parts below.
    Record,
    System,
    EventData,
    UserData,
}

/// Streams the JSON of a rendered record into a [`Flat`] map, part by part. Anything
/// that is not an object where an object is expected is passed over, as in
/// [`flatten_evtx`].
struct Streamed<'a> {
    flat: &'a mut Flat,
    part: Part,
}

impl<'de> DeserializeSeed<'de> for Streamed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Streamed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an event log record rendered as JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let Streamed { flat, part } = self;
        while let Some(key) = map.next_key::<String>()? {
            match part {
                Part::Record => {
                    let inner = match key.as_str() {
                        "Event" => Part::Record,
                        "System" => Part::System,
                        "EventData" => Part::EventData,
                        "UserData" => Part::UserData,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    map.next_value_seed(Streamed {
                        flat: &mut *flat,
                        part: inner,
                    })?;
                }
                Part::System => match attributes_kept(&key) {
                    // Only attributes are kept of these: no objects built around them.
                    Some(names) => {
                        let mut found = [None, None];
                        map.next_value_seed(Attributes {
                            names,
                            found: &mut found,
                            within: false,
                        })?;
                        for ((_, field), value) in names.iter().zip(found) {
                            if let Some(value) = value {
                                flat.0.insert((*field).into(), value);
                            }
                        }
                    }
                    None if kept_system_field(&key) => flat.system(&key, map.next_value()?),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
                Part::EventData => flat.data(key, map.next_value()?),
                Part::UserData => flat.user_data(key, map.next_value()?),
            }
        }
        Ok(())
    }

    pass_over_all_but_maps!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of every `.evtx` under `../shared/fixtures`, rendered as JSON.
    fn fixture_records() -> Option<Vec<Vec<u8>>> {
        let root = std::env::var_os("VIGIL_SHARED_FIXTURES")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
            });
        if !root.is_dir() {
            return None;
        }
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "evtx") {
                    files.push(path);
                }
            }
        }
        let mut out = Vec::new();
        for file in files {
            let Ok(mut parser) = EvtxParser::from_path(&file) else {
                continue;
            };
            let settings = ParserSettings::new().num_threads(1);
            parser = parser.with_configuration(settings);
            out.extend(parser.records_json().flatten().map(|r| r.data.into_bytes()));
        }
        Some(out)
    }

    #[test]
    fn streaming_flattens_every_fixture_record_as_the_json_tree_does() {
        let Some(records) = fixture_records() else {
            println!("SKIPPED: ../shared/fixtures is absent");
            return;
        };
        assert!(records.len() > 2000, "{} records", records.len());
        for json in &records {
            let tree = flatten_evtx(serde_json::from_slice(json).expect("evtx renders JSON"));
            let streamed = flatten_streamed(json).expect("streams");
            assert_eq!(streamed, tree, "{}", String::from_utf8_lossy(json));
            // Same key order too: keyword rules see the values in this order.
            assert!(streamed.keys().eq(tree.keys()));
        }
    }

    #[test]
    fn identity_fingerprints_are_the_ones_stores_already_hold() {
        // The identity as it was first written, with `format!`.
        let raw: Map<String, Value> = serde_json::from_str(
            r#"{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": "LAPTOP-ANNA.corp.example", "EventRecordID": 4711}"#,
        )
        .expect("a JSON object");
        let ts = "2026-11-20T09:15:02.417Z";
        let field = |k: &str| raw.get(k).map(Value::to_string).unwrap_or_default();
        let written = format!(
            "evtx\0{}\0{}\0{}\0{ts}\0{}",
            field(keys::COMPUTER),
            field(keys::CHANNEL),
            raw["EventRecordID"],
            field(keys::EVENT_ID)
        );
        assert_eq!(
            identity_fingerprint(&raw, ts),
            Some(normalise::fingerprint(written.as_bytes()))
        );
    }

    #[test]
    fn odd_shapes_are_passed_over_not_refused() {
        for json in [
            r#"{"Event": {"System": null, "EventData": "text", "UserData": [1, {"a": 2}]}}"#,
            r#"{"Event": 3, "System": {"EventID": 4}}"#,
            r#"[]"#,
        ] {
            let streamed =
                flatten_streamed(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"));
            let tree = flatten_evtx(serde_json::from_str(json).expect("JSON"));
            assert_eq!(streamed, tree, "{json}");
        }
    }
}
