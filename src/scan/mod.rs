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

/// Scans `files` on `threads` threads.
pub fn scan_all(
    files: &[InputFile],
    selection: &Selection,
    threads: usize,
    progress: &Progress,
) -> anyhow::Result<Vec<FileReport>> {
    let prefilter = selection.prefilter();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].size));
    let mut reports: Vec<FileReport> = pool.install(|| {
        order
            .par_iter()
            .map_init(
                || Worker::new(selection, &prefilter),
                |worker, &i| {
                    let report = worker.scan(i as u32, &files[i]);
                    progress.file_done(files[i].size);
                    report
                },
            )
            .collect()
    });
    reports.sort_by_key(|r| r.file);
    Ok(reports)
}
