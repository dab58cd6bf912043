//! Findings: built-in detections for credential and MFA tampering, over the archive.
//!
//! Each rule ([`Rule`]) has an id, a severity, the ATT&CK techniques it maps to, a scope, and
//! a watcher ([`Watch`]) that is shown one group of events in time order: one actor's calls,
//! the calls about one user, or the calls on one access key. Watchers keep bounded state
//! (the last few events of a window, never a whole history), so findings are computed over
//! any archive in bounded memory:
//!
//! 1. every reported event goes into a sort by (account, actor, source address) ([`history`]),
//!    which tells for each credential call whether its address is new for the actor and
//!    summarises each actor (the addresses used first) without holding its history;
//! 2. the credential calls, sorted by actor and time, meet the actor rules; each call is then
//!    sorted by subject and by access key for the other rules;
//! 3. a finding about a sequence (a takeover chain, a burst of failures) belongs to a
//!    [`story`]: the story's summary (how many events, over how long, which were confirmed)
//!    is known only when the sequence ends, so stories and their findings are joined in one
//!    more sort, and the findings sorted by event for the reports.
//!
//! Each finding carries ready-to-copy commands ([`response`]) built from the event's values.
//! Adding a rule is a new module in `rules/` and a line in [`RULES`]; `docs/findings.md`
//! documents each one.

mod cited;
pub mod history;
pub mod response;
mod rules;
pub mod story;

use std::cmp::Ordering;
use std::sync::Arc;

use crate::aggregate::Reported;
use crate::error::Error;
use crate::event::Event;
use crate::event::time::Timestamp;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};
pub use cited::Cited;
pub use history::{ActorSummary, Calls, Member};
pub use response::{Command, Response};
pub use story::Story;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    pub const ALL: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];
}

/// An ATT&CK technique (or sub-technique).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Technique {
    pub id: &'static str,
    pub name: &'static str,
}

/// `T1098.005 Device Registration; T1556.006 Multi-Factor Authentication`.
pub fn techniques(list: &[Technique]) -> String {
    list.iter()
        .map(|t| format!("{} {}", t.id, t.name))
        .collect::<Vec<_>>()
        .join("; ")
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
    /// The event it is about.
    pub event: Cited,
    /// Position of the rule in [`RULES`].
    rank: u8,
    /// The user the finding is about (whose credentials, or who acted).
    pub user: String,
    pub explanation: String,
    pub response: Response,
    /// The sequence the finding belongs to, if any.
    pub story: Option<u64>,
    /// Kept only if its story confirms it (see [`Story::confirm_from`]).
    tentative: bool,
    /// Position of the event in its story, from 1.
    pub position: u32,
    /// Order of emission (ties of one rule on one event keep the first).
    emitted: u64,
}

impl Finding {
    pub fn event(&self) -> &Cited {
        &self.event
    }

    pub fn rule(&self) -> &'static dyn Rule {
        RULES[self.rank()]
    }

    /// The position of its rule in [`RULES`].
    pub fn rank(&self) -> usize {
        usize::from(self.rank)
    }

    pub fn severity(&self) -> Severity {
        self.rule().severity()
    }
}

impl Spill for Finding {
    fn weight(&self) -> usize {
        self.event.weight()
            + self.user.capacity()
            + self.explanation.capacity()
            + self
                .response
                .commands
                .iter()
                .map(|c| c.0.iter().map(|w| w.capacity() + 24).sum::<usize>())
                .sum::<usize>()
    }

