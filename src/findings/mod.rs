//! Findings: built-in detections for credential and MFA tampering, over the archive.
//!
//! Each rule is a [`Rule`]: an id, a severity, a scope, and a function from one group of events
//! (see [`Context`]) to findings. Rules look at one group at a time, so the findings are
//! computed over any size of archive in bounded memory: the events are sorted on disk by
//! actor, then (for the rules that need it) by subject or access key ([`crate::spill`]), and
//! only one group is held. Only credential calls can be flagged, so a group holds only those;
//! the other calls of an actor are streamed past, for the addresses it was seen at. A finding about a
//! sequence (a takeover chain, a burst of failures, a key switched off and on) is reported on
//! every event of the sequence. Rules never flag benign self-service: a user managing their
//! own credentials from an MFA session and an address already seen for them (root excepted:
//! any root use is worth a look). Adding a rule is a new `impl Rule` and a line in [`RULES`];
//! `docs/findings.md` documents each one.

mod rules;

use rules::credential_call;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::aggregate::Reported;
use crate::error::Error;
use crate::event::Event;
use crate::event::time::Timestamp;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// The tunable thresholds of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// takeover-chain: how long after a password change an MFA enrolment still counts.
    pub chain_window: chrono::Duration,
    /// failure-burst: how many failed calls by one actor make a burst...
    pub burst_failures: usize,
    /// ...within this window.
    pub burst_window: chrono::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            chain_window: chrono::Duration::minutes(60),
            burst_failures: 5,
            burst_window: chrono::Duration::minutes(10),
        }
    }
}

/// One rule's verdict on one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub reported: Arc<Reported>,
    pub rule: &'static str,
    pub severity: Severity,
    /// The user the finding is about (whose credentials, or who acted).
    pub user: String,
    pub explanation: String,
    /// Position of the rule in [`RULES`].
    rank: u8,
    /// Order in which the rule found it within its group (the first of two findings of one
    /// rule on one event is the one reported).
    emitted: u32,
}

impl Finding {
    pub fn event(&self) -> &Event {
        &self.reported.event
    }
}

impl Spill for Finding {
    fn weight(&self) -> usize {
        self.reported.weight()
            + std::mem::size_of::<Reported>()
            + self.user.capacity()
            + self.explanation.capacity()
    }

    fn encode(&self, out: &mut Encoder) {
        self.reported.encode(out);
        out.u64(u64::from(self.rank));
        out.u64(u64::from(self.emitted));
        out.str(&self.user);
        out.str(&self.explanation);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Finding> {
        let reported = Arc::new(Reported::decode(d)?);
        let rank = u8::try_from(d.u64()?).ok()?;
        let rule = RULES.get(usize::from(rank))?;
        Some(Finding {
            reported,
            rule: rule.id(),
            severity: rule.severity(),
            rank,
            emitted: d.u32()?,
            user: d.string()?,
            explanation: d.string()?,
        })
    }
}

/// Findings order: event (report order), rule, then the order the rule found them in.
fn finding_order(a: &Finding, b: &Finding) -> Ordering {
    (a.reported.seq, a.rank, a.emitted, &a.user, &a.explanation).cmp(&(
        b.reported.seq,
        b.rank,
        b.emitted,
        &b.user,
        &b.explanation,
    ))
}

/// Which events a rule looks at together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One actor's calls (account, actor), in time order.
    Actor,
    /// The calls about one user (account, target or else actor), in time order.
    Subject,
    /// The `UpdateAccessKey` calls on one key (account, key), in time order.
    AccessKey,
}

/// A detection rule.
pub trait Rule: Sync {
    /// The id written in findings.csv.
    fn id(&self) -> &'static str;
    fn severity(&self) -> Severity;
    fn scope(&self) -> Scope {
        Scope::Actor
    }
    /// For subject and key scopes: whether the rule needs this event in its groups.
    fn wants(&self, _e: &Event) -> bool {
        true
    }
    /// Appends the rule's findings on one group.
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>);
}

/// Every rule, in the order findings of the same event are listed.
pub const RULES: [&dyn Rule; 8] = [
    &rules::TakeoverChain,
    &rules::AccessKeyReactivated,
    &rules::RootCredentialChange,
    &rules::CredentialChangeForOtherUser,
    &rules::MfaEnrolledWithoutMfa,
    &rules::FailureBurst,
    &rules::NewSourceIp,
    &rules::MfaResync,
];

/// What a rule sees: one group of credential calls in time order, with what is known of each.
pub struct Context {
    pub settings: Settings,
    /// The group's events, in report order (time, eventID, origin).
    pub events: Vec<Arc<Reported>>,
    /// For every event, whether it is benign self-service (see the module doc).
    pub benign: Vec<bool>,
    /// For every event of an actor group made from an address the actor had not used before
    /// (and not its first call): the addresses used before, at most three, in order.
    pub new_address: Vec<Option<Vec<String>>>,
}

impl Context {
    pub fn event(&self, i: usize) -> &Event {
        &self.events[i].event
    }

