//! Zip archives of telemetry (the Security-Datasets form): each member is streamed
//! straight from the archive, JSON lines without unpacking to disk or memory.

use std::collections::VecDeque;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};

use zip::CompressionMethod;

use crate::error::{Location, Position, Result, TelemetryError};
use crate::evtx::EvtxStream;
use crate::ndjson::NdjsonStream;
use crate::read::{
    detect_format_bytes, read_head, Format, ReadOptions, Record, SkipReport, Source,
};

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
    source: Source,
    members: VecDeque<Member>,
    current: Option<MemberStream>,
    max_line_bytes: usize,
    max_evtx_bytes: u64,
    max_ratio: u64,
}

impl ZipStream {
    pub(crate) fn new(name: &str, source: Source, options: &ReadOptions) -> Result<Self> {
        let bad = |reason: String| TelemetryError::Format {
            file: name.to_string(),
            reason,
        };
        let file = source.open(name)?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| bad(format!("not a readable zip: {e}")))?;
        if archive.len() > options.max_zip_members {
            return Err(bad(format!(
                "holds {} members, more than the {} a zip may hold",
                archive.len(),
                options.max_zip_members
            )));
        }
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
            source,
            members,
            current: None,
            max_line_bytes: options.max_line_bytes,
            max_evtx_bytes: options.max_zip_evtx_bytes,
            max_ratio: options.max_zip_ratio,
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
        // What a member may inflate to: its compressed size times the ratio (a member's
        // declared size can lie, so the bound holds on the bytes actually inflated).
        let limit = member
            .compressed_size
            .max(64 * 1024)
            .saturating_mul(self.max_ratio);
        let too_big = || {
            format!(
                "inflates past {limit} bytes, more than {} times its {} compressed bytes (a zip bomb?)",
                self.max_ratio, member.compressed_size
            )
        };
        if member.size > limit {
            return Err(at(too_big()));
        }
        let mut file = self.source.open(&self.name)?;
        file.seek(SeekFrom::Start(member.data_start))
            .map_err(|e| TelemetryError::io(&self.name, e))?;
        let compressed = BufReader::new(file).take(member.compressed_size);
        let mut data: Box<dyn Read> = if member.deflated {
            Box::new(Bounded {
                inner: flate2::read::DeflateDecoder::new(compressed),
                left: limit,
                why: too_big(),
            })
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

/// A reader that fails, saying why, once it has given more than `left` bytes.
struct Bounded<R> {
    inner: R,
    left: u64,
    why: String,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(self.why.clone()));
        }
        self.left -= n as u64;
        Ok(n)
    }
}
