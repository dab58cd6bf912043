//! The scan command on the bundled sample and on real public samples.

use crate::harness::{REPORTS, Run, assert_expected, assert_well_formed, raw, scan};

#[test]
fn sample_logs_give_the_expected_reports() {
    let run = scan(&["sample-logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_well_formed(&run);
    assert_expected(&run, "sample-logs", &REPORTS);
    assert!(
        run.stdout.contains(
            "events: 29 reported (4 repeated deliveries merged); 1 eventID with conflicting content"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("inputs: 122 ok, 0 partial, 0 unreadable, 3 skipped"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn public_samples_give_the_expected_reports() {
    let run = scan(&["tests/fixtures/public"]);
    // One of AWS's own parser fixtures is invalid JSON on purpose: the run says so.
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_well_formed(&run);
    assert_expected(&run, "public", &REPORTS);
    assert!(
        run.stderr.contains(
            "SerializerTestFileBadJsonFormat.json: partial: 1 record could not be read, first #0"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn the_thread_count_never_changes_a_byte() {
    for input in ["sample-logs", "tests/fixtures/public"] {
        let one = scan(&[input, "--threads", "1"]);
        let four = scan(&[input, "--threads", "4"]);
        for name in REPORTS {
            assert_eq!(one.report(name), four.report(name), "{input}: {name}");
        }
    }
}

/// The output directory holds the reports and nothing else (no temporary files or runs).
fn assert_only_reports(out: &std::path::Path) {
    let mut left: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut reports = REPORTS.map(String::from).to_vec();
    reports.extend(["run.json".into(), "report.html".into()]);
    reports.sort();
    assert_eq!(left, reports);
}

/// The summary without its timing, the output directory written as `OUT`.
fn summary(run: &Run) -> String {
    run.stdout
        .replace(run.out.to_str().unwrap(), "OUT")
        .lines()
        .filter(|l| !l.starts_with("read "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn results_sorted_on_disk_and_files_read_in_batches_give_the_same_bytes() {
    // A few hundred bytes per sort: every event and every file is a run of its own, merged in
    // several levels; the files are read seven at a time.
    for (input, extra) in [
        ("sample-logs", None),
        ("tests/fixtures/public", None),
        ("sample-logs", Some("--all-events")),
    ] {
        let args: Vec<&str> = [input].into_iter().chain(extra).collect();
        let memory = scan(&args);
        let disk = scan(
            &[
                &args[..],
                &["--sort-memory-unchecked", "300", "--file-batch", "7"],
            ]
            .concat(),
        );
        assert_eq!(memory.code, disk.code, "{}", disk.stderr);
        for name in REPORTS {
            assert_eq!(
                memory.report(name),
                disk.report(name),
                "{input} {extra:?}: {name}"
            );
        }
        assert_eq!(summary(&memory), summary(&disk));
        // The runs are gone: only the reports are left in the output directory.
        assert_only_reports(&disk.out);
    }
}

#[test]
fn a_file_found_twice_is_read_once() {
    // The same file as a root of its own and under a directory root, both spilled to disk.
    let file = "sample-logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03/111122223333_CloudTrail_us-east-1_20260303T0125Z_6M8ctr5H0nBScS2U.json.gz";
    let once = scan(&["sample-logs"]);
    let twice = scan(&[
        "sample-logs",
        file,
        "sample-logs/AWSLogs",
        "--sort-memory-unchecked",
        "300",
    ]);
    assert_eq!(twice.code, 0, "{}", twice.stderr);
    for name in REPORTS {
        assert_eq!(once.report(name), twice.report(name), "{name}");
    }
    // The same directories spelled differently: read once, as first spelled.
    let absolute = crate::harness::repo().join("sample-logs/AWSLogs");
    let respelled = scan(&[
        "sample-logs",
        "./sample-logs/../sample-logs/",
        absolute.to_str().unwrap(),
    ]);
    assert_eq!(respelled.code, 0, "{}", respelled.stderr);
    for name in REPORTS {
        assert_eq!(once.report(name), respelled.report(name), "{name}");
    }
}

#[cfg(unix)]
#[test]
fn links_to_files_the_walk_reads_anyway_are_listed_not_read_again() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    crate::harness::copy_tree(&crate::harness::repo().join("sample-logs"), &dump);
    let dump_arg = dump.to_str().unwrap();
    let plain = scan(&[dump_arg]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let day = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03";
    let file =
        format!("{day}/111122223333_CloudTrail_us-east-1_20260303T0125Z_6M8ctr5H0nBScS2U.json.gz");
    symlink(dump.join(day), dump.join("latest")).unwrap();
    symlink("AWSLogs", dump.join("everything")).unwrap();
    symlink(&file, dump.join("one.json.gz")).unwrap();
    let linked = scan(&[dump_arg, "--sort-memory-unchecked", "300"]);
    assert_eq!(linked.code, 0, "{}", linked.stderr);
    for name in REPORTS.iter().filter(|&&n| n != "manifest.csv") {
        assert_eq!(plain.report(name), linked.report(name), "{name}");
    }
    // The manifest lists each link, as skipped, and nothing else more.
    let link = |from: &str, what: &str, to: &str| {
        format!(
            "{dump_arg}/{from},other,skipped,0,0,0,,0,0,0,\"symbolic link to the {what} {dump_arg}/{to}, read under that path\","
        )
    };
    let links = [
        link("everything", "directory", "AWSLogs"),
        link("latest", "directory", day),
        link("one.json.gz", "file", &file),
    ];
    let manifest = linked.report("manifest.csv");
    let (listed, rest): (Vec<&str>, Vec<&str>) =
        manifest.lines().partition(|l| links.iter().any(|k| k == l));
    assert_eq!(listed, links.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        rest,
        plain.report("manifest.csv").lines().collect::<Vec<_>>()
    );
    assert!(
        linked
            .stdout
            .contains("inputs: 122 ok, 0 partial, 0 unreadable, 6 skipped"),
        "{}",
        linked.stdout
    );
    assert!(
        linked.stdout.contains("4 repeated deliveries merged"),
        "{}",
        linked.stdout
    );
}

#[test]
fn every_record_is_accounted_for_with_all_events() {
    let run = scan(&["sample-logs", "--all-events"]);
    assert_eq!(run.code, 0);
    let records: u64 = run
        .rows("manifest.csv")
        .iter()
        .filter(|r| r["kind"] == "log")
        .map(|r| r["records"].parse::<u64>().unwrap())
        .sum();
    let events = run.rows("events.csv");
    let merged: u64 = events
        .iter()
        .map(|r| r["copies"].parse::<u64>().unwrap() - 1)
        .sum();
    assert_eq!(
        records,
        events.len() as u64 + merged,
        "every record is reported once, or merged into a copy"
    );
    assert_eq!(records, 3255);
}

#[test]
fn an_output_directory_in_use_is_refused_without_force() {
    let first = scan(&["sample-logs"]);
    let out = first.out.to_str().unwrap();
    let again = raw(&["scan", "sample-logs", "--out", out]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("is not empty (use --force to write into it)"),
        "{}",
        again.stderr
    );
    // What a killed run leaves behind: a temporary report and a directory of sort runs.
    std::fs::write(first.out.join(".events.csv.tmp"), "half").unwrap();
    std::fs::create_dir(first.out.join(".trailsift-sort-killed")).unwrap();
    std::fs::write(first.out.join(".trailsift-sort-killed/run-0"), "runs").unwrap();
    let forced = raw(&["scan", "sample-logs", "--out", out, "--force", "--quiet"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(forced.stdout.is_empty());
    assert_only_reports(&first.out);
    assert_eq!(
        std::fs::read_to_string(first.out.join("events.csv")).unwrap(),
        first.report("events.csv")
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["scan", "sample-logs"][..],
        &["scan", "--out", "x"],
        &["scan", "sample-logs", "--out", "x", "--since", "yesterday"],
        &[
            "scan",
            "sample-logs",
            "--out",
            "x",
            "--events",
            "A",
            "--all-events",
        ],
        &[
            "scan",
            "sample-logs",
            "--out",
            "x",
            "--since",
            "2026-03-05",
            "--until",
            "2026-03-04",
        ],
        &["scan", "sample-logs", "--out", "x", "--threads", "0"],
        &["scan", "sample-logs", "--out", "x", "--sort-memory", "64"],
        &[
            "verify",
            "sample-logs",
            "--out",
            "x",
            "--sort-memory",
            "512K",
        ],
        &["scan", "sample-logs", "--out", "x", "--bogus"],
    ] {
        let run = raw(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("Usage:") || run.stderr.contains("error:"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn filters_narrow_the_events() {
    let events = |args: &[&str]| {
        let run = scan(&[&["sample-logs"][..], args].concat());
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run.rows("events.csv")
            .into_iter()
            .map(|r| format!("{} {} {}", r["event_name"], r["actor"], r["target_user"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        events(&["--user", "erin"]),
        [
            "ChangePassword erin erin",
            "ChangePassword erin erin",
            "CreateVirtualMFADevice erin erin",
            "EnableMFADevice erin erin"
        ]
    );
    // A user filter matches targets too, including one resolved from an error message.
    assert_eq!(
        events(&["--user", "henry"]),
        ["UpdateAccessKey mallory henry"]
    );
    assert_eq!(
        events(&["--user", "carol"]),
        [
            "CreateVirtualMFADevice bob carol",
            "EnableMFADevice bob carol",
            "ResyncMFADevice bob carol"
        ]
    );
    assert_eq!(
        events(&[
            "--since",
            "2026-03-04T02:00:00Z",
            "--until",
            "2026-03-04T03:04:55Z"
        ]),
        [
            "UpdateAccessKey mallory henry",
            "UpdateAccessKey mallory dave",
            "ChangePassword erin erin"
        ]
    );
    assert_eq!(
        events(&["--account", "777788889999"]),
        [
            "UpdateAccessKey terraform-ci/gh-actions-1234 svc-backup",
            "CreateVirtualMFADevice svc-backup "
        ]
    );
    assert!(
        events(&["--region", "eu-west-1"]).is_empty(),
        "IAM is logged in us-east-1"
    );
    // Unpinned names include Cognito's ChangePassword; pinned ones do not.
    assert_eq!(
        events(&["--events", "ChangePassword", "--account", "444455556666"]).len(),
        5
    );
    assert_eq!(
        events(&[
            "--events",
            "iam.amazonaws.com:ChangePassword",
            "--account",
            "444455556666"
        ])
        .len(),
        4
    );
    // Noise calls by or on bob, counted independently (distinct eventID + content) with Python.
    assert_eq!(
        events(&["--events", "ListAccessKeys,GetUser", "--user", "bob"]).len(),
        13
    );
}

#[test]
fn run_json_times_every_phase_in_order() {
    let run = scan(&["sample-logs"]);
    let record: serde_json::Value = serde_json::from_str(&run.report("run.json")).unwrap();
    let timing = &record["timing"];
    assert_eq!(
        crate::harness::phases(&record),
        [
            "reading",
            "sorting the events",
            "writing the events",
            "findings",
            "writing timelines and findings",
            "writing the HTML report"
        ]
    );
    for p in timing["phases"].as_array().unwrap() {
        assert!(p["seconds"].as_f64().unwrap() >= 0.0);
    }
    // Reading is timed from its first file; its phase began before that.
    let reading = timing["phases"][0]["seconds"].as_f64().unwrap();
    assert!(reading + 0.001 >= timing["reading_seconds"].as_f64().unwrap());
}
