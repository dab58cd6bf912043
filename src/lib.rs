//! trailsift: fast offline analysis of AWS CloudTrail archives.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`discover`] (paths → files) → [`input`] (file → decompressed bytes) → [`frame`] (bytes →
//! record slices) → [`prefilter`] + [`event`] (slices → typed events) → [`filter`] →
//! [`aggregate`] (deduplicated archive, timelines, users) → [`findings`] (detections) →
//! [`report`] (CSV files).
//! [`scan`] runs the per-file stages in parallel; [`run`] ties everything together.

pub mod aggregate;
pub mod cli;
pub mod config;
pub mod discover;
pub mod error;
pub mod event;
pub mod filter;
pub mod findings;
pub mod frame;
pub mod input;
pub mod prefilter;
pub mod progress;
pub mod report;
pub mod scan;
pub mod spill;
pub mod summary;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use aggregate::timeline::{self, Entry};
use aggregate::{Events, Reported};
use config::Config;
use discover::InputFile;
use error::Error;
use findings::Findings;
use report::{OutputDir, Table};
use spill::{Sorter, SpillDir};
use summary::Summary;

/// Runs a scan: reads every input, writes the reports, returns the summary.
///
/// Memory stays bounded whatever the size of the archive: the files are listed and read a
/// batch at a time, each worker holds one file's buffers, and everything kept per file or per
/// event goes through external sorts ([`spill`]) that hold at most `config.sort_memory`
/// bytes each before writing sorted runs to disk.
pub fn run(config: &Config) -> Result<Summary, Error> {
    let started = Instant::now();
    let mut out = OutputDir::prepare(&config.out, config.force)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let spill = SpillDir::new(out.path(), config.sort_memory);
    let mut found = pool.install(|| discover::discover(&config.paths, &spill))?;
    let progress = progress::Progress::new(found.bytes, !config.quiet);

    // Read the files a batch at a time: the events go to the collector, the per-file results
    // to problems.csv (in path order already) and to the manifest's sort.
    let collector = aggregate::Collector::new(&spill);
    let mut problems_table = out.table(report::problems::NAME, &report::problems::HEADER)?;
    let mut manifest_rows = Sorter::new(&spill, report::manifest::order);
    let mut summary = Summary::default();
    let mut links = Vec::new();
    // The files of a batch are read largest first, in parallel; between batches only their
    // per-file results are kept (sorted on disk if need be).
    let mut batch: Vec<InputFile> = Vec::with_capacity(config.file_batch);
    let mut first = 0u32;
    loop {
        batch.clear();
        found.next_files(&mut batch, config.file_batch)?;
        if batch.is_empty() {
            break;
        }
        let reports = pool
            .install(|| scan::scan_all(&batch, first, &config.selection, &progress, &collector));
        for (file, mut r) in batch.iter().zip(reports) {
            links.append(&mut r.links);
            report::problems::rows(&mut problems_table, file, &r)?;
            summary.add_file(file, &r);
            manifest_rows.push(report::manifest::Row::file(file, &r))?;
        }
        first += batch.len() as u32;
    }
    progress.finish();
    problems_table.close()?;
    for w in &found.problems {
        summary.add_walk_problem(w);
        manifest_rows.push(report::manifest::Row::walk(w))?;
    }
    let (archive, events) = aggregate::build(collector, links, &config.selection, &spill)?;
    let names = config.event_names(archive.names.iter().map(String::as_str));

    // events.csv is written as the archive streams by, feeding the timeline and findings
    // sorts, while the manifest is written beside it; then the timelines (and users) and the
    // findings are written side by side.
    let users_header = report::users::header(&names);
    let users_header: Vec<&str> = users_header.iter().map(String::as_str).collect();
    let events_table = out.table(report::events::NAME, &report::events::HEADER)?;
    let timeline_table = out.table(report::timeline::NAME, &report::timeline::HEADER)?;
    let users_table = out.table(report::users::NAME, &users_header)?;
    let findings_table = out.table(report::findings::NAME, &report::findings::HEADER)?;
    let manifest_table = out.table(report::manifest::NAME, &report::manifest::HEADER)?;
    let (streamed, listed) = pool.install(|| {
        rayon::join(
            || stream_events(events, events_table, &names, &spill, config.findings),
            || {
                manifest_rows
                    .finish()
                    .and_then(|rows| report::manifest::write(manifest_table, rows, &archive))
            },
        )
    });
    listed?;
    let Streamed {
        per_name,
        entries,
        findings,
    } = streamed?;
    let (people, tally) = pool.install(|| {
        rayon::join(
            || {
                entries.finish().and_then(|entries| {
                    report::timeline::write(timeline_table, users_table, entries, &names)
                })
            },
            || {
                findings
                    .finish()
                    .and_then(|found| report::findings::write(findings_table, found))
            },
        )
    });
    let (people, tally) = (people?, tally?);
    drop(spill);
    let manifest = out
        .path()
        .join(report::manifest::NAME)
        .display()
        .to_string();
    let written = out.commit()?;

    summary.add_results(&archive, &per_name, people, &names);
    summary.manifest = manifest;
    summary.threads = config.threads;
    summary.reports = written.iter().map(|p| p.display().to_string()).collect();
    summary.rules = tally
        .per_rule()
        .into_iter()
        .map(|(id, s, n)| (id.to_owned(), s.as_str().to_owned(), n))
        .collect();
    summary.top_users = tally
        .top_users(5)
        .into_iter()
        .map(|(a, u, n, s)| (a, u, n, s.as_str().to_owned()))
        .collect();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// What the pass over the archive leaves for the next reports.
struct Streamed<'d> {
    /// Reported events per name (aligned with the names).
    per_name: Vec<u64>,
    entries: Sorter<'d, Entry>,
    findings: Findings<'d>,
}

/// Writes events.csv as the archive's events come by in report order; each event also goes
/// to the timeline and findings sorts.
fn stream_events<'d>(
    mut events: Events,
    mut table: Table,
    names: &[String],
    spill: &'d SpillDir,
    settings: findings::Settings,
) -> Result<Streamed<'d>, Error> {
    let columns: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut per_name = vec![0; names.len()];
    let mut entries = Sorter::new(spill, timeline::order);
    let mut findings = Findings::new(spill, settings);
    while let Some(r) = events.pop()? {
        report::events::row(&mut table, &r)?;
        if let Some(&i) = columns.get(r.event.name.as_str()) {
            per_name[i] += 1;
        }
        let r: Arc<Reported> = Arc::new(r);
        for entry in timeline::entries_of(&r) {
            entries.push(entry)?;
        }
        findings.add(&r)?;
    }
    table.close()?;
    Ok(Streamed {
        per_name,
        entries,
        findings,
    })
}
