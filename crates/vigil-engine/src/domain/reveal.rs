//! Attacker-written text as it really is. A right-to-left override makes `invoice[U+202E]fdp.exe`
//! read as `invoiceexe.pdf`, a zero-width space hides a second `svchost.exe` among real ones,
//! an escape sequence rewrites a terminal, a Cyrillic `с` makes `svсhost.exe` look real.
//! Wherever Vigil shows such text to a person (the CLI's text, CSV exports), those code points
//! are written out as `⟨U+XXXX⟩`. The window does the same with the same lists
//! (`ui/src/lib/reveal.ts`); a test here and one there check the same cases.

use std::borrow::Cow;

/// Whether `c` changes how text reads without being seen: a control character (tab and new
/// line aside), a bidirectional control, a zero-width or other invisible character, a line or
/// paragraph separator, a variation selector, a tag.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
        | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e007f}')
}

/// Whether `c` is a letter whose shape copies a Latin one (Greek, Cyrillic, Armenian,
/// Cherokee) or a full-width form of ASCII.
fn is_lookalike(c: char) -> bool {
    matches!(c,
        '\u{370}'..='\u{3ff}' | '\u{400}'..='\u{52f}' | '\u{531}'..='\u{58f}'
        | '\u{13a0}'..='\u{13ff}' | '\u{ff01}'..='\u{ff5e}')
}

/// What separates the words in which look-alike letters are looked for.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || "\\/.:,;\"'()[]{}<>=|".contains(c)
}

/// `text` with its hidden code points, and the look-alike letters of a word that mixes them
/// with Latin ones, written out as `⟨U+XXXX⟩` (a look-alike letter stays, followed by its
/// code). Plain text comes back borrowed, unchanged.
pub fn reveal(text: &str) -> Cow<'_, str> {
    let needs = text.chars().any(|c| is_hidden(c) || is_lookalike(c));
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let mixed = word.chars().any(|c| c.is_ascii_alphabetic()) && word.chars().any(is_lookalike);
        for c in word.chars() {
            out.push(c);
            if mixed && is_lookalike(c) {
                out.push_str(&format!("⟨U+{:04X}⟩", u32::from(c)));
            }
        }
        word.clear();
    };
    for c in text.chars() {
        if is_hidden(c) {
            word.push_str(&format!("⟨U+{:04X}⟩", u32::from(c)));
        } else if is_separator(c) {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::reveal;

    /// The same cases as `ui/src/lib/reveal.test.ts`.
    #[test]
    fn hidden_and_lookalike_characters_are_written_out_as_the_window_does() {
        let cases = [
            ("invoice\u{202e}fdp.exe", "invoice⟨U+202E⟩fdp.exe"),
            ("svc\u{200b}host.exe", "svc⟨U+200B⟩host.exe"),
            ("line\u{2028}two\u{7}", "line⟨U+2028⟩two⟨U+0007⟩"),
            ("x\u{e0041}", "x⟨U+E0041⟩"),
            (
                r"C:\Windows\System32\svсhost.exe",
                r"C:\Windows\System32\svс⟨U+0441⟩host.exe",
            ),
            (r"CORP\Иванов", r"CORP\Иванов"),
            ("ｃmd.exe", "ｃ⟨U+FF43⟩md.exe"),
            (
                "\u{1b}[2J\u{1b}]0;pwned\u{7}",
                "⟨U+001B⟩[2J⟨U+001B⟩]0;pwned⟨U+0007⟩",
            ),
        ];
        for (text, shown) in cases {
            assert_eq!(reveal(text), shown, "{text:?}");
        }
        let plain = "powershell -enc \"SQBFAFgA\"\n\tC:\\Program Files (x86)\\É";
        assert!(matches!(reveal(plain), std::borrow::Cow::Borrowed(_)));
    }
}
