//! users.csv: one row per (account, user).

use super::Table;
use crate::aggregate::users::{LISTED_ADDRESSES, UserSummary};
use crate::error::Error;
use crate::event::time;

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
    let when = |t: Option<time::Timestamp>| t.map(|t| time::format(&t)).unwrap_or_default();
    {
        let mut row = t
            .row()
            .text(&u.account)
            .text(&u.user)
            .text(&when(u.first_seen))
            .text(&when(u.last_seen))
            .num(u.as_actor)
            .num(u.as_target);
        for n in &u.by_name {
            row = row.num(*n);
        }
        let listed: Vec<&str> = u
            .source_ips
            .iter()
            .take(LISTED_ADDRESSES)
            .map(String::as_str)
            .collect();
        let join = |set: &std::collections::BTreeSet<String>| {
            set.iter().map(String::as_str).collect::<Vec<_>>().join(";")
        };
        row.num(u.failures)
            .num(u.source_ips.len() as u64)
            .text(&listed.join(";"))
            .text(&join(&u.acted_on_by))
            .text(&join(&u.acted_on))
            .finish()
    }
}
