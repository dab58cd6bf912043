//! Integration tests: the real `trailsift` binary on fixture dumps, whole outputs compared.

mod browser;
mod findings;
mod fuzz_seeds;
mod harness;
mod hostile;
mod html;
mod invariants;
#[cfg(target_os = "linux")]
mod memory;
mod output;
mod resilience;
mod respelling;
mod scan;
mod verify;
