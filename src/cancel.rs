//! Interruption: Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal or SSH session gone) stop a
//! run cleanly.
//!
//! The signal handlers only record the signal in a [`Cancel`] token; the pipeline checks the
//! token where it loops (per file read, per window of a large file, per item sorted, per row
//! written) and unwinds with [`Error::Interrupted`], which removes the run's staging directory
//! on the way out. A second signal while the first is being handled ends the process at once
//! (what it leaves behind is recognisable, and the next run removes it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::Error;

/// The signal that asked the run to stop, if any. Cheap to clone and to check.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    signal: Arc<AtomicUsize>,
}

impl Cancel {
    /// A token no signal sets (tests, libraries).
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// A token set by SIGINT, SIGTERM and SIGHUP.
    pub fn on_signals() -> std::io::Result<Cancel> {
        let cancel = Cancel::new();
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let once = Arc::new(AtomicBool::new(false));
            // A signal the process was started with ignored stays ignored: `nohup` sets
            // SIGHUP so, and a script's background job gets SIGINT so.
            for signal in [SIGINT, SIGTERM, SIGHUP]
                .into_iter()
                .filter(|&s| !ignored(s))
            {
                // Registered first, so that it sees the flag as the previous signal left it.
                signal_hook::flag::register_conditional_shutdown(
                    signal,
                    128 + signal,
                    Arc::clone(&once),
                )?;
                signal_hook::flag::register(signal, Arc::clone(&once))?;
                signal_hook::flag::register_usize(
                    signal,
                    Arc::clone(&cancel.signal),
                    signal as usize,
                )?;
            }
        }
        Ok(cancel)
    }

    /// Asks the run to stop as if `signal` had arrived.
    pub fn raise(&self, signal: i32) {
        self.signal.store(signal as usize, Ordering::Relaxed);
    }

    /// The signal that arrived, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n as i32),
        }
    }

    /// `Err(Interrupted)` once a signal has arrived.
    pub fn check(&self) -> Result<(), Error> {
        match self.signal() {
            None => Ok(()),
            Some(s) => Err(Error::Interrupted(s)),
        }
    }

    pub fn is_set(&self) -> bool {
        self.signal().is_some()
    }
}

/// Whether `signal` is ignored (as the process was started).
#[cfg(unix)]
fn ignored(signal: i32) -> bool {
    // SAFETY: with no new action, sigaction only writes the current one into `old`, a plain C
    // struct for which all zeroes is a valid value.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}
