//! Reports: one file per question, in the formats asked for, written so that a half-written
//! report never looks whole (see [`crate::outdir`]).
//!
//! - CSV ([`table`]): events, timeline, users, findings, problems, manifest.
//! - The workbook ([`workbook`]): the same tables as typed sheets.
//! - JSON Lines ([`jsonl`]): every reported event with its original record.
//! - Timesketch ([`timesketch`]): one line per event in the fields Timesketch and plaso use.
//! - The run's record ([`run_record`]): what ran, on what, and the SHA-256 of every report.
//!
//! Every writer streams from the sorted results in bounded memory, and writes the same bytes
//! whatever the thread count.

pub mod cell;
pub mod digest;
pub mod events;
pub mod findings;
pub mod html;
pub mod jsonl;
pub mod manifest;
pub mod problems;
pub mod run_record;
pub mod table;
pub mod timeline;
pub mod timesketch;
pub mod users;
pub mod verify;
pub mod workbook;

pub use table::{Table, Targets, Value};

/// An output format of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Format {
    /// The six CSV reports.
    Csv,
    /// report.xlsx: the same tables as typed sheets.
    Xlsx,
    /// events.jsonl: each reported event with its original record.
    Jsonl,
    /// timesketch.jsonl: one line per event for Timesketch.
    Timesketch,
    /// report.html: findings, a timeline by user and the tables, in one self-contained page.
    Html,
}

/// The formats a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Formats {
    pub csv: bool,
    pub xlsx: bool,
    pub jsonl: bool,
    pub timesketch: bool,
    pub html: bool,
}

impl Formats {
    pub fn of(list: &[Format]) -> Formats {
        let mut f = Formats::default();
        for format in list {
            match format {
                Format::Csv => f.csv = true,
                Format::Xlsx => f.xlsx = true,
                Format::Jsonl => f.jsonl = true,
                Format::Timesketch => f.timesketch = true,
                Format::Html => f.html = true,
            }
        }
        f
    }

    /// Where the tabular reports go.
    pub fn targets(&self) -> Targets {
        Targets {
            csv: self.csv,
            workbook: self.xlsx,
        }
    }

    /// The workbook's sheets: (sheet, report).
    pub const SHEETS: [(&'static str, &'static str); 6] = [
        ("events", events::NAME),
        ("timeline", timeline::NAME),
        ("users", users::NAME),
        ("findings", findings::NAME),
        ("manifest", manifest::NAME),
        ("problems", problems::NAME),
    ];
}