    fn encode(&self, out: &mut Encoder) {
        self.event.encode(out);
        out.u64(u64::from(self.rank));
        out.str(&self.user);
        out.str(&self.explanation);
        encode_response(&self.response, out);
        out.u64(self.story.map_or(0, |s| s + 1));
        out.bool(self.tentative);
        out.u64(u64::from(self.position));
        out.u64(self.emitted);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Finding> {
        let event = Cited::decode(d)?;
        let rank = u8::try_from(d.u64()?).ok()?;
        RULES.get(usize::from(rank))?;
        Some(Finding {
            event,
            rank,
            user: d.string()?,
            explanation: d.string()?,
            response: decode_response(d)?,
            story: d.u64()?.checked_sub(1),
            tentative: d.bool()?,
            position: d.u32()?,
            emitted: d.u64()?,
        })
    }
}

pub(crate) fn encode_response(r: &Response, out: &mut Encoder) {
    out.str(&r.account);
    out.u64(r.commands.len() as u64);
    for c in &r.commands {
        out.u64(c.0.len() as u64);
        for w in &c.0 {
            out.str(w);
        }
    }
}

pub(crate) fn decode_response(d: &mut Decoder<'_>) -> Option<Response> {
    let account = d.string()?;
    let n = d.u64()?;
    let mut commands = Vec::new();
    for _ in 0..n {
        let words = d.u64()?;
        let mut argv = Vec::new();
        for _ in 0..words {
            argv.push(d.string()?);
        }
        commands.push(Command(argv));
    }
    Some(Response { account, commands })
}

/// Findings order: event (report order), rule, then the order the rules found them in.
fn finding_order(a: &Finding, b: &Finding) -> Ordering {
    (a.event.seq, a.rank, a.emitted).cmp(&(b.event.seq, b.rank, b.emitted))
}

/// Which events a rule looks at together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One actor's credential calls (account, actor), in time order.
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
    /// The ATT&CK techniques the rule maps to.
    fn mitre(&self) -> &'static [Technique];
    fn scope(&self) -> Scope {
        Scope::Actor
    }
    /// For subject and key scopes: whether the rule needs this event in its groups.
    fn wants(&self, _e: &Event) -> bool {
        true
    }
    /// A fresh watcher for one group.
    fn watch(&self, settings: Settings) -> Box<dyn Watch>;
    /// The explanation of one finding of a story, once the story is complete.
    fn explain(&self, _finding: &Finding, story: &Story) -> String {
        story.text.clone()
    }
}

/// What a rule's watcher is shown of one event of its group.
pub struct Call<'a> {
    pub reported: &'a Arc<Reported>,
    /// Benign self-service: the actor's own credentials, from an MFA session and an address
    /// the actor was seen at before (root never is).
    pub benign: bool,
    /// In the actor scope, for a call from an address the actor had not used before (and not
    /// its first call): the first addresses it used before, at most three.
    pub new_address: Option<&'a [String]>,
}

impl Call<'_> {
    pub fn event(&self) -> &Event {
        &self.reported.event
    }
}

/// Watches one group's events, in time order.
pub trait Watch {
    fn see(&mut self, call: &Call<'_>, out: &mut Out);
    /// The group ended: close what is open.
    fn end(&mut self, _out: &mut Out) {}
}

/// Where a watcher puts its findings and stories (emptied by the engine after each call).
pub struct Out {
    rank: u8,
    next_story: u64,
    emitted: u64,
    findings: Vec<Finding>,
    stories: Vec<Story>,
}

impl Out {
    /// A finding on one event.
    pub fn flag(
        &mut self,
        reported: &Arc<Reported>,
        user: &str,
        explanation: String,
        response: Response,
    ) {
        self.push(reported, user, explanation, response, None, false, 0);
    }

    /// A new story's id (its findings are joined with it once it is closed).
    pub fn open_story(&mut self) -> u64 {
        self.next_story += 1;
        self.next_story - 1
    }

    /// A finding on one event of a story; `tentative` ones are kept only if the story
    /// confirms their time.
    pub fn flag_in_story(
        &mut self,
        reported: &Arc<Reported>,
        user: &str,
        story: u64,
        position: u32,
        tentative: bool,
        response: Response,
    ) {
        self.push(
            reported,
            user,
            String::new(),
            response,
            Some(story),
            tentative,
            position,
        );
    }

