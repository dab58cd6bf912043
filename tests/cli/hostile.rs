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

/// The reports of a run, checked against the SHA-256 its run.json gives for each.
fn assert_set_is_whole(out: &std::path::Path) {
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let reports = record["reports"].as_array().unwrap();
    assert!(reports.len() >= 6, "{record}");
    for r in reports {
        let name = r["name"].as_str().unwrap();
        let bytes = std::fs::read(out.join(name)).unwrap();
        let digest =
            trailsift::report::digest::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        assert_eq!(digest, r["sha256"].as_str().unwrap(), "{name}");
    }
}

/// Starts `trailsift scan <dump> --out <out> --force --quiet`.
fn start_scan(dump: &std::path::Path, out: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_trailsift"))
        .args([
            "scan",
            dump.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--force", "--quiet", "--threads", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn two_runs_into_one_directory_give_one_whole_set_and_a_clear_refusal() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    trailsift_tools::heavy::generate(&dump, 60_000, 4, trailsift_tools::heavy::Shape::ManyUsers)
        .unwrap();
    let out = tmp.path().join("out");
    let first = start_scan(&dump, &out);
    // The second starts once the first holds the directory.
    let lock = out.join(trailsift::outdir::LOCK_NAME);
    let t0 = std::time::Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("command")) {
        assert!(
            t0.elapsed().as_secs() < 60,
            "the first run never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let second = start_scan(&dump, &out).wait_with_output().unwrap();
    let pid = first.id();
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.status.code(), Some(1));
    let refusal = String::from_utf8_lossy(&second.stderr);
    assert!(
        refusal.contains("is in use by another trailsift run (pid ")
            && refusal.contains(&format!("pid {pid}, started 20")),
        "{refusal}"
    );
    assert_set_is_whole(&out);
    // Nothing but the reports is left.
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "events.csv",
            "findings.csv",
            "manifest.csv",
            "problems.csv",
            "report.html",
            "run.json",
            "timeline.csv",
            "users.csv"
        ]
    );

    // Started together, again and again: one run wins each time, and the set is whole.
    for _ in 0..4 {
        let (a, b) = (start_scan(&dump, &out), start_scan(&dump, &out));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let mut codes = [a.status.code(), b.status.code()];
        codes.sort();
        assert!(
            codes == [Some(0), Some(0)] || codes == [Some(0), Some(1)],
            "{codes:?}: {} {}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        assert_set_is_whole(&out);
    }
}

#[cfg(unix)]
#[test]
fn a_file_replaced_by_a_fifo_after_the_walk_is_named_not_waited_for() {
    use std::os::unix::ffi::OsStrExt;
    use trailsift::discover::{InputFile, PathKind};
    use trailsift::filter::{EventSet, Selection};
    use trailsift::scan::file::{Collected, Status, Worker};

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("log.json");
    // Walked as a regular file, then replaced by a FIFO nobody writes to.
    let file = InputFile {
        path: path.clone(),
        display: path.display().to_string(),
        size: 10,
        kind: PathKind::Data,
        json_named: true,
    };
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let selection = Selection::new(EventSet::default_set());
    let prefilter = selection.prefilter();
    let started = std::time::Instant::now();
    let report = Worker::new(&selection, &prefilter).scan(0, &file, &Collected::default());
    assert!(started.elapsed().as_secs() < 5, "the open blocked");
    assert_eq!(report.status, Status::Unreadable);
    assert!(
        report
            .error
            .contains("not a regular file any more (a FIFO)"),
        "{}",
        report.error
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_path_longer_than_the_system_opens_is_reported_plainly() {
    use rustix::fs::{Mode, OFlags};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dump");
    std::fs::create_dir(&root).unwrap();
    // 25 levels of 200-byte names: more than the 4,096 bytes one call may name.
    let mut dir =
        rustix::fs::open(&root, OFlags::DIRECTORY | OFlags::RDONLY, Mode::empty()).unwrap();
    let name = "d".repeat(200);
    for _ in 0..25 {
        rustix::fs::mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        dir = rustix::fs::openat(
            &dir,
            name.as_str(),
            OFlags::DIRECTORY | OFlags::RDONLY,
            Mode::empty(),
        )
        .unwrap();
    }
    let file = rustix::fs::openat(
        &dir,
        "deep.json",
        OFlags::CREATE | OFlags::WRONLY,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&file, br#"{"Records":[]}"#).unwrap();
    let run = crate::harness::scan(&[root.to_str().unwrap()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let rows = run.rows("manifest.csv");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "unreadable");
    assert!(
        rows[0]["error"]
            .contains("more than the system opens (4096); move or link the dump to a shorter path"),
        "{}",
        rows[0]["error"]
    );
}
