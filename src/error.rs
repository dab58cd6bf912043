//! Errors that end a run. Problems with single inputs are not errors: they are reported per
//! file and lower the exit status to 3. Each error knows its exit status.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("output directory {0} is not empty (use --force to write into it)")]
    OutputNotEmpty(String),
    #[error("output directory {dir} is in use by another trailsift run ({holder})")]
    Busy { dir: String, holder: String },
    #[error("cannot write {path}: {source}")]
    Output { path: String, source: io::Error },
    #[error("cannot use the temporary sort file {path}: {source}")]
    Spill { path: String, source: io::Error },
    #[error("cannot start the worker threads: {0}")]
    Threads(String),
    #[error("no file found under {0}")]
    NoInput(String),
    #[error("interrupted by {}: no reports written, the run's temporary files removed", signal_name(*.0))]
    Interrupted(i32),
    /// A bug: trailsift's own bookkeeping disagrees with itself.
    #[error("internal error, please report it: {0}")]
    Inconsistent(String),
}

impl Error {
    /// The exit status the error ends the run with: 130 for SIGINT, 143 for SIGTERM and 129
    /// for SIGHUP (the shell's convention, 128 + the signal), 1 otherwise.
    pub fn exit_status(&self) -> u8 {
        match self {
            Error::Interrupted(signal) => 128u8.saturating_add(*signal as u8),
            Error::NoInput(_) => 2,
            _ => 1,
        }
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT (Ctrl-C)".to_owned(),
        15 => "SIGTERM".to_owned(),
        1 => "SIGHUP (the terminal went away)".to_owned(),
        n => format!("signal {n}"),
    }
}
