//! findings.csv: what the built-in rules flag, one row per rule and event, sorted by time.

use super::Table;
use crate::error::Error;
use crate::event::time;
use crate::findings::Finding;

pub const NAME: &str = "findings.csv";

pub const HEADER: [&str; 10] = [
    "event_time",
    "rule",
    "severity",
    "account",
    "user",
    "actor",
    "event_name",
    "event_id",
    "source_ip",
    "explanation",
];

pub fn write(mut t: Table, findings: &[Finding<'_>]) -> Result<(), Error> {
    for f in findings {
        let e = f.event();
        t.row()
            .text(&e.time.map(|t| time::format(&t)).unwrap_or_default())
            .text(f.rule)
            .text(f.severity.as_str())
            .text(&e.account)
            .text(&f.user)
            .text(&e.actor.name)
            .text(&e.name)
            .text(&e.event_id)
            .text(&e.source_ip)
            .text(&f.explanation)
            .finish()?;
    }
    t.close()
}
