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
pub mod summary;

use std::time::Instant;

use aggregate::{timeline, users};
use config::Config;
use error::Error;
use report::OutputDir;
use summary::Summary;

/// Runs a scan: reads every input, writes the reports, returns the summary.
pub fn run(config: &Config) -> Result<Summary, Error> {
    let started = Instant::now();
    let mut out = OutputDir::prepare(&config.out, config.force)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let found = pool.install(|| discover::discover(&config.paths));
    let progress = progress::Progress::new(found.files.iter().map(|f| f.size).sum(), !config.quiet);
    let mut reports = pool.install(|| scan::scan_all(&found.files, &config.selection, &progress));
    progress.finish();
    let archive = aggregate::build(&mut reports, &config.selection);
    let names = config.event_names(archive.events.iter().map(|r| r.event.name.as_str()));

    // Every report is opened now, in the order they are renamed into place (the manifest
    // last), then built and written side by side: the timelines and users from one branch,
    // the findings from another, the events, problems and manifest straight from the archive.
    let users_header = report::users::header(&names);
    let users_header: Vec<&str> = users_header.iter().map(String::as_str).collect();
    let events_table = out.table(report::events::NAME, &report::events::HEADER)?;
    let timeline_table = out.table(report::timeline::NAME, &report::timeline::HEADER)?;
    let users_table = out.table(report::users::NAME, &users_header)?;
    let findings_table = out.table(report::findings::NAME, &report::findings::HEADER)?;
    let problems_table = out.table(report::problems::NAME, &report::problems::HEADER)?;
    let manifest_table = out.table(report::manifest::NAME, &report::manifest::HEADER)?;
    let (((people, people_written), (flagged, flagged_written)), archive_written) =
        pool.install(|| {
            rayon::join(
                || {
                    rayon::join(
                        || {
                            let entries = timeline::entries(&archive);
                            let people = users::summarise(&entries, &names);
                            let (a, b) = rayon::join(
                                || report::timeline::write(timeline_table, &entries),
                                || report::users::write(users_table, &people),
                            );
                            (people, a.and(b))
                        },
                        || {
                            let flagged = findings::evaluate(&archive, config.findings);
                            let written = report::findings::write(findings_table, &flagged);
                            (flagged, written)
                        },
                    )
                },
                || {
                    let (a, b) = rayon::join(
                        || report::events::write(events_table, &archive, &found.files),
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
                    );
                    a.and(b)
                },
            )
        });
    people_written.and(flagged_written).and(archive_written)?;
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
        &people,
        &names,
        manifest,
        config.threads,
    );
    summary.reports = written.iter().map(|p| p.display().to_string()).collect();
    summary.rules = findings::per_rule(&flagged)
        .into_iter()
        .map(|(id, s, n)| (id.to_owned(), s.as_str().to_owned(), n))
        .collect();
    summary.top_users = findings::top_users(&flagged, 5)
        .into_iter()
        .map(|(a, u, n, s)| (a, u, n, s.as_str().to_owned()))
        .collect();
    summary.elapsed = started.elapsed();
    Ok(summary)
}
