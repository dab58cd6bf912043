//! manifest.csv: one row per file found, read or not, so an investigator can prove coverage.

use std::cmp::Ordering;

use super::table::Table;
use crate::aggregate::FileTally;
use crate::discover::{InputFile, WalkProblem};
use crate::error::Error;
use crate::scan::file::{FileKind, FileReport, Status};
use crate::spill::{Decoder, Encoder, Merged, Spill};

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

/// The header with scan's `--verify`: each file's status in verify.csv.
pub fn header(verify: bool) -> Vec<&'static str> {
    let mut h = HEADER.to_vec();
    if verify {
        h.push("integrity");
    }
    h
}

/// A file's status in verify.csv, for the manifest's `integrity` column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    pub path: String,
    pub status: crate::integrity::Status,
}

impl Spill for Integrity {
    fn weight(&self) -> usize {
        self.path.capacity() + 8
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.path);
        out.u64(self.status.index());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Integrity> {
        Some(Integrity {
            path: d.string()?,
            status: crate::integrity::Status::from_index(d.u64()?)?,
        })
    }
}

/// verify.csv's order, which is the manifest's.
pub fn integrity_order(a: &Integrity, b: &Integrity) -> Ordering {
    a.path.cmp(&b.path)
}

/// One row of the manifest, waiting for the duplicate counts (known once every file is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    path: String,
    /// The file's report; `None` for a path the walk did not read.
    file: Option<FileRow>,
    /// Why the walk did not read it.
    walk_error: String,
    /// It was not a problem: a link to something read under another path.
    walk_skipped: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FileRow {
    index: u32,
    kind: FileKind,
    status: Status,
    format: String,
    bytes: u64,
    records: u64,
    matched: u64,
    undecodable: u64,
    error: String,
    note: String,
}

impl Row {
    pub fn file(file: &InputFile, r: &FileReport) -> Row {
        Row {
            path: file.display.clone(),
            file: Some(FileRow {
                index: r.file,
                kind: r.kind,
                status: r.status,
                format: r.format.clone(),
                bytes: r.bytes,
                records: r.records,
                matched: r.matched,
                undecodable: r.undecodable,
                error: r.error.clone(),
                note: r.note.clone(),
            }),
            walk_error: String::new(),
            walk_skipped: false,
        }
    }

    pub fn walk(problem: &WalkProblem) -> Row {
        Row {
            path: problem.display.clone(),
            file: None,
            walk_error: problem.message.clone(),
            walk_skipped: problem.skipped,
        }
    }
}

/// Manifest order: by path (files before walk problems of the same path).
pub fn order(a: &Row, b: &Row) -> Ordering {
    let key = |r: &Row| r.file.as_ref().map_or(u64::MAX, |f| u64::from(f.index));
    (&a.path, key(a), &a.walk_error).cmp(&(&b.path, key(b), &b.walk_error))
}

impl Spill for Row {
    fn weight(&self) -> usize {
        let f = self.file.as_ref();
        self.path.capacity()
            + self.walk_error.capacity()
            + f.map_or(0, |f| {
                f.format.capacity() + f.error.capacity() + f.note.capacity()
            })
    }

    fn encode(&self, out: &mut Encoder) {
        out.str(&self.path);
        out.str(&self.walk_error);
        out.bool(self.walk_skipped);
        out.bool(self.file.is_some());
        if let Some(f) = &self.file {
            out.u64(u64::from(f.index));
            out.u64(f.kind as u64);
            out.u64(f.status as u64);
            out.str(&f.format);
            for n in [f.bytes, f.records, f.matched, f.undecodable] {
                out.u64(n);
            }
            out.str(&f.error);
            out.str(&f.note);
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Row> {
        let path = d.string()?;
        let walk_error = d.string()?;
        let walk_skipped = d.bool()?;
        let file = if d.bool()? {
            Some(FileRow {
                index: d.u32()?,
                kind: match d.u64()? {
                    0 => FileKind::Log,
                    1 => FileKind::Digest,
                    2 => FileKind::Insight,
                    3 => FileKind::Lake,
                    4 => FileKind::Other,
                    _ => return None,
                },
                status: match d.u64()? {
                    0 => Status::Ok,
                    1 => Status::Partial,
                    2 => Status::Unreadable,
                    3 => Status::Skipped,
                    _ => return None,
                },
                format: d.string()?,
                bytes: d.u64()?,
                records: d.u64()?,
                matched: d.u64()?,
                undecodable: d.u64()?,
                error: d.string()?,
                note: d.string()?,
            })
        } else {
            None
        };
        Some(Row {
            path,
            file,
            walk_error,
            walk_skipped,
        })
    }
}

/// Writes the rows, sorted, with each file's duplicates and conflicts summed from `tallies`
/// (sorted by file index, which is the order of the paths).
/// With `integrity` (scan's `--verify`), each file's status in verify.csv ends its row.
pub fn write(
    mut t: Table,
    mut rows: Merged<Row>,
    mut tallies: Merged<FileTally>,
    mut integrity: Option<Merged<Integrity>>,
) -> Result<Option<(String, crate::report::digest::FileDigest)>, Error> {
    let mut tally = tallies.pop()?;
    let mut next = match integrity.as_mut() {
        Some(m) => m.pop()?,
        None => None,
    };
    while let Some(row) = rows.pop()? {
        // The file's status: verify.csv's rows come in path order too (files that are
        // missing, named by their S3 key, are not in the manifest).
        let mut status = "";
        if let Some(m) = integrity.as_mut() {
            while next.as_ref().is_some_and(|n| n.path < row.path) {
                next = m.pop()?;
            }
            if let Some(n) = next.as_ref().filter(|n| n.path == row.path) {
                status = n.status.as_str();
            }
        }
        let verify = integrity.is_some();
        match &row.file {
            Some(r) => {
                let (mut duplicates, mut conflicts) = (0, 0);
                while tally.as_ref().is_some_and(|x| x.file <= r.index) {
                    let x = tally.take().expect("checked");
                    if x.file == r.index {
                        duplicates += x.duplicates;
                        conflicts += x.conflicts;
                    }
                    tally = tallies.pop()?;
                }
                t.row()
                    .text(&row.path)
                    .text(r.kind.as_str())
                    .text(r.status.as_str())
                    .num(r.bytes)
                    .num(r.records)
                    .num(r.matched)
                    .text(&r.format)
                    .num(r.undecodable)
                    .num(duplicates)
                    .num(conflicts)
                    .text(&r.error)
                    .text(&r.note)
                    .text_if(verify, status)
                    .finish()?;
            }
            None => t
                .row()
                .text(&row.path)
                .text("other")
                .text(if row.walk_skipped {
                    Status::Skipped.as_str()
                } else {
                    Status::Unreadable.as_str()
                })
                .num(0u64)
                .num(0u64)
                .num(0u64)
                .text("")
                .num(0u64)
                .num(0u64)
                .num(0u64)
                .text(&row.walk_error)
                .text("")
                .text_if(verify, "")
                .finish()?,
        }
    }
    t.close()
}
