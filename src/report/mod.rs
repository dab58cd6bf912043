//! Reports: one CSV per question, written so that a half-written report never looks whole.
//!
//! Every report goes to a hidden temporary file in the output directory; only when all of them
//! are complete and flushed are they renamed into place (the manifest last). A crash or Ctrl-C
//! leaves `.name.csv.tmp` files (and a `.trailsift-sort-*` directory) behind, never a
//! truncated `name.csv`; the next run with `--force` replaces or removes them.
//!
//! CSV is RFC 4180 (CRLF line ends, quotes only where needed), UTF-8 without a byte-order mark,
//! one header row; every text cell goes through [`cell::cell`].

pub mod cell;
pub mod events;
pub mod findings;
pub mod manifest;
pub mod problems;
pub mod timeline;
pub mod users;

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The name of the directories the external sorts write their runs to (see [`crate::spill`]).
pub const SPILL_PREFIX: &str = ".trailsift-sort-";

/// The order reports are renamed into place: the manifest, which vouches for the others,
/// last.
pub const RENAME_ORDER: [&str; 6] = [
    events::NAME,
    timeline::NAME,
    users::NAME,
    findings::NAME,
    problems::NAME,
    manifest::NAME,
];

/// The output directory of a run and the reports waiting to be renamed into it.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    pending: Vec<(PathBuf, PathBuf)>,
}

impl OutputDir {
    /// Creates `dir` if needed. An existing non-empty directory is refused unless `force`.
    pub fn prepare(dir: &Path, force: bool) -> Result<OutputDir, Error> {
        let shown = dir.display().to_string();
        match fs::read_dir(dir) {
            Ok(mut entries) => {
                if !force && entries.next().is_some() {
                    return Err(Error::OutputNotEmpty(shown));
                }
                // Sort runs left by a run that was killed: theirs, not this one's.
                for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
                    if entry
                        .file_name()
                        .as_encoded_bytes()
                        .starts_with(SPILL_PREFIX.as_bytes())
                        && entry.file_type().is_ok_and(|t| t.is_dir())
                    {
                        let _ = fs::remove_dir_all(entry.path());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(|source| Error::Output {
                    path: shown,
                    source,
                })?;
            }
            Err(source) => {
                return Err(Error::Output {
                    path: shown,
                    source,
                });
            }
        }
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            pending: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Starts the report `name` with its header row.
    pub fn table(&mut self, name: &str, header: &[&str]) -> Result<Table, Error> {
        let final_path = self.dir.join(name);
        let temp = self.dir.join(format!(".{name}.tmp"));
        let file = File::create(&temp).map_err(|source| Error::Output {
            path: temp.display().to_string(),
            source,
        })?;
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(BufWriter::with_capacity(1 << 16, file));
        let mut table = Table {
            writer,
            temp: temp.clone(),
            scratch: String::new(),
        };
        table.write(header)?;
        self.pending.push((temp, final_path));
        Ok(table)
    }

    /// Renames every finished report into place, in [`RENAME_ORDER`] (the manifest last).
    pub fn commit(mut self) -> Result<Vec<PathBuf>, Error> {
        let rank = |p: &Path| {
            RENAME_ORDER
                .iter()
                .position(|n| p.file_name() == Some(std::ffi::OsStr::new(n)))
                .unwrap_or(0)
        };
        self.pending.sort_by_key(|(_, final_path)| rank(final_path));
        let mut written = Vec::new();
        for (temp, final_path) in self.pending {
            fs::rename(&temp, &final_path).map_err(|source| Error::Output {
                path: final_path.display().to_string(),
                source,
            })?;
            written.push(final_path);
        }
        Ok(written)
    }
}

/// One report being written.
pub struct Table {
    writer: csv::Writer<BufWriter<File>>,
    temp: PathBuf,
    /// Reused to spell numbers.
    scratch: String,
}

impl Table {
    /// Writes one row; text goes through the spreadsheet-safety filter.
    pub fn write<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), Error> {
        let mut row = self.row();
        for c in cells {
            row = row.text(c.as_ref());
        }
        row.finish()
    }

    /// A row, written cell by cell straight into the file's buffer.
    pub fn row(&mut self) -> Row<'_> {
        Row {
            table: self,
            failed: None,
        }
    }

    /// Flushes and syncs the report (the csv writer's Drop would swallow a flush error).
    pub fn close(mut self) -> Result<(), Error> {
        self.writer
            .flush()
            .map_err(|e| self.error(csv::Error::from(e)))?;
        let file = self.writer.get_ref().get_ref();
        file.sync_all().map_err(|e| self.error(csv::Error::from(e)))
    }

    fn error(&self, e: csv::Error) -> Error {
        let source = match e.into_kind() {
            csv::ErrorKind::Io(io) => io,
            other => std::io::Error::other(format!("{other:?}")),
        };
        Error::Output {
            path: self.temp.display().to_string(),
            source,
        }
    }
}

/// Cells of one row, added in column order. The first write error is reported by `finish`.
pub struct Row<'t> {
    table: &'t mut Table,
    failed: Option<csv::Error>,
}

impl Row<'_> {
    fn field(mut self, bytes: &[u8]) -> Self {
        if self.failed.is_none()
            && let Err(e) = self.table.writer.write_field(bytes)
        {
            self.failed = Some(e);
        }
        self
    }

    pub fn text(self, s: &str) -> Self {
        self.field(cell::cell(s).as_bytes())
    }

    pub fn num(mut self, n: impl Into<u64>) -> Self {
        use std::fmt::Write;
        let mut scratch = std::mem::take(&mut self.table.scratch);
        scratch.clear();
        write!(scratch, "{}", n.into()).expect("writing to a String");
        self = self.field(scratch.as_bytes());
        self.table.scratch = scratch;
        self
    }

    pub fn flag(self, b: bool) -> Self {
        self.field(if b { b"true" } else { b"false" })
    }

    pub fn finish(self) -> Result<(), Error> {
        let table = self.table;
        let result = match self.failed {
            Some(e) => Err(e),
            None => table.writer.write_record(None::<&[u8]>),
        };
        result.map_err(|e| table.error(e))
    }
}
