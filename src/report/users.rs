//! users.csv: one row per (account, user).

use super::table::Table;
use crate::aggregate::users::UserSummary;
use crate::error::Error;

pub const NAME: &str = "users.csv";

/// The header: fixed columns, then one count column per event name.
pub fn header(names: &[String]) -> Vec<String> {
    let mut h: Vec<String> = [
        "account",
        "user",
        "first_seen",
        "last_seen",
        "as_actor",
        "as_target",
    ]
    .map(String::from)
    .to_vec();
    h.extend(names.iter().cloned());
    h.extend(
        [
            "failures",
            "source_ip_count",
            "source_ips",
            "acted_on_by",
            "acted_on",
        ]
        .map(String::from),
    );
    h
}

/// Writes the row of one user.
pub fn row(t: &mut Table, u: &UserSummary) -> Result<(), Error> {
    let mut row = t
        .row()
        .text(&u.account)
        .text(&u.user)
        .time(u.first_seen)
        .time(u.last_seen)
        .num(u.as_actor)
        .num(u.as_target);
    for n in &u.by_name {
        row = row.num(*n);
    }
    row.num(u.failures)
        .num(u.source_count)
        .text(&u.sources.join(";"))
        .text(&u.acted_on_by.joined())
        .text(&u.acted_on.joined())
        .finish()
}
