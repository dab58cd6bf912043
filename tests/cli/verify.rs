//! `trailsift verify` on an archive with real RSA-signed digest chains and every kind of
//! tampering (`trailsift_tools::integrity`): each file's status and each gap, exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use trailsift_tools::integrity::{self, Archive};

use super::harness::rows;

/// A generated archive, its key files, and a place for reports.
struct Case {
    dir: tempfile::TempDir,
    archive: Archive,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dump");
        let archive = integrity::generate(&root).unwrap();
        std::fs::write(dir.path().join("keys.json"), &archive.public_keys).unwrap();
        std::fs::write(dir.path().join("first-key.json"), &archive.first_key_only).unwrap();
        std::fs::write(dir.path().join("signatures.csv"), &archive.signatures).unwrap();
        Case { dir, archive }
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn root(&self) -> &Path {
        &self.archive.root
    }

    /// Runs `trailsift <command> <root> --out <fresh dir> <args>`.
    fn run(&self, command: &str, args: &[&str]) -> Outcome {
        let out = tempfile::tempdir_in(self.dir.path()).unwrap();
        let report = out.path().join("report");
        let output = Command::new(env!("CARGO_BIN_EXE_trailsift"))
            .arg(command)
            .arg(self.root())
            .arg("--out")
            .arg(&report)
            .args(args)
            .output()
            .unwrap();
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            report,
            root: self.root().to_path_buf(),
            _out: out,
        }
    }

    fn verify(&self, args: &[&str]) -> Outcome {
        self.run("verify", args)
    }

    fn keys_and_signatures(&self) -> Vec<String> {
        vec![
            "--public-keys".into(),
            self.file("keys.json"),
            "--signatures".into(),
            self.file("signatures.csv"),
        ]
    }
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    report: PathBuf,
    root: PathBuf,
    _out: tempfile::TempDir,
}

