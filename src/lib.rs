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
    let found = discover::discover(&config.paths);
    let progress = progress::Progress::new(found.files.iter().map(|f| f.size).sum(), !config.quiet);
    let mut reports = scan::scan_all(&found.files, &config.selection, config.threads, &progress)
        .map_err(|e| Error::Threads(e.to_string()))?;
    progress.finish();
    let archive = aggregate::build(&mut reports, &config.selection);
    let entries = timeline::entries(&archive);
    let names = config.event_names(archive.events.iter().map(|r| r.event.name.clone()));
    let people = users::summarise(&entries, &names);
    let flagged = findings::evaluate(&archive, config.findings);

    report::events::write(&mut out, &archive, &found.files)?;
    report::timeline::write(&mut out, &entries)?;
    report::users::write(&mut out, &people, &names)?;
    report::findings::write(&mut out, &flagged)?;
    report::problems::write(&mut out, &found.files, &reports)?;
    report::manifest::write(&mut out, &found.files, &reports, &found.problems, &archive)?;
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
