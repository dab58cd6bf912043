//! The log pass: the log files found meet the digests' listings, then the hours the digests
//! cover.
//!
//! By key (from `AWSLogs/` on): a listed file found is `valid` when its content hashes as an
//! intact digest says (`modified` when not, or when it cannot be read whole, or bytes follow
//! its first gzip member), `unverifiable` when only digests that failed their own check list
//! it; a listed file not found is `missing`. A file no digest lists is placed among the hours
//! the digests of its account and region cover (by the delivery time in its name): in an hour
//! an intact digest covers it was slipped in (`unlisted`); in an hour only a failed digest
//! covers, or inside the chain where no digest covers (a lost digest, logging or validation
//! off), nothing vouches for it (`unverifiable`); before the first digest or after the newest
//! it is `not-covered` (normal for the last hour of a download). An account and region with
//! log files and no digest at all is a `no digests` gap. Each join holds one key, or one
//! account and region's open hours, at a time.

use std::cmp::Ordering;
use std::collections::VecDeque;

use super::chain::{Chains, Interval, Listing};
use super::names::LogName;
use super::{FoundLog, Gap, GapReason, Kind, Row, Status, Unhashed};
use crate::error::Error;
use crate::event::time::{self, Timestamp};
use crate::report::digest::hex;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};

/// A log file on its way through the sort by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogItem {
    key: String,
    path: String,
    org: String,
    account: String,
    region: String,
    delivered: Timestamp,
    /// Hex SHA-256, or why the content could not be read whole.
    sha256: Result<String, Unhashed>,
    more_than_one_member: bool,
}

impl From<FoundLog> for LogItem {
    fn from(f: FoundLog) -> LogItem {
        let LogName {
            org,
            account,
            region,
            delivered,
        } = f.name;
        LogItem {
            key: f.key,
            path: f.path,
            org,
            account,
            region,
            delivered,
            sha256: f.sha256.map(|h| hex(&h)),
            more_than_one_member: f.more_than_one_member,
        }
    }
}

pub fn log_order(a: &LogItem, b: &LogItem) -> Ordering {
    (&a.key, &a.path).cmp(&(&b.key, &b.path))
}

impl Spill for LogItem {
    fn weight(&self) -> usize {
        self.key.capacity() + self.path.capacity() + 160
    }
    fn encode(&self, out: &mut Encoder) {
        for s in [
            &self.key,
            &self.path,
            &self.org,
            &self.account,
            &self.region,
        ] {
            out.str(s);
        }
        out.time(Some(self.delivered));
        let (tag, text) = match &self.sha256 {
            Ok(h) => (0, h),
            Err(Unhashed::Damaged(why)) => (1, why),
            Err(Unhashed::Unread(why)) => (2, why),
        };
        out.u64(tag);
        out.str(text);
        out.bool(self.more_than_one_member);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(LogItem {
            key: d.string()?,
            path: d.string()?,
            org: d.string()?,
            account: d.string()?,
            region: d.string()?,
            delivered: d.time()??,
            sha256: match (d.u64()?, d.string()?) {
                (0, h) => Ok(h),
                (1, why) => Err(Unhashed::Damaged(why)),
                (2, why) => Err(Unhashed::Unread(why)),
                _ => return None,
            },
            more_than_one_member: d.bool()?,
        })
    }
}

/// A log file no digest lists, placed by its delivery time.
fn unlisted_order(a: &LogItem, b: &LogItem) -> Ordering {
    (&a.org, &a.account, &a.region, a.delivered, &a.path).cmp(&(
        &b.org,
        &b.account,
        &b.region,
        b.delivered,
        &b.path,
    ))
}

fn account_of(org: &str, account: &str) -> String {
    format!("{org}{account}")
}

fn log_row(item: &LogItem, status: Status, digest: &str, trail: &str, detail: String) -> Row {
    Row {
        path: item.path.clone(),
        kind: Kind::Log,
        account: account_of(&item.org, &item.account),
        region: item.region.clone(),
        trail: trail.to_owned(),
        status,
        digest: digest.to_owned(),
        detail,
    }
}

