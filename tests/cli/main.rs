//! Integration tests: the real `trailsift` binary on fixture dumps, whole outputs compared.

mod harness;
mod resilience;
mod respelling;
mod scan;
