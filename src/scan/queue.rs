//! Handing files to threads: one file at a time, the largest first, to whichever thread is
//! free. The big files start together at the beginning and the small ones fill the gaps at
//! the end, so the threads finish together (rayon's split of an indexed list into ranges
//! left the thread holding the range of the largest files to run alone at the end). The
//! results come back in input order whatever the interleaving.

use std::cmp::Reverse;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Time each thread spent working on files (not waiting for one).
#[derive(Debug, Default)]
pub struct Busy(Vec<AtomicU64>);

impl Busy {
    pub fn new(threads: usize) -> Busy {
        Busy((0..threads.max(1)).map(|_| AtomicU64::new(0)).collect())
    }

    fn add(&self, slot: usize, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.0[slot % self.0.len()].fetch_add(nanos, Ordering::Relaxed);
    }

    /// Seconds per thread, in thread order.
    pub fn seconds(&self) -> Vec<f64> {
        self.0
            .iter()
            .map(|n| n.load(Ordering::Relaxed) as f64 / 1e9)
            .collect()
    }
}

/// Runs `work(worker, i)` for every `i` in `0..sizes.len()` on the threads of the current
/// rayon pool, each thread with its own worker from `workers`, and returns the results by
/// `i`. Items are taken largest size first (ties in input order).
pub fn largest_first<W, T, F>(sizes: &[u64], workers: &[Mutex<W>], busy: &Busy, work: F) -> Vec<T>
where
    W: Send,
    T: Send,
    F: Fn(&mut W, usize) -> T + Sync,
{
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| (Reverse(sizes[i]), i));
    let next = AtomicUsize::new(0);
    let parts: Vec<Vec<(usize, T)>> = rayon::broadcast(|ctx| {
        let slot = ctx.index() % workers.len();
        let mut worker = workers[slot].lock().unwrap_or_else(|p| p.into_inner());
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let started = Instant::now();
            done.push((i, work(&mut worker, i)));
            busy.add(slot, started.elapsed());
        }
        done
    });
    let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_in_input_order_whatever_the_threads() {
        let sizes: Vec<u64> = (0..1000u64).map(|i| (i * 7919) % 1013).collect();
        for threads in [1, 2, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let workers: Vec<Mutex<Vec<usize>>> =
                (0..threads).map(|_| Mutex::new(Vec::new())).collect();
            let busy = Busy::new(threads);
            let out = pool.install(|| {
                largest_first(&sizes, &workers, &busy, |seen, i| {
                    seen.push(i);
                    i * 2
                })
            });
            assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
            let mut seen: Vec<usize> = workers
                .into_iter()
                .flat_map(|w| w.into_inner().unwrap())
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..1000).collect::<Vec<_>>());
            assert_eq!(busy.seconds().len(), threads);
        }
    }

    #[test]
    fn the_largest_start_first() {
        let sizes = [5u64, 50, 1, 50, 9];
        let workers = [Mutex::new(Vec::new())];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| largest_first(&sizes, &workers, &Busy::new(1), |seen, i| seen.push(i)));
        let [w] = workers;
        assert_eq!(w.into_inner().unwrap(), [1, 3, 4, 0, 2]);
    }
}
