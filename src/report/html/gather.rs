//! What the page shows, gathered as the other reports are written, in bounded memory: the
//! most important findings, the lanes of the flagged and the busiest users (each with a
//! bounded number of marks), the first events, the users, the hardening checks, and the
//! inputs that were not read completely. Every cap is a constant here and is stated in the
//! page.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use crate::aggregate::Reported;
use crate::aggregate::timeline::{Entry, Role};
use crate::aggregate::users::UserSummary;
use crate::event::time::Timestamp;
use crate::findings::{Finding, Severity, techniques};
use crate::report::findings::Flagged;

/// Findings listed in the page (by severity, then time).
pub const MAX_FINDINGS: usize = 500;
/// Lanes of flagged users, and of the busiest others.
pub const MAX_FLAGGED_LANES: usize = 40;
pub const MAX_OTHER_LANES: usize = 20;
/// Marks drawn in one lane (an even sample of a busier lane, the events of the findings
/// listed always kept).
pub const MAX_MARKS: usize = 400;
/// Rows of the users and events tables.
pub const MAX_USERS: usize = 1000;
pub const MAX_EVENTS: usize = 1000;
/// Inputs not read completely, listed.
pub const MAX_INCOMPLETE: usize = 200;
/// Users named per hardening check.
pub const MAX_CHECK_USERS: usize = 20;
/// Characters of one value shown (the CSV reports have it whole).
pub const MAX_VALUE: usize = 200;
/// A command longer than this is not shown (findings.csv has it).
pub const MAX_COMMAND: usize = 2000;

/// A value cut to [`MAX_VALUE`] characters.
pub fn cut(text: &str) -> String {
    cut_to(text, MAX_VALUE)
}

/// A text cut to `n` characters.
pub fn cut_to(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// `n` with thousands separators: `1,004`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 event`, `1,004 events`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// One finding as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub severity: Severity,
    pub time: Option<Timestamp>,
    pub seq: u64,
    pub rule: &'static str,
    pub account: String,
    pub user: String,
    pub actor: String,
    pub event_name: String,
    pub event_id: String,
    pub source_ip: String,
    pub explanation: String,
    pub mitre: String,
    /// The ready commands, one per line (`&&` at the end of all but the last), or `None`
    /// when they are too long for the page.
    pub commands: Option<Vec<String>>,
    pub story: Option<u64>,
    pub position: u32,
}

impl Listed {
    fn key(&self) -> (Severity, bool, Option<Timestamp>, u64, &'static str) {
        (
            self.severity,
            self.time.is_none(),
            self.time,
            self.seq,
            self.rule,
        )
    }
}

impl Ord for Listed {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}
impl PartialOrd for Listed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps the [`MAX_FINDINGS`] most important findings as they are written.
#[derive(Default)]
pub struct Findings {
    /// A max-heap of the kept ones: the least important on top.
    kept: BinaryHeap<Listed>,
    pub total: u64,
    pub per_severity: BTreeMap<Severity, u64>,
}

impl Findings {
    pub fn add(&mut self, f: &Finding) {
        self.total += 1;
        *self.per_severity.entry(f.severity()).or_default() += 1;
        let e = f.event();
        let rule = f.rule();
        let key = (
            f.severity(),
            e.time.is_none(),
            e.time,
            f.event.seq,
            rule.id(),
        );
        if self.kept.len() >= MAX_FINDINGS
            && self.kept.peek().is_some_and(|worst| worst.key() <= key)
        {
            return;
        }
        let line = f.response.one_line();
        let commands = (line.len() <= MAX_COMMAND).then(|| {
            let parts: Vec<&str> = line.split(" && ").collect();
            let last = parts.len().saturating_sub(1);
            parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if i < last {
                        format!("{p} &&")
                    } else {
                        (*p).to_owned()
                    }
                })
                .collect::<Vec<_>>()
        });
        self.kept.push(Listed {
            severity: f.severity(),
            time: e.time,
            seq: f.event.seq,
            rule: rule.id(),
            account: e.account.to_string(),
            user: f.user.clone(),
            actor: e.actor.to_string(),
            event_name: e.name.to_string(),
            event_id: e.event_id.to_string(),
            source_ip: e.source_ip.to_string(),
            explanation: f.explanation.clone(),
            mitre: techniques(rule.mitre()),
            commands: commands.filter(|c| !c.is_empty() && !c[0].is_empty()),
            story: f.story,
            position: f.position,
        });
        if self.kept.len() > MAX_FINDINGS {
            self.kept.pop();
        }
    }

    /// The kept findings, most important first.
    pub fn listed(&self) -> Vec<Listed> {
        let mut v: Vec<Listed> = self.kept.iter().cloned().collect();
        v.sort();
        v
    }
}

