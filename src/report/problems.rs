//! problems.csv: every record worth a second look, named by file and index: the records that
//! could not be read (not in the reports), and the ones read leniently or holding a key twice
//! (in the reports).

use super::table::Table;
use crate::discover::InputFile;
use crate::error::Error;
use crate::scan::file::{FileReport, ProblemKind};

pub const NAME: &str = "problems.csv";

pub const HEADER: [&str; 5] = ["path", "record", "byte_offset", "kind", "problem"];

/// Writes the rows of one file (the files come in path order).
pub fn rows(t: &mut Table, file: &InputFile, r: &FileReport) -> Result<(), Error> {
    let opt = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let path = &file.display;
    for p in &r.problems {
        t.row()
            .text(path)
            .text(&opt(p.record))
            .text(&opt(p.offset))
            .text(p.kind.as_str())
            .text(&p.message)
            .finish()?;
    }
    for kind in ProblemKind::ALL {
        let listed = r.problems.iter().filter(|p| p.kind == kind).count() as u64;
        let all = r.problem_count(kind);
        if all > listed {
            let more = all - listed;
            let what = match kind {
                ProblemKind::Unreadable => "unreadable records",
                ProblemKind::Lenient => "records read leniently",
                ProblemKind::DuplicateKey => "records with a key that appears twice",
            };
            t.row()
                .text(path)
                .text("")
                .text("")
                .text(kind.as_str())
                .text(&format!("… and {more} more {what}"))
                .finish()?;
        }
    }
    Ok(())
}
