//! `report.xlsx`: every tabular report as a sheet, with its types kept.
//!
//! CSV cannot say "this cell is text": spreadsheets turn account `012345678901` into a number
//! and crafted names into dates. A workbook can. Each report's cells are staged with their
//! types while the report is written ([`RowsWriter`]); at the end the sheets are built one
//! after another in constant-memory mode ([`build`]): text cells for every identifier, name
//! and account (leading zeros kept, never a formula), numbers for counts, booleans for flags,
//! real date-time cells for times (shown as ISO 8601 UTC), a frozen header row, an autofilter
//! and column widths from the first rows. The file's own dates are fixed (1980-01-01, the zip
//! epoch), so the same reports give the same bytes. A sheet longer than a workbook allows continues on
//! `events (2)` and so on; cells keep the 32,767-character cap.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::cell;
use super::table::Value;
use crate::error::Error;
use crate::event::time::Timestamp;
use crate::spill::{Decoder, Encoder};

/// Rows per sheet, the header included (the format's limit).
pub const SHEET_ROWS: u32 = 1_048_576;
/// Rows read to size the columns.
const SIZING_ROWS: usize = 200;

/// The staged typed rows of one report.
pub struct RowsWriter {
    path: PathBuf,
    out: BufWriter<File>,
    row: Encoder,
    cells: u64,
}

/// The rows file of report `name` in the staging directory.
pub fn rows_path(staging: &Path, name: &str) -> PathBuf {
    staging.join(format!("{name}.rows"))
}

impl RowsWriter {
    pub fn create(staging: &Path, name: &str) -> Result<RowsWriter, Error> {
        let path = rows_path(staging, name);
        let file = File::create(&path).map_err(|source| Error::Output {
            path: crate::discover::display_path(&path),
            source,
        })?;
        Ok(RowsWriter {
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            row: Encoder::default(),
            cells: 0,
        })
    }

    pub fn cell(&mut self, v: Value<'_>) -> Result<(), Error> {
        let e = &mut self.row;
        match v {
            Value::Text(s) => {
                e.u64(0);
                e.str(s);
            }
            Value::Number(n) => {
                e.u64(1);
                e.u64(n);
            }
            Value::Bool(b) => {
                e.u64(2);
                e.bool(b);
            }
            Value::Time(t) => {
                e.u64(3);
                e.time(t);
            }
        }
        self.cells += 1;
        Ok(())
    }

    pub fn end_row(&mut self) -> Result<(), Error> {
        let mut head = Encoder::default();
        head.u64(self.cells);
        head.u64(self.row.as_bytes().len() as u64);
        let result = self
            .out
            .write_all(head.as_bytes())
            .and_then(|()| self.out.write_all(self.row.as_bytes()));
        self.row = Encoder::default();
        self.cells = 0;
        result.map_err(|source| self.error(source))
    }

    pub fn close(mut self) -> Result<(), Error> {
        self.out.flush().map_err(|source| self.error(source))
    }

    fn error(&self, source: std::io::Error) -> Error {
        Error::Output {
            path: crate::discover::display_path(&self.path),
            source,
        }
    }
}

/// A typed cell read back.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(u64),
    Bool(bool),
    Time(Option<Timestamp>),
}

/// Reads the staged rows of one report back.
struct RowsReader {
    input: BufReader<File>,
    buffer: Vec<u8>,
}

impl RowsReader {
    fn open(path: &Path) -> std::io::Result<RowsReader> {
        Ok(RowsReader {
            input: BufReader::with_capacity(1 << 16, File::open(path)?),
            buffer: Vec::new(),
        })
    }

