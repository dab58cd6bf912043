//! What reaches the analyst: the terminal, pipes, mistakes, interruptions, and the exports
//! (workbook, JSON Lines, Timesketch).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{raw, scan};

/// A record of a credential call, with fields given as JSON values.
fn record(id: &str, user: &str, agent: &str, region: &str, error: &str, name: &str) -> String {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": user, "accountId": "111122223333", "arn": format!("arn:aws:iam::111122223333:user/{user}")},
        "eventTime": "2026-03-02T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": agent,
        "errorMessage": error,
        "errorCode": if error.is_empty() { serde_json::Value::Null } else { "AccessDenied".into() },
        "requestParameters": {"userName": format!("{user}\u{9b}target")},
        "eventID": id,
        "recipientAccountId": "111122223333"
    })
    .to_string()
}

/// A dump whose user names, fields, event names and file names carry control characters.
fn hostile_dump(root: &Path) {
    let dir = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02");
    std::fs::create_dir_all(&dir).unwrap();
    let records = [
        record(
            "t-1",
            "\u{1b}[2J\u{1b}[Hall clear, nothing found",
            "agent\u{7}bell",
            "us-east-1",
            "",
            "EnableMFADevice",
        ),
        record(
            "t-2",
            "carol\rmallory",
            "\u{1b}]0;owned\u{7}",
            "eu\u{9b}west",
            "denied\u{202e}gnp.exe",
            "UpdateAccessKey",
        ),
        record(
            "t-3",
            "evil\u{202e}txt",
            "x",
            "us-east-1",
            "",
            "Evil\u{1b}]0;title\u{7}Name",
        ),
        record(
            "t-4",
            "evil\u{202e}txt",
            "x",
            "us-east-1",
            "",
            "ResyncMFADevice",
        ),
    ];
    std::fs::write(
        dir.join("111122223333_CloudTrail_us-east-1_20260302T1000Z_abc.json"),
        format!("{{\"Records\":[{}]}}", records.join(",")),
    )
    .unwrap();
    // A damaged file with escapes in its name: named in the warnings.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"cut\x1b[31m\xe2\x80\xaered.json");
        std::fs::write(root.join(name), r#"{"Records":[{"eventName":"Cha"#).unwrap();
    }
}

/// Whether text holds a character that acts on a terminal (C0 controls but newline, DEL,
/// C1 controls, direction overrides and isolates).
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c < ' ' && c != '\n')
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

#[test]
fn no_raw_control_character_from_the_logs_reaches_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dump");
    hostile_dump(&root);
    for extra in [
        &[][..],
        &["--all-events"],
        &["--events", "ResyncMFADevice,changepassword"],
    ] {
        let run = scan(&[&[root.to_str().unwrap()][..], extra].concat());
        assert_eq!(run.code, 3, "{}", run.stderr);
        for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert_eq!(raw_controls(text), Vec::<char>::new(), "{what}: {text}");
        }
        assert!(
            run.stderr
                .contains("cut\\x1b[31m\\u{202e}red.json: partial"),
            "{}",
            run.stderr
        );
        if extra.is_empty() {
            // The user still shows, visibly: nothing is dropped.
            assert!(
                run.stdout
                    .contains("\\x1b[2J\\x1b[Hall clear, nothing found\\x9btarget (111122223333)"),
                "{}",
                run.stdout
            );
            // The reports keep the data verbatim.
            let events = run.report("events.csv");
            assert!(events.contains("\u{1b}[2J\u{1b}[Hall clear"));
            assert!(events.contains("carol\rmallory"));
        }
        if extra.len() == 1 {
            assert!(
                run.stdout.contains("Evil\\x1b]0;title\\x07Name"),
                "{}",
                run.stdout
            );
        }
    }
}

/// `trailsift scan tests/fixtures/public --out OUT`, its streams left to the caller.
fn scan_public(out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailsift"));
    command
        .args(["scan", "tests/fixtures/public", "--out"])
        .arg(out)
        .current_dir(crate::harness::repo());
    command
}

