//! The fuzz target's invariants, on every committed seed and every input that once failed.

use std::path::Path;

#[test]
fn every_fuzz_seed_keeps_the_invariants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/read_frame_decode");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| crate::invariants::check(&data));
        assert!(outcome.is_ok(), "{}", path.display());
        n += 1;
    }
    assert!(n >= 20, "only {n} seeds in {}", dir.display());
}
