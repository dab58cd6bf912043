//! The progress bar on stderr, only when stderr is a terminal and the run is not quiet: bytes
//! read while the inputs are read, then a phase label while the results are sorted and the
//! reports written, so the screen is never blank.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of a run. Whether drawn or not, it notes when each phase began, for run.json.
pub struct Progress {
    bar: ProgressBar,
    phases: Mutex<Vec<(&'static str, Instant)>>,
}

impl Progress {
    /// A bar over `total` bytes, drawn only if `visible` and stderr is a terminal.
    pub fn new(total: u64, visible: bool) -> Progress {
        let bar = if visible && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg:10} {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})")
                    .expect("static template")
                    .progress_chars("=> "),
            );
            bar.set_message("reading");
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress::with_bar(bar)
    }

    fn with_bar(bar: ProgressBar) -> Progress {
        Progress {
            bar,
            phases: Mutex::new(vec![("reading", Instant::now())]),
        }
    }

    /// A progress that shows nothing.
    pub fn hidden() -> Progress {
        Progress::with_bar(ProgressBar::hidden())
    }

    pub fn file_done(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    /// Reading is over: from now on a spinner with what is being done.
    pub fn phase(&self, what: &'static str) {
        if let Ok(mut phases) = self.phases.lock() {
            phases.push((what, Instant::now()));
        }
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .expect("static template"),
        );
        self.bar.set_message(what);
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }

    /// Each phase so far (reading first) and how long it took, in the order they came.
    pub fn phases(&self) -> Vec<(&'static str, Duration)> {
        let now = Instant::now();
        let phases = match self.phases.lock() {
            Ok(p) => p.clone(),
            Err(_) => return Vec::new(),
        };
        let ends = phases.iter().skip(1).map(|(_, t)| *t).chain([now]);
        phases
            .iter()
            .zip(ends)
            .map(|((name, start), end)| (*name, end.saturating_duration_since(*start)))
            .collect()
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_each_other_from_reading_on() {
        let progress = Progress::hidden();
        std::thread::sleep(Duration::from_millis(20));
        progress.phase("sorting the events");
        progress.phase("findings");
        let phases = progress.phases();
        let names: Vec<&str> = phases.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["reading", "sorting the events", "findings"]);
        assert!(phases[0].1 >= Duration::from_millis(20));
    }
}
