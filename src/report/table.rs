//! One tabular report being written: as CSV, and (for the workbook) as typed rows.
//!
//! CSV is RFC 4180 (CRLF line ends, quotes only where needed), UTF-8 without a byte-order mark,
//! one header row; every text cell goes through [`cell::cell`] (formula neutralisation, length
//! cap), times are ISO 8601 UTC. The same cells, with their types (text, number, boolean,
//! time), go to a staged rows file from which the workbook is built at the end
//! ([`super::workbook`]). Both are hashed as they are written, for `run.json`.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use super::cell;
use super::digest::{FileDigest, Hashing};
use super::workbook::RowsWriter;
use crate::cancel::Cancel;
use crate::error::Error;
use crate::event::time::{self, Timestamp};
use crate::outdir::{OutputDir, Syncs};

/// One cell, typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Text(&'a str),
    Number(u64),
    Bool(bool),
    /// A point in time (an empty cell when unknown).
    Time(Option<Timestamp>),
}

/// One report being written.
pub struct Table {
    name: String,
    csv: Option<csv::Writer<Hashing<BufWriter<File>>>>,
    rows: Option<RowsWriter>,
    path: PathBuf,
    syncs: Syncs,
    cancel: Cancel,
    /// Reused to spell numbers and times.
    scratch: String,
    written: u64,
}

/// Where a table goes.
pub struct Targets {
    pub csv: bool,
    pub workbook: bool,
}

impl Table {
    /// Starts report `name` (e.g. `events.csv`) with its header row; `sheet` names its
    /// rows file for the workbook.
    pub fn create(
        out: &mut OutputDir,
        name: &str,
        header: &[&str],
        targets: &Targets,
        cancel: &Cancel,
    ) -> Result<Table, Error> {
        let csv = if targets.csv {
            let file = out.create(name)?;
            Some(
                csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(Hashing::new(BufWriter::with_capacity(1 << 16, file))),
            )
        } else {
            None
        };
        let rows = if targets.workbook {
            Some(RowsWriter::create(out.staging(), name)?)
        } else {
            None
        };
        let mut table = Table {
            name: name.to_owned(),
            csv,
            rows,
            path: out.staging().join(name),
            syncs: out.syncs(),
            cancel: cancel.clone(),
            scratch: String::new(),
            written: 0,
        };
        let mut row = table.row();
        for h in header {
            row = row.text(h);
        }
        row.finish()?;
        table.written = 0;
        Ok(table)
    }

    /// A row, written cell by cell.
    pub fn row(&mut self) -> Row<'_> {
        Row {
            table: self,
            failed: None,
        }
    }

    /// Writes one row of text cells.
    pub fn write<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), Error> {
        let mut row = self.row();
        for c in cells {
            row = row.text(c.as_ref());
        }
        row.finish()
    }

    /// Rows written after the header.
    pub fn rows(&self) -> u64 {
        self.written
    }

    /// Flushes the report and has it synced (on a thread of its own: the commit waits for
    /// it); returns its name and digest (for `run.json`), when it was written as CSV.
    pub fn close(mut self) -> Result<Option<(String, FileDigest)>, Error> {
        if let Some(rows) = self.rows.take() {
            rows.close()?;
        }
        let Some(mut writer) = self.csv.take() else {
            return Ok(None);
        };
        writer.flush().map_err(|e| self.error(e))?;
        let hashing = writer
            .into_inner()
            .map_err(|e| self.error(e.into_error()))?;
        let (buffered, digest) = hashing.finish();
        let file = buffered
            .into_inner()
            .map_err(|e| self.error(e.into_error()))?;
        self.syncs.sync(&self.name, &self.path, file);
        Ok(Some((self.name.clone(), digest)))
    }

    fn error(&self, source: std::io::Error) -> Error {
        Error::Output {
            path: crate::discover::display_path(&self.path),
            source,
        }
    }

    fn csv_error(&self, e: csv::Error) -> Error {
        let source = match e.into_kind() {
            csv::ErrorKind::Io(io) => io,
            other => std::io::Error::other(format!("{other:?}")),
        };
        self.error(source)
    }
}

/// Cells of one row, added in column order. The first write error is reported by `finish`.
pub struct Row<'t> {
    table: &'t mut Table,
    failed: Option<Error>,
}

impl Row<'_> {
    pub fn value(mut self, v: Value<'_>) -> Self {
        if self.failed.is_some() {
            return self;
        }
        let t = &mut *self.table;
        if let Some(rows) = t.rows.as_mut()
            && let Err(e) = rows.cell(v)
        {
            self.failed = Some(e);
            return self;
        }
        if let Some(w) = t.csv.as_mut() {
            use std::fmt::Write as _;
            let result = match v {
                Value::Text(s) => w.write_field(cell::cell(s).as_bytes()),
                Value::Number(n) => {
                    t.scratch.clear();
                    let _ = write!(t.scratch, "{n}");
                    w.write_field(t.scratch.as_bytes())
                }
                Value::Bool(b) => w.write_field(if b { &b"true"[..] } else { b"false" }),
                Value::Time(None) => w.write_field(b""),
                Value::Time(Some(time)) => w.write_field(time::format(&time).as_bytes()),
            };
            if let Err(e) = result {
                let err = t.csv_error(e);
                self.failed = Some(err);
            }
        }
        self
    }

    pub fn text(self, s: &str) -> Self {
        self.value(Value::Text(s))
    }

    /// A text cell in a column that only some runs have.
    pub fn text_if(self, column: bool, s: &str) -> Self {
        if column { self.text(s) } else { self }
    }

    pub fn num(self, n: impl Into<u64>) -> Self {
        self.value(Value::Number(n.into()))
    }

    pub fn flag(self, b: bool) -> Self {
        self.value(Value::Bool(b))
    }

    pub fn time(self, t: Option<Timestamp>) -> Self {
        self.value(Value::Time(t))
    }

    pub fn finish(self) -> Result<(), Error> {
        let table = self.table;
        if let Some(e) = self.failed {
            return Err(e);
        }
        table.cancel.check()?;
        if let Some(rows) = table.rows.as_mut() {
            rows.end_row()?;
        }
        if let Some(w) = table.csv.as_mut()
            && let Err(e) = w.write_record(None::<&[u8]>)
        {
            return Err(table.csv_error(e));
        }
        table.written += 1;
        Ok(())
    }
}
