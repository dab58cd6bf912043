//! report.html: the investigation at a glance, in one self-contained page.
//!
//! Everything is inline (style, script, the SVG timeline); nothing is fetched, so the page
//! opens from `file://` on an air-gapped machine. Every value from the logs goes through
//! maud's escaping, in text and in attributes alike; the script reads data only from the
//! page's own attributes. What the page shows is gathered while the other reports are
//! written ([`gather`]), under caps stated in the page, so its size is bounded whatever the
//! archive. The page holds nothing that depends on the run rather than on the inputs (no
//! clock times, no thread count): it is the same bytes for the same inputs and options.

pub mod gather;
pub mod guide;
pub mod lanes;
mod page;

use std::collections::BTreeSet;

use std::io::Write as _;

use crate::error::Error;
use crate::outdir::OutputDir;
use crate::report::digest::{FileDigest, Hashing};

pub const NAME: &str = "report.html";

/// Files read, by status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub files: u64,
    pub bytes: u64,
    pub records: u64,
    pub ok: u64,
    pub partial: u64,
    pub unreadable: u64,
    pub skipped: u64,
    pub reported: u64,
    pub duplicates: u64,
    pub conflicts: u64,
}

/// Everything the page shows.
pub struct Page {
    pub version: String,
    pub commit: String,
    /// The command line, as far as it decides the reports ([`command_for_page`]).
    pub command: Vec<String>,
    pub inputs: Vec<String>,
    /// What was selected, in words.
    pub selection: String,
    pub coverage: Coverage,
    pub inputs_incomplete: gather::Inputs,
    pub events: gather::Events,
    pub findings: gather::Findings,
    /// Findings per rule: id, severity, count.
    pub per_rule: Vec<(&'static str, crate::findings::Severity, usize)>,
    pub lanes: Vec<gather::Lane>,
    pub users: Vec<gather::UserRow>,
    pub total_users: u64,
    /// The integrity check's summary lines, with `--verify`.
    pub integrity: Option<String>,
}

impl Page {
    /// The events the page lists findings for: kept in every lane.
    pub fn keep(findings: &gather::Findings) -> BTreeSet<u64> {
        findings.listed().iter().map(|f| f.seq).collect()
    }
}

/// The command line as the page shows it: what decides the reports. The program is called
/// `trailsift`; where the reports go and how (`--out`, `--force`, `--quiet`), and with what
/// resources (`--threads`, `--sort-memory`), never change a byte of them and are left out
/// (run.json has the whole line).
pub fn command_for_page(command: &[String]) -> Vec<String> {
    const WITH_VALUE: [&str; 5] = ["--out", "-o", "--threads", "-j", "--sort-memory"];
    const ALONE: [&str; 4] = ["--force", "--quiet", "-q", "--"];
    let mut out = vec!["trailsift".to_owned()];
    let mut words = command.iter().skip(1);
    while let Some(word) = words.next() {
        if WITH_VALUE.contains(&word.as_str()) {
            words.next();
            continue;
        }
        let joined = WITH_VALUE.iter().any(|f| {
            word.starts_with(&format!("{f}="))
                || (f.len() == 2
                    && word.starts_with(f)
                    && word.len() > 2
                    && !word.starts_with("--"))
        });
        if joined || ALONE.contains(&word.as_str()) {
            continue;
        }
        out.push(word.clone());
    }
    out
}

/// Writes the page into the run's staging directory, a piece at a time.
pub fn write(out: &mut OutputDir, page: &Page) -> Result<(String, FileDigest), Error> {
    let path = out.stage(NAME);
    let failed = |source| Error::Output {
        path: crate::discover::display_path(&path),
        source,
    };
    let file = std::fs::File::create(&path).map_err(failed)?;
    let mut writer = Hashing::new(std::io::BufWriter::with_capacity(1 << 16, file));
    page::render_to(page, &mut |piece: &str| writer.write_all(piece.as_bytes())).map_err(failed)?;
    let (buffered, digest) = writer.finish();
    buffered
        .into_inner()
        .map_err(|e| e.into_error())
        .map_err(failed)?;
    Ok((NAME.to_owned(), digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_shows_what_decides_the_reports() {
        let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            command_for_page(&words(
                "./target/release/trailsift scan d --threads 8 -j 2 -j4 --threads=3 --out r -o r2 --out=r3 --force -q --sort-memory 1M --events ChangePassword --quiet e"
            )),
            words("trailsift scan d --events ChangePassword e")
        );
    }
}
