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
/// Memory stays bounded whatever the size of the archive: each worker holds one file's
/// buffers, and the results go through external sorts ([`spill`]) that hold at most
/// `config.sort_memory` bytes each before writing sorted runs to disk.
pub fn run(config: &Config) -> Result<Summary, Error> {
    let started = Instant::now();
    let mut out = OutputDir::prepare(&config.out, config.force)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let found = pool.install(|| discover::discover(&config.paths));
    let progress = progress::Progress::new(found.files.iter().map(|f| f.size).sum(), !config.quiet);
    let spill = SpillDir::new(out.path(), config.sort_memory);
    let collector = aggregate::Collector::new(&spill);
    let mut reports =
        pool.install(|| scan::scan_all(&found.files, &config.selection, &progress, &collector));
    progress.finish();
    let links = reports
        .iter_mut()
        .flat_map(|r| std::mem::take(&mut r.links))
        .collect();
    let (archive, events) =
        aggregate::build(collector, links, &config.selection, reports.len(), &spill)?;
    let names = config.event_names(archive.names.iter().map(String::as_str));

    // Every report is opened now, in the order they are renamed into place (the manifest
    // last). events.csv is written as the archive streams by, feeding the timeline and
    // findings sorts, while the problems and the manifest are written beside it; then the
    // timelines (and users) and the findings are written side by side.
    let users_header = report::users::header(&names);
    let users_header: Vec<&str> = users_header.iter().map(String::as_str).collect();
    let events_table = out.table(report::events::NAME, &report::events::HEADER)?;
    let timeline_table = out.table(report::timeline::NAME, &report::timeline::HEADER)?;
    let users_table = out.table(report::users::NAME, &users_header)?;
    let findings_table = out.table(report::findings::NAME, &report::findings::HEADER)?;
    let problems_table = out.table(report::problems::NAME, &report::problems::HEADER)?;
    let manifest_table = out.table(report::manifest::NAME, &report::manifest::HEADER)?;
    let (streamed, listed) = pool.install(|| {
        rayon::join(
            || {
                stream_events(
                    events,
                    events_table,
                    &found.files,
                    &names,
                    &spill,
                    config.findings,
                )
            },
            || {
                report::problems::write(problems_table, &found.files, &reports).and(
                    report::manifest::write(
                        manifest_table,
                        &found.files,
                        &reports,
                        &found.problems,
                        &archive,
                    ),
                )
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

    let mut summary = Summary::new(
        &found.files,
        &reports,
        &found.problems,
        &archive,
        &per_name,
        people,
        &names,
        manifest,
        config.threads,
    );
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
    files: &[InputFile],
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
        report::events::row(&mut table, &r, files)?;
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