/// One event drawn in a lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub seq: u64,
    pub time: Timestamp,
    pub name: String,
    pub role: Role,
    pub failed: bool,
    /// The tooltip: time, event, role, the other party, address, what it did.
    pub tip: String,
    /// The mark's number in its lane (for the even sample).
    ordinal: u64,
    /// Drawn whatever the sample: an event of a listed finding.
    kept: bool,
}

/// One user's lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub account: String,
    pub user: String,
    /// Findings about the user and the worst severity, when flagged.
    pub flagged: Option<(usize, Severity)>,
    /// Lines in the user's timeline.
    pub events: u64,
    /// Lines without a time (not drawn).
    pub untimed: u64,
    pub marks: Vec<Mark>,
}

impl Lane {
    /// Lines left out of the drawing by the sample.
    pub fn sampled_out(&self) -> u64 {
        self.events - self.untimed - self.marks.len() as u64
    }
}

/// A lane being filled: an even sample, doubling its stride when full.
struct Filling {
    lane: Lane,
    /// Every `stride`-th event of the lane is drawn, besides the kept ones.
    stride: u64,
    /// Marks drawn as the sample (not kept).
    sampled: usize,
}

/// Picks the lanes and the users table from the timeline as it is written.
pub struct Lanes {
    flagged: HashMap<(String, String), (usize, usize, Severity)>,
    /// Events of the findings listed: never left out of a lane.
    keep: BTreeSet<u64>,
    current: Option<Filling>,
    flagged_lanes: Vec<Lane>,
    /// The busiest other lanes: a min-heap by activity.
    others: BinaryHeap<Busiest>,
    users: BinaryHeap<UserRow>,
    pub total_users: u64,
}

struct Busiest(Lane);

impl Busiest {
    fn key(&self) -> (std::cmp::Reverse<u64>, &str, &str) {
        (
            std::cmp::Reverse(self.0.events),
            &self.0.account,
            &self.0.user,
        )
    }
}
impl PartialEq for Busiest {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Busiest {}
impl Ord for Busiest {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}
impl PartialOrd for Busiest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A row of the users table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub account: String,
    pub user: String,
    pub findings: usize,
    pub worst: Option<Severity>,
    pub lines: u64,
    pub as_actor: u64,
    pub as_target: u64,
    pub failures: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub sources: Vec<String>,
    pub source_count: u64,
}

