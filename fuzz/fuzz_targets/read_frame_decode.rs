//! Any bytes as a file's content: read (gzip, UTF-16, ...), frame, prefilter, decode.
//! The invariants live in `tests/cli/invariants.rs`, which the test suite also runs on every
//! seed in `fuzz/corpus/read_frame_decode/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/cli/invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| invariants::check(data));
