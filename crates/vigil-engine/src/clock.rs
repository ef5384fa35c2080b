//! Time as the store keeps it: RFC 3339 UTC text with milliseconds.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Now, as store text.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// The store's one time format: fixed width, so text order is time order.
const STORE_FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

/// A moment as store text (`2026-11-27T19:00:00.000Z`).
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(STORE_FORMAT)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Parses store text; `None` when it is not RFC 3339.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// `text` moved by `by`, or `text` itself when it does not parse.
pub fn shift(text: &str, by: Duration) -> String {
    parse(text)
        .map(|at| format(at + by))
        .unwrap_or_else(|| text.to_string())
}

/// Seconds from `from` to `to` (0 when either does not parse).
pub fn seconds_between(from: &str, to: &str) -> f64 {
    match (parse(from), parse(to)) {
        (Some(a), Some(b)) => (b - a).as_seconds_f64().max(0.0),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_text_round_trips_and_shifts() {
        let t = "2026-11-27T10:00:00.250Z";
        assert!(parse(t).is_some());
        assert_eq!(shift(t, Duration::days(7)), "2026-12-04T10:00:00.250Z");
        assert_eq!(seconds_between(t, "2026-11-27T10:01:00.250Z"), 60.0);
    }
}
