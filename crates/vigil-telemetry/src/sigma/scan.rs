//! Reading a rule's head (title, id, level, status, author, tags, logsource) line by line,
//! without a YAML parser, for indexing a user's rule folder cheaply; anything the scan is
//! not sure of goes to rsigma's parser instead.

/// The top of a Sigma rule document: what the catalogue needs of a rule.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Head {
    pub title: Option<String>,
    pub id: Option<String>,
    pub status: Option<String>,
    pub level: Option<String>,
    pub author: Option<String>,
    pub tags: Vec<String>,
    pub logsource: Option<HeadLogsource>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct HeadLogsource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

/// What the lines under a top-level key are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Lines of a key the catalogue does not need (`detection`, `description`…).
    Skip,
    /// A scalar the catalogue reads: a line under it would continue it.
    Scalar,
    Tags,
    /// The `logsource` mapping, with the indent of its keys once seen.
    Logsource(Option<usize>),
}

/// The head of a plain single-rule document, read line by line without a YAML parser:
/// top-level `key: value` lines, the `tags` list and the `logsource` mapping, the rest
/// (the detection above all) skipped. `None` for anything it is not sure of (several
/// documents, collection actions, correlations, flow collections, block or escaped
/// scalars, anchors, tabs…): the file then goes through rsigma's parser. Indexing a user's
/// folder costs the scan instead of a YAML parse (see the `sigma_costs` example); the
/// `scanned_heads_read_as_rsigma_reads_them` test holds it to rsigma on every shipped rule.
pub(crate) fn scan_head(text: &str) -> Option<Head> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut head = Head::default();
    let (mut block, mut detection) = (Block::Skip, false);
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if line.starts_with("---") || line.starts_with("...") || content.starts_with('\t') {
            return None;
        }
        let indent = line.len() - content.len();
        if indent == 0 {
            let (key, rest) = line.split_once(':')?;
            if !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                || !(rest.is_empty() || rest.starts_with(' '))
            {
                return None;
            }
            let rest = rest.trim();
            block = match key {
                // Keys the catalogue does not need keep any value (`description: |`…).
                "title" | "id" | "status" | "level" | "author" | "tags" | "logsource" => {
                    let value = scalar(rest)?;
                    match key {
                        "tags" | "logsource" if value.is_some() => return None,
                        "tags" => Block::Tags,
                        "logsource" => {
                            head.logsource = Some(HeadLogsource::default());
                            Block::Logsource(None)
                        }
                        _ => {
                            let slot = match key {
                                "title" => &mut head.title,
                                "id" => &mut head.id,
                                "status" => &mut head.status,
                                "level" => &mut head.level,
                                _ => &mut head.author,
                            };
                            *slot = Some(value?);
                            Block::Scalar
                        }
                    }
                }
                "action" | "correlation" | "filter" => return None,
                "detection" => {
                    detection = true;
                    Block::Skip
                }
                _ => Block::Skip,
            };
            continue;
        }
        match block {
            Block::Skip => {}
            Block::Scalar => return None,
            Block::Tags => {
                let item = content.strip_prefix("- ")?;
                head.tags.push(scalar(item.trim())??);
            }
            Block::Logsource(at) => {
                if at.is_some_and(|at| at != indent) {
                    return None;
                }
                block = Block::Logsource(Some(indent));
                let (key, rest) = content.split_once(':')?;
                if !(rest.is_empty() || rest.starts_with(' ')) {
                    return None;
                }
                let value = scalar(rest.trim())?;
                let ls = head.logsource.as_mut()?;
                match key {
                    "product" => ls.product = value,
                    "category" => ls.category = value,
                    "service" => ls.service = value,
                    _ if value.is_some() => {}
                    _ => return None,
                }
            }
        }
    }
    (head.title.is_some() && head.logsource.is_some() && detection).then_some(head)
}

