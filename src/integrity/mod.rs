//! Integrity: proving offline that a downloaded CloudTrail archive is the one AWS wrote.
//!
//! CloudTrail writes one digest per hour, account, region and trail. Each lists the log files
//! delivered in its hour with the SHA-256 of their content, and names its predecessor with the
//! predecessor's hash and RSA signature: a chain. Offline, every digest but the newest of a
//! chain is authenticated by its successor (the successor carries its signature); the newest
//! only with a signature saved from S3 (`--signatures`). The check, in bounded memory:
//!
//! 1. every file is read once: log files hashed, digests hashed and parsed ([`read`]); both go
//!    into external sorts (logs by key from `AWSLogs/` on, digests by chain and time);
//! 2. each chain is read in time order ([`chain`]): every digest is checked against its
//!    successor's hash and signature; lost digests and restarts of the chain become gaps; every
//!    digest's verdict goes with the log files it lists, and with the hour it covers;
//! 3. the listings meet the log files found, by key ([`logs`]): `valid`, `modified`,
//!    `missing`; a file no digest lists meets the hours the digests cover: `unlisted` in an
//!    hour an intact digest covers, `unverifiable` in one nothing vouches for, `not-covered`
//!    outside the chain.
//!
//! `trailsift verify` and `trailsift scan --verify` share all of it.

pub mod chain;
pub mod digest;
pub mod keys;
pub mod logs;
pub mod names;
pub mod read;

use std::cmp::Ordering;

use crate::error::Error;
use crate::event::time::Timestamp;
use crate::spill::{Decoder, Encoder, Merged, Shared, Spill, SpillDir};
use digest::Doc;
use names::{DigestName, LogName};

/// What a log file or a digest turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    // Log files.
    Valid,
    Modified,
    Missing,
    Unlisted,
    Unverifiable,
    NotCovered,
    // Digests (`valid` and `missing` are shared).
    HashMismatch,
    SignatureInvalid,
    Moved,
    Unreadable,
    Unsigned,
    Unverified,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Modified => "modified",
            Status::Missing => "missing",
            Status::Unlisted => "unlisted",
            Status::Unverifiable => "unverifiable",
            Status::NotCovered => "not-covered",
            Status::HashMismatch => "hash-mismatch",
            Status::SignatureInvalid => "signature-invalid",
            Status::Moved => "moved",
            Status::Unreadable => "unreadable",
            Status::Unsigned => "unsigned",
            Status::Unverified => "unverified",
        }
    }

    const ALL: [Status; 12] = [
        Status::Valid,
        Status::Modified,
        Status::Missing,
        Status::Unlisted,
        Status::Unverifiable,
        Status::NotCovered,
        Status::HashMismatch,
        Status::SignatureInvalid,
        Status::Moved,
        Status::Unreadable,
        Status::Unsigned,
        Status::Unverified,
    ];

    /// The status's number in spill files.
    pub fn index(self) -> u64 {
        self as u64
    }

    pub fn from_index(i: u64) -> Option<Status> {
        Status::ALL.get(i as usize).copied()
    }

    /// Whether a digest with this status vouches for what it lists.
    pub fn intact(self) -> bool {
        matches!(self, Status::Valid | Status::Unsigned | Status::Unverified)
    }

    /// Whether the status is evidence that the archive is not what AWS wrote.
    pub fn is_evidence(self) -> bool {
        matches!(
            self,
            Status::Modified
                | Status::Missing
                | Status::Unlisted
                | Status::Unverifiable
                | Status::HashMismatch
                | Status::SignatureInvalid
                | Status::Moved
        )
    }
}

/// Log file or digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Log,
    Digest,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Log => "log",
            Kind::Digest => "digest",
        }
    }
}

/// One row of verify.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The file, or the S3 key of one that is missing.
    pub path: String,
    pub kind: Kind,
    pub account: String,
    pub region: String,
    pub trail: String,
    pub status: Status,
    /// The digest that vouches for it, lists it, or names it.
    pub digest: String,
    pub detail: String,
}

impl Spill for Row {
    fn weight(&self) -> usize {
        self.path.capacity()
            + self.account.capacity()
            + self.region.capacity()
            + self.trail.capacity()
            + self.digest.capacity()
            + self.detail.capacity()
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.path);
        out.u64(self.kind as u64);
        out.str(&self.account);
        out.str(&self.region);
        out.str(&self.trail);
        out.u64(self.status as u64);
        out.str(&self.digest);
        out.str(&self.detail);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Row {
            path: d.string()?,
            kind: match d.u64()? {
                0 => Kind::Log,
                1 => Kind::Digest,
                _ => return None,
            },
            account: d.string()?,
            region: d.string()?,
            trail: d.string()?,
            status: Status::from_index(d.u64()?)?,
            digest: d.string()?,
            detail: d.string()?,
        })
    }
}

