//! Writes a dump heavy in results: `gen-heavy <DIR> [--events N] [--files N] [--one-actor]`.
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use trailsift_tools::heavy::{Shape, generate};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut events, mut files, mut shape) = (None, 1_000_000, 1, Shape::ManyUsers);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--events" => events = args.next().context("--events N")?.parse()?,
            "--files" => files = args.next().context("--files N")?.parse()?,
            "--one-actor" => shape = Shape::OneActor,
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => bail!("usage: gen-heavy <DIR> [--events N] [--files N] [--one-actor]"),
        }
    }
    generate(
        &dir.context("usage: gen-heavy <DIR> ...")?,
        events,
        files,
        shape,
    )
}
