//! One summary per (account, user): when they were seen, what they did, who touched them.
//!
//! Built from the user's timeline lines as they stream by, plus what the actor's history
//! says of the addresses it used ([`crate::findings::ActorSummary`]). The lists of other users
//! are capped, so that one user touched by a million others costs no more than one touched by
//! a hundred.

use std::collections::BTreeSet;

use super::timeline::{Entry, Role};
use crate::event::time::Timestamp;
use crate::findings::ActorSummary;

/// How many other users `acted_on_by` and `acted_on` list (alphabetically first ones).
pub const LISTED_USERS: usize = 100;

/// The summary of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub account: String,
    pub user: String,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Calls the user made (on anyone's credentials, their own included).
    pub as_actor: u64,
    /// Calls on the user's credentials (by anyone, themselves included).
    pub as_target: u64,
    /// Events in the user's timeline per selected event name (aligned with the names given).
    pub by_name: Vec<u64>,
    /// Failed calls the user made.
    pub failures: u64,
    /// Distinct source addresses of the user's own calls, and the first few, in order of
    /// first use.
    pub source_count: u64,
    pub sources: Vec<String>,
    /// Other actors who changed this user's credentials (the first [`LISTED_USERS`]).
    pub acted_on_by: Capped,
    /// Other users whose credentials this user changed.
    pub acted_on: Capped,
    /// Lines in the user's timeline.
    pub lines: u64,
}

/// A set of names holding at most [`LISTED_USERS`] (the smallest), remembering whether
/// there were more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capped {
    pub names: BTreeSet<String>,
    pub more: bool,
}

impl Capped {
    fn insert(&mut self, name: &str) {
        if self.names.contains(name) {
            return;
        }
        if self.names.len() == LISTED_USERS {
            if self.names.last().is_some_and(|last| name > last.as_str()) {
                self.more = true;
                return;
            }
            self.names.pop_last();
            self.more = true;
        }
        self.names.insert(name.to_owned());
    }

    /// `a;b;c`, and `;…` when some were left out.
    pub fn joined(&self) -> String {
        let mut s = self
            .names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(";");
        if self.more {
            s.push_str(";…");
        }
        s
    }
}

impl UserSummary {
    /// A user before any event (`names` as many as the count columns).
    pub fn new(account: &str, user: &str, names: usize) -> UserSummary {
        UserSummary {
            account: account.to_owned(),
            user: user.to_owned(),
            first_seen: None,
            last_seen: None,
            as_actor: 0,
            as_target: 0,
            by_name: vec![0; names],
            failures: 0,
            source_count: 0,
            sources: Vec::new(),
            acted_on_by: Capped::default(),
            acted_on: Capped::default(),
            lines: 0,
        }
    }

    /// Counts one line of the user's timeline; `column` is the count column of its event name.
    pub fn add(&mut self, entry: &Entry, column: Option<usize>) {
        self.lines += 1;
        if let Some(t) = entry.time {
            self.first_seen = Some(self.first_seen.map_or(t, |f| f.min(t)));
            self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        }
        if let Some(i) = column {
            self.by_name[i] += 1;
        }
        if matches!(entry.role, Role::Actor | Role::SelfService) {
            self.as_actor += 1;
            self.failures += u64::from(entry.failed());
        }
        if matches!(entry.role, Role::Target | Role::SelfService) {
            self.as_target += 1;
        }
        match entry.role {
            Role::Target => self.acted_on_by.insert(&entry.counterpart),
            Role::Actor if !entry.counterpart.is_empty() => {
                self.acted_on.insert(&entry.counterpart)
            }
            _ => {}
        }
    }

    /// Takes the addresses from the summary of the user as an actor.
    pub fn with_sources(&mut self, actor: &ActorSummary) {
        self.source_count = actor.distinct_sources;
        self.sources = actor.first_sources.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_sets_keep_the_first_names_and_say_there_were_more() {
        let mut c = Capped::default();
        for i in (0..LISTED_USERS + 50).rev() {
            c.insert(&format!("u{i:04}"));
        }
        assert_eq!(c.names.len(), LISTED_USERS);
        assert!(c.more);
        assert_eq!(c.names.first().unwrap(), "u0000");
        assert!(c.joined().ends_with(";…"));
        let mut small = Capped::default();
        small.insert("b");
        small.insert("a");
        small.insert("b");
        assert_eq!(small.joined(), "a;b");
    }
}
