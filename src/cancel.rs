//! Interruption: Ctrl-C (SIGINT) and SIGTERM stop a run cleanly.
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

    /// A token set by SIGINT and SIGTERM.
    pub fn on_signals() -> std::io::Result<Cancel> {
        let cancel = Cancel::new();
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGINT, SIGTERM};
            let once = Arc::new(AtomicBool::new(false));
            for signal in [SIGINT, SIGTERM] {
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