    /// The user an event is about: its target, else its actor.
    pub fn subject(&self, i: usize) -> &str {
        subject(self.event(i))
    }

    fn finding(&self, i: usize, rule: &dyn Rule, user: &str, explanation: String) -> Finding {
        let rank = RULES
            .iter()
            .position(|r| r.id() == rule.id())
            .expect("every rule is listed") as u8;
        Finding {
            reported: Arc::clone(&self.events[i]),
            rule: rule.id(),
            severity: rule.severity(),
            user: user.to_owned(),
            explanation,
            rank,
            emitted: 0,
        }
    }
}

/// The user an event is about: its target, else its actor.
pub fn subject(e: &Event) -> &str {
    if e.target.is_empty() {
        &e.actor.name
    } else {
        &e.target
    }
}

/// Whether a `sourceIPAddress` is an address (not `AWS Internal`, not a service name such as
/// `ec2.amazonaws.com`). Anonymised corpora write addresses such as `225.01.00.16`, so this
/// does not insist on valid octets.
pub fn is_address(text: &str) -> bool {
    !text.is_empty()
        && (text.contains('.') || text.contains(':'))
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':')
}

/// An event on its way to a group, with whether it is benign (known once its actor's history
/// has been read).
struct Member {
    reported: Arc<Reported>,
    benign: bool,
}

impl Spill for Member {
    fn weight(&self) -> usize {
        self.reported.weight() + std::mem::size_of::<Reported>()
    }

    fn encode(&self, out: &mut Encoder) {
        self.reported.encode(out);
        out.bool(self.benign);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Member> {
        Some(Member {
            reported: Arc::new(Reported::decode(d)?),
            benign: d.bool()?,
        })
    }
}

/// The group key of an event in a scope.
fn group_key(scope: Scope, e: &Event) -> (&str, &str) {
    let within = match scope {
        Scope::Actor => e.actor.name.as_str(),
        Scope::Subject => subject(e),
        Scope::AccessKey => e.access_key_id.as_str(),
    };
    (e.account.as_str(), within)
}

fn by_actor(a: &Member, b: &Member) -> Ordering {
    by(Scope::Actor, a, b)
}
fn by_subject(a: &Member, b: &Member) -> Ordering {
    by(Scope::Subject, a, b)
}
fn by_key(a: &Member, b: &Member) -> Ordering {
    by(Scope::AccessKey, a, b)
}
fn by(scope: Scope, a: &Member, b: &Member) -> Ordering {
    (group_key(scope, &a.reported.event), a.reported.seq)
        .cmp(&(group_key(scope, &b.reported.event), b.reported.seq))
}

/// Runs the rules: fed every reported event in report order, gives the findings sorted by
/// event time, then eventID, then rule order.
pub struct Findings<'d> {
    dir: &'d SpillDir,
    settings: Settings,
    actors: Sorter<'d, Member>,
}

impl<'d> Findings<'d> {
    pub fn new(dir: &'d SpillDir, settings: Settings) -> Findings<'d> {
        Findings {
            dir,
            settings,
            actors: Sorter::new(dir, by_actor),
        }
    }

    pub fn add(&mut self, reported: &Arc<Reported>) -> Result<(), Error> {
        self.actors.push(Member {
            reported: Arc::clone(reported),
            benign: false,
        })
    }

    /// Every finding, sorted; one per rule and event.
    pub fn finish(self) -> Result<Merged<Finding>, Error> {
        let mut found = Sorter::new(self.dir, finding_order);
        let mut subjects = Sorter::new(self.dir, by_subject);
        let mut keys = Sorter::new(self.dir, by_key);
        let mut actors = self.actors.finish()?;
        let mut history = History::default();
        loop {
            let next = actors.pop()?;
            if next.as_ref().is_none_or(|m| !history.continues(m)) {
                let cx = history.finish(self.settings);
                for (i, &benign) in cx.benign.iter().enumerate() {
                    let e = cx.event(i);
                    let member = || Member {
                        reported: Arc::clone(&cx.events[i]),
                        benign,
                    };
                    if wanted(Scope::Subject, e) {
                        subjects.push(member())?;
                    }
                    if wanted(Scope::AccessKey, e) {
                        keys.push(member())?;
                    }
                }
                evaluate(Scope::Actor, &cx, &mut found)?;
            }
            match next {
                Some(m) => history.add(m.reported),
                None => break,
            }
        }
        for (scope, sorter) in [(Scope::Subject, subjects), (Scope::AccessKey, keys)] {
            let mut members = sorter.finish()?;
            let mut group: Vec<Member> = Vec::new();
            loop {
                let next = members.pop()?;
                let ends = match (&next, group.first()) {
                    (Some(m), Some(first)) => {
                        group_key(scope, &m.reported.event)
                            != group_key(scope, &first.reported.event)
                    }
                    (None, _) => true,
                    (Some(_), None) => false,
                };
                if ends && !group.is_empty() {
                    let cx = Context {
                        settings: self.settings,
                        new_address: vec![None; group.len()],
                        benign: group.iter().map(|m| m.benign).collect(),
                        events: group.drain(..).map(|m| m.reported).collect(),
                    };
                    evaluate(scope, &cx, &mut found)?;
                }
                match next {
                    Some(m) => group.push(m),
                    None => break,
                }
            }
        }
        found.finish()
    }
}

/// Whether some rule of `scope` needs `e` in its groups.
fn wanted(scope: Scope, e: &Event) -> bool {
    RULES.iter().any(|r| r.scope() == scope && r.wants(e))
}

/// Runs the rules of `scope` on one group.
fn evaluate(scope: Scope, cx: &Context, found: &mut Sorter<'_, Finding>) -> Result<(), Error> {
    if cx.events.is_empty() {
        return Ok(());
    }
    let mut out = Vec::new();
    for rule in RULES.iter().filter(|r| r.scope() == scope) {
        rule.evaluate(cx, &mut out);
    }
    for (n, mut f) in out.into_iter().enumerate() {
        f.emitted = n as u32;
        found.push(f)?;
    }
    Ok(())
}

/// One actor's history, read in time order: every call counts for the addresses seen, the
/// credential calls are kept for the rules.
#[derive(Default)]
struct History {
    /// (account, actor) of the history; `None` before the first call.
    key: Option<(String, String)>,
    /// Calls read so far.
    calls: u64,
    seen: HashSet<String>,
    /// The addresses in order of first use (the first three are quoted).
    first_addresses: Vec<String>,
    events: Vec<Arc<Reported>>,
    benign: Vec<bool>,
    new_address: Vec<Option<Vec<String>>>,
}

impl History {
    /// Whether `m` belongs to this history (or it is empty).
    fn continues(&self, m: &Member) -> bool {
        let e = &m.reported.event;
        self.key
            .as_ref()
            .is_none_or(|(a, n)| *a == e.account && *n == e.actor.name)
    }

