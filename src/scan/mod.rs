//! Scanning: every input file read in parallel, results gathered in input order.
//!
//! Each worker thread owns its buffers ([`file::Worker`]). Large files start first so the
//! threads finish together; the results are put back in the sorted input order, so the output
//! never depends on the number of threads or on scheduling.

pub mod file;

use rayon::prelude::*;

use crate::discover::InputFile;
use crate::filter::Selection;
use crate::progress::Progress;
use file::{FileReport, Worker};

/// Scans `files` on the current rayon pool.
pub fn scan_all(
    files: &[InputFile],
    selection: &Selection,
    progress: &Progress,
) -> Vec<FileReport> {
    let prefilter = selection.prefilter();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].size));
    let mut reports: Vec<FileReport> = order
        .par_iter()
        .map_init(
            || Worker::new(selection, &prefilter),
            |worker, &i| {
                let report = worker.scan(i as u32, &files[i]);
                progress.file_done(files[i].size);
                report
            },
        )
        .collect();
    reports.sort_by_key(|r| r.file);
    reports
}
