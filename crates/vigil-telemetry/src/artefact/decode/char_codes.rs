//! Text spelled as character codes: `[char[]](73, 69, 88) -join ''`, `[char]73+[char]69`.

use super::MAX_DECODED;

/// The shortest run of character codes looked at.
const MIN_CHAR_CODES: usize = 8;

/// Runs of character codes: decimal numbers joined by commas (`73, 69 ,88`) or `[char]`
/// casts joined by `+`, each a printable character.
pub(super) fn char_code_runs(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut done = 0;
    // A run holds commas or `[char]`: each is looked at, and the number before a comma.
    for at in memchr::memchr2_iter(b',', b'[', b) {
        if at < done || out.len() >= MAX_DECODED {
            continue;
        }
        let cast = b[at] == b'[';
        let start = if cast {
            if !(b.len() - at > 6 && b[at..at + 6].eq_ignore_ascii_case(b"[char]")) {
                continue;
            }
            at
        } else {
            let blanks = b[..at]
                .iter()
                .rev()
                .take_while(|c| matches!(c, b' ' | b'\t'))
                .count();
            let digits_end = at - blanks;
            let digits = b[..digits_end]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let start = digits_end - digits;
            if digits == 0 || (start > 0 && b[start - 1].is_ascii_alphanumeric()) {
                continue;
            }
            start
        };
        let (codes, end) = codes_at(b, start, cast);
        done = end.max(at + 1);
        let printable = |c: &u32| *c == 9 || *c == 10 || *c == 13 || (32..127).contains(c);
        if codes.len() >= MIN_CHAR_CODES && codes.iter().all(printable) {
            out.push(codes.iter().filter_map(|c| char::from_u32(*c)).collect());
        }
    }
    out
}

/// The codes of the run at `i` and where it ends. A comma run is numbers with commas and
/// blanks between; a cast run is `[char]N` with `+` and blanks between.
fn codes_at(b: &[u8], mut i: usize, cast: bool) -> (Vec<u32>, usize) {
    let mut codes = Vec::new();
    let sep = if cast { b'+' } else { b',' };
    loop {
        if cast {
            if !(b.len() - i > 6 && b[i..i + 6].eq_ignore_ascii_case(b"[char]")) {
                break;
            }
            i += 6;
        }
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 5 {
            break;
        }
        let n = b[i..i + digits]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        i += digits;
        let gap = b[i..]
            .iter()
            .take_while(|c| **c == b' ' || **c == b'\t' || **c == sep)
            .count();
        let more = b[i..i + gap].contains(&sep);
        // A lone number is no run (and costs no allocation).
        if !more && codes.is_empty() {
            break;
        }
        codes.push(n);
        if !more {
            break;
        }
        i += gap;
    }
    (codes, i)
}

#[cfg(test)]
mod tests {
    use super::super::hidden_strings;

    #[test]
    fn character_codes_read_as_the_text_they_spell() {
        let codes: Vec<String> = "IEX 'calc'".bytes().map(|b| b.to_string()).collect();
        let commas = format!("[char[]] ({}) -join ''", codes.join(" , "));
        assert_eq!(hidden_strings(&commas), vec!["IEX 'calc'"]);
        let casts: Vec<String> = "whoami /all"
            .bytes()
            .map(|b| format!("[CHAR]{b}"))
            .collect();
        assert_eq!(hidden_strings(&casts.join("+")), vec!["whoami /all"]);
        assert_eq!(
            hidden_strings("1, 2, 3, 4, 5, 6, 7, 8, 9"),
            Vec::<String>::new()
        );
    }
}
