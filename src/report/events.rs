//! events.csv: one row per distinct event, sorted by time then eventID.

use super::table::Table;
use crate::aggregate::Reported;
use crate::error::Error;

pub const NAME: &str = "events.csv";

pub const HEADER: [&str; 25] = [
    "event_time",
    "event_name",
    "event_source",
    "account",
    "region",
    "actor",
    "actor_type",
    "actor_arn",
    "actor_key",
    "mfa_authenticated",
    "console_session",
    "target_user",
    "access_key_id",
    "key_status",
    "mfa_serial",
    "source_ip",
    "user_agent",
    "error_code",
    "error_message",
    "event_id",
    "request_id",
    "source_file",
    "source_record",
    "copies",
    "conflict",
];

/// Writes the row of one event (the events come in report order).
pub fn row(t: &mut Table, r: &Reported) -> Result<(), Error> {
    let e = &r.event;
    let row = t
        .row()
        .time(e.time)
        .text(&e.name)
        .text(&e.source)
        .text(&e.account)
        .text(&e.region)
        .text(&e.actor.name)
        .text(&e.actor.kind)
        .text(&e.actor.arn)
        .text(&e.actor.access_key);
    let row = match e.actor.mfa {
        Some(b) => row.flag(b),
        None => row.text(""),
    };
    row.flag(e.actor.console)
        .text(&e.target)
        .text(&e.access_key_id)
        .text(&e.key_status)
        .text(&e.mfa_serial)
        .text(&e.source_ip)
        .text(&e.user_agent)
        .text(&e.error_code)
        .text(&e.error_message)
        .text(&e.event_id)
        .text(&e.request_id)
        .text(&e.source_file)
        .num(e.origin.record)
        .num(r.copies)
        .flag(r.conflict)
        .finish()
}
