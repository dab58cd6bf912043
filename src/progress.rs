//! The progress bar on stderr, only when stderr is a terminal and the run is not quiet: bytes
//! read while the inputs are read, then a phase label while the results are sorted and the
//! reports written, so the screen is never blank.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of a run.
pub struct Progress {
    bar: ProgressBar,
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
        Progress { bar }
    }

    /// A progress that shows nothing.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    pub fn file_done(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    /// Reading is over: from now on a spinner with what is being done.
    pub fn phase(&self, what: &'static str) {
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

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