impl UserRow {
    /// Flagged first (most findings), then the busiest, then by name.
    #[allow(clippy::type_complexity)]
    fn key(&self) -> (std::cmp::Reverse<usize>, std::cmp::Reverse<u64>, &str, &str) {
        (
            std::cmp::Reverse(self.findings),
            std::cmp::Reverse(self.lines),
            &self.account,
            &self.user,
        )
    }
}
impl Ord for UserRow {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}
impl PartialOrd for UserRow {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Lanes {
    /// `flagged`: the users with the most findings (in that order); `keep`: the events of the
    /// findings the page lists.
    pub fn new(flagged: &[Flagged], keep: BTreeSet<u64>) -> Lanes {
        Lanes {
            flagged: flagged
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    (
                        (f.account.clone(), f.user.clone()),
                        (i, f.findings, f.worst),
                    )
                })
                .collect(),
            keep,
            current: None,
            flagged_lanes: Vec::new(),
            others: BinaryHeap::new(),
            users: BinaryHeap::new(),
            total_users: 0,
        }
    }

    /// The lanes: the flagged users' in the order given, then the busiest others'.
    pub fn lanes(&self) -> Vec<Lane> {
        let mut flagged = self.flagged_lanes.clone();
        flagged.sort_by_key(|l| self.flagged[&(l.account.clone(), l.user.clone())].0);
        let mut others: Vec<&Busiest> = self.others.iter().collect();
        others.sort();
        flagged.extend(others.into_iter().map(|b| b.0.clone()));
        flagged
    }

    /// The users table, flagged first, then the busiest.
    pub fn users(&self) -> Vec<UserRow> {
        let mut v: Vec<UserRow> = self.users.iter().cloned().collect();
        v.sort();
        v
    }

    fn finish_lane(&mut self) {
        let Some(filling) = self.current.take() else {
            return;
        };
        let lane = filling.lane;
        if lane.flagged.is_some() {
            self.flagged_lanes.push(lane);
            return;
        }
        self.others.push(Busiest(lane));
        if self.others.len() > MAX_OTHER_LANES {
            self.others.pop();
        }
    }
}

impl crate::report::timeline::Watcher for Lanes {
    fn entry(&mut self, e: &Entry) {
        let same = self.current.as_ref().is_some_and(|c| {
            c.lane.account == e.account.as_str() && c.lane.user == e.user.as_str()
        });
        if !same {
            self.finish_lane();
            let flagged = self
                .flagged
                .get(&(e.account.to_string(), e.user.to_string()))
                .map(|(_, n, worst)| (*n, *worst));
            self.current = Some(Filling {
                lane: Lane {
                    account: e.account.to_string(),
                    user: e.user.to_string(),
                    flagged,
                    events: 0,
                    untimed: 0,
                    marks: Vec::new(),
                },
                stride: 1,
                sampled: 0,
            });
        }
        let keep = self.keep.contains(&e.seq);
        let c = self.current.as_mut().expect("a lane is filling");
        let ordinal = c.lane.events;
        c.lane.events += 1;
        let Some(time) = e.time else {
            c.lane.untimed += 1;
            return;
        };
        if !keep && !ordinal.is_multiple_of(c.stride) {
            return;
        }
        let mut tip = format!(
            "{} {} ({})",
            crate::event::time::format(&time),
            e.name,
            e.role.as_str()
        );
        if !e.counterpart.is_empty() {
            let with = if e.role == Role::Target { "by" } else { "on" };
            tip.push_str(&format!(" {with} {}", e.counterpart));
        }
        if !e.source_ip.is_empty() {
            tip.push_str(&format!(" from {}", e.source_ip));
        }
        if !e.detail.is_empty() {
            tip.push_str(": ");
            tip.push_str(&e.detail);
        }
        c.lane.marks.push(Mark {
            seq: e.seq,
            time,
            name: e.name.to_string(),
            role: e.role,
            failed: e.failed(),
            tip: cut(&tip),
            ordinal,
            kept: keep,
        });
        if keep {
            return;
        }
        c.sampled += 1;
        // Over the cap, every other sampled mark goes. Each round removes at least one (the
        // sampled ordinals are distinct multiples of the stride), so the stride stays below
        // the lane's event count.
        while c.sampled > MAX_MARKS {
            c.stride *= 2;
            let stride = c.stride;
            c.lane
                .marks
                .retain(|m| m.kept || m.ordinal.is_multiple_of(stride));
            c.sampled = c.lane.marks.iter().filter(|m| !m.kept).count();
        }
    }

    fn user(&mut self, u: &UserSummary) {
        self.total_users += 1;
        let flagged = self
            .flagged
            .get(&(u.account.clone(), u.user.clone()))
            .map(|(_, n, worst)| (*n, *worst));
        self.users.push(UserRow {
            account: u.account.clone(),
            user: u.user.clone(),
            findings: flagged.map_or(0, |f| f.0),
            worst: flagged.map(|f| f.1),
            lines: u.lines,
            as_actor: u.as_actor,
            as_target: u.as_target,
            failures: u.failures,
            first_seen: u.first_seen,
            last_seen: u.last_seen,
            sources: u.sources.iter().take(3).cloned().collect(),
            source_count: u.source_count,
        });
        if self.users.len() > MAX_USERS {
            self.users.pop();
        }
    }
}

