//! External sorting: results held in memory up to a budget, sorted runs on disk beyond it.
//!
//! The reports need the selected events in several orders: by eventID to merge repeated
//! deliveries, by time for events.csv, by user for the timelines, by actor, subject and key for
//! the findings. A [`Sorter`] keeps items in memory until the run's budget is used up (all the
//! sorters of a run share one budget, [`SpillDir`]), then sorts them and writes them as a run to
//! a temporary directory inside the run's staging directory; [`Sorter::finish`] merges the runs and what is still in memory into one sorted
//! stream. Below the budget nothing touches the disk, so small results cost what an in-memory
//! sort costs. The orders given are total, so the stream does not depend on where the runs were
//! cut (which, during the parallel scan, depends on thread timing).

pub mod codec;

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as Atomic};

pub use codec::{Decoder, Encoder, Spill};

use crate::cancel::Cancel;
use crate::error::Error;

/// How many sources one merge reads at once; when there are more runs, just enough of them
/// are first merged into one to bring the count down.
const FAN_IN: usize = 128;
/// Read and write buffer of each run (a merge of `FAN_IN` runs holds 4 MiB of them).
const RUN_BUFFER: usize = 32 << 10;

/// A total order on items.
pub type Order<T> = fn(&T, &T) -> Ordering;

/// Where the runs of one scan go, and how much each sorter may hold in memory.
#[derive(Debug)]
pub struct SpillDir {
    parent: PathBuf,
    /// Created on the first spill; removed with everything in it when the run ends.
    dir: Mutex<Option<tempfile::TempDir>>,
    next: AtomicU64,
    /// Bytes all the sorters of the run may hold in memory together.
    budget: usize,
    /// Bytes they hold now (estimated), shared with the merges that still hold items.
    held: Arc<AtomicUsize>,
    /// Checked on every item pushed: a signal stops the run.
    cancel: Cancel,
}

/// A sorter smaller than this does not write a run when the shared budget is used up (others
/// do): runs stay few and large.
const SMALLEST_RUN: usize = 256 << 10;

impl SpillDir {
    /// Runs go to a directory in `parent`; the sorters hold up to `budget` bytes together.
    pub fn new(parent: &Path, budget: usize) -> SpillDir {
        SpillDir::with_cancel(parent, budget, Cancel::new())
    }

    /// The same, stopping with [`Error::Interrupted`] once `cancel` is set.
    pub fn with_cancel(parent: &Path, budget: usize, cancel: Cancel) -> SpillDir {
        SpillDir {
            parent: parent.to_path_buf(),
            dir: Mutex::new(None),
            next: AtomicU64::new(0),
            budget,
            held: Arc::new(AtomicUsize::new(0)),
            cancel,
        }
    }

    /// Counts `bytes` more held by a sorter that holds `own` now; whether that sorter should
    /// write its items as a run.
    fn hold(&self, bytes: usize, own: usize) -> bool {
        let held = self.held.fetch_add(bytes, Atomic::Relaxed) + bytes;
        own > self.budget / 2 || (held > self.budget && own >= SMALLEST_RUN.min(self.budget / 2))
    }

