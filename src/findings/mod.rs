//! Findings: built-in detections for credential and MFA tampering, over the archive.
//!
//! Each rule is a [`Rule`]: an id, a severity, and a function from the deduplicated, sorted
//! events (with per-actor and per-user views, see [`Context`]) to findings. A finding about a
//! sequence (a takeover chain, a burst of failures, a key switched off and on) is reported on
//! every event of the sequence. Rules never flag benign self-service: a user managing their
//! own credentials from an MFA session and an address already seen for them (root excepted:
//! any root use is worth a look). Adding a rule is a new `impl Rule` and a line in [`RULES`];
//! `docs/findings.md` documents each one.

mod rules;

use std::collections::BTreeMap;

use crate::aggregate::{Archive, Reported};
use crate::event::Event;
use crate::event::time::Timestamp;

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
pub struct Finding<'a> {
    pub reported: &'a Reported,
    pub rule: &'static str,
    pub severity: Severity,
    /// The user the finding is about (whose credentials, or who acted).
    pub user: String,
    pub explanation: String,
}

impl Finding<'_> {
    pub fn event(&self) -> &Event {
        &self.reported.event
    }
}

/// A detection rule.
pub trait Rule: Sync {
    /// The id written in findings.csv.
    fn id(&self) -> &'static str;
    fn severity(&self) -> Severity;
    /// Appends the rule's findings.
    fn evaluate<'a>(&self, cx: &Context<'a>, out: &mut Vec<Finding<'a>>);
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

/// What the rules see: the archive's events in time order, and views of them.
pub struct Context<'a> {
    pub settings: Settings,
    /// Every reported event, in report order (time, eventID, origin).
    pub events: Vec<&'a Reported>,
    /// Each event's index in `events`, by the actor's (account, name): the actor's history.
    pub by_actor: BTreeMap<(&'a str, &'a str), Vec<usize>>,
    /// For every event, whether it is benign self-service (see the module doc).
    pub benign: Vec<bool>,
}

impl<'a> Context<'a> {
    pub fn new(archive: &'a Archive, settings: Settings) -> Context<'a> {
        let events: Vec<&Reported> = archive.events.iter().collect();
        let mut histories: std::collections::HashMap<(&str, &str), Vec<usize>> =
            std::collections::HashMap::new();
        for (i, r) in events.iter().enumerate() {
            histories
                .entry((r.event.account.as_str(), r.event.actor.name.as_str()))
                .or_default()
                .push(i);
        }
        let by_actor: BTreeMap<(&str, &str), Vec<usize>> = histories.into_iter().collect();
        let mut benign = vec![false; events.len()];
        for history in by_actor.values() {
            let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for &i in history {
                let e = &events[i].event;
                let own = e.target.is_empty() || e.target == e.actor.name;
                benign[i] = own
                    && !e.actor.root
                    && e.actor.mfa == Some(true)
                    && seen.contains(e.source_ip.as_str());
                if is_address(&e.source_ip) {
                    seen.insert(&e.source_ip);
                }
            }
        }
        Context {
            settings,
            events,
            by_actor,
            benign,
        }
    }

    pub fn event(&self, i: usize) -> &'a Event {
        &self.events[i].event
    }

    /// The user an event is about: its target, else its actor.
    pub fn subject(&self, i: usize) -> &'a str {
        let e = self.event(i);
        if e.target.is_empty() {
            &e.actor.name
        } else {
            &e.target
        }
    }

    fn finding(&self, i: usize, rule: &dyn Rule, user: &str, explanation: String) -> Finding<'a> {
        Finding {
            reported: self.events[i],
            rule: rule.id(),
            severity: rule.severity(),
            user: user.to_owned(),
            explanation,
        }
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

/// Runs every rule. Findings are sorted by event time, then eventID, then rule order.
pub fn evaluate<'a>(archive: &'a Archive, settings: Settings) -> Vec<Finding<'a>> {
    let cx = Context::new(archive, settings);
    let mut out = Vec::new();
    for rule in RULES {
        rule.evaluate(&cx, &mut out);
    }
    let rank = |id: &str| {
        RULES
            .iter()
            .position(|r| r.id() == id)
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|a, b| {
        (a.event().order_key(), rank(a.rule)).cmp(&(b.event().order_key(), rank(b.rule)))
    });
    out.dedup_by(|a, b| a.rule == b.rule && std::ptr::eq(a.reported, b.reported));
    out
}

/// Findings per rule, in [`RULES`] order (rules without findings included).
pub fn per_rule(findings: &[Finding<'_>]) -> Vec<(&'static str, Severity, usize)> {
    RULES
        .iter()
        .map(|r| {
            (
                r.id(),
                r.severity(),
                findings.iter().filter(|f| f.rule == r.id()).count(),
            )
        })
        .collect()
}

/// The users with the most findings (by account), most first, at most `n`.
pub fn top_users(findings: &[Finding<'_>], n: usize) -> Vec<(String, String, usize, Severity)> {
    let mut counts: BTreeMap<(String, String), (usize, Severity)> = BTreeMap::new();
    for f in findings {
        let entry = counts
            .entry((f.event().account.clone(), f.user.clone()))
            .or_insert((0, Severity::Low));
        entry.0 += 1;
        entry.1 = entry.1.min(f.severity);
    }
    let mut users: Vec<_> = counts
        .into_iter()
        .map(|((a, u), (c, s))| (a, u, c, s))
        .collect();
    users.sort_by(|x, y| {
        y.2.cmp(&x.2)
            .then(x.3.cmp(&y.3))
            .then((&x.0, &x.1).cmp(&(&y.0, &y.1)))
    });
    users.truncate(n);
    users
}

/// A short clock time for explanations: `03:04:55Z`, or the full time across days.
fn clock(t: Option<Timestamp>, day_of: Option<Timestamp>) -> String {
    match (t, day_of) {
        (Some(t), Some(d)) if t.date_naive() == d.date_naive() => t.format("%H:%M:%SZ").to_string(),
        (Some(t), _) => crate::event::time::format(&t),
        (None, _) => "(time unknown)".to_owned(),
    }
}