    fn leb(&mut self) -> std::io::Result<Option<u64>> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let mut b = [0u8];
            if self.input.read(&mut b)? == 0 {
                return if shift == 0 { Ok(None) } else { Err(damaged()) };
            }
            n |= u64::from(b[0] & 0x7f) << shift;
            if b[0] & 0x80 == 0 {
                return Ok(Some(n));
            }
        }
        Err(damaged())
    }

    fn next(&mut self) -> std::io::Result<Option<Vec<Cell>>> {
        let Some(cells) = self.leb()? else {
            return Ok(None);
        };
        let len = self.leb()?.ok_or_else(damaged)? as usize;
        self.buffer.resize(len, 0);
        self.input.read_exact(&mut self.buffer)?;
        let mut d = Decoder::new(&self.buffer);
        let mut row = Vec::with_capacity(cells as usize);
        for _ in 0..cells {
            let cell = match d.u64().ok_or_else(damaged)? {
                0 => Cell::Text(d.string().ok_or_else(damaged)?),
                1 => Cell::Number(d.u64().ok_or_else(damaged)?),
                2 => Cell::Bool(d.bool().ok_or_else(damaged)?),
                3 => Cell::Time(d.time().ok_or_else(damaged)?),
                _ => return Err(damaged()),
            };
            row.push(cell);
        }
        Ok(Some(row))
    }
}

fn damaged() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "damaged staged rows")
}

/// The Excel serial date of a time (days since 1899-12-30), when Excel can show it.
fn serial(t: &Timestamp) -> Option<f64> {
    let secs = t.timestamp();
    // Excel's dates run from 1900 to 9999.
    if !(-2_208_988_800..253_402_300_800).contains(&secs) {
        return None;
    }
    let fraction = f64::from(t.timestamp_subsec_nanos()) / 1e9;
    Some((secs as f64 + fraction) / 86_400.0 + 25_569.0)
}

/// Builds `out` from the staged rows of `sheets` (sheet name, report name), in order.
pub fn build(staging: &Path, sheets: &[(&str, &str)], out: &Path) -> Result<(), Error> {
    let error = |path: &Path, e: &dyn std::fmt::Display| Error::Output {
        path: crate::discover::display_path(path),
        source: std::io::Error::other(e.to_string()),
    };
    let mut workbook = Workbook::new();
    workbook.set_tempdir(staging).map_err(|e| error(out, &e))?;
    // The creation property would otherwise be the clock's time, and two runs over the same
    // archive would give different bytes: it is the zip epoch the entries are dated with.
    let epoch = ExcelDateTime::from_ymd(1980, 1, 1).map_err(|e| error(out, &e))?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    let header = Format::new().set_bold();
    let time = Format::new().set_num_format("yyyy-mm-dd\"T\"hh:mm:ss\"Z\"");
    for (sheet, report) in sheets {
        let path = rows_path(staging, report);
        let mut rows = RowsReader::open(&path).map_err(|e| error(&path, &e))?;
        let Some(head) = rows.next().map_err(|e| error(&path, &e))? else {
            continue;
        };
        // The first rows, to size the columns.
        let mut first = Vec::new();
        while first.len() < SIZING_ROWS {
            match rows.next().map_err(|e| error(&path, &e))? {
                Some(r) => first.push(r),
                None => break,
            }
        }
        let widths = column_widths(&head, &first);
        let mut part = 1;
        let mut written: u32 = 0;
        let mut ws = None;
        let mut pending = first.into_iter();
        loop {
            let row = match pending.next() {
                Some(r) => Some(r),
                None => rows.next().map_err(|e| error(&path, &e))?,
            };
            let Some(row) = row else { break };
            if ws.is_none() || written == SHEET_ROWS - 1 {
                if let Some(done) = ws.take() {
                    finish_sheet(done, written, head.len()).map_err(|e| error(out, &e))?;
                }
                let w = workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(|e| error(out, &e))?;
                let name = if part == 1 {
                    (*sheet).to_owned()
                } else {
                    format!("{sheet} ({part})")
                };
                part += 1;
                w.set_name(name).map_err(|e| error(out, &e))?;
                for (c, width) in widths.iter().enumerate() {
                    w.set_column_width(c as u16, *width)
                        .map_err(|e| error(out, &e))?;
                }
                for (c, cell) in head.iter().enumerate() {
                    if let Cell::Text(s) = cell {
                        w.write_string_with_format(0, c as u16, s, &header)
                            .map_err(|e| error(out, &e))?;
                    }
                }
                w.set_freeze_panes(1, 0).map_err(|e| error(out, &e))?;
                written = 0;
                ws = Some(w);
            }
            let w = ws.as_mut().expect("set above");
            written += 1;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                let result = match cell {
                    Cell::Text(s) if s.is_empty() => continue,
                    Cell::Text(s) => w.write_string(written, col, cell::truncated(s).as_ref()),
                    Cell::Number(n) => w.write_number(written, col, *n as f64),
                    Cell::Bool(b) => w.write_boolean(written, col, *b),
                    Cell::Time(None) => continue,
                    Cell::Time(Some(t)) => match serial(t) {
                        Some(days) => w.write_number_with_format(written, col, days, &time),
                        None => w.write_string(written, col, crate::event::time::format(t)),
                    },
                };
                result.map_err(|e| error(out, &e))?;
            }
        }
        match ws {
            Some(w) => finish_sheet(w, written, head.len()).map_err(|e| error(out, &e))?,
            None => {
                // A report with no rows still gets its sheet, with its header.
                let w = workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(|e| error(out, &e))?;
                w.set_name(*sheet).map_err(|e| error(out, &e))?;
                for (c, width) in widths.iter().enumerate() {
                    w.set_column_width(c as u16, *width)
                        .map_err(|e| error(out, &e))?;
                }
                for (c, cell) in head.iter().enumerate() {
                    if let Cell::Text(s) = cell {
                        w.write_string_with_format(0, c as u16, s, &header)
                            .map_err(|e| error(out, &e))?;
                    }
                }
                w.set_freeze_panes(1, 0).map_err(|e| error(out, &e))?;
                finish_sheet(w, 0, head.len()).map_err(|e| error(out, &e))?;
            }
        }
        drop(rows);
        let _ = std::fs::remove_file(&path);
    }
    workbook.save(out).map_err(|e| error(out, &e))
}

