//! Event times: every source's timestamp normalised to RFC 3339 UTC with milliseconds.

/// Normalises a timestamp to RFC 3339 UTC with milliseconds. Accepts RFC 3339 with any
/// offset, and offset-less `YYYY-MM-DD HH:MM:SS[.fff]` (Sysmon's UtcTime, taken as UTC).
pub fn normalise_ts(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some(fast) = utc_ts_to_millis(s) {
        return Some(fast);
    }
    let ts = match s.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => {
            let dt: jiff::civil::DateTime = s.parse().ok()?;
            dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp()
        }
    };
    Some(format_ts(ts))
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z`, the form every event log time is rendered in, cut to
/// milliseconds without a calendar parse; `None` for anything else (or an impossible date),
/// which takes the full parse.
fn utc_ts_to_millis(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|(i, c)| b[*i] != *c) || b.last() != Some(&b'Z') {
        return None;
    }
    let fraction = &b[19..b.len() - 1];
    let fraction = match fraction.split_first() {
        None => &[][..],
        Some((b'.', f)) if !f.is_empty() && f.len() <= 9 && f.iter().all(u8::is_ascii_digit) => f,
        Some(_) => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    // jiff's timestamps end late on 9999-12-30; the last year takes the full parse.
    if !(1..=9998).contains(&year)
        || day == 0
        || day > month_days
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut out = String::with_capacity(24);
    out.push_str(&s[..19]);
    out.push('.');
    for i in 0..3 {
        out.push(char::from(*fraction.get(i).unwrap_or(&b'0')));
    }
    out.push('Z');
    Some(out)
}

/// Formats a timestamp as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn format_ts(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_are_cut_to_milliseconds_as_the_calendar_parse_does() {
        let full = |s: &str| {
            let ts: jiff::Timestamp = s.parse().ok()?;
            Some(format_ts(ts))
        };
        for s in [
            "2019-03-19T23:50:48.1234567Z",
            "2019-03-19T23:50:48.9999999Z",
            "2019-03-19T23:50:48Z",
            "2019-03-19T23:50:48.1Z",
            "2019-03-19T23:50:48.12Z",
            "2019-03-19T23:50:48.123456789Z",
            "2024-02-29T00:00:00.000Z",
            "1601-01-01T00:00:00.0000000Z",
            "9998-12-31T23:59:59.9999999Z",
        ] {
            assert_eq!(utc_ts_to_millis(s), full(s), "{s}");
            assert!(utc_ts_to_millis(s).is_some(), "{s} takes the fast path");
        }
        // Not the fast path's form, or not a real time: the full parse decides.
        for s in [
            "2023-02-29T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "2019-04-31T00:00:00Z",
            "2019-03-19T24:00:00Z",
            "2019-03-19T23:60:00Z",
            "2019-03-19T23:50:60Z",
            "2019-03-19 23:50:48.123",
            "2019-03-19T23:50:48.Z",
            "2019-03-19T23:50:48.1234567890Z",
            "2019-03-19T23:50:48+01:00",
            "2019-03-19T23:50:48.12a4Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "2019-03-19T23:50",
            "",
        ] {
            assert_eq!(utc_ts_to_millis(s), None, "{s}");
        }
        assert_eq!(
            normalise_ts("2019-03-19 23:50:48.123").as_deref(),
            Some("2019-03-19T23:50:48.123Z")
        );
        assert_eq!(
            normalise_ts("2019-03-20T00:50:48.1234+01:00").as_deref(),
            Some("2019-03-19T23:50:48.123Z")
        );
    }
}