/// verify.csv's order: by path, then kind.
pub fn row_order(a: &Row, b: &Row) -> Ordering {
    (&a.path, a.kind, &a.digest).cmp(&(&b.path, b.kind, &b.digest))
}

/// Why a stretch of time is vouched for by nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GapReason {
    /// Digests of the chain are lost.
    DigestMissing,
    /// The chain starts again: logging or validation was off.
    ChainRestarted,
    /// Log files of an account and region, no digest at all.
    NoDigests,
}

impl GapReason {
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::DigestMissing => "digest missing",
            GapReason::ChainRestarted => "chain restarted",
            GapReason::NoDigests => "no digests",
        }
    }
}

/// One row of gaps.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub account: String,
    pub region: String,
    pub trail: String,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub reason: GapReason,
}

impl Spill for Gap {
    fn weight(&self) -> usize {
        self.account.capacity() + self.region.capacity() + self.trail.capacity() + 32
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.account);
        out.str(&self.region);
        out.str(&self.trail);
        out.time(self.from);
        out.time(self.to);
        out.u64(self.reason as u64);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Gap {
            account: d.string()?,
            region: d.string()?,
            trail: d.string()?,
            from: d.time()?,
            to: d.time()?,
            reason: match d.u64()? {
                0 => GapReason::DigestMissing,
                1 => GapReason::ChainRestarted,
                2 => GapReason::NoDigests,
                _ => return None,
            },
        })
    }
}

/// gaps.csv's order.
pub fn gap_order(a: &Gap, b: &Gap) -> Ordering {
    (&a.account, &a.region, &a.trail, a.from, a.to, a.reason)
        .cmp(&(&b.account, &b.region, &b.trail, b.from, b.to, b.reason))
}

/// A log file found in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLog {
    pub path: String,
    pub key: String,
    pub name: LogName,
    /// The SHA-256 of its content, or why it could not be read whole.
    pub sha256: Result<[u8; 32], Unhashed>,
    /// Bytes follow its first gzip member.
    pub more_than_one_member: bool,
}

/// Why a log file's content has no hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unhashed {
    /// The file is damaged: its gzip stream is broken or cut off (`modified`).
    Damaged(String),
    /// The copy on this disk could not be opened or read (no permission, an I/O error, gone
    /// since the walk): nothing is known of its content (`unreadable`).
    Unread(String),
}

/// A digest found in the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundDigest {
    pub path: String,
    /// Where it was found, from `AWSLogs/` on (`None` outside an `AWSLogs` tree).
    pub key: Option<String>,
    /// What its name says (where it was found; else where it says it was written).
    pub name: Option<DigestName>,
    pub sha256: Option<[u8; 32]>,
    /// Its content, or why it is not a digest.
    pub doc: Result<Doc, String>,
}

/// Gathers what the read phase finds (from any thread).
pub struct Evidence<'d> {
    pub(crate) logs: Shared<'d, logs::LogItem>,
    pub(crate) digests: Shared<'d, chain::DigestItem>,
}

impl<'d> Evidence<'d> {
    pub fn new(dir: &'d SpillDir) -> Evidence<'d> {
        Evidence {
            logs: Shared::new(dir, logs::log_order),
            digests: Shared::new(dir, chain::digest_order),
        }
    }

    pub fn add_log(&self, found: FoundLog) {
        self.logs.extend([logs::LogItem::from(found)]);
    }

    pub fn add_digest(&self, found: FoundDigest) {
        self.digests.extend([chain::DigestItem::from(found)]);
    }
}

/// What the check found.
pub struct Outcome {
    pub rows: Merged<Row>,
    pub gaps: Merged<Gap>,
    /// Signatures were checked (public keys were given).
    pub signatures_checked: bool,
}

/// Runs the check (signatures are verified on the current rayon pool).
pub fn check(
    evidence: Evidence<'_>,
    keys: &keys::Keys,
    signatures: &keys::Signatures,
    dir: &SpillDir,
) -> Result<Outcome, Error> {
    let mut rows = crate::spill::Sorter::new(dir, row_order);
    let mut gaps = crate::spill::Sorter::new(dir, gap_order);
    let chains = chain::pass(
        evidence.digests.finish()?,
        keys,
        signatures,
        dir,
        &mut rows,
        &mut gaps,
    )?;
    logs::pass(evidence.logs.finish()?, chains, dir, &mut rows, &mut gaps)?;
    Ok(Outcome {
        rows: rows.finish()?,
        gaps: gaps.finish()?,
        signatures_checked: !keys.is_empty(),
    })
}

/// The exit status the evidence gives: 4 when something shows the archive is not intact, 3
/// when nothing does but some of it could not be verified, 0 otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Rows per (kind, status).
    pub counts: std::collections::BTreeMap<(Kind, Status), u64>,
    pub gaps: std::collections::BTreeMap<GapReason, u64>,
    pub signatures_checked: bool,
}