fn finish_sheet(
    w: &mut rust_xlsxwriter::Worksheet,
    rows: u32,
    columns: usize,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    if columns > 0 {
        w.autofilter(0, 0, rows, columns as u16 - 1)?;
    }
    Ok(())
}

/// Widths (in characters) from the header and the first rows: at least the header's, at most
/// 60.
fn column_widths(head: &[Cell], rows: &[Vec<Cell>]) -> Vec<f64> {
    head.iter()
        .enumerate()
        .map(|(c, h)| {
            let mut width = match h {
                Cell::Text(s) => s.chars().count(),
                _ => 8,
            };
            for r in rows {
                let w = match r.get(c) {
                    Some(Cell::Text(s)) => s.chars().count(),
                    Some(Cell::Number(n)) => n.to_string().len(),
                    Some(Cell::Bool(_)) => 5,
                    Some(Cell::Time(_)) => 20,
                    None => 0,
                };
                width = width.max(w);
            }
            (width + 2).clamp(8, 60) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(staging: &Path) {
        let mut rows = RowsWriter::create(staging, "events.csv").unwrap();
        for cell in [Value::Text("event_time"), Value::Text("account")] {
            rows.cell(cell).unwrap();
        }
        rows.end_row().unwrap();
        rows.cell(Value::Time(crate::event::time::parse(
            "2024-03-01T02:03:04Z",
        )))
        .unwrap();
        rows.cell(Value::Text("012345678901")).unwrap();
        rows.end_row().unwrap();
        rows.close().unwrap();
    }

    #[test]
    fn the_same_rows_give_the_same_bytes_at_any_time() {
        let tmp = tempfile::tempdir().unwrap();
        let built = |name: &str| {
            stage(tmp.path());
            let out = tmp.path().join(name);
            build(tmp.path(), &[("events", "events.csv")], &out).unwrap();
            std::fs::read(out).unwrap()
        };
        let first = built("first.xlsx");
        // Into the next second: the creation time is written to the second.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = built("second.xlsx");
        assert!(first.starts_with(b"PK"));
        assert!(first == second, "the workbook depends on when it was built");
    }
}
