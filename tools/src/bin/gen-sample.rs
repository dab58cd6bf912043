//! Regenerates the bundled sample dump: `gen-sample [DIR]` (default `sample-logs`).
use std::path::PathBuf;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "sample-logs".into()),
    );
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
        std::fs::remove_dir_all(&dir)?;
    }
    let n = trailsift_tools::sample::generate(&dir)?;
    println!("wrote {n} files to {}", dir.display());
    Ok(())
}
