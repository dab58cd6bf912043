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

/// Lines handed to the writing thread at a time.
const WRITE_BATCH: usize = 512;

/// What the writing thread writes, in order.
enum Line {
    Entry(Entry),
    User(UserSummary),
}

/// Writes timeline.csv and, from the same lines, users.csv (`names` are the count columns;
/// `actors` the actors' summaries, by account and actor).
///
/// This thread merges the sorted lines, sums each user up and shows both to `watcher`; the
/// rows are formatted, hashed and written on a thread of their own, a batch at a time (with
/// every event, the two files are hundreds of megabytes and their formatting is half the work).
pub fn write(
    t: Table,
    users: Table,
    entries: Merged<Entry>,
    actors: Merged<ActorSummary>,
    names: &[String],
    watcher: &mut dyn Watcher,
) -> Result<People, Error> {
    let (to_writer, batches) = std::sync::mpsc::sync_channel::<Vec<Line>>(2);
    let writer = move || -> Result<Vec<(String, FileDigest)>, Error> {
        let (mut t, mut users) = (t, users);
        for batch in batches {
            for line in batch {
                match line {
                    Line::Entry(entry) => row(&mut t, &entry)?,
                    Line::User(u) => report::users::row(&mut users, &u)?,
                }
            }
        }
        let mut digests = Vec::new();
        digests.extend(t.close()?);
        digests.extend(users.close()?);
        Ok(digests)
    };
    let (fed, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(writer);
        let fed = feed(entries, actors, names, watcher, to_writer);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (fed, written)
    });
    match (fed, written) {
        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        (Ok(mut people), Ok(digests)) => {
            people.digests = digests;
            Ok(people)
        }
    }
}

/// One line of timeline.csv.
fn row(t: &mut Table, entry: &Entry) -> Result<(), Error> {
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
        .finish()
}

/// [`write`]'s merging side: the lines and the users, in order, to `to_writer` (which it
/// drops when done, or when the writer has stopped on an error it reports itself).
fn feed(
    mut entries: Merged<Entry>,
    mut actors: Merged<ActorSummary>,
    names: &[String],
    watcher: &mut dyn Watcher,
    to_writer: std::sync::mpsc::SyncSender<Vec<Line>>,
) -> Result<People, Error> {
    let columns: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut people = People::default();
    let mut current: Option<UserSummary> = None;
    let mut actor = actors.pop()?;
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    // Whether the batch went to the writer (false: the writer stopped, and says why).
    let send = |batch: &mut Vec<Line>, line: Line| -> bool {
        batch.push(line);
        batch.len() < WRITE_BATCH
            || to_writer
                .send(std::mem::replace(batch, Vec::with_capacity(WRITE_BATCH)))
                .is_ok()
    };
    let mut done = |mut u: UserSummary,
                    actor: &mut Option<ActorSummary>,
                    watcher: &mut dyn Watcher|
     -> Result<UserSummary, Error> {
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
        watcher.user(&u);
        Ok(u)
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
                let u = done(finished, &mut actor, watcher)?;
                if !send(&mut batch, Line::User(u)) {
                    return Ok(people);
                }
            }
            people.users += 1;
            current = Some(UserSummary::new(&entry.account, &entry.user, names.len()));
        }
        let summary = current.as_mut().expect("set above");
        summary.add(&entry, columns.get(entry.name.as_str()).copied());
        watcher.entry(&entry);
        if !send(&mut batch, Line::Entry(entry)) {
            return Ok(people);
        }
    }
    if let Some(finished) = current {
        let u = done(finished, &mut actor, watcher)?;
        batch.push(Line::User(u));
    }
    if !batch.is_empty() {
        let _ = to_writer.send(batch);
    }
    Ok(people)
}
