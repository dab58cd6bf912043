//! findings.csv: what the built-in rules flag, one row per rule and event, sorted by time,
//! with the ATT&CK techniques and the ready-to-copy commands of each.

use std::cmp::Ordering;
use std::thread::JoinHandle;

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

/// Findings handed to the writing thread at a time.
const WRITE_BATCH: usize = 256;

/// What the writing thread leaves: the report's name and digest.
type Written = Result<Option<(String, FileDigest)>, Error>;

/// findings.csv, its rows still being written on a thread of their own (see [`write`]).
/// Dropped unfinished (the caller stopped on an error), it still waits for the thread.
pub struct Writing {
    thread: Option<JoinHandle<Written>>,
}

impl Writing {
    /// Waits for the last row: the report's name and digest.
    pub fn finish(mut self) -> Written {
        self.join()
    }

    fn join(&mut self) -> Written {
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => Ok(None),
        }
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = self.join();
        }
    }
}

/// Writes the findings (sorted; a rule's repeated finding on one event skipped) and counts
/// them. The rows are formatted and written on a thread of their own (the commands of each
/// make them the dearest part): the counts are whole once the findings have gone by, and the
/// caller goes on with them while the last rows are written.
pub fn write<'d>(
    mut t: Table,
    findings: Merged<Finding>,
    dir: &'d SpillDir,
    watcher: &mut dyn Watcher,
) -> Result<(Tally<'d>, Writing), Error> {
    let (to_writer, batches) = std::sync::mpsc::sync_channel::<Vec<Finding>>(4);
    let thread = std::thread::Builder::new()
        .name("findings.csv".to_owned())
        .spawn(move || {
            let mitre = RULES.map(|r| techniques(r.mitre()));
            for batch in batches {
                for f in &batch {
                    row(&mut t, f, &mitre[f.rank()])?;
                }
            }
            t.close()
        })
        .map_err(|e| Error::Threads(e.to_string()))?;
    let writing = Writing {
        thread: Some(thread),
    };
    // The sender goes with the feed, whatever its outcome, so that the writer always ends.
    let tally = feed(findings, dir, watcher, to_writer)?;
    Ok((tally, writing))
}

/// Counts the findings and hands them to the writer, in order.
fn feed<'d>(
    mut findings: Merged<Finding>,
    dir: &'d SpillDir,
    watcher: &mut dyn Watcher,
    to_writer: std::sync::mpsc::SyncSender<Vec<Finding>>,
) -> Result<Tally<'d>, Error> {
    let mut tally = Tally::new(dir);
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    // A finding goes to the writer once the next one is known not to repeat it.
    let mut previous: Option<Finding> = None;
    let send = |f: Finding, batch: &mut Vec<Finding>| {
        batch.push(f);
        // A writer that stopped on an error says which when it is finished.
        batch.len() < WRITE_BATCH
            || to_writer
                .send(std::mem::replace(batch, Vec::with_capacity(WRITE_BATCH)))
                .is_ok()
    };
    while let Some(f) = findings.pop()? {
        if previous.as_ref().is_some_and(|p| repeats(p, &f)) {
            continue;
        }
        let e = f.event();
        tally.per_rule[f.rank()] += 1;
        tally.users.push(Flag {
            account: e.account.to_string(),
            user: f.user.clone(),
            severity: f.severity(),
        })?;
        watcher.finding(&f)?;
        if let Some(p) = previous.replace(f)
            && !send(p, &mut batch)
        {
            break;
        }
    }
    if let Some(p) = previous {
        send(p, &mut batch);
    }
    if !batch.is_empty() {
        let _ = to_writer.send(batch);
    }
    Ok(tally)
}

/// One finding's row; `mitre` is its rule's techniques, spelled out.
fn row(t: &mut Table, f: &Finding, mitre: &str) -> Result<(), Error> {
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
        .text(mitre)
        .text(&f.response.one_line())
        .finish()
}
