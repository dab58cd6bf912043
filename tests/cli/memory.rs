//! Memory is bounded by the sorts' budget, not by the number of events or files.

use std::io::Write;
use std::process::{Command, Stdio};

/// Writes `files` gzipped log files of `per_file` credential events each.
fn dump(root: &std::path::Path, files: usize, per_file: usize) {
    for f in 0..files {
        let dir = root.join(format!(
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/{:02}",
            1 + f % 28
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let records: Vec<String> = (0..per_file)
            .map(|r| {
                let n = f * per_file + r;
                format!(
                    r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDA{n:016}","arn":"arn:aws:iam::111122223333:user/admin-{a}","accountId":"111122223333","accessKeyId":"ASIA{n:016}","userName":"admin-{a}","sessionContext":{{"attributes":{{"creationDate":"2026-03-01T00:00:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2026-03-{d:02}T{h:02}:{m:02}:{s:02}Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{ip}","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2023","requestParameters":{{"userName":"user-{u}","accessKeyId":"AKIA{n:016}","status":"{status}"}},"responseElements":null,"requestID":"{n:08}-1111-2222-3333-444455556666","eventID":"{n:08}-aaaa-bbbb-cccc-ddddeeeeffff","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}}"#,
                    a = n % 7,
                    u = n % 997,
                    d = 1 + f % 28,
                    h = r % 24,
                    m = n % 60,
                    s = (n / 60) % 60,
                    ip = n % 250,
                    status = if n.is_multiple_of(2) { "Inactive" } else { "Active" },
                )
            })
            .collect();
        let json = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        let file = std::fs::File::create(
            dir.join(format!("111122223333_CloudTrail_us-east-1_{f}.json.gz")),
        )
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(json.as_bytes()).unwrap();
        gz.finish().unwrap();
    }
}

