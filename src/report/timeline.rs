//! timeline.csv: every user's events in order, as actor, target or self.

use super::Table;
use crate::aggregate::timeline::{Entry, detail};
use crate::error::Error;
use crate::event::time;

pub const NAME: &str = "timeline.csv";

pub const HEADER: [&str; 10] = [
    "account",
    "user",
    "event_time",
    "event_name",
    "role",
    "counterpart",
    "source_ip",
    "detail",
    "error_code",
    "event_id",
];

pub fn write(mut t: Table, entries: &[Entry<'_>]) -> Result<(), Error> {
    for entry in entries {
        let e = entry.event();
        t.row()
            .text(entry.account)
            .text(entry.user)
            .text(&e.time.map(|t| time::format(&t)).unwrap_or_default())
            .text(&e.name)
            .text(entry.role.as_str())
            .text(entry.counterpart)
            .text(&e.source_ip)
            .text(&detail(e))
            .text(&e.error_code)
            .text(&e.event_id)
            .finish()?;
    }
    t.close()
}