    fn add(&mut self, reported: Arc<Reported>) {
        let e = &reported.event;
        if self.key.is_none() {
            self.key = Some((e.account.clone(), e.actor.name.clone()));
        }
        let address = is_address(&e.source_ip);
        let known = self.seen.contains(&e.source_ip);
        if credential_call(&e.name) {
            let own = e.target.is_empty() || e.target == e.actor.name;
            self.benign
                .push(own && !e.actor.root && e.actor.mfa == Some(true) && known);
            self.new_address
                .push((address && !known && self.calls > 0).then(|| self.first_addresses.clone()));
            self.events.push(Arc::clone(&reported));
        }
        if address && !known {
            self.seen.insert(e.source_ip.clone());
            if self.first_addresses.len() < 3 {
                self.first_addresses.push(e.source_ip.clone());
            }
        }
        self.calls += 1;
    }

    /// The credential calls of the history, for the rules; the history starts again empty.
    fn finish(&mut self, settings: Settings) -> Context {
        let done = std::mem::take(self);
        Context {
            settings,
            events: done.events,
            benign: done.benign,
            new_address: done.new_address,
        }
    }
}

/// Findings per rule and most-flagged users, counted as findings.csv is written.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    per_rule: [usize; RULES.len()],
    users: BTreeMap<(String, String), (usize, Severity)>,
}

impl Tally {
    pub fn add(&mut self, f: &Finding) {
        self.per_rule[usize::from(f.rank)] += 1;
        let key = (f.event().account.clone(), f.user.clone());
        let entry = self.users.entry(key).or_insert((0, Severity::Low));
        entry.0 += 1;
        entry.1 = entry.1.min(f.severity);
    }

    /// Findings per rule, in [`RULES`] order (rules without findings included).
    pub fn per_rule(&self) -> Vec<(&'static str, Severity, usize)> {
        RULES
            .iter()
            .zip(self.per_rule)
            .map(|(r, n)| (r.id(), r.severity(), n))
            .collect()
    }

    /// The users with the most findings (by account), most first, at most `n`.
    pub fn top_users(&self, n: usize) -> Vec<(String, String, usize, Severity)> {
        let mut users: Vec<_> = self
            .users
            .iter()
            .map(|((a, u), (c, s))| (a.clone(), u.clone(), *c, *s))
            .collect();
        users.sort_by(|x, y| {
            y.2.cmp(&x.2)
                .then(x.3.cmp(&y.3))
                .then((&x.0, &x.1).cmp(&(&y.0, &y.1)))
        });
        users.truncate(n);
        users
    }
}

/// Whether two findings in findings order are the same rule on the same event (the second
/// is not reported).
pub fn repeats(previous: &Finding, f: &Finding) -> bool {
    previous.rank == f.rank && previous.reported.seq == f.reported.seq
}

/// A short clock time for explanations: `03:04:55Z`, or the full time across days.
fn clock(t: Option<Timestamp>, day_of: Option<Timestamp>) -> String {
    match (t, day_of) {
        (Some(t), Some(d)) if t.date_naive() == d.date_naive() => t.format("%H:%M:%SZ").to_string(),
        (Some(t), _) => crate::event::time::format(&t),
        (None, _) => "(time unknown)".to_owned(),
    }
}
