//! timeline.csv: every user's events in order, as actor, target or self; users.csv is
//! summarised from the same lines as they go by, with each actor's addresses joined in.

use std::collections::HashMap;

use super::table::Table;
use crate::aggregate::timeline::Entry;
use crate::aggregate::users::UserSummary;
use crate::error::Error;
use crate::findings::ActorSummary;
use crate::report;
use crate::report::digest::FileDigest;
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

/// How many users and accounts the timelines cover, and the reports' digests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    pub users: usize,
    pub accounts: usize,
    pub digests: Vec<(String, FileDigest)>,
}

/// Who else sees the lines and the users as they are written (the HTML report).
pub trait Watcher {
    fn entry(&mut self, _entry: &Entry) {}
    fn user(&mut self, _user: &UserSummary) {}
}

/// Nobody.
pub struct Nobody;
impl Watcher for Nobody {}

/// Writes timeline.csv and, from the same lines, users.csv (`names` are the count columns;
/// `actors` the actors' summaries, by account and actor).
pub fn write(
    mut t: Table,
    mut users: Table,
    mut entries: Merged<Entry>,
    mut actors: Merged<ActorSummary>,
    names: &[String],
    watcher: &mut dyn Watcher,
) -> Result<People, Error> {
    let columns: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut people = People::default();
    let mut current: Option<UserSummary> = None;
    let mut actor = actors.pop()?;
    let mut done = |u: UserSummary,
                    actor: &mut Option<ActorSummary>,
                    users: &mut Table,
                    watcher: &mut dyn Watcher|
     -> Result<(), Error> {
        let mut u = u;
        while actor.as_ref().is_some_and(|a| {
            (a.account.as_str(), a.actor.as_str()) < (u.account.as_str(), u.user.as_str())
        }) {
            *actor = actors.pop()?;
        }
        if let Some(a) = actor
            .as_ref()
            .filter(|a| a.account == u.account && a.actor == u.user)
        {
            u.with_sources(a);
        }
        report::users::row(users, &u)?;
        watcher.user(&u);
        Ok(())
    };
    while let Some(entry) = entries.pop()? {
        if current
            .as_ref()
            .is_none_or(|u| u.account != entry.account || u.user != entry.user)
        {
            if current.as_ref().is_none_or(|u| u.account != entry.account) {
                people.accounts += 1;
            }
            if let Some(finished) = current.take() {
                done(finished, &mut actor, &mut users, watcher)?;
            }
            people.users += 1;
            current = Some(UserSummary::new(&entry.account, &entry.user, names.len()));
        }
        t.row()
            .text(&entry.account)
            .text(&entry.user)
            .time(entry.time)
            .text(&entry.name)
            .text(entry.role.as_str())
            .text(&entry.counterpart)
            .text(&entry.source_ip)
            .text(&entry.detail)
            .text(&entry.error_code)
            .text(&entry.event_id)
            .finish()?;
        let summary = current.as_mut().expect("set above");
        summary.add(&entry, columns.get(entry.name.as_str()).copied());
        watcher.entry(&entry);
    }
    if let Some(finished) = current {
        done(finished, &mut actor, &mut users, watcher)?;
    }
    people.digests.extend(t.close()?);
    people.digests.extend(users.close()?);
    Ok(people)
}
