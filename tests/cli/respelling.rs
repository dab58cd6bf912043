//! Property tests: how a dump is spelled never changes what is reported, and the prefiltered
//! fast path reports exactly what decoding every record reports.
//!
//! A dump of generated records (the five events from many kinds of identity, failures, and
//! decoys whose bytes mention the event names) is written in a random spelling: layout
//! (`Records`, array, JSON Lines, lookup-events, EventBridge, concatenated), whitespace, key
//! order, `\u` escapes anywhere (event names and sources included), byte-order marks, UTF-16,
//! gzip members split at random points, several files. The events reported must be the same
//! as for the plain spelling (origin columns aside, as records move between files).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use serde_json::{Value, json};
use trailsift::config::Config;
use trailsift::filter::{DEFAULT_EVENTS, EventSet, Selection};
use trailsift_tools::synth::{Noise, Record, assumed_role, iam_user, root};

const ACCOUNT: &str = "111122223333";

/// Records: noise, credential events of every kind, and decoys.
fn records(seed: u64, n: usize) -> Vec<Value> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let noise = Noise {
        accounts: vec![ACCOUNT.into()],
        users: vec!["ann".into(), "ben".into()],
        roles: vec!["app".into()],
    };
    let mut out = Vec::new();
    for i in 0..n {
        let time = format!(
            "2026-03-02T{:02}:{:02}:{:02}Z",
            i / 60 % 24,
            i % 60,
            rng.u8(..60)
        );
        let who = ["ann", "ben", "cat"][rng.usize(..3)];
        let identity = match rng.u8(..5) {
            0 => iam_user(ACCOUNT, who, "AKIAEXAMPLEKEY000001", None, &time),
            1 => iam_user(
                ACCOUNT,
                who,
                "ASIAEXAMPLEKEY000002",
                Some(rng.bool()),
                &time,
            ),
            2 => assumed_role(
                ACCOUNT,
                "AWSReservedSSO_Admin_0a1b",
                &format!("{who}@example.com"),
                "ASIAEXAMPLEKEY000003",
                true,
                &time,
            ),
            3 => root(ACCOUNT, "ASIAEXAMPLEKEY000004", rng.bool(), &time),
            _ => {
                json!({"type": "IAMUser", "userName": format!("{who}-é✓🔑"), "accountId": ACCOUNT})
            }
        };
        let name = DEFAULT_EVENTS[rng.usize(..DEFAULT_EVENTS.len())];
        let mut r = match rng.u8(..10) {
            0..=3 => Record::call(
                &mut rng,
                &time,
                "iam.amazonaws.com",
                name,
                "us-east-1",
                identity,
            ),
            // Decoys: the same names from another service, names in other fields, near names.
            4 => Record::call(
                &mut rng,
                &time,
                "cognito-idp.amazonaws.com",
                "ChangePassword",
                "us-east-1",
                identity,
            ),
            5 => {
                let mut r = Record::call(
                    &mut rng,
                    &time,
                    "iam.amazonaws.com",
                    "DeactivateMFADevice",
                    "us-east-1",
                    identity,
                );
                r.error_message = Some(format!("not authorized to perform: iam:{name}"));
                r.error_code = Some("AccessDenied".into());
                r
            }
            _ => noise.record(&mut rng, &time, ACCOUNT, "eu-west-1"),
        };
        r.request_parameters = match (r.event_name.as_str(), rng.u8(..3)) {
            ("EnableMFADevice" | "ResyncMFADevice", _) => {
                json!({"userName": who, "serialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/{who}")})
            }
            ("UpdateAccessKey", 0) => Value::Null,
            ("UpdateAccessKey", _) => {
                json!({"userName": who, "accessKeyId": "AKIAEXAMPLEKEY000009", "status": "Active"})
            }
            ("CreateVirtualMFADevice", _) => json!({"virtualMFADeviceName": who, "path": "/"}),
            (_, _) => r.request_parameters.clone(),
        };
        if r.event_name == "CreateVirtualMFADevice" {
            r.response_elements = json!({"virtualMFADevice": {"serialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/{who}")}});
        }
        if r.event_name == "UpdateAccessKey" && r.request_parameters.is_null() {
            r.error_code = Some("AccessDenied".into());
            r.error_message = Some(format!(
                "User: x is not authorized to perform: iam:UpdateAccessKey on resource: user {who}"
            ));
        }
        r.user_agent = format!("{} \"quoted\" \\ back/slash", r.user_agent);
        out.push(serde_json::to_value(&r).unwrap());
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    Records,
    Array,
    Lines,
    Lookup,
    LookupLines,
    Bridge,
    Concatenated,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    Sorted,
    Reversed,
    Shuffled,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
}

