//! What each actor's history says, without holding any history.
//!
//! Whether a call came from an address its actor had used before needs, in time order, the set
//! of every address seen so far: unbounded. Sorted by (account, actor, address, time) instead,
//! it needs nothing: the first call of each run of one address is that address's first use.
//! One pass over that order flags every credential call (first use or not), counts each
//! actor's distinct addresses and keeps the few used first; the credential calls then go on,
//! sorted by actor and time, to the rules, and the summaries to the rules and to users.csv.

use std::cmp::Ordering;
use std::sync::Arc;

use super::is_address;
use crate::aggregate::Reported;
use crate::error::Error;
use crate::event::Str;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};

/// How many addresses of an actor users.csv lists by name.
pub const LISTED_ADDRESSES: usize = 5;

/// How many first addresses an explanation quotes.
const QUOTED_ADDRESSES: usize = 3;

/// Credential and MFA calls: the only calls a rule can flag. Other calls count for the
/// addresses seen.
pub const CREDENTIAL_CALLS: [&str; 14] = [
    "EnableMFADevice",
    "ResyncMFADevice",
    "CreateVirtualMFADevice",
    "ChangePassword",
    "UpdateAccessKey",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "CreateAccessKey",
    "DeleteAccessKey",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "PasswordUpdated",
    "ResetServiceSpecificCredential",
];

pub fn credential_call(name: &str) -> bool {
    CREDENTIAL_CALLS.contains(&name)
}

/// One reported call, on its way through the address order: credential calls whole, others
/// as just what the order needs.
struct Entry {
    account: Str,
    actor: Str,
    ip: Str,
    seq: u64,
    credential: Option<Arc<Reported>>,
}

fn entry_order(a: &Entry, b: &Entry) -> Ordering {
    (&a.account, &a.actor, &a.ip, a.seq).cmp(&(&b.account, &b.actor, &b.ip, b.seq))
}

impl Spill for Entry {
    fn weight(&self) -> usize {
        self.account.capacity()
            + self.actor.capacity()
            + self.ip.capacity()
            + self
                .credential
                .as_ref()
                .map_or(0, |r| r.weight() + std::mem::size_of::<Reported>())
    }
    fn encode(&self, out: &mut Encoder) {
        match &self.credential {
            // A credential call's strings are in its event.
            Some(r) => {
                out.bool(true);
                r.encode(out);
            }
            None => {
                out.bool(false);
                out.str(&self.account);
                out.str(&self.actor);
                out.str(&self.ip);
                out.u64(self.seq);
            }
        }
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        if d.bool()? {
            let r = Reported::decode(d)?;
            Some(Entry {
                account: r.event.account.clone(),
                actor: r.event.actor.name.clone(),
                ip: r.event.source_ip.clone(),
                seq: r.seq,
                credential: Some(Arc::new(r)),
            })
        } else {
            Some(Entry {
                account: d.text()?,
                actor: d.text()?,
                ip: d.text()?,
                seq: d.u64()?,
                credential: None,
            })
        }
    }
}

/// A credential call with one flag: in the actor order, whether it is the first use of its
/// address by its actor; in the subject and key orders, whether it is benign self-service.
pub struct Member {
    pub reported: Arc<Reported>,
    pub flag: bool,
}

impl Spill for Member {
    fn weight(&self) -> usize {
        self.reported.weight() + std::mem::size_of::<Reported>()
    }
    fn encode(&self, out: &mut Encoder) {
        self.reported.encode(out);
        out.bool(self.flag);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Member> {
        Some(Member {
            reported: Arc::new(Reported::decode(d)?),
            flag: d.bool()?,
        })
    }
}

fn by_actor(a: &Member, b: &Member) -> Ordering {
    fn key(m: &Member) -> (&str, &str, u64) {
        let e = &m.reported.event;
        (e.account.as_str(), e.actor.name.as_str(), m.reported.seq)
    }
    key(a).cmp(&key(b))
}

/// What one actor's calls add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorSummary {
    pub account: Str,
    pub actor: Str,
    /// The actor's first call (report order).
    pub first_seq: u64,
    /// Distinct non-empty source addresses (or service names) of its calls.
    pub distinct_sources: u64,
    /// The first [`LISTED_ADDRESSES`] of them, in order of first use.
    pub first_sources: Vec<String>,
    /// The first [`QUOTED_ADDRESSES`] addresses (not service names) with the position of
    /// their first use, in that order.
    first_addresses: Vec<(String, u64)>,
}

impl ActorSummary {
    /// The first addresses the actor used before the call at `seq` (at most three).
    pub fn addresses_before(&self, seq: u64) -> Vec<String> {
        self.first_addresses
            .iter()
            .filter(|(_, first)| *first < seq)
            .map(|(a, _)| a.clone())
            .collect()
    }

    fn new(account: &str, actor: &str) -> ActorSummary {
        ActorSummary {
            account: account.into(),
            actor: actor.into(),
            first_seq: u64::MAX,
            distinct_sources: 0,
            first_sources: Vec::new(),
            first_addresses: Vec::new(),
        }
    }
}

/// Keeps the `n` items used first (by position).
fn keep_first(list: &mut Vec<(String, u64)>, item: &str, seq: u64, n: usize) {
    let at = list.partition_point(|(_, s)| *s < seq);
    if at < n {
        list.insert(at, (item.to_owned(), seq));
        list.truncate(n);
    }
}

