//! problems.csv: every record that could not be read, named by file and index.

use super::Table;
use crate::discover::InputFile;
use crate::error::Error;
use crate::scan::file::FileReport;

pub const NAME: &str = "problems.csv";

pub const HEADER: [&str; 4] = ["path", "record", "byte_offset", "problem"];

/// Writes the rows of one file (the files come in path order).
pub fn rows(t: &mut Table, file: &InputFile, r: &FileReport) -> Result<(), Error> {
    let opt = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    {
        let path = &file.display;
        for p in &r.problems {
            t.row()
                .text(path)
                .text(&opt(p.record))
                .text(&opt(p.offset))
                .text(&p.message)
                .finish()?;
        }
        let listed = r.problems.iter().filter(|p| p.record.is_some()).count() as u64;
        if r.undecodable > listed {
            let more = r.undecodable - listed;
            t.row()
                .text(path)
                .text("")
                .text("")
                .text(&format!("… and {more} more unreadable records"))
                .finish()?;
        }
    }
    Ok(())
}
