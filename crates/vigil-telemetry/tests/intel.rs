//! IOC lists: CSV and STIX 2.1 on Vigil's own fixtures.

mod common;

use vigil_telemetry::{parse_csv, parse_stix, IndicatorKind};

fn read(name: &str) -> String {
    std::fs::read_to_string(common::data(name)).expect("fixture")
}

#[test]
fn csv_list_normalises_values() {
    let list = parse_csv(&read("iocs.csv"), "iocs.csv")
        .expect("parses")
        .indicators;
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
    // A type Vigil does not match is passed over, counted and said; the rest goes in.
    let list = parse_csv(&read("iocs_bad_type.csv"), "feed.csv").expect("a skip, not an error");
    assert_eq!(list.indicators.len(), 1);
    assert_eq!(list.skipped, 1);
    assert_eq!(
        list.skip_reasons,
        ["line 2: type 'banana' is not one Vigil matches (sha256, sha1, md5, url, domain, ip)"]
    );
    let e = parse_csv("sha1,\"unterminated\n", "x").expect_err("quote");
    assert_eq!(e.to_string(), "x: line 1: unterminated quoted field");
}

#[test]
fn stix_bundle_reads_or_ed_comparisons_and_the_hashes_of_and_ed_ones() {
    let parsed = parse_stix(&read("bundle.json"), "feed").expect("parses");
    assert_eq!(
        parsed.skip_reasons,
        [
            "indicator--1a2b3c4d-0000-4000-8000-000000000001: a yara pattern, which Vigil does not read",
            "indicator--1a2b3c4d-0000-4000-8000-000000000002: its pattern names nothing Vigil matches: [email-addr:value = 'billing@contoso-invoices.example']",
        ]
    );
    let list = parsed.indicators;
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
    let only_mail = r#"{"type": "bundle", "objects": [{"type": "indicator", "id": "indicator--m",
        "pattern": "[email-addr:value = 'a@b.example']", "pattern_type": "stix"}]}"#;
    let e = parse_stix(only_mail, "feed").expect_err("nothing usable");
    assert!(
        e.to_string()
            .starts_with("feed: bundle: no indicator Vigil can match (1 passed over;"),
        "{e}"
    );
}

/// (kind, value, description) of each indicator.
fn triples(list: &vigil_telemetry::ParsedList) -> Vec<(IndicatorKind, &str, &str)> {
    list.indicators
        .iter()
        .map(|i| (i.kind, i.value.as_str(), i.description.as_str()))
        .collect()
}

const SHA256: &str = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899";
const SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
const MD5: &str = "0cc175b9c0f1b6a831c399e269772661";

#[test]
fn a_misp_export_reads_its_type_and_value_columns_and_passes_over_other_types() {
    let text = format!(
        "uuid,event_id,category,type,value,comment,to_ids,date
a-1,42,Payload delivery,md5,{},dropper,1,1700000000
a-2,42,Payload delivery,filename|sha256,invoice.exe|{SHA256},,1,1700000000
a-3,42,Network activity,ip-dst,203.0.113.9,C2,1,1700000000
a-4,42,Network activity,ip-dst|port,198.51.100.7|8443,,1,1700000000
a-5,42,Network activity,domain,C2.bad-example.net,,1,1700000000
a-6,42,Payload delivery,email-src,billing@contoso-invoices.example,phish sender,0,1700000000
a-7,42,Network activity,url,\"hxxp://c2.bad-example[.]net/gate.php?id=1,2\",,1,1700000000
",
        MD5.to_uppercase()
    );
    let list = parse_csv(&text, "misp.csv").expect("parses");
    assert_eq!(
        triples(&list),
        [
            (IndicatorKind::Md5, MD5, "dropper"),
            (IndicatorKind::Sha256, SHA256, ""),
            (IndicatorKind::Ip, "203.0.113.9", "C2"),
            (IndicatorKind::Ip, "198.51.100.7", ""),
            (IndicatorKind::Domain, "c2.bad-example.net", ""),
            (
                IndicatorKind::Url,
                "http://c2.bad-example.net/gate.php?id=1,2",
                ""
            ),
        ]
    );
    assert_eq!(list.skipped, 1);
    assert!(list.skip_reasons[0].starts_with("line 7: type 'email-src'"));
}

