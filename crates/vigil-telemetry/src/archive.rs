//! Zip archives of telemetry (the Security-Datasets form): each member is streamed
//! straight from the archive, JSON lines without unpacking to disk or memory.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use zip::CompressionMethod;

use crate::error::{Location, Position, Result, TelemetryError};
use crate::evtx::EvtxStream;
use crate::ndjson::NdjsonStream;
use crate::read::{detect_format_bytes, read_head, Format, ReadOptions, Record, SkipReport};

struct Member {
    name: String,
    data_start: u64,
    compressed_size: u64,
    size: u64,
    deflated: bool,
}

enum MemberStream {
    Evtx(Box<EvtxStream<Cursor<Vec<u8>>>>),
    Ndjson(NdjsonStream<BufReader<Box<dyn Read>>>),
}

/// Streams the records of every EVTX or JSON-lines member of a zip, in archive order.
pub(crate) struct ZipStream {
    name: String,
    path: PathBuf,
    members: VecDeque<Member>,
    current: Option<MemberStream>,
    max_line_bytes: usize,
    max_evtx_bytes: u64,
}

impl ZipStream {
    pub(crate) fn new(name: &str, path: &Path, options: &ReadOptions) -> Result<Self> {
        let bad = |reason: String| TelemetryError::Format {
            file: name.to_string(),
            reason,
        };
        let file = File::open(path).map_err(|e| TelemetryError::io(name, e))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| bad(format!("not a readable zip: {e}")))?;
        let mut members = VecDeque::new();
        for i in 0..archive.len() {
            let entry = archive
                .by_index_raw(i)
                .map_err(|e| bad(format!("zip member {i}: {e}")))?;
            if entry.is_dir() {
                continue;
            }
            members.push_back(Member {
                name: entry.name().to_string(),
                data_start: entry.data_start(),
                compressed_size: entry.compressed_size(),
                size: entry.size(),
                deflated: match entry.compression() {
                    CompressionMethod::Stored if !entry.encrypted() => false,
                    CompressionMethod::Deflated if !entry.encrypted() => true,
                    _ => {
                        // Marked by an impossible offset; reported when reached.
                        members.push_back(Member {
                            name: entry.name().to_string(),
                            data_start: u64::MAX,
                            compressed_size: 0,
                            size: 0,
                            deflated: false,
                        });
                        continue;
                    }
                },
            });
        }
        Ok(ZipStream {
            name: name.to_string(),
            path: path.to_path_buf(),
            members,
            current: None,
            max_line_bytes: options.max_line_bytes,
            max_evtx_bytes: options.max_zip_evtx_bytes,
        })
    }

    fn open_member(&self, member: &Member, label: &str) -> Result<Option<MemberStream>> {
        let at = |reason: String| {
            TelemetryError::record(
                &Location {
                    file: label.to_string(),
                    position: Position::File,
                },
                reason,
            )
        };
        let mut file = File::open(&self.path).map_err(|e| TelemetryError::io(&self.name, e))?;
        file.seek(SeekFrom::Start(member.data_start))
            .map_err(|e| TelemetryError::io(&self.name, e))?;
        let compressed = BufReader::new(file).take(member.compressed_size);
        let mut data: Box<dyn Read> = if member.deflated {
            Box::new(flate2::read::DeflateDecoder::new(compressed))
        } else {
            Box::new(compressed)
        };
        let head = read_head(&mut data, 512).map_err(|e| at(format!("unreadable: {e}")))?;
        let rest: Box<dyn Read> = Box::new(Cursor::new(head.clone()).chain(data));
        match detect_format_bytes(&head) {
            Some(Format::Ndjson) => Ok(Some(MemberStream::Ndjson(NdjsonStream::new(
                label,
                BufReader::with_capacity(256 * 1024, rest),
                self.max_line_bytes,
            )))),
            Some(Format::Evtx) => {
                if member.size > self.max_evtx_bytes {
                    return Err(at(format!(
                        "EVTX member of {} bytes is larger than the {} byte limit",
                        member.size, self.max_evtx_bytes
                    )));
                }
                let mut bytes = Vec::new();
                rest.take(self.max_evtx_bytes)
                    .read_to_end(&mut bytes)
                    .map_err(|e| at(format!("unreadable: {e}")))?;
                let stream = EvtxStream::new(label, Cursor::new(bytes), None)
                    .map_err(|e| at(format!("not a readable EVTX file: {e}")))?;
                Ok(Some(MemberStream::Evtx(Box::new(stream))))
            }
            _ => Ok(None),
        }
    }

    pub(crate) fn next_record(&mut self, skips: &mut SkipReport) -> Option<Result<Record>> {
        loop {
            let item = match &mut self.current {
                Some(MemberStream::Evtx(s)) => s.next(),
                Some(MemberStream::Ndjson(s)) => s.next_record(skips),
                None => None,
            };
            if item.is_some() {
                return item;
            }
            let member = self.members.pop_front()?;
            let label = format!("{}!{}", self.name, member.name);
            let here = Location {
                file: label.clone(),
                position: Position::File,
            };
            if member.data_start == u64::MAX {
                skips.push(
                    here,
                    "compression method or encryption not supported".into(),
                );
                self.current = None;
                continue;
            }
            match self.open_member(&member, &label) {
                Ok(Some(stream)) => self.current = Some(stream),
                Ok(None) => {
                    skips.push(here, "neither EVTX nor JSON lines".into());
                    self.current = None;
                }
                Err(e) => {
                    self.current = None;
                    return Some(Err(e));
                }
            }
        }
    }
}
