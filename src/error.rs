//! Errors that end a run (exit status 1). Problems with single inputs are not errors: they are
//! reported per file and lower the exit status to 3.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("output directory {0} is not empty (use --force to write into it)")]
    OutputNotEmpty(String),
    #[error("cannot write {path}: {source}")]
    Output { path: String, source: io::Error },
    #[error("cannot use the temporary sort file {path}: {source}")]
    Spill { path: String, source: io::Error },
    #[error("cannot start the worker threads: {0}")]
    Threads(String),
}
