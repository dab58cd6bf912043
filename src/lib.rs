//! trailsift: fast offline analysis of AWS CloudTrail archives.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`discover`] (paths → files) → [`input`] (file → decompressed bytes) → [`frame`] (bytes →
//! record slices) → [`prefilter`] + [`event`] (slices → typed events) → [`filter`] →
//! [`aggregate`] (deduplicated archive, timelines, users) → [`findings`] (detections) →
//! [`report`] (CSV, workbook, JSON Lines, run record); [`integrity`] checks the archive
//! against CloudTrail's signed digests.
//! [`scan`] runs the per-file stages in parallel; [`cmd`] holds the commands that tie the
//! stages together; [`outdir`] owns the output directory, [`spill`] the external sorts,
//! [`cancel`] interruption, [`terminal`] what may reach a terminal.

pub mod aggregate;
pub mod cancel;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod discover;
pub mod error;
pub mod event;
pub mod filter;
pub mod findings;
pub mod frame;
pub mod input;
pub mod integrity;
pub mod known;
pub mod outdir;
pub mod prefilter;
pub mod progress;
pub mod report;
pub mod scan;
pub mod spill;
pub mod summary;
pub mod terminal;

/// Runs a scan without signal handling (library callers and tests).
pub fn run(config: &config::Config) -> Result<summary::Summary, error::Error> {
    cmd::scan::run(config, &cancel::Cancel::new())
}
