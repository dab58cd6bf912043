//! The committed generated data is exactly what the generators make, so it can be rebuilt and
//! a change to a generator cannot leave stale fixtures behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every entry below `root`: file contents, or a symbolic link's target.
fn entries(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let content = if meta.file_type().is_symlink() {
                std::fs::read_link(&path)
                    .unwrap()
                    .to_string_lossy()
                    .as_bytes()
                    .to_vec()
            } else if meta.is_dir() {
                stack.push(path);
                continue;
            } else {
                std::fs::read(&path).unwrap()
            };
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), content);
        }
    }
    out
}

fn assert_current(committed: &str, generate: fn(&Path) -> anyhow::Result<usize>, command: &str) {
    let fresh = std::env::temp_dir().join(format!(
        "trailsift-fixture-{}-{}",
        std::process::id(),
        committed.replace('/', "-")
    ));
    let _ = std::fs::remove_dir_all(&fresh);
    generate(&fresh).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(committed);
    let (want, have) = (entries(&fresh), entries(&committed));
    std::fs::remove_dir_all(&fresh).unwrap();
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        have.keys().collect::<Vec<_>>(),
        "file list differs: run `{command}`"
    );
    for (path, bytes) in &want {
        assert!(
            bytes == &have[path],
            "{} differs: run `{command}`",
            path.display()
        );
    }
}

#[test]
fn committed_sample_matches_the_generator() {
    assert_current(
        "sample-logs",
        trailsift_tools::sample::generate,
        "cargo run -p trailsift-tools --bin gen-sample",
    );
}

#[cfg(unix)]
#[test]
fn committed_damaged_fixtures_match_the_generator() {
    assert_current(
        "tests/fixtures/damaged",
        trailsift_tools::damaged::generate,
        "cargo run -p trailsift-tools --bin gen-damaged",
    );
}
