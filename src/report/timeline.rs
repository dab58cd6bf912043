//! timeline.csv: every user's events in order, as actor, target or self; users.csv is
//! summarised from the same entries as they go by.

use std::collections::HashMap;

use super::Table;
use crate::aggregate::timeline::{Entry, detail};
use crate::aggregate::users::UserSummary;
use crate::error::Error;
use crate::event::time;
use crate::report;
use crate::spill::Merged;

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

/// How many users and accounts the timelines cover.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct People {
    pub users: usize,
    pub accounts: usize,
}

/// Writes timeline.csv and, from the same entries, users.csv (`names` are the count columns).
pub fn write(
    mut t: Table,
    mut users: Table,
    mut entries: Merged<Entry>,
    names: &[String],
) -> Result<People, Error> {
    let columns: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut people = People::default();
    let mut current: Option<UserSummary> = None;
    while let Some(entry) = entries.pop()? {
        let e = entry.event();
        if current
            .as_ref()
            .is_none_or(|u| u.account != entry.account() || u.user != entry.user())
        {
            if current
                .as_ref()
                .is_none_or(|u| u.account != entry.account())
            {
                people.accounts += 1;
            }
            if let Some(done) = current.take() {
                report::users::row(&mut users, &done)?;
            }
            people.users += 1;
            current = Some(UserSummary::new(entry.account(), entry.user(), names.len()));
        }
        t.row()
            .text(entry.account())
            .text(entry.user())
            .text(&e.time.map(|t| time::format(&t)).unwrap_or_default())
            .text(&e.name)
            .text(entry.role.as_str())
            .text(entry.counterpart())
            .text(&e.source_ip)
            .text(&detail(e))
            .text(&e.error_code)
            .text(&e.event_id)
            .finish()?;
        let summary = current.as_mut().expect("set above");
        summary.add(&entry, columns.get(e.name.as_str()).copied());
    }
    if let Some(done) = current {
        report::users::row(&mut users, &done)?;
    }
    t.close()?;
    users.close()?;
    Ok(people)
}
