//! `trailsift verify`: prove offline that a downloaded archive is intact.
//!
//! Every file is read once, in parallel, a batch at a time: log files are decompressed and
//! hashed, digests hashed and parsed ([`crate::integrity::read`]). Then the chains are
//! checked and the log files judged ([`crate::integrity`]), and verify.csv, gaps.csv and
//! run.json are put in place as a set, like scan's reports.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cancel::Cancel;
use crate::config::VerifyConfig;
use crate::discover::{self, InputFile};
use crate::error::Error;
use crate::input::{ReadLimits, Reader};
use crate::integrity::read::{Role, read_digest, read_log, role};
use crate::integrity::{self, Evidence, Kind, Verdict};
use crate::outdir::OutputDir;
use crate::progress::Progress;
use crate::report::digest::FileDigest;
use crate::report::run_record::{COMMIT, ReportFile, RunRecord, Timing};
use crate::report::{self, Table, Targets};
use crate::scan::queue;
use crate::spill::SpillDir;
use crate::terminal::escape;

/// Input files read per batch.
const BATCH: usize = 8192;

/// What a verify run found.
#[derive(Debug, Clone, Default)]
pub struct VerifySummary {
    pub files: u64,
    pub bytes: u64,
    pub verdict: Verdict,
    pub keys: usize,
    pub threads: usize,
    pub elapsed: Duration,
    pub reports: Vec<String>,
    /// Paths under the inputs that could not be walked (a directory that cannot be listed,
    /// a loop, a dangling link): whatever they hold was not checked.
    pub unwalked: u64,
    /// The first of them, `path: why` (for the terminal: escaped when printed).
    pub unwalked_shown: Vec<String>,
}

impl VerifySummary {
    /// The verdict's status; at least 3 when some path could not be read.
    pub fn exit_status(&self) -> u8 {
        let unread = if self.unwalked > 0 { 3 } else { 0 };
        self.verdict.exit_status().max(unread)
    }
}

impl fmt::Display for VerifySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.verdict;
        let logs: u64 = v
            .counts
            .iter()
            .filter(|((k, _), _)| *k == Kind::Log)
            .map(|(_, n)| n)
            .sum();
        let digests: u64 = v
            .counts
            .iter()
            .filter(|((k, _), _)| *k == Kind::Digest)
            .map(|(_, n)| n)
            .sum();
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        writeln!(
            f,
            "checked {} and {} ({}, {:.1} MiB) in {:.2} s on {}",
            plural(logs, "log file", "log files"),
            plural(digests, "digest", "digests"),
            plural(self.files, "file", "files"),
            self.bytes as f64 / (1 << 20) as f64,
            self.elapsed.as_secs_f64(),
            plural(self.threads as u64, "thread", "threads")
        )?;
        if self.unwalked > 0 {
            writeln!(
                f,
                "could not read {} under the inputs (nothing in them was checked):",
                plural(self.unwalked, "path", "paths")
            )?;
            for line in &self.unwalked_shown {
                writeln!(f, "  {}", escape(line))?;
            }
            let more = self.unwalked - self.unwalked_shown.len() as u64;
            if more > 0 {
                writeln!(f, "  ... and {more} more (run.json counts them)")?;
            }
        }
        writeln!(f, "{}", v.describe(self.keys, self.unwalked))?;
        let reports: Vec<String> = self
            .reports
            .iter()
            .map(|r| escape(r).into_owned())
            .collect();
        write!(f, "reports: {}", reports.join(", "))
    }
}