#[derive(Debug, Clone)]
struct Spelling {
    layout: Layout,
    pretty: bool,
    order: Order,
    /// Chance (per mille) that a character of a string is written as a `\u` escape.
    escapes: u16,
    encoding: Encoding,
    /// 0: plain; n: gzip in n members.
    gzip_members: u8,
    files: u8,
    seed: u64,
}

fn spellings() -> impl Strategy<Value = Spelling> {
    (
        prop_oneof![
            Just(Layout::Records),
            Just(Layout::Array),
            Just(Layout::Lines),
            Just(Layout::Lookup),
            Just(Layout::LookupLines),
            Just(Layout::Bridge),
            Just(Layout::Concatenated)
        ],
        any::<bool>(),
        prop_oneof![
            Just(Order::Sorted),
            Just(Order::Reversed),
            Just(Order::Shuffled)
        ],
        prop_oneof![Just(0u16), 1u16..60, Just(1000u16)],
        prop_oneof![
            Just(Encoding::Utf8),
            Just(Encoding::Utf8Bom),
            Just(Encoding::Utf16Le)
        ],
        0u8..4,
        1u8..4,
        any::<u64>(),
    )
        .prop_map(
            |(layout, pretty, order, escapes, encoding, gzip_members, files, seed)| Spelling {
                layout,
                pretty,
                order,
                escapes,
                encoding,
                gzip_members,
                files,
                seed,
            },
        )
}

/// Writes JSON with the spelling's whitespace, key order and escapes.
struct Writer<'s> {
    s: &'s Spelling,
    rng: fastrand::Rng,
    pretty: bool,
}

impl Writer<'_> {
    fn value(&mut self, v: &Value, depth: usize, out: &mut String) {
        let (nl, pad, inner) = if self.pretty {
            ("\n", "  ".repeat(depth), "  ".repeat(depth + 1))
        } else {
            ("", String::new(), String::new())
        };
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                match self.s.order {
                    Order::Sorted => {}
                    Order::Reversed => entries.reverse(),
                    Order::Shuffled => self.rng.shuffle(&mut entries),
                }
                out.push('{');
                for (i, (k, item)) in entries.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { "" });
                    out.push_str(nl);
                    out.push_str(&inner);
                    self.string(k, out);
                    out.push_str(if self.pretty { ": " } else { ":" });
                    self.value(item, depth + 1, out);
                }
                if !entries.is_empty() {
                    out.push_str(nl);
                    out.push_str(&pad);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { "" });
                    out.push_str(nl);
                    out.push_str(&inner);
                    self.value(item, depth + 1, out);
                }
                if !items.is_empty() {
                    out.push_str(nl);
                    out.push_str(&pad);
                }
                out.push(']');
            }
            Value::String(text) => self.string(text, out),
            other => out.push_str(&other.to_string()),
        }
    }

    fn string(&mut self, text: &str, out: &mut String) {
        out.push('"');
        for c in text.chars() {
            let escape = self.s.escapes > 0 && self.rng.u16(..1000) < self.s.escapes;
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' if escape => out.push_str("\\/"),
                c if (c as u32) < 0x20 || escape => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{:04x}", u));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    fn compact(&mut self, v: &Value) -> String {
        let saved = std::mem::replace(&mut self.pretty, false);
        let mut out = String::new();
        self.value(v, 0, &mut out);
        self.pretty = saved;
        out
    }

    fn spelled(&mut self, v: &Value) -> String {
        let mut out = String::new();
        self.value(v, 0, &mut out);
        out
    }
}

/// The text of one file holding `records` in the spelling's layout.
fn layout(records: &[Value], w: &mut Writer<'_>) -> String {
    let lookup = |w: &mut Writer<'_>, r: &Value| json!({"EventId": r["eventID"], "EventName": r["eventName"], "CloudTrailEvent": w.compact(r)});
    match w.s.layout {
        Layout::Records => w.spelled(&json!({"Records": records})),
        Layout::Array => w.spelled(&Value::Array(records.to_vec())),
        Layout::Lines => records.iter().map(|r| w.compact(r) + "\n").collect(),
        Layout::Lookup => {
            let events: Vec<Value> = records.iter().map(|r| lookup(w, r)).collect();
            w.spelled(&json!({"Events": events, "NextToken": "t"}))
        }
        Layout::LookupLines => records
            .iter()
            .map(|r| {
                let e = lookup(w, r);
                w.compact(&e) + "\n"
            })
            .collect(),
        Layout::Bridge => records
            .iter()
            .map(|r| json!({"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": r}))
            .map(|e| w.compact(&e) + "\n")
            .collect(),
        Layout::Concatenated => records.iter().map(|r| w.spelled(r) + "\n").collect(),
    }
}