impl Spill for ActorSummary {
    fn weight(&self) -> usize {
        self.account.capacity()
            + self.actor.capacity()
            + self
                .first_sources
                .iter()
                .map(|s| s.capacity() + 24)
                .sum::<usize>()
            + self
                .first_addresses
                .iter()
                .map(|(s, _)| s.capacity() + 32)
                .sum::<usize>()
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.account);
        out.str(&self.actor);
        out.u64(self.first_seq);
        out.u64(self.distinct_sources);
        out.u64(self.first_sources.len() as u64);
        for s in &self.first_sources {
            out.str(s);
        }
        out.u64(self.first_addresses.len() as u64);
        for (a, seq) in &self.first_addresses {
            out.str(a);
            out.u64(*seq);
        }
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let account = d.text()?;
        let actor = d.text()?;
        let first_seq = d.u64()?;
        let distinct_sources = d.u64()?;
        let n = d.u64()?;
        let mut first_sources = Vec::new();
        for _ in 0..n {
            first_sources.push(d.string()?);
        }
        let n = d.u64()?;
        let mut first_addresses = Vec::new();
        for _ in 0..n {
            first_addresses.push((d.string()?, d.u64()?));
        }
        Some(ActorSummary {
            account,
            actor,
            first_seq,
            distinct_sources,
            first_sources,
            first_addresses,
        })
    }
}

fn summary_order(a: &ActorSummary, b: &ActorSummary) -> Ordering {
    (&a.account, &a.actor).cmp(&(&b.account, &b.actor))
}

/// Every reported call, gathered in report order.
pub struct Calls<'d> {
    dir: &'d SpillDir,
    entries: Sorter<'d, Entry>,
}

/// What the pass over the address order gives.
pub struct Histories {
    /// The credential calls, by actor and time, each flagged when it is the first use of its
    /// address by its actor.
    pub members: Merged<Member>,
    /// One summary per actor, by (account, actor): for the rules...
    pub for_rules: Merged<ActorSummary>,
    /// ...and for users.csv.
    pub for_users: Merged<ActorSummary>,
}

impl<'d> Calls<'d> {
    pub fn new(dir: &'d SpillDir) -> Calls<'d> {
        Calls {
            dir,
            entries: Sorter::new(dir, entry_order),
        }
    }

    pub fn add(&mut self, r: &Arc<Reported>) -> Result<(), Error> {
        let e = &r.event;
        let credential = credential_call(&e.name).then(|| Arc::clone(r));
        self.entries.push(Entry {
            account: e.account.clone(),
            actor: e.actor.name.clone(),
            ip: e.source_ip.clone(),
            seq: r.seq,
            credential,
        })
    }

    pub fn finish(self) -> Result<Histories, Error> {
        let mut entries = self.entries.finish()?;
        let mut members = Sorter::new(self.dir, by_actor);
        let mut for_rules = Sorter::new(self.dir, summary_order);
        let mut for_users = Sorter::new(self.dir, summary_order);
        let mut reading: Option<Reading> = None;
        let mut last_ip: Option<String> = None;
        while let Some(entry) = entries.pop()? {
            let same_actor = reading.as_ref().is_some_and(|r| {
                r.summary.account == entry.account && r.summary.actor == entry.actor
            });
            if !same_actor {
                if let Some(done) = reading.take() {
                    let summary = done.finish();
                    for_users.push(summary.clone())?;
                    for_rules.push(summary)?;
                }
                reading = Some(Reading {
                    summary: ActorSummary::new(&entry.account, &entry.actor),
                    sources: Vec::new(),
                });
                last_ip = None;
            }
            let r = reading.as_mut().expect("set above");
            r.summary.first_seq = r.summary.first_seq.min(entry.seq);
            let first_use = last_ip.as_deref() != Some(entry.ip.as_str());
            if first_use {
                r.first_use(&entry.ip, entry.seq);
                last_ip = Some(entry.ip.to_string());
            }
            if let Some(reported) = entry.credential {
                members.push(Member {
                    reported,
                    flag: first_use,
                })?;
            }
        }
        if let Some(done) = reading.take() {
            let summary = done.finish();
            for_users.push(summary.clone())?;
            for_rules.push(summary)?;
        }
        Ok(Histories {
            members: members.finish()?,
            for_rules: for_rules.finish()?,
            for_users: for_users.finish()?,
        })
    }
}

/// One actor being read.
struct Reading {
    summary: ActorSummary,
    /// The first listed sources with the positions of their first use.
    sources: Vec<(String, u64)>,
}

impl Reading {
    fn first_use(&mut self, ip: &str, seq: u64) {
        if ip.is_empty() {
            return;
        }
        self.summary.distinct_sources += 1;
        keep_first(&mut self.sources, ip, seq, LISTED_ADDRESSES);
        if is_address(ip) {
            keep_first(&mut self.summary.first_addresses, ip, seq, QUOTED_ADDRESSES);
        }
    }

    fn finish(mut self) -> ActorSummary {
        self.summary.first_sources = self.sources.into_iter().map(|(s, _)| s).collect();
        self.summary
    }
}