impl Lanes {
    /// Call once the timeline is written (the last user's lane is still filling).
    pub fn finish(&mut self) {
        self.finish_lane();
    }
}

/// One row of the events table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub time: Option<Timestamp>,
    pub name: String,
    pub account: String,
    pub actor: String,
    pub target: String,
    pub source_ip: String,
    pub detail: String,
    pub error_code: String,
}

/// A hardening check the archive can answer: how many events, and by whom.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    pub events: u64,
    /// (account, user), the first [`MAX_CHECK_USERS`] in name order.
    pub users: BTreeSet<(String, String)>,
    pub more_users: bool,
}

impl Check {
    fn add(&mut self, account: &str, user: &str) {
        self.events += 1;
        let key = (account.to_owned(), user.to_owned());
        if self.users.contains(&key) {
            return;
        }
        self.users.insert(key);
        if self.users.len() > MAX_CHECK_USERS {
            self.users.pop_last();
            self.more_users = true;
        }
    }
}

/// The hardening checks, by event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckKind {
    /// ChangePassword from a session that was not MFA-authenticated.
    PasswordWithoutMfa,
    /// EnableMFADevice or CreateVirtualMFADevice from a session without MFA.
    MfaEnrolledWithoutMfa,
    /// MFA enrolled with temporary keys outside a console session.
    MfaWithTemporaryKeys,
    /// A key set Active again (UpdateAccessKey status Active).
    KeyActivated,
    /// Any of the five by the root user.
    RootCredentialChange,
    /// ResyncMFADevice at all.
    MfaResync,
}

/// What streams past as events.csv is written: the first events, their time range, the checks.
#[derive(Default)]
pub struct Events {
    pub first: Vec<EventRow>,
    pub total: u64,
    pub untimed: u64,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub names: BTreeMap<String, u64>,
    pub checks: BTreeMap<CheckKind, Check>,
}

/// Event names kept apart in the legend and filters; beyond, counted as "other".
pub const MAX_NAMES: usize = 24;

impl Events {
    pub fn add(&mut self, r: &Reported) {
        let e = &r.event;
        self.total += 1;
        match e.time {
            Some(t) => {
                self.from = Some(self.from.map_or(t, |f| f.min(t)));
                self.to = Some(self.to.map_or(t, |x| x.max(t)));
            }
            None => self.untimed += 1,
        }
        if self.names.len() < MAX_NAMES || self.names.contains_key(e.name.as_str()) {
            *self.names.entry(e.name.to_string()).or_default() += 1;
        } else {
            *self.names.entry(String::new()).or_default() += 1;
        }
        if self.first.len() < MAX_EVENTS {
            self.first.push(EventRow {
                time: e.time,
                name: e.name.to_string(),
                account: e.account.to_string(),
                actor: e.actor.name.to_string(),
                target: e.target.to_string(),
                source_ip: e.source_ip.to_string(),
                detail: crate::event::describe::detail(e),
                error_code: e.error_code.to_string(),
            });
        }
        if !e.failed() {
            self.check(r);
        }
    }

