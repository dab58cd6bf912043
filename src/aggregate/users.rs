//! One summary per (account, user): when they were seen, what they did, who touched them.

use std::collections::BTreeSet;

use super::timeline::{Entry, Role};
use crate::event::time::Timestamp;

/// How many source addresses users.csv lists by name (the count is always complete).
pub const LISTED_ADDRESSES: usize = 5;

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
    /// Distinct source addresses of the user's own calls, in order of first use.
    pub source_ips: Vec<String>,
    /// Other actors who changed this user's credentials.
    pub acted_on_by: BTreeSet<String>,
    /// Other users whose credentials this user changed.
    pub acted_on: BTreeSet<String>,
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
            source_ips: Vec::new(),
            acted_on_by: BTreeSet::new(),
            acted_on: BTreeSet::new(),
        }
    }

    /// Counts one line of the user's timeline; `column` is the count column of its event name.
    pub fn add(&mut self, entry: &Entry, column: Option<usize>) {
        let e = entry.event();
        if let Some(t) = e.time {
            self.first_seen = Some(self.first_seen.map_or(t, |f| f.min(t)));
            self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        }
        if let Some(i) = column {
            self.by_name[i] += 1;
        }
        if matches!(entry.role, Role::Actor | Role::SelfService) {
            self.as_actor += 1;
            self.failures += u64::from(e.failed());
            if !e.source_ip.is_empty() && !self.source_ips.contains(&e.source_ip) {
                self.source_ips.push(e.source_ip.clone());
            }
        }
        if matches!(entry.role, Role::Target | Role::SelfService) {
            self.as_target += 1;
        }
        let other = entry.counterpart();
        let set = match entry.role {
            Role::Target => &mut self.acted_on_by,
            Role::Actor if !other.is_empty() => &mut self.acted_on,
            _ => return,
        };
        if !set.contains(other) {
            set.insert(other.to_owned());
        }
    }
}
