//! The summary of a run: counted as the run goes, printed on stdout at the end (every name
//! from the logs escaped for the terminal), recorded in `run.json`.

use std::fmt;
use std::time::Duration;

use crate::discover::{InputFile, WalkProblem};
use crate::scan::file::{FileReport, Status};
use crate::terminal::escape;

/// How many per-input warnings a run keeps to print (the count is always exact).
pub const KEPT_WARNINGS: usize = 20;

/// What a run did, in numbers.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// What `--verify` found, and with how many public keys.
    pub integrity: Option<(crate::integrity::Verdict, usize)>,
    pub files: usize,
    pub ok: usize,
    pub partial: usize,
    pub unreadable: usize,
    /// Of the unreadable, paths that could not be walked (no file to open).
    pub unwalked: u64,
    pub skipped: usize,
    pub bytes: u64,
    pub records: u64,
    pub matched: u64,
    pub reported: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    /// Reported events per event name, in the order of the selection.
    pub per_name: Vec<(String, u64)>,
    pub users: usize,
    pub accounts: usize,
    /// The first lines (in path order) about inputs that were not read completely...
    pub warnings: Vec<String>,
    /// ...and how many there are in all.
    pub warning_count: usize,
    /// Other things worth saying (names that matched no event, a region trailsift does not
    /// know, events Timesketch cannot take).
    pub notes: Vec<String>,
    pub manifest: String,
    pub reports: Vec<String>,
    pub threads: usize,
    pub elapsed: Duration,
    /// Findings per rule: (rule, severity, count).
    pub rules: Vec<(String, String, usize)>,
    /// Users with the most findings: (account, user, findings, worst severity).
    pub top_users: Vec<(String, String, usize, String)>,
}

impl Summary {
    /// Counts one input file, as it is read (the files come in path order).
    pub fn add_file(&mut self, file: &InputFile, r: &FileReport) {
        self.files += 1;
        match r.status {
            Status::Ok => self.ok += 1,
            Status::Partial => self.partial += 1,
            Status::Unreadable => self.unreadable += 1,
            Status::Skipped => self.skipped += 1,
        }
        self.bytes += r.bytes;
        self.records += r.records;
        self.matched += r.matched;
        if matches!(r.status, Status::Partial | Status::Unreadable) {
            self.warn(format!(
                "{}: {}: {}",
                file.display,
                r.status.as_str(),
                r.error
            ));
        }
    }

    /// Counts a path the walk did not read: a link to something read under another path
    /// (skipped), or one that could not be walked.
    pub fn add_walk_problem(&mut self, w: &WalkProblem) {
        self.files += 1;
        if w.skipped {
            self.skipped += 1;
            return;
        }
        self.unreadable += 1;
        self.unwalked += 1;
        self.warn(format!("{}: unreadable: {}", w.display, w.message));
    }

    fn warn(&mut self, line: String) {
        self.warning_count += 1;
        if self.warnings.len() < KEPT_WARNINGS {
            self.warnings.push(line);
        }
    }

    /// Inputs not read completely.
    pub fn incomplete(&self) -> usize {
        self.partial + self.unreadable
    }

    /// Whether every input was read completely (exit status 0 rather than 3).
    pub fn complete(&self) -> bool {
        self.incomplete() == 0
    }

    /// The exit status of a scan that ran to its end.
    /// 0, or 3 when some input was not read completely; with `--verify`, the integrity
    /// check's status when it is higher (3 or 4).
    pub fn exit_status(&self) -> u8 {
        let scan = if self.complete() { 0 } else { 3 };
        let verify = self.integrity.as_ref().map_or(0, |(v, _)| v.exit_status());
        scan.max(verify)
    }

    /// Findings in all.
    pub fn findings(&self) -> usize {
        self.rules.iter().map(|r| r.2).sum()
    }

    /// The counts `run.json` records.
    pub fn counts(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: u64| {
            m.insert(k.to_owned(), v.into());
        };
        put("files", self.files as u64);
        put("files_ok", self.ok as u64);
        put("files_partial", self.partial as u64);
        put("files_unreadable", self.unreadable as u64);
        put("files_skipped", self.skipped as u64);
        put("incomplete_inputs", self.incomplete() as u64);
        put("bytes", self.bytes);
        put("records", self.records);
        put("matched", self.matched);
        put("events", self.reported);
        put("duplicates_merged", self.duplicates);
        put("conflicting_event_ids", self.conflicts);
        put("users", self.users as u64);
        put("accounts", self.accounts as u64);
        put("findings", self.findings() as u64);
        if let Some((verdict, keys)) = &self.integrity {
            verdict.counts_into(*keys, "verify_", &mut m);
        }
        m
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "read {} files ({:.1} MiB, {} records) in {:.2} s on {} threads",
            self.files,
            self.bytes as f64 / (1 << 20) as f64,
            self.records,
            self.elapsed.as_secs_f64(),
            self.threads
        )?;
        write!(f, "events: {} reported", self.reported)?;
        if self.duplicates > 0 {
            write!(f, " ({} repeated deliveries merged)", self.duplicates)?;
        }
        if self.conflicts > 0 {
            let ids = if self.conflicts == 1 {
                "eventID"
            } else {
                "eventIDs"
            };
            write!(
                f,
                "; {} {ids} with conflicting content (kept apart, see events.csv 'conflict')",
                self.conflicts
            )?;
        }
        writeln!(f)?;
        let names: Vec<(String, u64)> = self
            .per_name
            .iter()
            .map(|(n, c)| (escape(n).into_owned(), *c))
            .collect();
        let width = names
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0);
        for (name, n) in &names {
            writeln!(f, "  {name:width$}  {n}")?;
        }
        writeln!(f, "users: {} in {} accounts", self.users, self.accounts)?;
        writeln!(f, "findings: {}", self.findings())?;
        let width = self
            .rules
            .iter()
            .map(|(id, _, _)| id.len())
            .max()
            .unwrap_or(0);
        for (id, severity, n) in self.rules.iter().filter(|r| r.2 > 0) {
            writeln!(f, "  {id:width$}  {severity:6}  {n}")?;
        }
        if !self.top_users.is_empty() {
            let users: Vec<String> = self
                .top_users
                .iter()
                .map(|(a, u, n, s)| format!("{} ({}): {n}, {s}", escape(u), escape(a)))
                .collect();
            writeln!(f, "  most flagged: {}", users.join("; "))?;
        }
        write!(
            f,
            "inputs: {} ok, {} partial, {} unreadable, {} skipped",
            self.ok, self.partial, self.unreadable, self.skipped
        )?;
        if !self.complete() {
            write!(
                f,
                ": some inputs were not read completely, see {}",
                escape(&self.manifest)
            )?;
        }
        writeln!(f)?;
        if let Some((verdict, keys)) = &self.integrity {
            writeln!(f, "integrity:")?;
            for line in verdict.describe(*keys, self.unwalked).lines() {
                writeln!(f, "  {line}")?;
            }
        }
        let reports: Vec<String> = self
            .reports
            .iter()
            .map(|r| escape(r).into_owned())
            .collect();
        write!(f, "reports: {}", reports.join(", "))
    }
}
