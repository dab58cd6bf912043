//! Reports: one CSV per question, written so that a half-written report never looks whole.
//!
//! Every report goes to a hidden temporary file in the output directory; only when all of them
//! are complete and flushed are they renamed into place (the manifest last). A crash or Ctrl-C
//! leaves `.name.csv.tmp` files behind, never a truncated `name.csv`.
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
            row: Vec::new(),
        };
        table.write(header)?;
        self.pending.push((temp, final_path));
        Ok(table)
    }

    /// Renames every finished report into place.
    pub fn commit(self) -> Result<Vec<PathBuf>, Error> {
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
    row: Vec<String>,
}

impl Table {
    /// Writes one row; text goes through the spreadsheet-safety filter.
    pub fn write<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), Error> {
        self.writer
            .write_record(cells.iter().map(|c| cell::cell(c.as_ref()).into_owned()))
            .map_err(|e| self.error(e))
    }

    /// A row builder that reuses its cells' allocations.
    pub fn row(&mut self) -> Row<'_> {
        self.row.clear();
        Row { table: self }
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

/// Cells of one row, added in column order.
pub struct Row<'t> {
    table: &'t mut Table,
}

impl Row<'_> {
    pub fn text(self, s: &str) -> Self {
        self.table.row.push(cell::cell(s).into_owned());
        self
    }

    pub fn num(self, n: impl Into<u64>) -> Self {
        self.table.row.push(n.into().to_string());
        self
    }

    pub fn flag(self, b: bool) -> Self {
        self.table
            .row
            .push(if b { "true" } else { "false" }.to_owned());
        self
    }

    pub fn finish(self) -> Result<(), Error> {
        let table = self.table;
        let result = table.writer.write_record(&table.row);
        result.map_err(|e| table.error(e))
    }
}
