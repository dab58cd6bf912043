//! The summary printed on stdout at the end of a run.

use std::fmt;
use std::time::Duration;

use crate::aggregate::Archive;
use crate::discover::{InputFile, WalkProblem};
use crate::report::timeline::People;
use crate::scan::file::{FileReport, Status};

/// What a run did, in numbers.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files: usize,
    pub ok: usize,
    pub partial: usize,
    pub unreadable: usize,
    pub skipped: usize,
    pub bytes: u64,
    pub records: u64,
    pub matched: u64,
    pub reported: usize,
    pub duplicates: u64,
    pub conflicts: u64,
    /// Reported events per event name, in the order of the selection.
    pub per_name: Vec<(String, u64)>,
    pub users: usize,
    pub accounts: usize,
    /// One line per file that was not read completely.
    pub warnings: Vec<String>,
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
    /// Counts one input file, as it is read.
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
            self.warnings.push(format!(
                "{}: {}: {}",
                file.display,
                r.status.as_str(),
                r.error
            ));
        }
    }

    /// Counts a path that could not be walked.
    pub fn add_walk_problem(&mut self, w: &WalkProblem) {
        self.files += 1;
        self.unreadable += 1;
        self.warnings
            .push(format!("{}: unreadable: {}", w.display, w.message));
    }

    /// Adds what the reports found (`per_name` aligned with `names`).
    pub fn add_results(
        &mut self,
        archive: &Archive,
        per_name: &[u64],
        people: People,
        names: &[String],
    ) {
        self.warnings.sort();
        self.reported = archive.reported as usize;
        self.duplicates = archive.duplicates;
        self.conflicts = archive.conflicts;
        self.per_name = names
            .iter()
            .cloned()
            .zip(per_name.iter().copied())
            .collect();
        self.users = people.users;
        self.accounts = people.accounts;
    }

    /// Whether every input was read completely (exit status 0 rather than 3).
    pub fn complete(&self) -> bool {
        self.partial == 0 && self.unreadable == 0
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
        let width = self
            .per_name
            .iter()
            .map(|(n, _)| n.len())
            .max()
            .unwrap_or(0);
        for (name, n) in &self.per_name {
            writeln!(f, "  {name:width$}  {n}")?;
        }
        writeln!(f, "users: {} in {} accounts", self.users, self.accounts)?;
        let total: usize = self.rules.iter().map(|r| r.2).sum();
        writeln!(f, "findings: {total}")?;
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
                .map(|(a, u, n, s)| format!("{u} ({a}): {n}, {s}"))
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
                self.manifest
            )?;
        }
        writeln!(f)?;
        write!(f, "reports: {}", self.reports.join(", "))
    }
}