/// Judges every log file; returns nothing, the rows and gaps go to their sorts.
pub fn pass(
    mut found: Merged<LogItem>,
    chains: Chains,
    dir: &SpillDir,
    rows: &mut Sorter<'_, Row>,
    gaps: &mut Sorter<'_, Gap>,
) -> Result<(), Error> {
    let Chains {
        mut listings,
        intervals,
    } = chains;
    let mut unlisted = Sorter::new(dir, unlisted_order);
    let mut next_found = found.pop()?;
    let mut next_listing = listings.pop()?;
    loop {
        // The smallest key either side has next.
        let key = match (&next_found, &next_listing) {
            (None, None) => break,
            (Some(f), None) => f.key.clone(),
            (None, Some(l)) => l.key.clone(),
            (Some(f), Some(l)) => f.key.clone().min(l.key.clone()),
        };
        // The listings of this key: the first intact one (and whether any hash matches is
        // decided per file), else the first.
        let mut listed: Vec<Listing> = Vec::new();
        while next_listing.as_ref().is_some_and(|l| l.key == key) {
            let l = next_listing.take().expect("checked");
            // A few digests at most list one file; more are the same listing again.
            if listed.len() < 16 {
                listed.push(l);
            }
            next_listing = listings.pop()?;
        }
        let mut any_found = false;
        while next_found.as_ref().is_some_and(|f| f.key == key) {
            let f = next_found.take().expect("checked");
            any_found = true;
            judge_found(&f, &listed, rows, &mut unlisted)?;
            next_found = found.pop()?;
        }
        if !any_found && let Some(l) = listed.first() {
            let detail = if l.digest_status.intact() {
                "listed by the digest, not in the archive".to_owned()
            } else {
                format!(
                    "listed by the digest (which is {}), not in the archive",
                    l.digest_status.as_str()
                )
            };
            rows.push(Row {
                path: format!("{}{key}", l.prefix),
                kind: Kind::Log,
                account: l.account.clone(),
                region: l.region.clone(),
                trail: l.trail.clone(),
                status: Status::Missing,
                digest: l.digest.clone(),
                detail,
            })?;
        }
    }
    place(unlisted.finish()?, intervals, rows, gaps)
}

fn judge_found(
    f: &LogItem,
    listed: &[Listing],
    rows: &mut Sorter<'_, Row>,
    unlisted: &mut Sorter<'_, LogItem>,
) -> Result<(), Error> {
    let intact: Vec<&Listing> = listed.iter().filter(|l| l.digest_status.intact()).collect();
    let sha = match &f.sha256 {
        Err(unhashed) => {
            let (digest, trail) = listed
                .first()
                .map_or(("", ""), |l| (l.digest.as_str(), l.trail.as_str()));
            let (status, detail) = match unhashed {
                Unhashed::Damaged(why) => {
                    (Status::Modified, format!("cannot be read whole: {why}"))
                }
                Unhashed::Unread(why) => (
                    Status::Unreadable,
                    format!("this copy cannot be read ({why}): its content is not checked"),
                ),
            };
            return rows.push(log_row(f, status, digest, trail, detail));
        }
        Ok(sha) => sha,
    };
    if let Some(first) = intact.first() {
        if f.more_than_one_member {
            return rows.push(log_row(
                f,
                Status::Modified,
                &first.digest,
                &first.trail,
                "bytes follow the first gzip member (CloudTrail writes one)".into(),
            ));
        }
        if let Some(l) = intact.iter().find(|l| l.hash == *sha) {
            return rows.push(log_row(
                f,
                Status::Valid,
                &l.digest,
                &l.trail,
                String::new(),
            ));
        }
        return rows.push(log_row(
            f,
            Status::Modified,
            &first.digest,
            &first.trail,
            format!("its SHA-256 is {sha}; the digest lists {}", first.hash),
        ));
    }
    if let Some(l) = listed.first() {
        return rows.push(log_row(
            f,
            Status::Unverifiable,
            &l.digest,
            &l.trail,
            format!(
                "listed only by the digest, which is {}",
                l.digest_status.as_str()
            ),
        ));
    }
    unlisted.push(f.clone())
}

/// Tolerance around a digest's hour: log file names give the delivery time to the minute.
fn slack() -> chrono::Duration {
    chrono::Duration::minutes(1)
}

