//! `run.json`: the run's own record, written last, with the reports it vouches for.
//!
//! What ran (version, commit, command line), on what (input roots), when (start and end, UTC),
//! how (threads), what it found (counts), how it ended (exit status), and the size and SHA-256
//! of every report it wrote: an investigator can show which run produced which files, and a
//! previous run's reports are never mistaken for this one's.

use serde::Serialize;

use super::digest::FileDigest;
use crate::error::Error;
use crate::outdir::{OutputDir, RUN_RECORD};

/// One report written.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

impl ReportFile {
    pub fn new(name: &str, digest: &FileDigest) -> ReportFile {
        ReportFile {
            name: name.to_owned(),
            bytes: digest.bytes,
            sha256: digest.hex(),
        }
    }
}

/// The record.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub tool: &'static str,
    pub version: &'static str,
    pub commit: &'static str,
    pub command: Vec<String>,
    pub inputs: Vec<String>,
    pub started: String,
    pub finished: String,
    pub threads: usize,
    /// Where the time went (the only fields besides `started` and `finished` that change
    /// from run to run).
    pub timing: Timing,
    /// Counts, in the order the summary gives them (names are the keys).
    pub counts: serde_json::Map<String, serde_json::Value>,
    pub exit_status: u8,
    pub reports: Vec<ReportFile>,
}

/// Seconds spent reading the inputs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timing {
    /// From the first file started to the last one finished (wall clock).
    pub reading_seconds: f64,
    /// Time each thread spent on files within that; a thread far below the wall clock
    /// waited for work.
    pub thread_busy_seconds: Vec<f64>,
    /// Every phase of the run from the first file read on (reading, sorting, each report),
    /// in order, with its wall-clock seconds.
    pub phases: Vec<PhaseTime>,
}

/// One phase of a run and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    pub phase: &'static str,
    pub seconds: f64,
}

fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

impl Timing {
    pub fn new(reading: std::time::Duration, busy: Vec<f64>) -> Timing {
        Timing {
            reading_seconds: round_ms(reading.as_secs_f64()),
            thread_busy_seconds: busy.into_iter().map(round_ms).collect(),
            phases: Vec::new(),
        }
    }

    /// Adds the phases (from [`crate::progress::Progress::phases`]).
    pub fn with_phases(mut self, phases: Vec<(&'static str, std::time::Duration)>) -> Timing {
        self.phases = phases
            .into_iter()
            .map(|(phase, d)| PhaseTime {
                phase,
                seconds: round_ms(d.as_secs_f64()),
            })
            .collect();
        self
    }
}

impl RunRecord {
    /// Writes the record into the staging directory (it is put in place last).
    pub fn write(&self, out: &mut OutputDir) -> Result<(), Error> {
        let path = out.stage(RUN_RECORD);
        let mut text = serde_json::to_string_pretty(self).expect("serialising to memory");
        text.push('\n');
        std::fs::write(&path, text).map_err(|source| Error::Output {
            path: crate::discover::display_path(&path),
            source,
        })
    }
}

/// The commit trailsift was built from (or `unknown`).
pub const COMMIT: &str = match option_env!("TRAILSIFT_COMMIT") {
    Some(c) => c,
    None => "unknown",
};
