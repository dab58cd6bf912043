//! Scanning: input files read in parallel, a batch at a time, results gathered in input order.
//!
//! Each worker thread owns its buffers ([`file::Worker`]). Large files start first so the
//! threads finish together; the results are put back in the sorted input order, so the output
//! never depends on the number of threads or on scheduling.

pub mod file;

use std::sync::Arc;

use rayon::prelude::*;

use crate::aggregate::Collector;
use crate::discover::InputFile;
use crate::filter::Selection;
use crate::progress::Progress;
use file::{FileReport, Worker};

/// Scans `files` on the current rayon pool, numbering them from `first`. The selected events
/// of each file go to `collector` as soon as the file is read; the reports keep the rest.
pub fn scan_all(
    files: &[InputFile],
    first: u32,
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
                let mut report = worker.scan(first + i as u32, &files[i]);
                let mut events = std::mem::take(&mut report.events);
                if !events.is_empty() {
                    let path: Arc<str> = Arc::from(files[i].display.as_str());
                    for e in &mut events {
                        e.source_file = Arc::clone(&path);
                    }
                }
                collector.add(events);
                progress.file_done(files[i].size);
                report
            },
        )
        .collect();
    reports.sort_by_key(|r| r.file);
    reports
}