    /// A story is complete.
    pub fn close_story(&mut self, story: Story) {
        self.stories.push(story);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        reported: &Arc<Reported>,
        user: &str,
        explanation: String,
        response: Response,
        story: Option<u64>,
        tentative: bool,
        position: u32,
    ) {
        self.emitted += 1;
        self.findings.push(Finding {
            event: Cited::of(reported),
            rank: self.rank,
            user: user.to_owned(),
            explanation,
            response,
            story,
            tentative,
            position,
            emitted: self.emitted,
        });
    }
}

/// Every rule, in the order findings of the same event are listed.
pub const RULES: [&dyn Rule; 8] = [
    &rules::takeover_chain::TakeoverChain,
    &rules::access_key_reactivated::AccessKeyReactivated,
    &rules::root_credential_change::RootCredentialChange,
    &rules::credential_change_for_other_user::CredentialChangeForOtherUser,
    &rules::mfa_enrolled_without_mfa::MfaEnrolledWithoutMfa,
    &rules::failure_burst::FailureBurst,
    &rules::new_source_ip::NewSourceIp,
    &rules::mfa_resync::MfaResync,
];

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

/// The group key of an event in a scope.
fn group_key(scope: Scope, e: &Event) -> (&str, &str) {
    let within = match scope {
        Scope::Actor => e.actor.name.as_str(),
        Scope::Subject => subject(e),
        Scope::AccessKey => e.access_key_id.as_str(),
    };
    (e.account.as_str(), within)
}

fn by(scope: Scope, a: &Member, b: &Member) -> Ordering {
    (group_key(scope, &a.reported.event), a.reported.seq)
        .cmp(&(group_key(scope, &b.reported.event), b.reported.seq))
}
fn by_subject(a: &Member, b: &Member) -> Ordering {
    by(Scope::Subject, a, b)
}
fn by_key(a: &Member, b: &Member) -> Ordering {
    by(Scope::AccessKey, a, b)
}

/// Whether some rule of `scope` needs `e` in its groups.
fn wanted(scope: Scope, e: &Event) -> bool {
    RULES.iter().any(|r| r.scope() == scope && r.wants(e))
}

/// The watchers of one group, and where their findings go.
struct Group<'o, 'd> {
    watchers: Vec<(u8, Box<dyn Watch>)>,
    output: &'o mut Output<'d>,
}

impl<'o, 'd> Group<'o, 'd> {
    fn start(scope: Scope, settings: Settings, output: &'o mut Output<'d>) -> Group<'o, 'd> {
        let watchers = RULES
            .iter()
            .enumerate()
            .filter(|(_, r)| r.scope() == scope)
            .map(|(i, r)| (i as u8, r.watch(settings)))
            .collect();
        Group { watchers, output }
    }

    fn see(&mut self, call: &Call<'_>) -> Result<(), Error> {
        for (rank, w) in &mut self.watchers {
            let e = call.event();
            if RULES[usize::from(*rank)].wants(e) {
                let mut out = self.output.out(*rank);
                w.see(call, &mut out);
                self.output.take(out)?;
            }
        }
        Ok(())
    }

    fn end(mut self) -> Result<(), Error> {
        for (rank, w) in &mut self.watchers {
            let mut out = self.output.out(*rank);
            w.end(&mut out);
            self.output.take(out)?;
        }
        Ok(())
    }
}

/// The sorts findings and stories go to.
struct Output<'d> {
    next_story: u64,
    emitted: u64,
    /// Findings that stand on their own, in findings order.
    plain: Sorter<'d, Finding>,
    /// Findings of stories, by story.
    storied: Sorter<'d, Finding>,
    stories: Sorter<'d, Story>,
}

impl Output<'_> {
    fn out(&self, rank: u8) -> Out {
        Out {
            rank,
            next_story: self.next_story,
            emitted: self.emitted,
            findings: Vec::new(),
            stories: Vec::new(),
        }
    }

    fn take(&mut self, out: Out) -> Result<(), Error> {
        self.next_story = out.next_story;
        self.emitted = out.emitted;
        for f in out.findings {
            if f.story.is_some() {
                self.storied.push(f)?;
            } else {
                self.plain.push(f)?;
            }
        }
        for s in out.stories {
            self.stories.push(s)?;
        }
        Ok(())
    }
}