    /// Counts `bytes` no longer held.
    fn release(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Atomic::Relaxed);
    }

    /// Bytes the sorters and merges hold now (for tests and the curious).
    pub fn held(&self) -> usize {
        self.held.load(Atomic::Relaxed)
    }

    /// The run's cancellation token.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// How many runs were written (for tests and the curious).
    pub fn runs_written(&self) -> u64 {
        self.next.load(Atomic::Relaxed)
    }

    fn error(&self, path: &Path, source: std::io::Error) -> Error {
        Error::Spill {
            path: path.display().to_string(),
            source,
        }
    }

    fn create_run(&self) -> Result<(PathBuf, File), Error> {
        let mut dir = self.dir.lock().unwrap_or_else(|p| p.into_inner());
        if dir.is_none() {
            let made = tempfile::Builder::new()
                .prefix("sort-")
                .tempdir_in(&self.parent)
                .map_err(|e| self.error(&self.parent, e))?;
            *dir = Some(made);
        }
        let n = self.next.fetch_add(1, Atomic::Relaxed);
        let path = dir
            .as_ref()
            .expect("created above")
            .path()
            .join(format!("run-{n}"));
        let file = File::create(&path).map_err(|e| self.error(&path, e))?;
        Ok((path, file))
    }

    /// Sorts `items` and writes them as one run.
    fn write_run<T: Spill>(&self, mut items: Vec<T>, order: Order<T>) -> Result<PathBuf, Error> {
        items.sort_unstable_by(order);
        self.write_sorted(items.into_iter().map(Ok))
    }

    fn write_sorted<T: Spill>(
        &self,
        items: impl Iterator<Item = Result<T, Error>>,
    ) -> Result<PathBuf, Error> {
        let (path, file) = self.create_run()?;
        let mut out = BufWriter::with_capacity(RUN_BUFFER, file);
        let mut e = Encoder::default();
        for item in items {
            e.bytes.clear();
            item?.encode(&mut e);
            let len = u32::try_from(e.bytes.len())
                .map_err(|_| self.error(&path, std::io::Error::other("item over 4 GiB")))?;
            out.write_all(&len.to_le_bytes())
                .and_then(|()| out.write_all(&e.bytes))
                .map_err(|err| self.error(&path, err))?;
        }
        out.flush().map_err(|err| self.error(&path, err))?;
        Ok(path)
    }
}

/// Items gathered in any order and given back sorted.
pub struct Sorter<'d, T> {
    dir: &'d SpillDir,
    order: Order<T>,
    items: Vec<T>,
    weight: usize,
    runs: Vec<PathBuf>,
}

