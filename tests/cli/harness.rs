//! A tiny harness: run the real binary from the repository root, into a fresh output directory,
//! and compare whole reports with the expected ones in `tests/expected/<case>/`.
//!
//! `TRAILSIFT_BLESS=1 cargo test` rewrites the expected files from the current output; review
//! the diff before committing it.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The CSV reports every scan writes (besides run.json, and report.html unless `--format`
/// leaves it out; the page names the build, so it is checked by parsing, in html.rs).
pub const REPORTS: [&str; 6] = [
    "events.csv",
    "timeline.csv",
    "users.csv",
    "findings.csv",
    "problems.csv",
    "manifest.csv",
];

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One finished run of `trailsift`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: PathBuf,
    _dir: TempDir,
}

impl Run {
    pub fn report(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr: {}", self.stderr))
    }

    /// A report as rows of named cells.
    pub fn rows(&self, name: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        rows(&self.report(name))
    }
}

/// The names of the phases a run.json times, in order.
pub fn phases(record: &serde_json::Value) -> Vec<String> {
    record["timing"]["phases"]
        .as_array()
        .expect("run.json times its phases")
        .iter()
        .map(|p| p["phase"].as_str().expect("a phase has a name").to_owned())
        .collect()
}

/// CSV text as rows of named cells.
pub fn rows(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Runs `trailsift scan <args> --out <fresh dir>` from the repository root.
pub fn scan(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let out_arg = out.to_str().unwrap().to_owned();
    run(&[&["scan"], args, &["--out", &out_arg]].concat(), out, dir)
}

/// Runs `trailsift <args>` as given (the output directory is the caller's business).
pub fn raw(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    run(args, out, dir)
}

fn run(args: &[&str], out: PathBuf, dir: TempDir) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_trailsift"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
        _dir: dir,
    }
}

/// Compares the named reports of a run with `tests/expected/<case>/`, byte for byte.
pub fn assert_expected(run: &Run, case: &str, reports: &[&str]) {
    let dir = repo().join("tests/expected").join(case);
    let bless = std::env::var_os("TRAILSIFT_BLESS").is_some();
    for name in reports {
        let actual = run.report(name);
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with TRAILSIFT_BLESS=1 to create it)",
                path.display()
            )
        });
        if actual != expected {
            let first = actual
                .lines()
                .zip(expected.lines())
                .position(|(a, e)| a != e);
            let line = first.unwrap_or(actual.lines().count().min(expected.lines().count()));
            panic!(
                "{case}/{name} differs from the expected report at line {}:\n  actual:   {}\n  expected: {}\n(TRAILSIFT_BLESS=1 rewrites the expected files)",
                line + 1,
                actual.lines().nth(line).unwrap_or("<end>"),
                expected.lines().nth(line).unwrap_or("<end>")
            );
        }
    }
}

/// Every report is well-formed CSV: a header row and rows of the same width, CRLF line ends.
pub fn assert_well_formed(run: &Run) {
    for name in REPORTS {
        let text = run.report(name);
        assert!(text.ends_with("\r\n"), "{name} does not end with CRLF");
        let mut r = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.as_bytes());
        let width = r.headers().unwrap().len();
        for rec in r.records() {
            assert_eq!(rec.unwrap().len(), width, "{name}");
        }
    }
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