impl Outcome {
    fn text(&self, name: &str) -> String {
        std::fs::read_to_string(self.report.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr: {}", self.stderr))
    }

    /// verify.csv as path (relative to the archive's root, or the S3 key) → (kind, status).
    fn statuses(&self) -> BTreeMap<String, (String, String)> {
        let root = format!("{}/", self.root.display());
        let mut m = BTreeMap::new();
        for r in rows(&self.text("verify.csv")) {
            let path = r["path"]
                .strip_prefix(&root)
                .unwrap_or(&r["path"])
                .to_owned();
            let previous = m.insert(path.clone(), (r["kind"].clone(), r["status"].clone()));
            assert!(previous.is_none(), "{path} has two rows");
        }
        m
    }

    fn gaps(&self) -> Vec<[String; 6]> {
        rows(&self.text("gaps.csv"))
            .into_iter()
            .map(|r| ["account", "region", "trail", "from", "to", "reason"].map(|c| r[c].clone()))
            .collect()
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn expected(archive: &Archive) -> BTreeMap<String, (String, String)> {
    archive
        .expected
        .iter()
        .map(|(p, (k, s))| (p.clone(), (k.to_string(), s.to_string())))
        .collect()
}

/// Shows where two verdict maps differ.
fn assert_same(
    actual: &BTreeMap<String, (String, String)>,
    expected: &BTreeMap<String, (String, String)>,
) {
    let mut diff = Vec::new();
    for (p, e) in expected {
        match actual.get(p) {
            Some(a) if a == e => {}
            Some(a) => diff.push(format!("{p}: {a:?}, expected {e:?}")),
            None => diff.push(format!("{p}: no row, expected {e:?}")),
        }
    }
    for (p, a) in actual {
        if !expected.contains_key(p) {
            diff.push(format!("{p}: {a:?}, expected no row"));
        }
    }
    assert!(diff.is_empty(), "verify.csv differs:\n{}", diff.join("\n"));
}

#[test]
fn every_status_and_gap_exactly() {
    let case = Case::new();
    let run = case.verify(&strs(&case.keys_and_signatures()));
    assert_eq!(
        run.code, 4,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_same(&run.statuses(), &expected(&case.archive));
    assert_eq!(run.gaps(), case.archive.gaps);
    assert!(run.stdout.contains("verdict: NOT INTACT"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("signatures: checked with 2 public keys"),
        "{}",
        run.stdout
    );
    let record: serde_json::Value = serde_json::from_str(&run.text("run.json")).unwrap();
    assert_eq!(record["exit_status"], 4);
    assert_eq!(record["counts"]["gaps_digest_missing"], 1);
}

#[test]
fn the_same_bytes_whatever_the_thread_count() {
    let case = Case::new();
    let mut args = case.keys_and_signatures();
    args.extend(["--threads".into(), "1".into()]);
    let one = case.verify(&strs(&args));
    let mut args = case.keys_and_signatures();
    args.extend(["--threads".into(), "8".into()]);
    let eight = case.verify(&strs(&args));
    for name in ["verify.csv", "gaps.csv"] {
        assert_eq!(one.text(name), eight.text(name), "{name}");
    }
}

/// The expected verdicts with those of some rows changed.
fn changed(
    archive: &Archive,
    change: impl Fn(&str, &str, &str) -> Option<&'static str>,
) -> BTreeMap<String, (String, String)> {
    let mut e = expected(archive);
    for (path, (kind, status)) in e.iter_mut() {
        if let Some(s) = change(path, kind, status) {
            *status = s.to_owned();
        }
    }
    e
}

#[test]
fn digests_signed_by_a_key_not_given_are_unverified() {
    let case = Case::new();
    let run = case.verify(&[
        "--public-keys",
        &case.file("first-key.json"),
        "--signatures",
        &case.file("signatures.csv"),
    ]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    // us-west-2 is signed by the second key: what a successor vouches for cannot be checked.
    let e = changed(&case.archive, |path, kind, status| {
        (kind == "digest" && status == "valid" && path.contains("CloudTrail-Digest/us-west-2/"))
            .then_some("unverified")
    });
    assert_same(&run.statuses(), &e);
    let detail: Vec<String> = rows(&run.text("verify.csv"))
        .into_iter()
        .filter(|r| r["status"] == "unverified")
        .map(|r| r["detail"].clone())
        .collect();
    assert_eq!(detail.len(), 3);
    assert!(
        detail
            .iter()
            .all(|d| d
                == "no public key with fingerprint ffeeddccbbaa99887766554433221100 was given"),
        "{detail:?}"
    );
    assert!(
        run.stdout
            .contains("signatures: checked with 1 public key\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn without_keys_hashes_and_links_are_still_checked_and_the_summary_says_so() {
    let case = Case::new();
    let run = case.verify(&[]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    let e = changed(&case.archive, |path, kind, status| match (kind, status) {
        // No signature saved for the newest digest is given here.
        ("digest", "valid") if path.ends_with("_main_us-east-1_20260302T110027Z.json.gz") => {
            Some("unsigned")
        }
        // Every hash agrees for the forged hour: only the signatures could tell.
        ("digest", "valid" | "signature-invalid") if !path.contains("_algo_") => Some("unverified"),
        ("log", "unverifiable")
            if path.contains(
                "CloudTrail/us-east-1/2026/03/02/111122223333_CloudTrail_us-east-1_20260302T07",
            ) =>
        {
            Some("valid")
        }
        _ => None,
    });
    assert_same(&run.statuses(), &e);
    assert!(
        run.stdout.contains(
            "signatures: not checked (no --public-keys given): hashes and chain links only"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(run.gaps(), case.archive.gaps);
}

/// The bundled sample with hourly, signed digests added (untampered).
struct Signed {
    dir: tempfile::TempDir,
    signed: integrity::Signed,
    root: PathBuf,
}

impl Signed {
    fn new() -> Signed {
        let dir = tempfile::tempdir().unwrap();
        crate::harness::copy_tree(
            &super::harness::repo().join("sample-logs"),
            &dir.path().join("dump"),
        );
        let signed = integrity::add_digests(&dir.path().join("dump")).unwrap();
        std::fs::write(dir.path().join("keys.json"), &signed.public_keys).unwrap();
        std::fs::write(dir.path().join("signatures.csv"), &signed.signatures).unwrap();
        let root = dir.path().join("dump");
        Signed { dir, signed, root }
    }

    fn root(&self) -> PathBuf {
        self.root.clone()
    }

    fn verify(&self, args: &[&str]) -> Outcome {
        self.run("verify", args)
    }

    /// Runs `trailsift <command> <root> --out <fresh dir> <args>`.
    fn run(&self, command: &str, args: &[&str]) -> Outcome {
        let out = tempfile::tempdir_in(self.dir.path()).unwrap();
        let report = out.path().join("report");
        let output = Command::new(env!("CARGO_BIN_EXE_trailsift"))
            .arg(command)
            .arg(self.root())
            .arg("--out")
            .arg(&report)
            .args(args)
            .output()
            .unwrap();
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            report,
            root: self.root(),
            _out: out,
        }
    }

    fn with_keys(&self) -> Outcome {
        let keys = self.dir.path().join("keys.json");
        self.verify(&["--public-keys", keys.to_str().unwrap()])
    }

    /// `scan --verify`, which hashes each file while it frames it.
    fn scan_with_keys(&self) -> Outcome {
        let keys = self.dir.path().join("keys.json");
        self.run(
            "scan",
            &["--verify", "--public-keys", keys.to_str().unwrap()],
        )
    }
}

/// Counts of (kind, status).
fn tally(statuses: &BTreeMap<String, (String, String)>) -> BTreeMap<(String, String), usize> {
    let mut t = BTreeMap::new();
    for v in statuses.values() {
        *t.entry(v.clone()).or_default() += 1;
    }
    t
}

fn pair(k: &str, s: &str) -> (String, String) {
    (k.to_owned(), s.to_owned())
}

#[test]
fn an_intact_archive_exits_0_and_without_keys_3() {
    let s = Signed::new();
    // Seven chains (one per account and region of the sample), plus the sample's own lone
    // digest.
    let chains = s.signed.signatures.lines().count() - 1;
    assert_eq!(chains, 7);
    let run = s.with_keys();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("verdict: intact"), "{}", run.stdout);
    let t = tally(&run.statuses());
    assert_eq!(t[&pair("log", "valid")], s.signed.logs);
    assert_eq!(t[&pair("digest", "unsigned")], chains + 1);
    assert_eq!(t[&pair("digest", "valid")], s.signed.digests - chains);
    assert_eq!(t.len(), 3, "{t:?}");
    assert_eq!(run.gaps(), Vec::<[String; 6]>::new());

    let sigs = s.dir.path().join("signatures.csv");
    let keys = s.dir.path().join("keys.json");
    let run = s.verify(&[
        "--public-keys",
        keys.to_str().unwrap(),
        "--signatures",
        sigs.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = tally(&run.statuses());
    assert_eq!(t[&pair("digest", "unsigned")], 1, "{t:?}");

    let run = s.verify(&[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stdout.contains("signatures: not checked"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "verdict: nothing contradicts integrity, but not all of it could be verified"
        ),
        "{}",
        run.stdout
    );
}

#[cfg(unix)]
#[test]
fn paths_that_cannot_be_walked_are_named_and_keep_the_archive_from_intact() {
    use std::os::unix::fs::symlink;
    let s = Signed::new();
    let intact = s.with_keys();
    assert_eq!(intact.code, 0, "{}", intact.stderr);
    // A dangling link and a loop: whatever they held was not checked. A link to a directory
    // read anyway changes nothing.
    symlink(
        "/nonexistent/x.json.gz",
        s.root().join("AWSLogs/gone.json.gz"),
    )
    .unwrap();
    symlink("..", s.root().join("AWSLogs/loop")).unwrap();
    symlink("AWSLogs", s.root().join("again")).unwrap();
    let run = s.with_keys();
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let root = s.root();
    let root = root.to_str().unwrap();
    assert!(
        run.stdout.contains(&format!(
            "could not read 2 paths under the inputs (nothing in them was checked):\n  {root}/AWSLogs/gone.json.gz: dangling symbolic link\n  {root}/AWSLogs/loop: symbolic link loop back to {root}\n"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("verdict: nothing contradicts integrity, but some paths could not be read"),
        "{}",
        run.stdout
    );
    assert_eq!(run.statuses(), intact.statuses());
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.report.join("run.json")).unwrap())
            .unwrap();
    assert_eq!(record["counts"]["unreadable_paths"], 2);
    assert_eq!(record["exit_status"], 3);
}

#[test]
fn a_copy_that_cannot_be_opened_is_unreadable_not_modified() {
    let mut s = Signed::new();
    // So deep that the files' paths are longer than the system opens (4,096 bytes) while the
    // directories' are not: every file is listed, none can be opened.
    let mut deep = s.dir.path().to_path_buf();
    while deep.as_os_str().len() < 3990 - 201 {
        deep.push("d".repeat(200));
    }
    deep.push("d".repeat(3990 - deep.as_os_str().len() - 1));
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::rename(s.root(), deep.join("dump")).unwrap();
    s.root = deep.join("dump");
    let run = s.with_keys();
    // Nothing says the archive was changed; nothing of it could be checked.
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let rows = rows(&run.text("verify.csv"));
    let logs: Vec<_> = rows.iter().filter(|r| r["kind"] == "log").collect();
    assert_eq!(logs.len(), s.signed.logs);
    for r in &logs {
        assert_eq!(r["status"], "unreadable", "{r:?}");
        assert!(
            r["detail"].starts_with("this copy cannot be read (cannot read: the path is ")
                && r["detail"].ends_with(
                    "more than the system opens (4096); move or link the dump to a shorter \
                     path to read it): its content is not checked"
                ),
            "{r:?}"
        );
    }
    assert!(
        rows.iter()
            .filter(|r| r["kind"] == "digest")
            .all(|r| r["status"] == "unreadable"),
        "{rows:?}"
    );
    // scan says the same of each file.
    let scanned = crate::harness::scan(&[s.root().to_str().unwrap()]);
    assert_eq!(scanned.code, 3, "{}", scanned.stderr);
    let unreadable = scanned
        .rows("manifest.csv")
        .into_iter()
        .filter(|r| {
            r["status"] == "unreadable" && r["error"].contains("more than the system opens")
        })
        .count();
    assert_eq!(unreadable, s.signed.logs);
}

#[test]
fn recompressing_every_file_changes_nothing() {
    let s = Signed::new();
    let before = s.with_keys();
    let mut files = Vec::new();
    walk(&s.root(), &mut files);
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "gz"))
    {
        integrity::recompress(f).unwrap();
    }
    let after = s.with_keys();
    assert_eq!(after.code, 0);
    assert_eq!(before.text("verify.csv"), after.text("verify.csv"));
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
    out.sort();
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut plain).unwrap();
    plain
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, bytes).unwrap();
    e.finish().unwrap()
}

/// Both `verify` and `scan --verify` (which hashes each file a few blocks at a time while the
/// framer reads it, so a byte it skipped or hashed twice would show here).
#[test]
fn changing_any_byte_of_a_log_makes_exactly_that_file_not_valid() {
    use proptest::prelude::*;
    let s = Signed::new();
    let baseline = s.with_keys().statuses();
    let scanned = s.scan_with_keys();
    assert_eq!(scanned.code, 0, "{}", scanned.stderr);
    assert_eq!(scanned.statuses(), baseline);
    let mut logs = Vec::new();
    walk(&s.root(), &mut logs);
    logs.retain(|p| p.to_string_lossy().contains("/CloudTrail/"));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let root = format!("{}/", s.root().display());
    runner
        .run(
            &(0..logs.len(), any::<prop::sample::Index>(), 1u8..=255),
            |(file, at, flip)| {
                let path = &logs[file];
                let original = std::fs::read(path).unwrap();
                let mut plain = gunzip(&original);
                let i = at.index(plain.len());
                plain[i] ^= flip;
                std::fs::write(path, gzip(&plain)).unwrap();
                let run = s.with_keys();
                let scan = s.scan_with_keys();
                std::fs::write(path, &original).unwrap();
                let rel = path
                    .to_string_lossy()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_owned();
                let mut expected = baseline.clone();
                expected.insert(rel.clone(), pair("log", "modified"));
                prop_assert_eq!(run.code, 4);
                prop_assert_eq!(&run.statuses(), &expected);
                prop_assert_eq!(scan.code, 4);
                prop_assert_eq!(scan.statuses(), expected);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn bad_keys_and_paths_are_usage_errors_naming_them() {
    let s = Signed::new();
    let dir = s.dir.path();
    std::fs::write(dir.join("shape.json"), r#"{"Keys":[]}"#).unwrap();
    let private = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";
    std::fs::write(dir.join("id_rsa"), private).unwrap();
    std::fs::write(
        dir.join("sigs.csv"),
        "s3_object,signature\nnot-a-key,abcd\n",
    )
    .unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--public-keys", "shape.json"],
            "shape.json is not the output of `aws cloudtrail list-public-keys`",
        ),
        (&["--public-keys", "id_rsa"], "id_rsa holds a private key"),
        (
            &["--public-keys", "absent.json"],
            "cannot read --public-keys absent.json",
        ),
        (&["--signatures", "sigs.csv"], "sigs.csv: line 2"),
        (&["--threads", "0"], "--threads"),
    ];
    for (args, says) in cases {
        let out = dir.join("never");
        let o = Command::new(env!("CARGO_BIN_EXE_trailsift"))
            .current_dir(dir)
            .arg("verify")
            .arg("dump")
            .arg("--out")
            .arg(&out)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote reports");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_trailsift"))
        .current_dir(dir)
        .args(["verify", "no-such-dump", "--out", "never"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-dump"));
}

#[test]
fn scan_verify_checks_in_the_same_pass() {
    let case = Case::new();
    let keys = case.keys_and_signatures();
    let verify = case.verify(&strs(&keys));
    let mut args = vec!["--verify".to_owned()];
    args.extend(keys);
    let scan = case.run("scan", &strs(&args));
    assert_eq!(scan.code, 4, "{}", scan.stderr);
    for name in ["verify.csv", "gaps.csv"] {
        assert_eq!(scan.text(name), verify.text(name), "{name}");
    }
    assert!(
        scan.stdout.contains("integrity:\n  log files: "),
        "{}",
        scan.stdout
    );
    // Every file found has its verify.csv status in the manifest.
    let statuses: BTreeMap<String, String> = rows(&verify.text("verify.csv"))
        .into_iter()
        .map(|r| (r["path"].clone(), r["status"].clone()))
        .collect();
    let manifest = rows(&scan.text("manifest.csv"));
    assert_eq!(manifest.len(), 64);
    for row in &manifest {
        assert_eq!(
            Some(&row["integrity"]),
            statuses.get(&row["path"]),
            "{}",
            row["path"]
        );
    }
    let record: serde_json::Value = serde_json::from_str(&scan.text("run.json")).unwrap();
    assert_eq!(record["exit_status"], 4);
    assert_eq!(record["counts"]["verify_log_unlisted"], 1);
    assert_eq!(record["counts"]["verify_digest_signature_invalid"], 2);
    // The check runs beside everything from the events to the timelines, and those phases
    // say so; the manifest, which needs it, comes after.
    assert_eq!(
        crate::harness::phases(&record),
        [
            "reading",
            "sorting the events, checking integrity",
            "writing the events, checking integrity",
            "findings, checking integrity",
            "writing timelines and findings, checking integrity",
            "writing the manifest",
            "writing the HTML report"
        ]
    );
}

#[test]
fn scan_verify_changes_no_other_report() {
    let s = Signed::new();
    let run = |extra: &[&str]| {
        let out = tempfile::tempdir_in(s.dir.path()).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_trailsift"))
            .arg("scan")
            .arg(s.root())
            .arg("--out")
            .arg(out.path().join("r"))
            .args(extra)
            .output()
            .unwrap();
        (o.status.code(), out)
    };
    let keys = s.dir.path().join("keys.json");
    let (plain_code, plain) = run(&[]);
    let (code, verified) = run(&["--verify", "--public-keys", keys.to_str().unwrap()]);
    assert_eq!((plain_code, code), (Some(0), Some(0)));
    let read = |d: &tempfile::TempDir, n: &str| {
        std::fs::read_to_string(d.path().join("r").join(n)).unwrap()
    };
    for name in [
        "events.csv",
        "timeline.csv",
        "users.csv",
        "findings.csv",
        "problems.csv",
    ] {
        assert_eq!(read(&plain, name), read(&verified, name), "{name}");
    }
    // The manifest is the same, but for its last column.
    let strip = |text: String| -> Vec<String> {
        rows(&text)
            .into_iter()
            .map(|mut r| {
                r.remove("integrity");
                format!("{r:?}")
            })
            .collect()
    };
    assert_eq!(
        strip(read(&plain, "manifest.csv")),
        strip(read(&verified, "manifest.csv"))
    );
    let o = Command::new(env!("CARGO_BIN_EXE_trailsift"))
        .arg("scan")
        .arg(s.root())
        .args(["--out", "never", "--public-keys", keys.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("--public-keys and --signatures go with --verify")
    );
}
