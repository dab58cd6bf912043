//! findings.csv: what the built-in rules flag, one row per rule and event, sorted by time,
//! with the ATT&CK techniques and the ready-to-copy commands of each.

use std::cmp::Ordering;

use super::digest::FileDigest;
use super::table::Table;
use crate::error::Error;
use crate::findings::{Finding, RULES, Severity, repeats, techniques};
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};

pub const NAME: &str = "findings.csv";

pub const HEADER: [&str; 12] = [
    "event_time",
    "rule",
    "severity",
    "account",
    "user",
    "actor",
    "event_name",
    "event_id",
    "source_ip",
    "explanation",
    "mitre",
    "response",
];

/// Who else sees the findings as they are written (the summary's top users, the HTML
/// report, the Timesketch tags).
pub trait Watcher {
    fn finding(&mut self, f: &Finding) -> Result<(), Error>;
}

/// Findings per rule, and the flagged users (through a sort: there may be many).
pub struct Tally<'d> {
    pub per_rule: [usize; RULES.len()],
    users: Sorter<'d, Flag>,
}

/// One finding about one user.
struct Flag {
    account: String,
    user: String,
    severity: Severity,
}

impl Spill for Flag {
    fn weight(&self) -> usize {
        self.account.capacity() + self.user.capacity()
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.account);
        out.str(&self.user);
        out.u64(self.severity as u64);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Flag {
            account: d.string()?,
            user: d.string()?,
            severity: *Severity::ALL.get(d.u64()? as usize)?,
        })
    }
}

fn flag_order(a: &Flag, b: &Flag) -> Ordering {
    (&a.account, &a.user, a.severity).cmp(&(&b.account, &b.user, b.severity))
}

/// A flagged user: (account, user), findings, worst severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    pub account: String,
    pub user: String,
    pub findings: usize,
    pub worst: Severity,
}

impl<'d> Tally<'d> {
    pub fn new(dir: &'d SpillDir) -> Tally<'d> {
        Tally {
            per_rule: [0; RULES.len()],
            users: Sorter::new(dir, flag_order),
        }
    }

    /// Findings per rule, in [`RULES`] order (rules without findings included).
    pub fn per_rule(&self) -> Vec<(&'static str, Severity, usize)> {
        RULES
            .iter()
            .zip(self.per_rule)
            .map(|(r, n)| (r.id(), r.severity(), n))
            .collect()
    }

    /// The `n` users with the most findings (then the worst, then by account and name).
    pub fn top_users(self, n: usize) -> Result<Vec<Flagged>, Error> {
        let mut flags = self.users.finish()?;
        let mut top: Vec<Flagged> = Vec::new();
        let mut current: Option<Flagged> = None;
        let better = |a: &Flagged, b: &Flagged| {
            b.findings
                .cmp(&a.findings)
                .then(a.worst.cmp(&b.worst))
                .then((&a.account, &a.user).cmp(&(&b.account, &b.user)))
        };
        let keep = |f: Flagged, top: &mut Vec<Flagged>| {
            let at = top.partition_point(|t| better(t, &f) == Ordering::Less);
            if at < n {
                top.insert(at, f);
                top.truncate(n);
            }
        };
        while let Some(flag) = flags.pop()? {
            match current.as_mut() {
                Some(c) if c.account == flag.account && c.user == flag.user => {
                    c.findings += 1;
                    c.worst = c.worst.min(flag.severity);
                }
                _ => {
                    if let Some(done) = current.take() {
                        keep(done, &mut top);
                    }
                    current = Some(Flagged {
                        account: flag.account,
                        user: flag.user,
                        findings: 1,
                        worst: flag.severity,
                    });
                }
            }
        }
        if let Some(done) = current {
            keep(done, &mut top);
        }
        Ok(top)
    }
}

/// Writes the findings (sorted; a rule's repeated finding on one event skipped) and counts
/// them.
pub fn write<'d>(
    mut t: Table,
    mut findings: Merged<Finding>,
    dir: &'d SpillDir,
    watcher: &mut dyn Watcher,
) -> Result<(Tally<'d>, Option<(String, FileDigest)>), Error> {
    let mut tally = Tally::new(dir);
    let mut previous: Option<Finding> = None;
    while let Some(f) = findings.pop()? {
        if previous.as_ref().is_some_and(|p| repeats(p, &f)) {
            continue;
        }
        let e = f.event();
        let rule = f.rule();
        t.row()
            .time(e.time)
            .text(rule.id())
            .text(rule.severity().as_str())
            .text(&e.account)
            .text(&f.user)
            .text(&e.actor)
            .text(&e.name)
            .text(&e.event_id)
            .text(&e.source_ip)
            .text(&f.explanation)
            .text(&techniques(rule.mitre()))
            .text(&f.response.one_line())
            .finish()?;
        let rank = RULES
            .iter()
            .position(|r| r.id() == rule.id())
            .expect("every rule is listed");
        tally.per_rule[rank] += 1;
        tally.users.push(Flag {
            account: e.account.to_string(),
            user: f.user.clone(),
            severity: rule.severity(),
        })?;
        watcher.finding(&f)?;
        previous = Some(f);
    }
    Ok((tally, t.close()?))
}
