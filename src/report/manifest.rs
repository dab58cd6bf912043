//! manifest.csv: one row per file found, read or not, so an investigator can prove coverage.

use super::Table;
use crate::aggregate::Archive;
use crate::discover::{InputFile, WalkProblem};
use crate::error::Error;
use crate::scan::file::FileReport;

pub const NAME: &str = "manifest.csv";

pub const HEADER: [&str; 12] = [
    "path",
    "kind",
    "status",
    "bytes",
    "records",
    "matched",
    "format",
    "undecodable",
    "duplicates",
    "conflicts",
    "error",
    "note",
];

pub fn write(
    mut t: Table,
    files: &[InputFile],
    reports: &[FileReport],
    walk: &[WalkProblem],
    archive: &Archive,
) -> Result<(), Error> {
    let mut rows: Vec<(&str, Option<&FileReport>, &str)> = reports
        .iter()
        .map(|r| (files[r.file as usize].display.as_str(), Some(r), ""))
        .collect();
    rows.extend(
        walk.iter()
            .map(|w| (w.display.as_str(), None, w.message.as_str())),
    );
    rows.sort_by(|a, b| a.0.cmp(b.0));
    for (path, report, walk_error) in rows {
        match report {
            Some(r) => {
                let tally = archive
                    .tallies
                    .get(r.file as usize)
                    .copied()
                    .unwrap_or_default();
                t.row()
                    .text(path)
                    .text(r.kind.as_str())
                    .text(r.status.as_str())
                    .num(r.bytes)
                    .num(r.records)
                    .num(r.matched)
                    .text(&r.format)
                    .num(r.undecodable)
                    .num(tally.duplicates)
                    .num(tally.conflicts)
                    .text(&r.error)
                    .text(&r.note)
                    .finish()?;
            }
            None => t
                .row()
                .text(path)
                .text("other")
                .text("unreadable")
                .num(0u64)
                .num(0u64)
                .num(0u64)
                .text("")
                .num(0u64)
                .num(0u64)
                .num(0u64)
                .text(walk_error)
                .text("")
                .finish()?,
        }
    }
    t.close()
}
