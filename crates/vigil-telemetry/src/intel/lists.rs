//! IOC lists as text, in the shapes feeds and reports publish them:
//!
//! - `type,value[,description]`, with or without a header row (Vigil's own format);
//! - CSV whose header names its columns: a type and a value column (MISP and ThreatFox
//!   exports: `type,value`, `ioc_type,ioc_value`), or columns per kind (`sha256_hash`,
//!   `md5_hash`, `url`, `dst_ip`…: MalwareBazaar, URLhaus, Feodo Tracker), the header
//!   possibly in the last `#` comment line before the data;
//! - one indicator per line, optionally followed by `,description`, its kind told by its
//!   shape (hash length, IP address, URL, domain name).
//!
//! A value that is not what its column says is an error naming the line. A row of a type
//! Vigil does not match (an e-mail address, a mutex…) or a line of a plain list that is no
//! indicator is passed over, counted and reported; a list with nothing usable is an error.

use super::{normalise_value, refang, Indicator, IndicatorKind};
use crate::error::{Result, TelemetryError};

/// Skip reasons kept for the report (the count covers them all).
const SKIP_REASONS_KEPT: usize = 10;

/// What reading a list gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedList {
    pub indicators: Vec<Indicator>,
    /// Rows or values passed over.
    pub skipped: u32,
    /// Why, for the first few: `line 7: type 'email-src' is not one Vigil matches`.
    pub skip_reasons: Vec<String>,
}

impl ParsedList {
    fn skip(&mut self, line: usize, reason: String) {
        self.skip_item(&format!("line {line}"), reason);
    }

    /// Counts `item` (`line 7`, a STIX object's id) as passed over, and keeps why.
    pub(crate) fn skip_item(&mut self, item: &str, reason: String) {
        self.skipped += 1;
        if self.skip_reasons.len() < SKIP_REASONS_KEPT {
            self.skip_reasons.push(format!("{item}: {reason}"));
        }
    }
}

/// Where the columns are.
#[derive(Debug, Clone)]
enum Layout {
    /// A type column and a value column.
    Typed {
        kind: usize,
        value: usize,
        description: Option<usize>,
    },
    /// Columns that each hold one kind (a row may give several indicators).
    PerKind {
        columns: Vec<(usize, IndicatorKind)>,
        description: Option<usize>,
    },
    /// One value column whose kind each value's shape tells.
    Shaped {
        value: usize,
        description: Option<usize>,
    },
}

impl Layout {
    fn description(&self) -> Option<usize> {
        match self {
            Layout::Typed { description, .. }
            | Layout::PerKind { description, .. }
            | Layout::Shaped { description, .. } => *description,
        }
    }
}

/// Header names of a description column, the first present wins.
const DESCRIPTION_COLUMNS: &[&str] = &[
    "description",
    "comment",
    "malware_printable",
    "signature",
    "malware",
    "threat",
    "threat_type",
    "name",
];
/// Header names of a type column (beside a value column).
const TYPE_COLUMNS: &[&str] = &["type", "ioc_type", "indicator_type", "attribute_type"];
/// Header names of a value column.
const VALUE_COLUMNS: &[&str] = &[
    "value",
    "ioc_value",
    "ioc",
    "indicator",
    "observable",
    "attribute_value",
];
/// Header names of columns that hold one kind each.
const KIND_COLUMNS: &[(&[&str], IndicatorKind)] = &[
    (
        &["sha256", "sha256_hash", "sha_256", "hash_sha256"],
        IndicatorKind::Sha256,
    ),
    (
        &["sha1", "sha1_hash", "sha_1", "hash_sha1"],
        IndicatorKind::Sha1,
    ),
    (&["md5", "md5_hash", "hash_md5"], IndicatorKind::Md5),
    (&["url", "uri"], IndicatorKind::Url),
    (
        &["domain", "domain_name", "hostname", "fqdn"],
        IndicatorKind::Domain,
    ),
    (
        &[
            "ip",
            "ip_address",
            "ipaddress",
            "ip_addr",
            "dst_ip",
            "ipv4",
            "ipv6",
        ],
        IndicatorKind::Ip,
    ),
];

