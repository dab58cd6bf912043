//! Regenerates the damaged-input fixtures: `gen-damaged [DIR]` (default `tests/fixtures/damaged`).
use std::path::PathBuf;

use anyhow::Result;

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/fixtures/damaged".into()),
    );
    if dir.symlink_metadata().is_ok() {
        std::fs::remove_dir_all(&dir)?;
    }
    let n = trailsift_tools::damaged::generate(&dir)?;
    println!("wrote {n} files to {}", dir.display());
    Ok(())
}
