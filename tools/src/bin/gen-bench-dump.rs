//! Generates the macro-benchmark dump:
//! `gen-bench-dump <DIR> [--mb N] [--shape uniform|skewed|huge-file|tiny-files] [--seed S]`.
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use trailsift_tools::bench::{BenchSpec, Shape, generate};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut spec = BenchSpec {
        json_bytes: 2100 << 20,
        records_per_file: 415,
        shape: Shape::Skewed,
        credential_share: 0.002,
        seed: 1,
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mb" => spec.json_bytes = args.next().context("--mb N")?.parse::<u64>()? << 20,
            "--shape" => spec.shape = args.next().context("--shape NAME")?.parse()?,
            "--seed" => spec.seed = args.next().context("--seed S")?.parse()?,
            "--records-per-file" => {
                spec.records_per_file = args.next().context("--records-per-file N")?.parse()?
            }
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => bail!(
                "usage: gen-bench-dump <DIR> [--mb N] [--shape uniform|skewed|huge-file|tiny-files] [--seed S] [--records-per-file N]"
            ),
        }
    }
    let dir = dir.context("usage: gen-bench-dump <DIR> [--mb N] [--seed S]")?;
    let s = generate(&dir, &spec)?;
    println!(
        "files={} records={} credential_events={} json_bytes={} gzip_bytes={} ratio={:.2} bytes_per_record={}",
        s.files,
        s.records,
        s.credential_events,
        s.json_bytes,
        s.gzip_bytes,
        s.json_bytes as f64 / s.gzip_bytes as f64,
        s.json_bytes / s.records.max(1)
    );
    Ok(())
}