/// Whether a (comparable) header name is one of the columns above.
fn known_column(name: &str) -> bool {
    [DESCRIPTION_COLUMNS, TYPE_COLUMNS, VALUE_COLUMNS]
        .iter()
        .any(|names| names.contains(&name))
        || KIND_COLUMNS.iter().any(|(names, _)| names.contains(&name))
}

/// A header cell, made comparable: `"SHA256 Hash"` → `sha256_hash`.
fn column_name(cell: &str) -> String {
    cell.trim()
        .trim_start_matches('#')
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// The layout a header row describes, if it names columns Vigil knows. A row of Vigil's
/// own format (`sha256,ab12…`) is data, not a header naming a `sha256` column.
fn layout_of_header(cells: &[String]) -> Option<Layout> {
    let names: Vec<String> = cells.iter().map(|c| column_name(c)).collect();
    let typed_row = (2..=3).contains(&cells.len())
        && kind_of_type(&cells[0]).is_some()
        && !known_column(&names[1]);
    if typed_row {
        return None;
    }
    let find = |wanted: &[&str]| {
        wanted
            .iter()
            .find_map(|w| names.iter().position(|n| n == w))
    };
    let description = find(DESCRIPTION_COLUMNS);
    let kind = find(TYPE_COLUMNS);
    let value = find(VALUE_COLUMNS);
    if let (Some(kind), Some(value)) = (kind, value) {
        return Some(Layout::Typed {
            kind,
            value,
            description,
        });
    }
    let columns: Vec<(usize, IndicatorKind)> = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            KIND_COLUMNS
                .iter()
                .find(|(names, _)| names.contains(&n.as_str()))
                .map(|(_, kind)| (i, *kind))
        })
        .collect();
    if !columns.is_empty() {
        return Some(Layout::PerKind {
            columns,
            description,
        });
    }
    value.map(|value| Layout::Shaped { value, description })
}

/// What a value is by its shape alone.
fn kind_by_shape(value: &str) -> Option<IndicatorKind> {
    let v = refang(value);
    let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    match v.len() {
        64 if hex => return Some(IndicatorKind::Sha256),
        40 if hex => return Some(IndicatorKind::Sha1),
        32 if hex => return Some(IndicatorKind::Md5),
        _ => {}
    }
    if v.contains("://") {
        return Some(IndicatorKind::Url);
    }
    [IndicatorKind::Ip, IndicatorKind::Domain]
        .into_iter()
        .find(|k| normalise_value(*k, &v).is_ok())
}

/// The kind a type cell names, and which `|`-separated part of the value holds it (MISP
/// writes `filename|sha256` with `evil.exe|ab12…`). `ip:port` (ThreatFox) is an IP.
fn kind_of_type(cell: &str) -> Option<(IndicatorKind, usize)> {
    cell.split('|').enumerate().find_map(|(part, name)| {
        let name = name.trim().to_ascii_lowercase();
        let name = name
            .strip_suffix(":port")
            .or_else(|| name.strip_suffix("_hash"))
            .or_else(|| name.strip_suffix("-dst"))
            .or_else(|| name.strip_suffix("-src"))
            .unwrap_or(&name);
        IndicatorKind::parse(name).map(|kind| (kind, part))
    })
}

/// Splits one CSV line into fields (RFC 4180 quoting, no multi-line fields).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.trim().is_empty() && !was_quoted => {
                cur.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut cur));
                was_quoted = false;
            }
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(cur);
    Ok(fields)
}