impl Verdict {
    pub fn add_row(&mut self, r: &Row) {
        *self.counts.entry((r.kind, r.status)).or_default() += 1;
    }

    pub fn add_gap(&mut self, g: &Gap) {
        *self.gaps.entry(g.reason).or_default() += 1;
    }

    pub fn exit_status(&self) -> u8 {
        let evidence = self.counts.keys().any(|(_, s)| s.is_evidence())
            || self.gaps.contains_key(&GapReason::DigestMissing);
        if evidence {
            return 4;
        }
        let unverified = !self.signatures_checked
            || self
                .counts
                .keys()
                .any(|(_, s)| matches!(s, Status::Unverified | Status::Unreadable))
            || !self.gaps.is_empty();
        if unverified { 3 } else { 0 }
    }

    pub fn count(&self, kind: Kind, status: Status) -> u64 {
        self.counts.get(&(kind, status)).copied().unwrap_or(0)
    }
}

/// `3 valid, 1 modified` for the statuses of one kind, in a fixed order.
fn statuses(verdict: &Verdict, kind: Kind, order: &[Status]) -> String {
    let parts: Vec<String> = order
        .iter()
        .map(|s| (s, verdict.count(kind, *s)))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

impl Verdict {
    /// The summary's lines (no final newline): the statuses, the gaps, whether signatures
    /// were checked (with `keys` public keys), the verdict (which `unread` paths under the
    /// inputs, that could not be walked, keep from being `intact`).
    pub fn describe(&self, keys: usize, unread: u64) -> String {
        use Status::*;
        let logs = statuses(
            self,
            Kind::Log,
            &[
                Valid,
                NotCovered,
                Modified,
                Missing,
                Unlisted,
                Unverifiable,
                Unreadable,
            ],
        );
        let digests = statuses(
            self,
            Kind::Digest,
            &[
                Valid,
                Unsigned,
                Unverified,
                HashMismatch,
                SignatureInvalid,
                Moved,
                Unreadable,
                Missing,
            ],
        );
        let gaps: Vec<String> = self
            .gaps
            .iter()
            .map(|(r, n)| format!("{n} {}", r.as_str()))
            .collect();
        let gaps = if gaps.is_empty() {
            "none".to_owned()
        } else {
            gaps.join(", ")
        };
        let signatures = match keys {
            0 => "not checked (no --public-keys given): hashes and chain links only".to_owned(),
            1 => "checked with 1 public key".to_owned(),
            n => format!("checked with {n} public keys"),
        };
        let verdict = match (self.exit_status(), unread) {
            (4, _) => "NOT INTACT: see verify.csv (status) and gaps.csv",
            (3, _) => "nothing contradicts integrity, but not all of it could be verified",
            (_, 1..) => "nothing contradicts integrity, but some paths could not be read",
            _ => "intact: every log file and digest checks out",
        };
        format!(
            "log files: {logs}\ndigests: {digests}\ngaps: {gaps}\nsignatures: {signatures}\nverdict: {verdict}"
        )
    }
}

impl Verdict {
    /// The counts a run's record keeps, their names prefixed with `prefix` (`verify_` in a
    /// scan's record).
    pub fn counts_into(
        &self,
        keys: usize,
        prefix: &str,
        m: &mut serde_json::Map<String, serde_json::Value>,
    ) {
        m.insert(format!("{prefix}public_keys"), (keys as u64).into());
        for ((kind, status), n) in &self.counts {
            let name = format!(
                "{prefix}{}_{}",
                kind.as_str(),
                status.as_str().replace('-', "_")
            );
            m.insert(name, (*n).into());
        }
        for reason in [
            GapReason::DigestMissing,
            GapReason::ChainRestarted,
            GapReason::NoDigests,
        ] {
            let n = self.gaps.get(&reason).copied().unwrap_or(0);
            m.insert(
                format!("{prefix}gaps_{}", reason.as_str().replace(' ', "_")),
                n.into(),
            );
        }
    }
}