#[test]
fn a_closed_pipe_ends_the_output_quietly_and_the_reports_are_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (stdout_closed, stderr_closed) in [(true, false), (false, true), (true, true)] {
        let _ = std::fs::remove_dir_all(&out);
        let mut child = scan_public(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before anything is written (`| head -0`).
        if stdout_closed {
            drop(child.stdout.take());
        }
        if stderr_closed {
            drop(child.stderr.take());
        }
        let output = child.wait_with_output().unwrap();
        // The public samples hold a file that is invalid on purpose: exit 3, as always.
        assert_eq!(
            output.status.code(),
            Some(3),
            "{stdout_closed} {stderr_closed}"
        );
        let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
        assert_eq!(
            events,
            std::fs::read_to_string(
                crate::harness::repo().join("tests/expected/public/events.csv")
            )
            .unwrap()
        );
        if !stderr_closed {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!stderr.contains("panicked"), "{stderr}");
            // A reader that has read enough is no failure.
            assert!(!stderr.contains("summary could not be written"), "{stderr}");
        }
    }
}

#[test]
fn a_stdout_that_cannot_be_written_is_named_on_stderr_and_the_reports_are_whole() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("no /dev/full here: nothing to test");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let output = scan_public(&out)
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "the status it would have had"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "trailsift: warning: the summary could not be written to standard output \
             (No space left on device (os error 28)); the reports are complete"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("events.csv")).unwrap(),
        std::fs::read_to_string(crate::harness::repo().join("tests/expected/public/events.csv"))
            .unwrap()
    );
}

