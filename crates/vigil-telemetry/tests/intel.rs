//! IOC lists: CSV and STIX 2.1 on Vigil's own fixtures.

mod common;

use vigil_telemetry::{parse_csv, parse_stix, IndicatorKind};

fn read(name: &str) -> String {
    std::fs::read_to_string(common::data(name)).expect("fixture")
}

#[test]
fn csv_list_normalises_values() {
    let list = parse_csv(&read("iocs.csv"), "iocs.csv").expect("parses");
    let got: Vec<(IndicatorKind, &str)> = list.iter().map(|i| (i.kind, i.value.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                IndicatorKind::Sha256,
                "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
            ),
            (IndicatorKind::Md5, "0123456789abcdef0123456789abcdef"),
            (IndicatorKind::Domain, "evil.example.net"),
            (IndicatorKind::Domain, "bad.example.org"),
            (
                IndicatorKind::Url,
                "https://download.example.com/Path/Payload.exe"
            ),
            (IndicatorKind::Ip, "10.0.0.5"),
            (IndicatorKind::Ip, "2001:db8::1"),
            (
                IndicatorKind::Sha1,
                "da39a3ee5e6b4b0d3255bfef95601890afd80709"
            ),
        ]
    );
    assert_eq!(list[0].description, "Dropper, stage 1");
}

#[test]
fn csv_bad_rows_name_the_line() {
    let e = parse_csv(&read("iocs_bad_hash.csv"), "feed.csv").expect_err("bad hash");
    assert!(
        e.to_string()
            .starts_with("feed.csv: line 1: not a sha256 (64 hex digits)"),
        "{e}"
    );
    let e = parse_csv(&read("iocs_bad_type.csv"), "feed.csv").expect_err("bad type");
    assert_eq!(
        e.to_string(),
        "feed.csv: line 2: unknown indicator type 'banana'"
    );
    let e = parse_csv("sha1,\"unterminated\n", "x").expect_err("quote");
    assert_eq!(e.to_string(), "x: line 1: unterminated quoted field");
}

#[test]
fn stix_bundle_reads_or_ed_comparisons_and_the_hashes_of_and_ed_ones() {
    let list = parse_stix(&read("bundle.json"), "feed").expect("parses");
    let got: Vec<(IndicatorKind, &str)> = list.iter().map(|i| (i.kind, i.value.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                IndicatorKind::Sha256,
                "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
            ),
            (IndicatorKind::Domain, "evil.example.net"),
            (IndicatorKind::Ip, "203.0.113.7"),
            (IndicatorKind::Url, "http://evil.example.net/gate.php"),
            (IndicatorKind::Md5, "0123456789abcdef0123456789abcdef"),
        ]
    );
    assert_eq!(
        list[1].description,
        "C2 infrastructure: Domain and address of the C2"
    );
}

#[test]
fn stix_errors_name_the_object() {
    let e = parse_stix(&read("bundle_bad_pattern.json"), "feed").expect_err("bad");
    assert_eq!(
        e.to_string(),
        "feed: indicator--broken: pattern: unterminated string"
    );
    let e = parse_stix("{\"type\": \"report\"}", "feed").expect_err("not a bundle");
    assert_eq!(e.to_string(), "feed: bundle: not a STIX bundle");
}