/// Places the log files no digest lists among the hours the digests cover.
fn place(
    mut files: Merged<LogItem>,
    mut intervals: Merged<Interval>,
    rows: &mut Sorter<'_, Row>,
    gaps: &mut Sorter<'_, Gap>,
) -> Result<(), Error> {
    let mut next_interval = intervals.pop()?;
    let same_group = |i: &Interval, f: &LogItem| {
        (i.org.as_str(), i.account.as_str(), i.region.as_str())
            == (f.org.as_str(), f.account.as_str(), f.region.as_str())
    };
    let before_group = |i: &Interval, f: &LogItem| {
        (i.org.as_str(), i.account.as_str(), i.region.as_str())
            < (f.org.as_str(), f.account.as_str(), f.region.as_str())
    };
    // The current account and region: its first digest's start, the latest end seen, the
    // hours open at the current time, and (with no digest at all) the delivery times seen.
    let mut group: Option<(String, String, String)> = None;
    let mut first_start: Option<Timestamp> = None;
    let mut latest_end: Option<Timestamp> = None;
    let mut open: VecDeque<Interval> = VecDeque::new();
    let mut undigested: Option<(Timestamp, Timestamp)> = None;
    let close_group = |group: &Option<(String, String, String)>,
                       undigested: &mut Option<(Timestamp, Timestamp)>,
                       gaps: &mut Sorter<'_, Gap>|
     -> Result<(), Error> {
        if let (Some((org, account, region)), Some((from, to))) = (group, undigested.take()) {
            gaps.push(Gap {
                account: account_of(org, account),
                region: region.clone(),
                trail: String::new(),
                from: Some(from),
                to: Some(to),
                reason: GapReason::NoDigests,
            })?;
        }
        Ok(())
    };
    while let Some(f) = files.pop()? {
        let key = (f.org.clone(), f.account.clone(), f.region.clone());
        if group.as_ref() != Some(&key) {
            close_group(&group, &mut undigested, gaps)?;
            group = Some(key);
            first_start = None;
            latest_end = None;
            open.clear();
            // Skip the hours of accounts and regions without such files.
            while next_interval.as_ref().is_some_and(|i| before_group(i, &f)) {
                next_interval = intervals.pop()?;
            }
        }
        let t = f.delivered;
        while let Some(i) = next_interval.take_if(|i| same_group(i, &f) && i.start - slack() <= t) {
            first_start.get_or_insert(i.start);
            latest_end = Some(latest_end.map_or(i.end, |e| e.max(i.end)));
            open.push_back(i);
            next_interval = intervals.pop()?;
        }
        open.retain(|i| i.end + slack() >= t);
        let more = next_interval.as_ref().is_some_and(|i| same_group(i, &f));
        // The trail, when the hours open at this time are all one trail's.
        let trail = match open.front() {
            Some(i) if open.iter().all(|j| j.trail == i.trail) => i.trail.as_str(),
            _ => "",
        };
        let row = if let Some(i) = open.iter().find(|i| i.status.intact()) {
            log_row(
                &f,
                Status::Unlisted,
                &i.digest,
                trail,
                format!(
                    "delivered {} in the hour the digest covers, which does not list it",
                    time::format(&t)
                ),
            )
        } else if let Some(i) = open.front() {
            log_row(
                &f,
                Status::Unverifiable,
                &i.digest,
                trail,
                format!(
                    "delivered {} in the hour of the digest, which is {}",
                    time::format(&t),
                    i.status.as_str()
                ),
            )
        } else if first_start.is_none() && !more {
            undigested = Some(undigested.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
            log_row(
                &f,
                Status::NotCovered,
                "",
                "",
                "no digest in this account and region (log file validation off?)".into(),
            )
        } else if first_start.is_none() || first_start.is_some_and(|s| t < s - slack()) {
            log_row(
                &f,
                Status::NotCovered,
                "",
                "",
                format!("delivered {} before the first digest", time::format(&t)),
            )
        } else if !more && latest_end.is_some_and(|e| t > e + slack()) {
            log_row(
                &f,
                Status::NotCovered,
                "",
                "",
                format!("delivered {} after the newest digest", time::format(&t)),
            )
        } else {
            log_row(
                &f,
                Status::Unverifiable,
                "",
                "",
                format!(
                    "delivered {}, when no digest vouches for it (a digest is lost, or logging or validation was off)",
                    time::format(&t)
                ),
            )
        };
        rows.push(row)?;
    }
    close_group(&group, &mut undigested, gaps)
}