impl<'d, T: Spill> Sorter<'d, T> {
    pub fn new(dir: &'d SpillDir, order: Order<T>) -> Sorter<'d, T> {
        Sorter {
            dir,
            order,
            items: Vec::new(),
            weight: 0,
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, item: T) -> Result<(), Error> {
        self.dir.cancel.check()?;
        let w = item.weight() + std::mem::size_of::<T>();
        self.weight += w;
        self.items.push(item);
        if self.dir.hold(w, self.weight) {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the items in memory as a run.
    fn spill(&mut self) -> Result<(), Error> {
        let items = std::mem::take(&mut self.items);
        self.dir.release(std::mem::take(&mut self.weight));
        self.runs.push(self.dir.write_run(items, self.order)?);
        Ok(())
    }

    /// Every item pushed, in order.
    pub fn finish(mut self) -> Result<Merged<T>, Error> {
        // Once on disk, all of it goes to disk: the merge then holds only its read buffers.
        if !self.runs.is_empty() && !self.items.is_empty() {
            self.spill()?;
        }
        // Too many runs to read at once (with the items still in memory): merge as few of
        // them as brings the count down, so that most of the data is written only once.
        while self.runs.len() >= FAN_IN {
            let k = (self.runs.len() - FAN_IN + 2).min(FAN_IN);
            let group: Vec<PathBuf> = self.runs.drain(..k).collect();
            let sources = group
                .into_iter()
                .map(|p| RunReader::open(self.dir, p).map(Source::Run))
                .collect::<Result<Vec<_>, Error>>()?;
            let merged = Merged::new(sources, self.order)?;
            self.runs.push(self.dir.write_sorted(merged)?);
        }
        let mut items = std::mem::take(&mut self.items);
        items.sort_unstable_by(self.order);
        let mut sources = vec![Source::Memory(items.into_iter())];
        for path in std::mem::take(&mut self.runs) {
            sources.push(Source::Run(RunReader::open(self.dir, path)?));
        }
        let mut merged = Merged::new(sources, self.order)?;
        // What stays in memory is counted until the merge is done with it.
        merged.held = Some(Held {
            counter: Arc::clone(&self.dir.held),
            bytes: std::mem::take(&mut self.weight),
        });
        Ok(merged)
    }
}

/// A sorter fed from several threads. A full batch is taken out under the lock and written
/// outside it, so the other threads go on.
pub struct Shared<'d, T> {
    inner: Mutex<SharedState<'d, T>>,
}

struct SharedState<'d, T> {
    sorter: Sorter<'d, T>,
    error: Option<Error>,
}

impl<'d, T: Spill> Shared<'d, T> {
    pub fn new(dir: &'d SpillDir, order: Order<T>) -> Shared<'d, T> {
        Shared {
            inner: Mutex::new(SharedState {
                sorter: Sorter::new(dir, order),
                error: None,
            }),
        }
    }

    /// Adds items; an error writing a run is kept and returned by [`Shared::finish`].
    pub fn extend(&self, items: impl IntoIterator<Item = T>) {
        let (dir, order, full) = {
            let mut state = self.lock();
            if let Err(e) = state.sorter.dir.cancel.check() {
                state.error.get_or_insert(e);
                return;
            }
            let s = &mut state.sorter;
            let mut added = 0;
            for item in items {
                added += item.weight() + std::mem::size_of::<T>();
                s.items.push(item);
            }
            s.weight += added;
            if !s.dir.hold(added, s.weight) {
                return;
            }
            s.dir.release(std::mem::take(&mut s.weight));
            (s.dir, s.order, std::mem::take(&mut s.items))
        };
        let written = dir.write_run(full, order);
        let mut state = self.lock();
        match written {
            Ok(run) => state.sorter.runs.push(run),
            Err(e) => {
                state.error.get_or_insert(e);
            }
        }
    }

    pub fn finish(self) -> Result<Merged<T>, Error> {
        let state = self.inner.into_inner().unwrap_or_else(|p| p.into_inner());
        match state.error {
            Some(e) => Err(e),
            None => state.sorter.finish(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SharedState<'d, T>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One sorted source of a merge.
enum Source<T> {
    Memory(std::vec::IntoIter<T>),
    Run(RunReader),
}

impl<T: Spill> Source<T> {
    fn next(&mut self) -> Result<Option<T>, Error> {
        match self {
            Source::Memory(items) => Ok(items.next()),
            Source::Run(run) => run.next(),
        }
    }
}

/// Reads a run back; the file is deleted when the reader is dropped.
struct RunReader {
    path: PathBuf,
    input: BufReader<File>,
    buffer: Vec<u8>,
}

impl RunReader {
    fn open(dir: &SpillDir, path: PathBuf) -> Result<RunReader, Error> {
        let file = File::open(&path).map_err(|e| dir.error(&path, e))?;
        Ok(RunReader {
            input: BufReader::with_capacity(RUN_BUFFER, file),
            path,
            buffer: Vec::new(),
        })
    }

    fn error(&self, source: std::io::Error) -> Error {
        Error::Spill {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn next<T: Spill>(&mut self) -> Result<Option<T>, Error> {
        let mut len = [0u8; 4];
        match self.input.read(&mut len[..1]) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(self.error(e)),
        }
        self.input
            .read_exact(&mut len[1..])
            .map_err(|e| self.error(e))?;
        self.buffer.resize(u32::from_le_bytes(len) as usize, 0);
        self.input
            .read_exact(&mut self.buffer)
            .map_err(|e| self.error(e))?;
        let mut d = Decoder::new(&self.buffer);
        match T::decode(&mut d) {
            Some(item) if d.is_empty() => Ok(Some(item)),
            _ => Err(self.error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "damaged sort run",
            ))),
        }
    }
}

impl Drop for RunReader {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The head item of one source in the merge heap (smallest first).
struct Head<T> {
    item: T,
    source: usize,
    order: Order<T>,
}

impl<T> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T> Eq for Head<T> {}
impl<T> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Head<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.order)(&other.item, &self.item).then(other.source.cmp(&self.source))
    }
}

/// A sorted stream of items: a k-way merge of sorted sources.
pub struct Merged<T> {
    sources: Vec<Source<T>>,
    heap: BinaryHeap<Head<T>>,
    /// The budget the items still in memory hold, given back when the merge is dropped.
    held: Option<Held>,
}

/// Bytes of a run's budget held by a merge.
struct Held {
    counter: Arc<AtomicUsize>,
    bytes: usize,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.counter.fetch_sub(self.bytes, Atomic::Relaxed);
    }
}

impl<T: Spill> Merged<T> {
    fn new(mut sources: Vec<Source<T>>, order: Order<T>) -> Result<Merged<T>, Error> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        if sources.len() > 1 {
            for (i, s) in sources.iter_mut().enumerate() {
                if let Some(item) = s.next()? {
                    heap.push(Head {
                        item,
                        source: i,
                        order,
                    });
                }
            }
        }
        Ok(Merged {
            sources,
            heap,
            held: None,
        })
    }

    /// The next item in order, `None` at the end.
    pub fn pop(&mut self) -> Result<Option<T>, Error> {
        if self.sources.len() == 1 {
            return self.sources[0].next();
        }
        let Some(mut head) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(item) = self.sources[head.source].next()? {
            let top = std::mem::replace(&mut head.item, item);
            self.heap.push(head);
            return Ok(Some(top));
        }
        Ok(Some(head.item))
    }
}

impl<T: Spill> Iterator for Merged<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.pop().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Item {
        key: u64,
        text: String,
    }

    impl Spill for Item {
        fn weight(&self) -> usize {
            self.text.capacity()
        }
        fn encode(&self, out: &mut Encoder) {
            out.u64(self.key);
            out.str(&self.text);
        }
        fn decode(input: &mut Decoder<'_>) -> Option<Self> {
            Some(Item {
                key: input.u64()?,
                text: input.string()?,
            })
        }
    }

    fn by_key(a: &Item, b: &Item) -> Ordering {
        (a.key, &a.text).cmp(&(b.key, &b.text))
    }

    fn items(n: u64) -> Vec<Item> {
        let mut rng = fastrand::Rng::with_seed(n);
        (0..n)
            .map(|i| Item {
                key: rng.u64(..n / 3 + 1),
                text: format!("item {i}"),
            })
            .collect()
    }

    fn sorted(mut v: Vec<Item>) -> Vec<Item> {
        v.sort_by(by_key);
        v
    }

    #[test]
    fn small_results_stay_in_memory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(tmp.path(), 1 << 20);
        let mut s = Sorter::new(&dir, by_key);
        for i in items(500) {
            s.push(i).unwrap();
        }
        let out: Vec<Item> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(out, sorted(items(500)));
        assert_eq!(dir.runs_written(), 0);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn spilled_runs_merge_back_in_order_and_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        // About three items per run: more runs than one merge reads, so merged in levels.
        let dir = SpillDir::new(tmp.path(), 100);
        let mut s = Sorter::new(&dir, by_key);
        for i in items(1000) {
            s.push(i).unwrap();
        }
        let out: Vec<Item> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(out, sorted(items(1000)));
        assert!(
            dir.runs_written() > FAN_IN as u64 * 2,
            "{}",
            dir.runs_written()
        );
        drop(dir);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn shared_sorters_give_the_same_stream_whatever_the_threads() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(tmp.path(), 300);
        let shared = Shared::new(&dir, by_key);
        let all = items(2000);
        std::thread::scope(|scope| {
            for chunk in all.chunks(97) {
                let shared = &shared;
                scope.spawn(move || shared.extend(chunk.to_vec()));
            }
        });
        let out: Vec<Item> = shared.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(out, sorted(all));
        assert!(dir.runs_written() > 10);
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(tmp.path(), 50);
        let mut s = Sorter::new(&dir, by_key);
        for i in items(20) {
            s.push(i).unwrap();
        }
        let run = s.runs[0].clone();
        std::fs::write(&run, [3, 0, 0, 0, 0xff, 0xff]).unwrap();
        let result: Result<Vec<Item>, Error> = s.finish().and_then(|m| m.collect());
        let message = result.unwrap_err().to_string();
        assert!(message.contains("run-0"), "{message}");
    }
}