/// A YAML scalar as one line holds it: `Some(None)` when empty or null, `None` when the
/// scan is not sure what YAML would make of it.
fn scalar(text: &str) -> Option<Option<String>> {
    let first = text.chars().next();
    match first {
        None => Some(None),
        Some('\'') => {
            let inner = &text[1..];
            let mut out = String::new();
            let mut chars = inner.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c != '\'' {
                    out.push(c);
                    continue;
                }
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                let rest = inner[i + 1..].trim_start();
                return (rest.is_empty() || rest.starts_with('#')).then_some(Some(out));
            }
            None
        }
        Some('"') => {
            let inner = &text[1..];
            let end = inner.find(['"', '\\'])?;
            if inner[end..].starts_with('\\') {
                return None;
            }
            let rest = inner[end + 1..].trim_start();
            (rest.is_empty() || rest.starts_with('#')).then(|| Some(inner[..end].to_string()))
        }
        Some(
            '|' | '>' | '&' | '*' | '!' | '{' | '[' | '%' | '@' | '`' | ',' | '?' | '-' | ':' | '#',
        ) => None,
        Some(_) => {
            let value = match text.find(" #") {
                Some(at) => text[..at].trim_end(),
                None => text,
            };
            if value.contains(": ") || value.ends_with(':') || value.contains('\t') {
                return None;
            }
            match value {
                "null" | "Null" | "NULL" | "~" => Some(None),
                _ => Some(Some(value.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::catalogue::{head_of, rule_files};
    use std::path::{Path, PathBuf};

    /// What rsigma's parser makes of a single-rule file, as a head.
    fn parsed(text: &str) -> Option<Head> {
        let mut c = rsigma_parser::parse_sigma_yaml(text).ok()?;
        if c.rules.len() != 1 || !c.errors.is_empty() {
            return None;
        }
        Some(head_of(c.rules.remove(0)))
    }

    fn shipped_texts() -> Vec<(String, String)> {
        use crate::sigma::sigmahq::{EMBEDDED, EMBEDDED_TEXT};
        let mut out: Vec<(String, String)> = EMBEDDED
            .iter()
            .zip(EMBEDDED_TEXT)
            .map(|(r, text)| (r.path.to_string(), (*text).to_string()))
            .collect();
        out.extend(
            crate::sigma::BUILTIN_RULES
                .iter()
                .map(|(n, t)| ((*n).to_string(), (*t).to_string())),
        );
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
        let fixtures = std::env::var_os("VIGIL_FIXTURES").map_or(fixtures, PathBuf::from);
        let mut files = Vec::new();
        if rule_files(&fixtures.join("sigma-rules"), &mut files).is_ok() {
            for f in files {
                if let Ok(t) = std::fs::read_to_string(&f) {
                    out.push((f.display().to_string(), t));
                }
            }
        }
        out
    }

    #[test]
    fn scanned_heads_read_as_rsigma_reads_them() {
        let (mut scanned, mut total) = (0, 0);
        for (name, text) in shipped_texts() {
            total += 1;
            let Some(head) = scan_head(&text) else {
                continue;
            };
            scanned += 1;
            assert_eq!(Some(&head), parsed(&text).as_ref(), "{name}");
        }
        println!("{scanned} of {total} rule files scanned, the rest parsed");
        assert!(scanned * 100 >= total * 95, "{scanned} of {total}");
    }

    #[test]
    fn the_scan_reads_quotes_comments_and_nulls_and_refuses_what_it_is_unsure_of() {
        assert_eq!(scalar("'it''s' # c"), Some(Some("it's".into())));
        assert_eq!(scalar("\"plain\""), Some(Some("plain".into())));
        assert_eq!(
            scalar("high # raise after tuning"),
            Some(Some("high".into()))
        );
        assert_eq!(scalar("a#b"), Some(Some("a#b".into())));
        assert_eq!(scalar("~"), Some(None));
        assert_eq!(scalar(""), Some(None));
        for unsure in [
            "\"esc\\\"aped\"",
            "|",
            ">-",
            "&anchor x",
            "*alias",
            "[a, b]",
            "{a: b}",
            "a: b",
            "'open",
        ] {
            assert_eq!(scalar(unsure), None, "{unsure}");
        }
        let rule = "title: T\nid: 1\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    s:\n        Image|endswith: '\\x.exe'\n    condition: s\n";
        assert!(scan_head(rule).is_some());
        for unsure in [
            format!("{rule}---\n{rule}"),
            format!("action: global\n{rule}"),
            rule.replace("title: T", "title: |\n    T"),
            rule.replace("logsource:\n", "logsource: {product: windows}\nx:\n"),
            rule.replace("    category", "        category"),
            "title: T\nlogsource:\n    product: windows\n".to_string(),
        ] {
            assert_eq!(scan_head(&unsure), None, "{unsure}");
        }
    }
}