#[test]
fn per_kind_columns_give_every_hash_of_a_row() {
    // MalwareBazaar's shape: a comment banner, then a quoted header naming the hashes.
    let text = format!(
        "################################
# a hash feed, written for Vigil's tests #
################################
\"first_seen_utc\",\"sha256_hash\",\"md5_hash\",\"sha1_hash\",\"reporter\",\"file_name\",\"signature\"
\"2026-11-20 10:00:00\",\"{SHA256}\",\"{MD5}\",\"{SHA1}\",\"someone\",\"a.exe\",\"AgentTesla\"
"
    );
    let list = parse_csv(&text, "bazaar.csv").expect("parses");
    assert_eq!(
        triples(&list),
        [
            (IndicatorKind::Sha256, SHA256, "AgentTesla"),
            (IndicatorKind::Md5, MD5, "AgentTesla"),
            (IndicatorKind::Sha1, SHA1, "AgentTesla"),
        ]
    );
    // A value that is not what its column says is an error naming the line.
    let bad = text.replace(SHA1, "not-a-hash");
    let e = parse_csv(&bad, "bazaar.csv").expect_err("bad sha1");
    assert!(
        e.to_string()
            .starts_with("bazaar.csv: line 5: not a sha1 (40 hex digits)"),
        "{e}"
    );
    // So is a row cut short (a download that stopped).
    let cut = format!("{}\n\"2026-11-21\",\"{SHA256}\"\n", text.trim_end());
    let e = parse_csv(&cut, "bazaar.csv").expect_err("cut row");
    assert_eq!(
        e.to_string(),
        "bazaar.csv: line 6: 2 columns where the list has 7"
    );
}

#[test]
fn a_header_in_the_last_comment_line_names_the_columns() {
    // URLhaus's and Feodo Tracker's shape.
    let urls = "################################
# a URL feed, written for Vigil's tests #
################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
\"1\",\"2026-11-20 10:00:00\",\"http://198.51.100.20/bins/x86\",\"online\",\"2026-11-20\",\"malware_download\",\"elf,mirai\",\"https://urlhaus.example/url/1/\",\"someone\"
";
    let list = parse_csv(urls, "urls.csv").expect("parses");
    assert_eq!(
        triples(&list),
        [(
            IndicatorKind::Url,
            "http://198.51.100.20/bins/x86",
            "malware_download"
        )]
    );
    let c2 = "# first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware
\"2026-11-20 10:00:00\",\"203.0.113.50\",443,\"online\",\"2026-11-27\",\"QakBot\"
";
    let list = parse_csv(c2, "c2.csv").expect("parses");
    assert_eq!(
        triples(&list),
        [(IndicatorKind::Ip, "203.0.113.50", "QakBot")]
    );
}

#[test]
fn a_threatfox_export_reads_ip_port_and_hash_types() {
    let text = format!(
        "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\",\"malware_printable\",\"confidence_level\"
\"2026-11-20 10:00:00\", \"1\", \"203.0.113.77:8080\", \"ip:port\", \"botnet_cc\", \"Cobalt Strike\", \"100\"
\"2026-11-20 10:00:00\", \"2\", \"{MD5}\", \"md5_hash\", \"payload\", \"Cobalt Strike\", \"100\"
\"2026-11-20 10:00:00\", \"3\", \"[2001:db8::7]:443\", \"ip:port\", \"botnet_cc\", \"Cobalt Strike\", \"75\"
"
    );
    let list = parse_csv(&text, "threatfox.csv").expect("parses");
    assert_eq!(
        triples(&list),
        [
            (IndicatorKind::Ip, "203.0.113.77", "Cobalt Strike"),
            (IndicatorKind::Md5, MD5, "Cobalt Strike"),
            (IndicatorKind::Ip, "2001:db8::7", "Cobalt Strike"),
        ]
    );
}

#[test]
fn a_plain_list_tells_each_value_by_its_shape() {
    let text = format!(
        "# Indicators from the advisory, written for Vigil's tests
{}
{SHA1}
evil-cdn[.]example[.]com
hxxps://evil-cdn[.]example[.]com/payload.bin
203.0.113.9,C2 server
See the appendix for details
",
        SHA256.to_uppercase()
    );
    let list = parse_csv(&text, "advisory.txt").expect("parses");
    assert_eq!(
        triples(&list),
        [
            (IndicatorKind::Sha256, SHA256, ""),
            (IndicatorKind::Sha1, SHA1, ""),
            (IndicatorKind::Domain, "evil-cdn.example.com", ""),
            (
                IndicatorKind::Url,
                "https://evil-cdn.example.com/payload.bin",
                ""
            ),
            (IndicatorKind::Ip, "203.0.113.9", "C2 server"),
        ]
    );
    assert_eq!(
        list.skip_reasons,
        ["line 7: 'See the appendix for details' is no hash, URL, domain or IP address"]
    );
    // A file with nothing usable is an error, not an empty import.
    let e = parse_csv("Dear customer\nthank you\n", "letter.txt").expect_err("nothing");
    assert!(
        e.to_string()
            .starts_with("letter.txt: list: no indicator Vigil can match (2 passed over;"),
        "{e}"
    );
}