/// Runs a scan and returns its exit code and its own peak resident set, in bytes.
///
/// Read from the child's `VmHWM` while it runs (the peak of its own address space), not from
/// its rusage: a child spawned by vfork reports the larger of its peak and its parent's (the
/// test process, whose size depends on the tests running beside this one).
pub fn peak_rss(args: &[&str]) -> (i32, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trailsift"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        // The high-water mark only grows; the last reading before exit is the peak, up to
        // what the last few milliseconds added (the end of a run frees, it does not grow).
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb * 1024);
        }
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(peak > 0, "no reading of the child's memory");
            return (exit.code().unwrap_or(-1), peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[test]
fn a_large_result_is_sorted_on_disk_within_the_budget() {
    // 60,000 selected events (~1.5 KB each in memory) in 300 files.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dump");
    dump(&root, 300, 200);
    let root = root.to_str().unwrap();
    let out = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();

    let (code, held) = peak_rss(&[
        "scan",
        root,
        "--out",
        &out("held"),
        "--quiet",
        "--threads",
        "2",
        "--sort-memory",
        "1G",
        // The sorts' budget is what is measured: report.html's gathering (bounded by its own
        // caps, 18 MiB on this dump; the heavy tests below keep it on) is left out of both.
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    let (code, sorted) = peak_rss(&[
        "scan",
        root,
        "--out",
        &out("sorted"),
        "--quiet",
        "--threads",
        "2",
        "--sort-memory",
        "1M",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    eprintln!(
        "peak RSS: {} MiB held in memory, {} MiB sorted on disk",
        held >> 20,
        sorted >> 20
    );
    assert!(held > 80 << 20, "held in memory: {} MiB", held >> 20);
    assert!(sorted < 64 << 20, "sorted on disk: {} MiB", sorted >> 20);
    assert!(held > sorted * 2, "{} vs {} MiB", held >> 20, sorted >> 20);
    for report in crate::harness::REPORTS {
        let read = |dir: &str| std::fs::read(std::path::Path::new(&out(dir)).join(report)).unwrap();
        assert!(read("held") == read("sorted"), "{report}");
    }
    let events =
        std::fs::read_to_string(std::path::Path::new(&out("sorted")).join("events.csv")).unwrap();
    assert_eq!(events.lines().count(), 60_001);
}

/// Peak of a default scan of a dump heavy in results (`gen-heavy`), with its exit code and
/// the number of rows in events.csv and findings.csv.
fn heavy(
    events: usize,
    files: usize,
    shape: trailsift_tools::heavy::Shape,
) -> (i32, u64, usize, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dump");
    trailsift_tools::heavy::generate(&root, events, files, shape).unwrap();
    let out = tmp.path().join("out");
    let (code, peak) = peak_rss(&[
        "scan",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--threads",
        "2",
    ]);
    // Counted as read: the reports are large, and this process's size must not grow.
    let rows = |name: &str| {
        use std::io::BufRead;
        let file = std::io::BufReader::new(std::fs::File::open(out.join(name)).unwrap());
        file.split(b'\n').count() - 1
    };
    (code, peak, rows("events.csv"), rows("findings.csv"))
}

/// The budget the issue sets for these shapes (the default sort memory is 64 MiB).
const HEAVY_LIMIT: u64 = 200 << 20;

#[test]
fn one_file_with_a_million_selected_events_stays_bounded() {
    let (code, peak, events, _) = heavy(1_000_000, 1, trailsift_tools::heavy::Shape::ManyUsers);
    eprintln!("one file, 1 M events: peak RSS {} MiB", peak >> 20);
    assert_eq!((code, events), (0, 1_000_000));
    assert!(peak < HEAVY_LIMIT, "peak RSS {} MiB", peak >> 20);
}

#[test]
fn one_actor_with_a_million_calls_stays_bounded() {
    let (code, peak, events, findings) =
        heavy(1_000_000, 10, trailsift_tools::heavy::Shape::OneActor);
    eprintln!("one actor, 1 M calls: peak RSS {} MiB", peak >> 20);
    assert_eq!((code, events), (0, 1_000_000));
    // 1,000 keys, each switched off and on again 500 times: every reactivation is flagged with
    // the deactivation it undoes (1 M); every call is on another user's key (1 M); 62,500
    // addresses, each new but the first (62,499).
    assert_eq!(findings, 1_000_000 + 1_000_000 + 62_499);
    assert!(peak < HEAVY_LIMIT, "peak RSS {} MiB", peak >> 20);
}

/// 100 digests of one chain under `root`, each listing 10,000 log files that are not in the
/// archive: a million rows of verify.csv, all `missing`.
fn million_listed(root: &std::path::Path) {
    let dir = root.join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02");
    std::fs::create_dir_all(&dir).unwrap();
    for d in 0..100u32 {
        let end = format!("2026-03-{:02}T{:02}:00:00Z", 2 + d / 24, d % 24);
        let stamp = format!("202603{:02}T{:02}0000Z", 2 + d / 24, d % 24);
        let logs: Vec<String> = (0..10_000u32)
            .map(|i| {
                format!(
                    r#"{{"s3Bucket":"b","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/111122223333_CloudTrail_us-east-1_20260302T0000Z_{d:04}{i:012}.json.gz","hashValue":"{:064x}","hashAlgorithm":"SHA-256"}}"#,
                    u64::from(d) * 10_000 + u64::from(i)
                )
            })
            .collect();
        let doc = format!(
            r#"{{"awsAccountId":"111122223333","digestStartTime":"{end}","digestEndTime":"{end}","digestS3Bucket":"b","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_{stamp}.json.gz","digestPublicKeyFingerprint":"00","digestSignatureAlgorithm":"SHA256withRSA","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[{}]}}"#,
            logs.join(",")
        );
        let file = std::fs::File::create(dir.join(format!(
            "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_{stamp}.json.gz"
        )))
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(doc.as_bytes()).unwrap();
        gz.finish().unwrap();
    }
}

#[test]
fn a_million_listed_files_are_sorted_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dump");
    million_listed(&root);
    let out = tmp.path().join("out");
    let (code, peak) = peak_rss(&[
        "verify",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    eprintln!("verify, 1 M listed files: peak RSS {} MiB", peak >> 20);
    assert_eq!(code, 4);
    let text = std::fs::read_to_string(out.join("verify.csv")).unwrap();
    let missing = text
        .lines()
        .filter(|l| l.contains(",log,") && l.contains(",missing,"))
        .count();
    assert_eq!(missing, 1_000_000);
    assert!(peak < HEAVY_LIMIT, "peak RSS {} MiB", peak >> 20);
}

#[test]
fn scan_verify_of_a_million_events_and_a_million_listed_files_stays_bounded() {
    // The integrity check runs beside the sorting of the events: both at their heaviest at once.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dump");
    trailsift_tools::heavy::generate(
        &root,
        1_000_000,
        10,
        trailsift_tools::heavy::Shape::OneActor,
    )
    .unwrap();
    million_listed(&root);
    let out = tmp.path().join("out");
    let (code, peak) = peak_rss(&[
        "scan",
        root.to_str().unwrap(),
        "--verify",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--threads",
        "2",
    ]);
    eprintln!(
        "scan --verify, 1 M events and 1 M listed files: peak RSS {} MiB",
        peak >> 20
    );
    assert_eq!(code, 4);
    let count = |name: &str, line: &dyn Fn(&[u8]) -> bool| {
        use std::io::BufRead;
        let file = std::io::BufReader::new(std::fs::File::open(out.join(name)).unwrap());
        file.split(b'\n')
            .filter(|l| line(l.as_ref().unwrap()))
            .count()
    };
    assert_eq!(count("events.csv", &|_| true), 1_000_001);
    let has = |l: &[u8], s: &[u8]| memchr::memmem::find(l, s).is_some();
    assert_eq!(
        count("verify.csv", &|l| has(l, b",log,") && has(l, b",missing,")),
        1_000_000
    );
    // The issue's bound for every shape.
    assert!(peak < 256 << 20, "peak RSS {} MiB", peak >> 20);
}
