//! A small STIX patterning reader: the `path = 'value'` comparisons of a pattern joined by
//! OR, and the file hashes of one joined by AND (a hash names the file by itself; the other
//! conditions only narrow what it already names).

use super::IndicatorKind;

#[derive(Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Str(String),
}

fn read_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None => return Err("unterminated string".into()),
            Some('\\') => match chars.next() {
                Some(c) => s.push(c),
                None => return Err("unterminated string".into()),
            },
            Some('\'') => return Ok(s),
            Some(c) => s.push(c),
        }
    }
}

fn tokens(pattern: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '[' | '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ']' | ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '\'' => {
                chars.next();
                out.push(Token::Str(read_quoted(&mut chars)?));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "[]()".contains(c) {
                        break;
                    }
                    chars.next();
                    if c == '\'' {
                        // A quoted path segment such as hashes.'SHA-256'.
                        w.push_str(&read_quoted(&mut chars)?);
                    } else {
                        w.push(c);
                    }
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

fn kind_of(path: &str) -> Option<IndicatorKind> {
    let p = path.to_ascii_lowercase();
    if let Some(h) = p.strip_prefix("file:hashes.") {
        return IndicatorKind::parse(h).filter(|k| {
            matches!(
                k,
                IndicatorKind::Sha256 | IndicatorKind::Sha1 | IndicatorKind::Md5
            )
        });
    }
    match p.as_str() {
        "url:value" => Some(IndicatorKind::Url),
        "domain-name:value" => Some(IndicatorKind::Domain),
        "ipv4-addr:value" | "ipv6-addr:value" => Some(IndicatorKind::Ip),
        _ => None,
    }
}

/// The supported comparisons of a pattern: all of them when joined by OR; only the file
/// hashes when AND joins them (the rest cannot be checked one by one); none with
/// FOLLOWEDBY or qualifiers, or when only other objects are compared.
pub(super) fn comparisons(pattern: &str) -> Result<Vec<(IndicatorKind, String)>, String> {
    if !pattern.trim_start().starts_with('[') {
        return Err("a pattern starts with '['".into());
    }
    let toks = tokens(pattern)?;
    let mut depth: i64 = 0;
    let mut out = Vec::new();
    let mut anded = false;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Token::Open => depth += 1,
            Token::Close => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced brackets".into());
                }
            }
            Token::Word(w) if w.eq_ignore_ascii_case("OR") => {}
            Token::Word(w) if w.eq_ignore_ascii_case("AND") => anded = true,
            Token::Word(w) if w.contains(':') => {
                let (Some(Token::Word(op)), Some(Token::Str(value))) =
                    (toks.get(i + 1), toks.get(i + 2))
                else {
                    return Err(format!(
                        "comparison on {w} has no operator and quoted value"
                    ));
                };
                if op == "=" {
                    if let Some(kind) = kind_of(w) {
                        out.push((kind, value.clone()));
                    }
                }
                i += 2;
            }
            // FOLLOWEDBY, qualifiers: the pattern is about a sequence of observations.
            Token::Word(_) | Token::Str(_) => return Ok(Vec::new()),
        }
        i += 1;
    }
    if depth != 0 {
        return Err("unbalanced brackets".into());
    }
    if anded {
        out.retain(|(kind, _)| {
            matches!(
                kind,
                IndicatorKind::Sha256 | IndicatorKind::Sha1 | IndicatorKind::Md5
            )
        });
    }
    if out.is_empty()
        && !toks
            .iter()
            .any(|t| matches!(t, Token::Word(w) if w.contains(':')))
    {
        return Err("no comparison".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_of_hash_and_domain() {
        let c = comparisons(
            "[file:hashes.'SHA-256' = 'AB' OR domain-name:value = 'evil.example'] OR [url:value = 'http://x/\\'q']",
        )
        .expect("parses");
        assert_eq!(
            c,
            vec![
                (IndicatorKind::Sha256, "AB".into()),
                (IndicatorKind::Domain, "evil.example".into()),
                (IndicatorKind::Url, "http://x/'q".into()),
            ]
        );
    }

    #[test]
    fn and_patterns_give_their_hashes_only() {
        assert_eq!(
            comparisons("[file:name = 'a' AND file:hashes.MD5 = 'b']").expect("parses"),
            vec![(IndicatorKind::Md5, "b".into())]
        );
        assert!(
            comparisons("[url:value = 'http://x/' AND domain-name:value = 'x']")
                .expect("parses")
                .is_empty(),
            "a URL ANDed with something else is not that URL alone"
        );
        assert!(
            comparisons("[file:hashes.MD5 = 'b'] FOLLOWEDBY [url:value = 'http://x/']")
                .expect("parses")
                .is_empty()
        );
    }

    #[test]
    fn other_objects_give_nothing() {
        assert!(comparisons("[process:name = 'evil.exe']")
            .expect("parses")
            .is_empty());
    }

    #[test]
    fn broken_patterns_are_errors() {
        assert!(comparisons("[url:value = 'http://x").is_err());
        assert!(comparisons("[url:value = 'x'").is_err());
        assert!(comparisons("garbage").is_err());
    }
}