    fn check(&mut self, r: &Reported) {
        let e = &r.event;
        let iam = e.source.as_str() == "iam.amazonaws.com";
        let (account, actor) = (e.account.as_str(), e.actor.name.as_str());
        let mut hit = |kind: CheckKind, user: &str| {
            self.checks.entry(kind).or_default().add(account, user);
        };
        let name = e.name.as_str();
        let enrols = iam && matches!(name, "EnableMFADevice" | "CreateVirtualMFADevice");
        if iam && name == "ChangePassword" && e.actor.mfa == Some(false) {
            hit(CheckKind::PasswordWithoutMfa, actor);
        }
        if enrols && e.actor.mfa == Some(false) {
            hit(CheckKind::MfaEnrolledWithoutMfa, actor);
        }
        if enrols && e.actor.temporary_keys() && !e.actor.console {
            hit(CheckKind::MfaWithTemporaryKeys, actor);
        }
        if iam && name == "UpdateAccessKey" && e.key_status.eq_ignore_ascii_case("active") {
            let target = if e.target.is_empty() {
                actor
            } else {
                e.target.as_str()
            };
            hit(CheckKind::KeyActivated, target);
        }
        if e.actor.root && (iam || name == "PasswordUpdated") {
            hit(CheckKind::RootCredentialChange, actor);
        }
        if iam && name == "ResyncMFADevice" {
            let target = if e.target.is_empty() {
                actor
            } else {
                e.target.as_str()
            };
            hit(CheckKind::MfaResync, target);
        }
    }
}

/// An input not read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    pub path: String,
    pub status: &'static str,
    pub reason: String,
}

/// The inputs not read completely (in path order, as they are met).
#[derive(Default)]
pub struct Inputs {
    pub incomplete: Vec<Incomplete>,
    pub more: u64,
}

impl Inputs {
    pub fn add(&mut self, path: &str, status: &'static str, reason: &str) {
        if self.incomplete.len() < MAX_INCOMPLETE {
            self.incomplete.push(Incomplete {
                path: path.to_owned(),
                status,
                reason: reason.to_owned(),
            });
        } else {
            self.more += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::timeline::Watcher as _;
    use chrono::TimeZone as _;

    fn entry(seq: u64) -> Entry {
        Entry {
            account: "111122223333".into(),
            user: "busy".into(),
            seq,
            time: chrono::Utc
                .timestamp_opt(1_772_000_000 + seq as i64, 0)
                .single(),
            name: "UpdateAccessKey".into(),
            role: Role::Actor,
            counterpart: "".into(),
            source_ip: "".into(),
            detail: "".into(),
            error_code: "".into(),
            event_id: "".into(),
        }
    }

    /// A lane of `events` events, of which `kept` (every n-th) belong to listed findings.
    fn lane(events: u64, keep: &BTreeSet<u64>) -> Lane {
        let mut lanes = Lanes::new(&[], keep.clone());
        for seq in 0..events {
            lanes.entry(&entry(seq));
        }
        lanes.finish();
        lanes.lanes().remove(0)
    }

    #[test]
    fn a_busy_lane_is_an_even_sample_that_keeps_the_findings_events() {
        let keep: BTreeSet<u64> = (0..100_000).step_by(97).collect();
        let l = lane(100_000, &keep);
        assert_eq!(l.events, 100_000);
        let (kept, sampled): (Vec<&Mark>, Vec<&Mark>) =
            l.marks.iter().partition(|m| keep.contains(&m.seq));
        assert_eq!(
            kept.len(),
            keep.len(),
            "every listed finding's event is drawn"
        );
        assert!((200..=400).contains(&sampled.len()), "{}", sampled.len());
        // Evenly spread: every stride-th event that is not a kept one, and no other.
        let stride = sampled[1].ordinal - sampled[0].ordinal;
        let expected: Vec<u64> = (0..100_000)
            .step_by(stride as usize)
            .filter(|o| !keep.contains(o))
            .collect();
        let got: Vec<u64> = sampled.iter().map(|m| m.ordinal).collect();
        assert_eq!(got, expected);
        assert!(
            l.marks.windows(2).all(|w| w[0].seq < w[1].seq),
            "in time order"
        );
    }

    #[test]
    fn a_lane_of_only_findings_events_is_drawn_whole() {
        // More kept events than the cap: the stride never runs away, nothing is dropped.
        let keep: BTreeSet<u64> = (0..5_000).collect();
        let l = lane(5_000, &keep);
        assert_eq!(l.marks.len(), 5_000);
        let l = lane(399, &BTreeSet::new());
        assert_eq!(l.marks.len(), 399);
    }
}