/// The layout of a list whose first data row is `cells` and which has no header row:
/// a value first (a plain list) or a type first (`type,value[,description]`).
fn layout_without_header(cells: &[String]) -> Layout {
    if cells.len() == 1 || kind_by_shape(&cells[0]).is_some() {
        Layout::Shaped {
            value: 0,
            description: Some(1),
        }
    } else {
        Layout::Typed {
            kind: 0,
            value: 1,
            description: Some(2),
        }
    }
}

/// Parses a text IOC list (see the module's documentation for the shapes it reads).
pub fn parse_csv(text: &str, source_name: &str) -> Result<ParsedList> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = ParsedList::default();
    let mut layout: Option<Layout> = None;
    let mut columns = 0;
    let mut last_comment: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let err = |reason: String| TelemetryError::Intel {
            source_name: source_name.to_string(),
            item: format!("line {n}"),
            reason,
        };
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if layout.is_none() {
                last_comment = Some(comment);
            }
            continue;
        }
        let cells = csv_fields(trimmed).map_err(err)?;
        let layout = match &layout {
            Some(layout) => layout,
            None => {
                if let Some(found) = layout_of_header(&cells) {
                    columns = cells.len();
                    layout = Some(found);
                    continue;
                }
                let from_comment = last_comment
                    .and_then(|c| csv_fields(c).ok())
                    .filter(|c| c.len() == cells.len())
                    .and_then(|c| layout_of_header(&c));
                columns = cells.len();
                layout.insert(from_comment.unwrap_or_else(|| layout_without_header(&cells)))
            }
        };
        if cells.len() < needed(layout) {
            return Err(err(format!(
                "{} columns where the list has {columns}",
                cells.len()
            )));
        }
        let cell = |i: usize| cells.get(i).map(|c| c.trim()).unwrap_or("");
        let description = layout
            .description()
            .map(|i| cell(i).to_string())
            .unwrap_or_default();
        match layout {
            Layout::Typed { kind, value, .. } => {
                let type_cell = cell(*kind);
                let Some((kind, part)) = kind_of_type(type_cell) else {
                    out.skip(
                        n,
                        format!("type '{type_cell:.40}' is not one Vigil matches (sha256, sha1, md5, url, domain, ip)"),
                    );
                    continue;
                };
                let value = cell(*value).split('|').nth(part).unwrap_or("");
                let value = normalise_value(kind, value).map_err(err)?;
                out.indicators.push(Indicator {
                    kind,
                    value,
                    description,
                });
            }
            Layout::PerKind { columns, .. } => {
                for (column, kind) in columns {
                    let value = cell(*column);
                    if value.is_empty() || value == "-" {
                        continue;
                    }
                    let value = normalise_value(*kind, value).map_err(err)?;
                    out.indicators.push(Indicator {
                        kind: *kind,
                        value,
                        description: description.clone(),
                    });
                }
            }
            Layout::Shaped { value, .. } => {
                let value = cell(*value);
                match kind_by_shape(value) {
                    Some(kind) => out.indicators.push(Indicator {
                        kind,
                        value: normalise_value(kind, value).map_err(err)?,
                        description,
                    }),
                    None => out.skip(
                        n,
                        format!("'{value:.60}' is no hash, URL, domain or IP address"),
                    ),
                }
            }
        }
    }
    if out.indicators.is_empty() && out.skipped > 0 {
        return Err(TelemetryError::Intel {
            source_name: source_name.to_string(),
            item: "list".into(),
            reason: format!(
                "no indicator Vigil can match ({} passed over; first: {})",
                out.skipped,
                out.skip_reasons.first().map(String::as_str).unwrap_or("")
            ),
        });
    }
    Ok(out)
}

/// The columns a row must have to hold what the layout reads.
fn needed(layout: &Layout) -> usize {
    match layout {
        Layout::Typed { kind, value, .. } => kind.max(value) + 1,
        Layout::PerKind { columns, .. } => columns.iter().map(|(c, _)| c + 1).max().unwrap_or(1),
        Layout::Shaped { value, .. } => value + 1,
    }
}
