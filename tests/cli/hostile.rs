//! The second round of hostile archives (`tests/fixtures/damaged/round-2/`, made by
//! `gen-damaged`): nothing lost, and every oddity said where it is.

use std::collections::BTreeMap;

use crate::harness::scan;

const DUMP: &str = "tests/fixtures/damaged/round-2";

#[test]
fn a_non_record_item_never_costs_the_records_after_it() {
    let run = scan(&[DUMP]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let manifest: BTreeMap<String, BTreeMap<String, String>> = run
        .rows("manifest.csv")
        .into_iter()
        .map(|r| {
            (
                r["path"].trim_start_matches(&format!("{DUMP}/")).to_owned(),
                r,
            )
        })
        .collect();
    let note = |file: &str| manifest[file]["note"].clone();
    assert_eq!(
        note("empty-object-first.json"),
        "1 item is not a CloudTrail record, skipped (1 other JSON)"
    );
    assert_eq!(
        note("foreign-object-first.json"),
        "1 item is not a CloudTrail record, skipped (1 other JSON)"
    );
    assert_eq!(
        note("digest-first.json"),
        "1 item is not a CloudTrail record, skipped (1 digest)"
    );
    assert_eq!(
        note("insight-first.json.gz"),
        "1 item is not a CloudTrail record, skipped (1 Insights event)"
    );
    assert_eq!(
        note("siem-header.jsonl"),
        "1 item is not a CloudTrail record, skipped (1 other JSON)"
    );
    for (file, records) in [
        ("empty-object-first.json", "1"),
        ("siem-header.jsonl", "2"),
        ("bom-concatenated.json", "2"),
    ] {
        assert_eq!(manifest[file]["records"], records, "{file}");
        assert_eq!(manifest[file]["status"], "ok", "{file}");
    }
    // Nothing but non-records: the file keeps its kind.
    assert_eq!(
        (
            manifest["insights-only.json"]["kind"].as_str(),
            manifest["insights-only.json"]["status"].as_str()
        ),
        ("insight", "skipped")
    );
    assert_eq!(manifest["digests-only.jsonl"]["kind"], "digest");
    // Long first lines: the lines after the cut one are read, and counted.
    let long = &manifest["long-first-line.jsonl"];
    assert_eq!(
        (
            long["records"].as_str(),
            long["undecodable"].as_str(),
            long["format"].as_str()
        ),
        ("4", "1", "json-lines/plain")
    );
    assert_eq!(
        manifest["long-garbage-line.jsonl"]["error"],
        "1 line is not JSON (the first at byte 0)"
    );
}

#[test]
fn sound_json_is_read_leniently_and_the_leniency_is_noted() {
    let run = scan(&[DUMP]);
    let events: BTreeMap<String, BTreeMap<String, String>> = run
        .rows("events.csv")
        .into_iter()
        .map(|r| (r["event_id"].clone(), r))
        .collect();
    let lone = &events["r2-lone-surrogate"];
    assert_eq!(lone["user_agent"], "evil \u{fffd} agent");
    assert_eq!(lone["region"], "1e999");
    let odd = &events["r2-odd-types"];
    assert_eq!(odd["actor"], r#"["u-r2-odd-types",{"nested":true}]"#);
    assert_eq!(odd["source_ip"], "3232235777");
    assert_eq!(events["r2-duplicate-keys"]["event_name"], "ChangePassword");
    let problems: Vec<(String, String, String)> = run
        .rows("problems.csv")
        .into_iter()
        .map(|r| {
            (
                r["path"].trim_start_matches(&format!("{DUMP}/")).to_owned(),
                r["kind"].clone(),
                r["problem"].clone(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (
                "duplicate-keys.json".to_owned(),
                "duplicate-key".to_owned(),
                "key `eventName` appears twice in one object (the last value is used): a possible sign of tampering".to_owned()
            ),
            (
                "lone-surrogate-and-huge-number.json".to_owned(),
                "lenient".to_owned(),
                "a lone surrogate escape was replaced by U+FFFD; a number too large for a double was kept as text".to_owned()
            ),
            (
                "long-first-line.jsonl".to_owned(),
                "unreadable".to_owned(),
                "record cut off (the data ends inside it)".to_owned()
            ),
            (
                "odd-types.json".to_owned(),
                "lenient".to_owned(),
                "userIdentity.userName: an array where text was expected, kept as its JSON text; sourceIPAddress: a number where text was expected, kept as its JSON text".to_owned()
            ),
        ]
    );
}
