//! The committed `sample-logs/` is exactly what the generator makes (so it can be rebuilt, and
//! a change to the generator cannot silently leave a stale sample behind).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn committed_sample_matches_the_generator() {
    let fresh = std::env::temp_dir().join(format!("trailsift-sample-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    trailsift_tools::sample::generate(&fresh).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-logs");
    let (want, have) = (files(&fresh), files(&committed));
    std::fs::remove_dir_all(&fresh).unwrap();
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        have.keys().collect::<Vec<_>>(),
        "file list differs: run `cargo run -p trailsift-tools --bin gen-sample`"
    );
    for (path, bytes) in &want {
        assert!(
            bytes == &have[path],
            "{} differs: run `cargo run -p trailsift-tools --bin gen-sample`",
            path.display()
        );
    }
}
