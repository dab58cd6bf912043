//! Scanning: every input file read in parallel, results gathered in input order.
//!
//! Each worker thread owns its buffers ([`file::Worker`]). Large files start first so the
//! threads finish together; the results are put back in the sorted input order, so the output
//! never depends on the number of threads or on scheduling.

pub mod file;

use rayon::prelude::*;

use crate::aggregate::Collector;
use crate::discover::InputFile;
use crate::filter::Selection;
use crate::progress::Progress;
use file::{FileReport, Worker};

/// Scans `files` on the current rayon pool. The selected events of each file go to
/// `collector` as soon as the file is read; the reports keep the rest.
pub fn scan_all(
    files: &[InputFile],
    selection: &Selection,
    progress: &Progress,
    collector: &Collector<'_>,
) -> Vec<FileReport> {
    let prefilter = selection.prefilter();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].size));
    let mut reports: Vec<FileReport> = order
        .par_iter()
        .map_init(
            || Worker::new(selection, &prefilter),
            |worker, &i| {
                let mut report = worker.scan(i as u32, &files[i]);
                collector.add(std::mem::take(&mut report.events));
                progress.file_done(files[i].size);
                report
            },
        )
        .collect();
    reports.sort_by_key(|r| r.file);
    reports
}
