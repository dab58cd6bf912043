//! Scanning: input files read in parallel, a batch at a time, results gathered in input order.
//!
//! Each worker thread owns its buffers ([`file::Worker`]). Large files start first so the
//! threads finish together; the results are put back in the sorted input order, so the output
//! never depends on the number of threads or on scheduling.

pub mod file;

use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::discover::InputFile;
use crate::filter::Selection;
use crate::progress::Progress;
use file::{Collect, FileReport, Worker};

/// How a batch is read.
pub struct Reading<'a, C: Collect + Sync> {
    pub selection: &'a Selection,
    pub progress: &'a Progress,
    pub collect: &'a C,
    /// Keep each selected record's JSON text (for the JSON Lines export).
    pub keep_records: bool,
    pub cancel: &'a Cancel,
}

/// Scans `files` on the current rayon pool, numbering them from `first`. The selected events
/// of each file go to the collector as they are found; the reports keep the rest. Once the
/// run is cancelled, the files not started yet are not read (their reports say so).
pub fn scan_all<C: Collect + Sync>(
    files: &[InputFile],
    first: u32,
    how: &Reading<'_, C>,
) -> Vec<FileReport> {
    let prefilter = how.selection.prefilter();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].size));
    let mut reports: Vec<FileReport> = order
        .par_iter()
        .map_init(
            || {
                Worker::new(how.selection, &prefilter)
                    .keeping_records(how.keep_records)
                    .cancelled_by(how.cancel.clone())
            },
            |worker, &i| {
                let index = first + i as u32;
                if how.cancel.is_set() {
                    return FileReport::empty(index, files[i].size);
                }
                let report = worker.scan(index, &files[i], how.collect);
                how.progress.file_done(files[i].size);
                report
            },
        )
        .collect();
    reports.sort_by_key(|r| r.file);
    reports
}
