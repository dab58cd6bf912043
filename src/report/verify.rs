//! verify.csv and gaps.csv: what the integrity check found, file by file and hour by hour.

use super::digest::FileDigest;
use super::table::Table;
use crate::error::Error;
use crate::integrity::{Gap, Row, Verdict};
use crate::spill::Merged;

pub const NAME: &str = "verify.csv";
pub const GAPS: &str = "gaps.csv";

pub const HEADER: [&str; 8] = [
    "path", "kind", "account", "region", "trail", "status", "digest", "detail",
];

pub const GAPS_HEADER: [&str; 6] = ["account", "region", "trail", "from", "to", "reason"];

/// Who else sees the rows as they are written (scan's manifest, which gains their status).
pub trait Watcher {
    fn row(&mut self, row: &Row) -> Result<(), Error>;
}

/// Nobody.
pub struct Nobody;
impl Watcher for Nobody {
    fn row(&mut self, _: &Row) -> Result<(), Error> {
        Ok(())
    }
}

/// Writes verify.csv (rows sorted by path) and counts the statuses into `verdict`.
pub fn write(
    mut t: Table,
    mut rows: Merged<Row>,
    verdict: &mut Verdict,
    watcher: &mut dyn Watcher,
) -> Result<Option<(String, FileDigest)>, Error> {
    while let Some(r) = rows.pop()? {
        t.row()
            .text(&r.path)
            .text(r.kind.as_str())
            .text(&r.account)
            .text(&r.region)
            .text(&r.trail)
            .text(r.status.as_str())
            .text(&r.digest)
            .text(&r.detail)
            .finish()?;
        verdict.add_row(&r);
        watcher.row(&r)?;
    }
    t.close()
}

/// Writes gaps.csv.
pub fn write_gaps(
    mut t: Table,
    mut gaps: Merged<Gap>,
    verdict: &mut Verdict,
) -> Result<Option<(String, FileDigest)>, Error> {
    while let Some(g) = gaps.pop()? {
        t.row()
            .text(&g.account)
            .text(&g.region)
            .text(&g.trail)
            .time(g.from)
            .time(g.to)
            .text(g.reason.as_str())
            .finish()?;
        verdict.add_gap(&g);
    }
    t.close()
}