#[test]
fn mistakes_are_told_early_with_the_right_status() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_arg = out.to_str().unwrap();
    // A path that does not exist: a usage error, nothing written.
    let run = raw(&["scan", "sample-logs", "no/such/dump", "--out", out_arg]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot read PATH no/such/dump: no such file or directory"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "nothing is written");
    // Thousands of threads would spend the run looking for work.
    let run = raw(&["scan", "sample-logs", "--threads", "5000", "--out", out_arg]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "invalid value '5000' for '--threads <N>': the number of threads must be at most 256"
        ),
        "{}",
        run.stderr
    );
    // A device or pipe named as a PATH (`<(zcat ...)`): a usage error, not a silent skip.
    if std::path::Path::new("/dev/null").exists() {
        let run = raw(&["scan", "/dev/null", "--out", out_arg]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains(
                "cannot read PATH /dev/null: not a regular file or directory (a pipe, socket or \
                 device); save its content to a file and give that"
            ),
            "{}",
            run.stderr
        );
        assert!(!out.exists(), "nothing is written");
        let run = raw(&["verify", "/dev/null", "--out", out_arg]);
        assert_eq!(run.code, 2, "{}", run.stderr);
    }
    // No file at all under the paths.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(empty.join("sub")).unwrap();
    let run = raw(&["scan", empty.to_str().unwrap(), "--out", out_arg]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no file found under"), "{}", run.stderr);
    assert!(!out.exists(), "nothing is written");
    // Bad values.
    for (args, message) in [
        (
            &["--account", "abc"][..],
            "'abc' is not an AWS account id (twelve digits",
        ),
        (
            &["--threads", "0"],
            "the number of threads must be at least 1",
        ),
        (&["--format", "pdf"], "invalid value 'pdf'"),
    ] {
        let run = raw(&[&["scan", "sample-logs", "--out", out_arg][..], args].concat());
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"));
    }
    // Names that match nothing are warned about, with a known name when one is close.
    let run = scan(&["sample-logs", "--region", "us-east1"]);
    assert!(
        run.stderr.contains("trailsift: warning: --region us-east1 is not a region trailsift knows; did you mean us-east-1?"),
        "{}",
        run.stderr
    );
    let run = scan(&[
        "sample-logs",
        "--events",
        "changepassword,NoSuchEvent,EnableMFADevice",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "trailsift: warning: --events changepassword matched no event; did you mean ChangePassword?",
        "trailsift: warning: --events NoSuchEvent matched no event",
    ] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }
    assert!(
        !run.stderr.contains("EnableMFADevice matched"),
        "{}",
        run.stderr
    );
    // The version says what was built and how it runs.
    let run = raw(&["--version"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("trailsift 0.1.0 (commit "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(" framing)"), "{}", run.stdout);
}

/// A dump that takes a few seconds to scan.
fn slow_dump(root: &Path) {
    trailsift_tools::heavy::generate(root, 150_000, 6, trailsift_tools::heavy::Shape::ManyUsers)
        .unwrap();
}

/// Starts a scan and sends `signal` once it holds its output directory and has begun.
#[cfg(unix)]
fn interrupted(dump: &Path, out: &Path, force: bool, signal: i32) -> (i32, String) {
    interrupted_as(dump, out, force, signal, false)
}

/// [`interrupted`], the scan started with SIGINT, SIGTERM and SIGHUP at their defaults
/// whatever this process inherited (a background job of a script ignores SIGINT), or with
/// SIGHUP ignored as `nohup` starts it.
#[cfg(unix)]
fn interrupted_as(dump: &Path, out: &Path, force: bool, signal: i32, nohup: bool) -> (i32, String) {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailsift"));
    // SAFETY: only async-signal-safe calls (signal) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(s, libc::SIG_DFL);
            }
            if nohup {
                libc::signal(libc::SIGHUP, libc::SIG_IGN);
            }
            Ok(())
        });
    }
    command
        .args([
            "scan",
            dump.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if force {
        command.arg("--force");
    }
    let child = command.spawn().unwrap();
    let lock = out.join(trailsift::outdir::LOCK_NAME);
    let t0 = std::time::Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&format!("pid {}", child.id())))
    {
        assert!(t0.elapsed().as_secs() < 60, "the run never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: sending a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[cfg(unix)]
#[test]
fn interruptions_leave_the_output_directory_clean_and_reusable() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    slow_dump(&dump);
    let out = tmp.path().join("out");
    for (signal, status) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let (code, stderr) = interrupted(&dump, &out, false, signal);
        assert_eq!(code, status, "{stderr}");
        assert!(stderr.contains("interrupted by SIG"), "{stderr}");
        assert_eq!(entries(&out), Vec::<String>::new(), "{stderr}");
    }
    // Under nohup a hangup is ignored: the run completes.
    let kept = tmp.path().join("nohup");
    let (code, stderr) = interrupted_as(&dump, &kept, false, libc::SIGHUP, true);
    assert_eq!(code, 0, "{stderr}");
    assert!(entries(&kept).contains(&"run.json".to_owned()), "{stderr}");
    // The directory is reusable without --force.
    let done = raw(&[
        "scan",
        "sample-logs",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    let before: BTreeMap<String, Vec<u8>> = entries(&out)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(out.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    // Interrupting a --force rerun leaves the previous set exactly as it was.
    let (code, stderr) = interrupted(&dump, &out, true, libc::SIGINT);
    assert_eq!(code, 130, "{stderr}");
    let after: BTreeMap<String, Vec<u8>> = entries(&out)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(out.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    assert_eq!(before, after);
    // What a run killed outright leaves is recognised and removed by the next one.
    std::fs::create_dir(out.join(".trailsift-run-killed")).unwrap();
    std::fs::write(out.join(".trailsift-run-killed/events.csv"), "half").unwrap();
    std::fs::write(out.join(trailsift::outdir::LOCK_NAME), "pid 1\n").unwrap();
    let again = raw(&[
        "scan",
        "sample-logs",
        "--out",
        out.to_str().unwrap(),
        "--force",
        "--quiet",
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        !entries(&out).iter().any(|n| n.starts_with('.')),
        "{:?}",
        entries(&out)
    );
}

/// Runs a scan with the given formats into a fresh directory; returns the run and its path.
fn with_formats(input: &str, formats: &str) -> (crate::harness::Run, PathBuf) {
    let run = scan(&[input, "--format", formats]);
    let out = run.out.clone();
    (run, out)
}

#[test]
fn the_workbook_keeps_text_numbers_flags_and_times() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let (run, out) = with_formats("tests/fixtures/public", "csv,xlsx");
    assert_eq!(run.code, 3, "{}", run.stderr);
    let mut book: Xlsx<_> = open_workbook(out.join("report.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "events", "timeline", "users", "findings", "manifest", "problems"
        ]
    );
    let events = book.worksheet_range("events").unwrap();
    let header: Vec<String> = events
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let csv = crate::harness::rows(&std::fs::read_to_string(out.join("events.csv")).unwrap());
    let rows: Vec<&[Data]> = events.rows().skip(1).collect();
    assert_eq!(rows.len(), csv.len());
    for (row, line) in rows.iter().zip(&csv) {
        // Accounts stay text, leading zeros and all (an anonymised corpus has 13 digits).
        match &row[column("account")] {
            Data::String(s) => assert_eq!(s, &line["account"]),
            Data::Empty => assert_eq!(line["account"], ""),
            other => panic!("account {other:?}"),
        }
        match &row[column("event_time")] {
            Data::DateTime(t) => {
                // Days since 1899-12-30, as Excel counts them.
                let secs = (t.as_f64() - 25_569.0) * 86_400.0;
                let csv_time = chrono::DateTime::parse_from_rfc3339(&line["event_time"]).unwrap();
                let want = csv_time.timestamp() as f64
                    + f64::from(csv_time.timestamp_subsec_millis()) / 1e3;
                assert!((secs - want).abs() < 0.01, "{secs} vs {want}");
            }
            Data::Empty => assert_eq!(line["event_time"], ""),
            other => panic!("event_time {other:?}"),
        }
        assert!(
            matches!(row[column("console_session")], Data::Bool(_)),
            "{:?}",
            row[column("console_session")]
        );
        assert!(matches!(
            row[column("copies")],
            Data::Float(_) | Data::Int(_)
        ));
        // Text that a spreadsheet would run as a formula is plain text, without a quote.
        if let Data::String(s) = &row[column("user_agent")] {
            assert_eq!(line["user_agent"].trim_start_matches('\''), s.as_str());
        }
    }
    assert!(
        rows.iter()
            .any(|r| r[column("account")] == Data::String("0123456789012".into()))
    );
    let findings = book.worksheet_range("findings").unwrap();
    assert!(findings.rows().count() > 1);
}

#[test]
fn json_lines_carry_each_event_and_its_original_record() {
    let (run, out) = with_formats("sample-logs", "jsonl");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Only the formats asked for are written (and the run's record).
    assert_eq!(entries(&out), ["events.jsonl", "run.json"]);
    let text = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 29);
    for l in &lines {
        assert_eq!(l["record"]["eventID"], l["event_id"]);
        assert_eq!(l["record"]["eventName"], l["event_name"]);
        assert!(l["console_session"].is_boolean() && l["copies"].is_u64());
        assert!(l["mfa_authenticated"].is_boolean() || l["mfa_authenticated"].is_null());
    }
}

#[test]
fn the_timesketch_export_follows_timesketch_rules() {
    let (run, out) = with_formats("sample-logs", "csv,timesketch");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(out.join("timesketch.jsonl")).unwrap();
    let findings =
        crate::harness::rows(&std::fs::read_to_string(out.join("findings.csv")).unwrap());
    let mut lines = 0;
    let mut tagged: Vec<(String, String)> = Vec::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        lines += 1;
        for field in ["message", "datetime", "timestamp_desc"] {
            assert!(
                v[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field}: {l}"
            );
        }
        assert_eq!(v["timestamp_desc"], "Event Time");
        assert_eq!(v["data_type"], "aws:cloudtrail:entry");
        let t = chrono::DateTime::parse_from_rfc3339(v["datetime"].as_str().unwrap()).unwrap();
        assert_eq!(v["timestamp"].as_i64().unwrap(), t.timestamp_micros());
        assert!((1700..=9999).contains(&chrono::Datelike::year(&t)));
        for field in [
            "event_name",
            "event_source",
            "source_ip",
            "user_identity_arn",
            "username",
            "account_identifier",
        ] {
            assert!(v[field].is_string(), "{field}: {l}");
        }
        assert!(!v["message"].as_str().unwrap().contains('\n'));
        for t in v["tag"].as_array().unwrap() {
            tagged.push((
                v["event_id"].as_str().unwrap().to_owned(),
                t.as_str().unwrap().to_owned(),
            ));
        }
    }
    let mut flagged: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f["event_id"].clone(), f["rule"].clone()))
        .collect();
    flagged.sort();
    tagged.sort();
    assert_eq!(tagged, flagged, "every finding is a tag of its event");
    assert_eq!(lines, 29);
    assert!(
        text.contains("\"message\":\"erin changed own console password from "),
        "{text}"
    );
}