/// Runs the rules over the credential calls (`members`, by actor and time, with whether each
/// call's address is new for its actor) and the actors' summaries (same order); gives the
/// findings sorted by event, then rule.
pub fn run(
    mut members: Merged<Member>,
    mut actors: Merged<ActorSummary>,
    settings: Settings,
    dir: &SpillDir,
) -> Result<Merged<Finding>, Error> {
    let mut output = Output {
        next_story: 0,
        emitted: 0,
        plain: Sorter::new(dir, finding_order),
        storied: Sorter::new(dir, story::member_order),
        stories: Sorter::new(dir, story::order),
    };
    let mut subjects = Sorter::new(dir, by_subject);
    let mut keys = Sorter::new(dir, by_key);

    // The actor scope, with the actors' summaries joined in.
    let mut summary: Option<ActorSummary> = actors.pop()?;
    let mut next = members.pop()?;
    while let Some(first) = next.take() {
        let key = (
            first.reported.event.account.clone(),
            first.reported.event.actor.name.clone(),
        );
        while summary.as_ref().is_some_and(|s| {
            (s.account.as_str(), s.actor.as_str()) < (key.0.as_str(), key.1.as_str())
        }) {
            summary = actors.pop()?;
        }
        let this = summary
            .as_ref()
            .filter(|s| s.account == key.0 && s.actor == key.1);
        let mut group = Group::start(Scope::Actor, settings, &mut output);
        let mut member = Some(first);
        while let Some(m) = member {
            let e = &m.reported.event;
            let address = is_address(&e.source_ip);
            let known = address && !m.flag;
            let own = e.target.is_empty() || e.target == e.actor.name;
            let benign = own && !e.actor.root && e.actor.mfa == Some(true) && known;
            let earlier: Option<Vec<String>> = this.and_then(|s| {
                (address && m.flag && m.reported.seq != s.first_seq)
                    .then(|| s.addresses_before(m.reported.seq))
            });
            group.see(&Call {
                reported: &m.reported,
                benign,
                new_address: earlier.as_deref(),
            })?;
            if wanted(Scope::Subject, e) {
                subjects.push(Member {
                    reported: Arc::clone(&m.reported),
                    flag: benign,
                })?;
            }
            if wanted(Scope::AccessKey, e) {
                keys.push(Member {
                    reported: Arc::clone(&m.reported),
                    flag: benign,
                })?;
            }
            next = members.pop()?;
            member = next.take_if(|n| {
                n.reported.event.account == key.0 && n.reported.event.actor.name == key.1
            });
        }
        group.end()?;
    }

    for (scope, sorter) in [(Scope::Subject, subjects), (Scope::AccessKey, keys)] {
        let mut members = sorter.finish()?;
        let mut next = members.pop()?;
        while let Some(first) = next.take() {
            let key = {
                let (a, w) = group_key(scope, &first.reported.event);
                (a.to_owned(), w.to_owned())
            };
            let mut group = Group::start(scope, settings, &mut output);
            let mut member = Some(first);
            while let Some(m) = member {
                group.see(&Call {
                    reported: &m.reported,
                    benign: m.flag,
                    new_address: None,
                })?;
                next = members.pop()?;
                member = next.take_if(|n| {
                    let (a, w) = group_key(scope, &n.reported.event);
                    a == key.0 && w == key.1
                });
            }
            group.end()?;
        }
    }

    let Output {
        mut plain,
        storied,
        stories,
        ..
    } = output;
    story::join(storied.finish()?, stories.finish()?, &mut plain)?;
    plain.finish()
}

/// A short clock time for explanations: `03:04:55Z`, or the full time across days.
pub(crate) fn clock(t: Option<Timestamp>, day_of: Option<Timestamp>) -> String {
    match (t, day_of) {
        (Some(t), Some(d)) if t.date_naive() == d.date_naive() => t.format("%H:%M:%SZ").to_string(),
        (Some(t), _) => crate::event::time::format(&t),
        (None, _) => "(time unknown)".to_owned(),
    }
}

/// Whether two findings in findings order are the same rule on the same event (the second
/// is not reported).
pub fn repeats(previous: &Finding, f: &Finding) -> bool {
    previous.rank == f.rank && previous.event.seq == f.event.seq
}
