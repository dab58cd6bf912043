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

/// Summarises sorted timeline entries (one run of entries per user).
pub fn summarise(entries: &[Entry<'_>], names: &[String]) -> Vec<UserSummary> {
    let mut out: Vec<UserSummary> = Vec::new();
    for entry in entries {
        let e = entry.event();
        let fresh = out
            .last()
            .is_none_or(|u| u.account != entry.account || u.user != entry.user);
        if fresh {
            out.push(UserSummary {
                account: entry.account.to_owned(),
                user: entry.user.to_owned(),
                first_seen: None,
                last_seen: None,
                as_actor: 0,
                as_target: 0,
                by_name: vec![0; names.len()],
                failures: 0,
                source_ips: Vec::new(),
                acted_on_by: BTreeSet::new(),
                acted_on: BTreeSet::new(),
            });
        }
        let u = out.last_mut().expect("pushed above");
        if let Some(t) = e.time {
            u.first_seen = Some(u.first_seen.map_or(t, |f| f.min(t)));
            u.last_seen = Some(u.last_seen.map_or(t, |l| l.max(t)));
        }
        if let Some(i) = names.iter().position(|n| *n == e.name) {
            u.by_name[i] += 1;
        }
        let acted = matches!(entry.role, Role::Actor | Role::SelfService);
        if acted {
            u.as_actor += 1;
            u.failures += u64::from(e.failed());
            if !e.source_ip.is_empty() && !u.source_ips.contains(&e.source_ip) {
                u.source_ips.push(e.source_ip.clone());
            }
        }
        if matches!(entry.role, Role::Target | Role::SelfService) {
            u.as_target += 1;
        }
        match entry.role {
            Role::Target => {
                u.acted_on_by.insert(entry.counterpart.to_owned());
            }
            Role::Actor if !entry.counterpart.is_empty() => {
                u.acted_on.insert(entry.counterpart.to_owned());
            }
            _ => {}
        }
    }
    out
}
