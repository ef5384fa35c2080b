//! Inputs fuzzing found that broke a parser of OS output, one test each, named after what
//! broke (`.ci/fuzz` keeps the input under `fuzz/artifacts/`).

/// `lsof` output whose line starts with a character of several bytes (here U+035A, then
/// bytes that are not UTF-8) made the parser split the line inside the character and panic.
#[test]
fn lsof_output_whose_line_starts_with_a_multibyte_character_panicked() {
    let input: &[u8] = &[0x24, 0xcd, 0x9a, 0x97, 0x97, 0xd0, 0xde, 0xff, 0xff, 0x73];
    // The fuzz target hands the parser the bytes after the first, as text.
    let text = String::from_utf8_lossy(&input[1..]);
    assert!(vigil_local::inventory::network::parse_lsof(&text).is_empty());
    let text = "\u{35a}p1\nf3\ntIPv4\nPTCP\nn127.0.0.1:22\n";
    assert_eq!(vigil_local::inventory::network::parse_lsof(text).len(), 1);
}