/// Writes the dump in the spelling under `dir`.
fn write_dump(records: &[Value], s: &Spelling, dir: &Path) {
    let mut w = Writer {
        s,
        rng: fastrand::Rng::with_seed(s.seed),
        pretty: s.pretty,
    };
    let files = s.files.max(1) as usize;
    for f in 0..files {
        let part: Vec<Value> = records.iter().skip(f).step_by(files).cloned().collect();
        let text = layout(&part, &mut w);
        let mut bytes = match s.encoding {
            Encoding::Utf8 => text.into_bytes(),
            Encoding::Utf8Bom => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
            Encoding::Utf16Le => {
                let mut b = vec![0xFF, 0xFE];
                b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
                b
            }
        };
        if s.gzip_members > 0 {
            let mut cuts: Vec<usize> = (1..s.gzip_members)
                .map(|_| w.rng.usize(..=bytes.len()))
                .collect();
            cuts.push(0);
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut gz = Vec::new();
            for pair in cuts.windows(2) {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&bytes[pair[0]..pair[1]]).unwrap();
                gz.extend(e.finish().unwrap());
            }
            bytes = gz;
        }
        std::fs::write(dir.join(format!("part-{f}.json")), bytes).unwrap();
    }
}

/// Scans `dir` (the results' sorts holding `sort_memory` bytes each); returns events.csv as
/// rows of named cells.
fn scan(dir: &Path, events: EventSet, sort_memory: usize) -> Vec<BTreeMap<String, String>> {
    let out = dir.with_extension(format!("out-{}", fastrand::u64(..)));
    let selection = Selection::new(events);
    let config = Config {
        sort_memory,
        ..Config::new(vec![dir.to_path_buf()], out.clone(), selection)
    };
    let summary = trailsift::run(&config).unwrap();
    assert!(summary.complete(), "{:?}", summary.warnings);
    let text = std::fs::read_to_string(out.join("events.csv")).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    crate::harness::rows(&text)
}

/// Rows without the columns that say where a record sat, sorted.
fn content(rows: &[BTreeMap<String, String>]) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            r.iter()
                .filter(|(k, _)| *k != "source_file" && *k != "source_record")
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    #[test]
    fn spelling_never_changes_the_events(seed in any::<u64>(), n in 1usize..50, spelling in spellings()) {
        let records = records(seed, n);
        let tmp = tempfile::tempdir().unwrap();
        let (plain, spelled) = (tmp.path().join("plain"), tmp.path().join("spelled"));
        std::fs::create_dir_all(&plain).unwrap();
        std::fs::create_dir_all(&spelled).unwrap();
        let baseline = Spelling { layout: Layout::Records, pretty: false, order: Order::Sorted, escapes: 0, encoding: Encoding::Utf8, gzip_members: 0, files: 1, seed: 0 };
        write_dump(&records, &baseline, &plain);
        write_dump(&records, &spelling, &spelled);
        let expected = scan(&plain, EventSet::default_set(), 32 << 20);
        let got = scan(&spelled, EventSet::default_set(), 32 << 20);
        prop_assert_eq!(content(&got), content(&expected));

        // The fast path (byte prefilter) against a full decode of every record, whole rows;
        // the full decode's results go through the sorts on disk (a few events per run).
        let all = scan(&spelled, EventSet::All, 4 << 10);
        let five = DEFAULT_EVENTS;
        let full: Vec<_> = all.into_iter().filter(|r| r["event_source"] == "iam.amazonaws.com" && five.contains(&r["event_name"].as_str())).collect();
        prop_assert_eq!(got, full);
    }
}

#[test]
fn the_generated_records_exercise_every_case() {
    let records = records(7, 400);
    let names: std::collections::BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r["eventName"].as_str())
        .collect();
    for name in DEFAULT_EVENTS.iter().chain(&["DeactivateMFADevice"]) {
        assert!(names.contains(name), "{name}");
    }
    assert!(
        records
            .iter()
            .any(|r| r["eventSource"] == "cognito-idp.amazonaws.com")
    );
    assert!(records.iter().any(|r| r["userIdentity"]["type"] == "Root"));
}