/// Runs a check.
pub fn run(config: &VerifyConfig, cancel: &Cancel) -> Result<VerifySummary, Error> {
    let started = Instant::now();
    let started_text = crate::event::time::format(&chrono::Utc::now());
    if !discover::any_file(&config.paths) {
        let paths: Vec<String> = config
            .paths
            .iter()
            .map(|p| escape(&discover::display_path(p)).into_owned())
            .collect();
        return Err(Error::NoInput(paths.join(", ")));
    }
    let mut out = OutputDir::open(
        &config.out,
        config.force,
        &config.command.join(" "),
        &started_text,
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let spill = SpillDir::with_cancel(out.staging(), config.sort_memory, cancel.clone());
    let mut found = pool.install(|| discover::discover(&config.paths, &spill, Some(out.path())))?;
    let progress = Progress::new(found.bytes, !config.quiet);
    let evidence = Evidence::new(&spill);
    let readers: Vec<Mutex<Reader>> = (0..config.threads.max(1))
        .map(|_| Mutex::new(Reader::new(ReadLimits::DEFAULT).hashing(true)))
        .collect();
    let mut summary = VerifySummary {
        keys: config.integrity.keys.len(),
        threads: config.threads,
        ..VerifySummary::default()
    };
    let busy = queue::Busy::new(config.threads);
    let reading_started = Instant::now();
    let mut batch: Vec<InputFile> = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        found.next_files(&mut batch, BATCH)?;
        if batch.is_empty() {
            break;
        }
        let sizes: Vec<u64> = batch.iter().map(|f| f.size).collect();
        pool.install(|| {
            queue::largest_first(&sizes, &readers, &busy, |reader, i| {
                if cancel.is_set() {
                    return;
                }
                read_one(reader, &batch[i], &evidence);
                progress.file_done(batch[i].size);
            })
        });
        cancel.check()?;
        summary.files += batch.len() as u64;
        summary.bytes += batch.iter().map(|f| f.size).sum::<u64>();
    }
    drop(readers);
    while let Some(w) = found.next_problem()? {
        if w.skipped {
            continue;
        }
        summary.unwalked += 1;
        if summary.unwalked_shown.len() < crate::summary::KEPT_WARNINGS {
            summary
                .unwalked_shown
                .push(format!("{}: {}", w.display, w.message));
        }
    }
    let timing = Timing::new(reading_started.elapsed(), busy.seconds());
    progress.phase("checking the chains");
    let outcome = pool.install(|| {
        integrity::check(
            evidence,
            &config.integrity.keys,
            &config.integrity.signatures,
            &spill,
        )
    })?;
    progress.phase("writing the reports");
    let targets = Targets {
        csv: true,
        workbook: false,
    };
    let (verdict, digests) =
        Tables::create(&mut out, &targets, cancel)?.write(outcome, &mut report::verify::Nobody)?;
    drop(spill);
    cancel.check()?;
    summary.verdict = verdict;
    summary.elapsed = started.elapsed();
    summary.reports = digests
        .iter()
        .map(|(name, _)| discover::display_path(&out.path().join(name)))
        .chain(std::iter::once(discover::display_path(
            &out.path().join(crate::outdir::RUN_RECORD),
        )))
        .collect();
    let record = RunRecord {
        tool: "trailsift",
        version: env!("CARGO_PKG_VERSION"),
        commit: COMMIT,
        command: config.command.clone(),
        inputs: config
            .paths
            .iter()
            .map(|p| discover::display_path(p))
            .collect(),
        started: started_text,
        finished: crate::event::time::format(&chrono::Utc::now()),
        threads: config.threads,
        timing: timing.with_phases(progress.phases()),
        counts: counts(&summary),
        exit_status: summary.exit_status(),
        reports: digests.iter().map(|(n, d)| ReportFile::new(n, d)).collect(),
    };
    record.write(&mut out)?;
    progress.finish();
    out.commit()?;
    Ok(summary)
}

/// verify.csv and gaps.csv, created (they may be written on another thread than the one
/// holding the output directory).
pub struct Tables {
    verify: Table,
    gaps: Table,
}

impl Tables {
    pub fn create(
        out: &mut OutputDir,
        targets: &Targets,
        cancel: &Cancel,
    ) -> Result<Tables, Error> {
        Ok(Tables {
            verify: Table::create(
                out,
                report::verify::NAME,
                &report::verify::HEADER,
                targets,
                cancel,
            )?,
            gaps: Table::create(
                out,
                report::verify::GAPS,
                &report::verify::GAPS_HEADER,
                targets,
                cancel,
            )?,
        })
    }

    /// Writes verify.csv (each row also to `watcher`) and gaps.csv; counts the verdict.
    pub fn write(
        self,
        outcome: integrity::Outcome,
        watcher: &mut dyn report::verify::Watcher,
    ) -> Result<(Verdict, Vec<(String, FileDigest)>), Error> {
        let mut verdict = Verdict {
            signatures_checked: outcome.signatures_checked,
            ..Verdict::default()
        };
        let mut digests = Vec::new();
        digests.extend(report::verify::write(
            self.verify,
            outcome.rows,
            &mut verdict,
            watcher,
        )?);
        digests.extend(report::verify::write_gaps(
            self.gaps,
            outcome.gaps,
            &mut verdict,
        )?);
        Ok((verdict, digests))
    }
}

/// Reads one file's evidence.
pub fn read_one(reader: &mut Reader, file: &InputFile, evidence: &Evidence<'_>) {
    match role(file) {
        Role::Log { key, name } => {
            evidence.add_log(read_log(reader, &file.path, &file.display, key, name));
        }
        r @ (Role::Digest { .. } | Role::Unknown) => {
            if let Some(d) = read_digest(reader, file, &r) {
                evidence.add_digest(d);
            }
        }
        Role::Other => {}
    }
}

/// The counts `run.json` records for a check.
pub fn counts(summary: &VerifySummary) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("files".into(), summary.files.into());
    m.insert("bytes".into(), summary.bytes.into());
    m.insert("unreadable_paths".into(), summary.unwalked.into());
    summary.verdict.counts_into(summary.keys, "", &mut m);
    m
}
