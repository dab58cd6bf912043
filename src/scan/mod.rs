//! Scanning: input files read in parallel, a batch at a time, results gathered in input order.
//!
//! Each worker thread owns its buffers ([`file::Worker`]), kept for the whole run (a fresh
//! buffer is fresh memory the system must clear). Files are handed out one at a time, large
//! ones first, to whichever thread is free ([`queue`]), so the threads finish together; the
//! results are put back in the sorted input order, so the output never depends on the number
//! of threads or on scheduling.

pub mod file;
pub mod queue;

use std::sync::Mutex;

use crate::cancel::Cancel;
use crate::discover::InputFile;
use crate::filter::Selection;
use crate::integrity::Evidence;
use crate::prefilter::Prefilter;
use crate::progress::Progress;
use file::{Collect, FileReport, Worker};

/// How a run reads its files.
pub struct Reading<'a, 'e, C: Collect + Sync> {
    pub selection: &'a Selection,
    pub progress: &'a Progress,
    pub collect: &'a C,
    /// Keep each selected record's JSON text (for the JSON Lines export).
    pub keep_records: bool,
    pub cancel: &'a Cancel,
    /// Where each file's integrity evidence goes (`scan --verify`).
    pub evidence: Option<&'a Evidence<'e>>,
}

/// The workers of a run, one per thread of its pool.
pub struct Scanner<'s> {
    workers: Vec<Mutex<Worker<'s>>>,
    busy: queue::Busy,
}

impl<'s> Scanner<'s> {
    /// Workers for `threads` threads.
    pub fn new(
        threads: usize,
        selection: &'s Selection,
        prefilter: &'s Prefilter,
        keep_records: bool,
        hashing: bool,
        cancel: &Cancel,
    ) -> Scanner<'s> {
        let workers = (0..threads.max(1))
            .map(|_| {
                Mutex::new(
                    Worker::new(selection, prefilter)
                        .keeping_records(keep_records)
                        .hashing(hashing)
                        .cancelled_by(cancel.clone()),
                )
            })
            .collect();
        Scanner {
            workers,
            busy: queue::Busy::new(threads),
        }
    }

    /// Seconds each thread spent reading files so far.
    pub fn busy_seconds(&self) -> Vec<f64> {
        self.busy.seconds()
    }

    /// Scans `files` on the current rayon pool, numbering them from `first`. The selected
    /// events of each file go to the collector as they are found; the reports keep the rest.
    /// Once the run is cancelled, the files not started yet are not read.
    pub fn scan_all<C: Collect + Sync>(
        &self,
        files: &[InputFile],
        first: u32,
        how: &Reading<'_, '_, C>,
    ) -> Vec<FileReport> {
        let sizes: Vec<u64> = files.iter().map(|f| f.size).collect();
        queue::largest_first(&sizes, &self.workers, &self.busy, |worker, i| {
            let index = first + i as u32;
            if how.cancel.is_set() {
                return FileReport::empty(index, files[i].size);
            }
            let report = worker.scan_with(index, &files[i], how.collect, how.evidence);
            how.progress.file_done(files[i].size);
            report
        })
    }
}
