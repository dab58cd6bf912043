//! findings.csv: what the built-in rules flag, one row per rule and event, sorted by time.

use super::Table;
use crate::error::Error;
use crate::event::time;
use crate::findings::{Finding, Tally, repeats};
use crate::spill::Merged;

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

/// Writes the findings (sorted, a rule's repeated finding on one event skipped) and counts them.
pub fn write(mut t: Table, mut findings: Merged<Finding>) -> Result<Tally, Error> {
    let mut tally = Tally::default();
    let mut previous: Option<Finding> = None;
    while let Some(f) = findings.pop()? {
        if previous.as_ref().is_some_and(|p| repeats(p, &f)) {
            continue;
        }
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
        tally.add(&f);
        previous = Some(f);
    }
    t.close()?;
    Ok(tally)
}
