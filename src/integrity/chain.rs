//! The chain pass: each chain of digests read in time order, each digest checked against its
//! successor.
//!
//! A chain is one (account, region, trail), late `_backfill` digests a chain of their own. A
//! digest is intact when the next digest's `previousDigestHashValue` is its own hash and the
//! next digest's `previousDigestSignature` verifies (RSA PKCS#1 v1.5, SHA-256) over its
//! signed text with the public key its fingerprint names; the newest of a chain (or the last
//! before a lost digest or a restart) has no successor and is `unsigned`, unless a signature
//! saved from S3 is given. A predecessor a digest names and the archive lacks is `missing`, and
//! with the digests lost before it makes one `digest missing` gap; a digest that starts a chain
//! again after another makes a `chain restarted` gap. The pass holds one digest (with its
//! copies) at a time, and checks signatures in parallel batches.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::digest::{Doc, Listed};
use super::keys::{Check, Keys, Signatures};
use super::names::{self, s3_key};
use super::{FoundDigest, Gap, GapReason, Kind, Row, Status};
use crate::error::Error;
use crate::event::time::{self, Timestamp};
use crate::report::digest::hex;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};

/// The chain a digest belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ChainKey {
    pub org: String,
    pub account: String,
    pub region: String,
    pub trail: String,
    pub backfill: bool,
}

/// A digest on its way through the chain sort.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestItem {
    chain: ChainKey,
    /// When it ends (from its content, else its name).
    when: Option<Timestamp>,
    /// The key it says it was written to (where it was found, when it cannot say).
    claimed: String,
    path: String,
    found_key: Option<String>,
    sha256: Option<[u8; 32]>,
    doc: Result<Doc, String>,
}

impl From<FoundDigest> for DigestItem {
    fn from(f: FoundDigest) -> DigestItem {
        let claimed = f
            .doc
            .as_ref()
            .ok()
            .and_then(|d| s3_key(&d.object).map(str::to_owned))
            .or_else(|| f.key.clone())
            .unwrap_or_else(|| f.path.clone());
        // The name it was written under is what places it (a copy found elsewhere keeps its
        // chain); else the name it was found under.
        let name = names::digest_name(&claimed).or(f.name);
        let chain = name.as_ref().map_or_else(ChainKey::default, |n| ChainKey {
            org: n.org.clone(),
            account: n.account.clone(),
            region: n.region.clone(),
            trail: n.trail.clone(),
            backfill: n.backfill,
        });
        let when = f
            .doc
            .as_ref()
            .ok()
            .map(|d| d.end)
            .or(name.as_ref().map(|n| n.stamp));
        DigestItem {
            chain,
            when,
            claimed,
            path: f.path,
            found_key: f.key,
            sha256: f.sha256,
            doc: f.doc,
        }
    }
}

/// Chain, time, written key, path.
pub fn digest_order(a: &DigestItem, b: &DigestItem) -> Ordering {
    (&a.chain, a.when, &a.claimed, &a.path).cmp(&(&b.chain, b.when, &b.claimed, &b.path))
}

fn encode_doc(d: &Doc, out: &mut Encoder) {
    for s in [
        &d.start_text,
        &d.end_text,
        &d.bucket,
        &d.object,
        &d.fingerprint,
        &d.algorithm,
    ] {
        out.str(s);
    }
    out.time(Some(d.start));
    out.time(Some(d.end));
    for o in [
        &d.previous_bucket,
        &d.previous_object,
        &d.previous_hash,
        &d.previous_hash_algorithm,
        &d.previous_signature,
    ] {
        match o {
            Some(s) => {
                out.bool(true);
                out.str(s);
            }
            None => out.bool(false),
        }
    }
    out.u64(d.logs.len() as u64);
    for l in &d.logs {
        out.str(&l.object);
        out.str(&l.hash);
        out.str(&l.algorithm);
    }
}

fn decode_doc(d: &mut Decoder<'_>) -> Option<Doc> {
    let start_text = d.string()?;
    let end_text = d.string()?;
    let bucket = d.string()?;
    let object = d.string()?;
    let fingerprint = d.string()?;
    let algorithm = d.string()?;
    let start = d.time()??;
    let end = d.time()??;
    let mut opt = || -> Option<Option<String>> {
        if d.bool()? {
            Some(Some(d.string()?))
        } else {
            Some(None)
        }
    };
    let previous_bucket = opt()?;
    let previous_object = opt()?;
    let previous_hash = opt()?;
    let previous_hash_algorithm = opt()?;
    let previous_signature = opt()?;
    let n = d.u64()?;
    let mut logs = Vec::new();
    for _ in 0..n {
        logs.push(Listed {
            object: d.string()?,
            hash: d.string()?,
            algorithm: d.string()?,
        });
    }
    Some(Doc {
        start_text,
        end_text,
        start,
        end,
        bucket,
        object,
        fingerprint,
        algorithm,
        previous_bucket,
        previous_object,
        previous_hash,
        previous_hash_algorithm,
        previous_signature,
        logs,
    })
}

impl Spill for DigestItem {
    fn weight(&self) -> usize {
        let doc = self.doc.as_ref().map_or(64, |d| {
            256 + d
                .logs
                .iter()
                .map(|l| l.object.capacity() + l.hash.capacity() + 64)
                .sum::<usize>()
        });
        self.claimed.capacity() + self.path.capacity() + 128 + doc
    }

    fn encode(&self, out: &mut Encoder) {
        let c = &self.chain;
        for s in [&c.org, &c.account, &c.region, &c.trail] {
            out.str(s);
        }
        out.bool(c.backfill);
        out.time(self.when);
        out.str(&self.claimed);
        out.str(&self.path);
        match &self.found_key {
            Some(k) => {
                out.bool(true);
                out.str(k);
            }
            None => out.bool(false),
        }
        match &self.sha256 {
            Some(h) => {
                out.bool(true);
                out.bytes(h);
            }
            None => out.bool(false),
        }
        match &self.doc {
            Ok(d) => {
                out.bool(true);
                encode_doc(d, out);
            }
            Err(why) => {
                out.bool(false);
                out.str(why);
            }
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        let chain = ChainKey {
            org: d.string()?,
            account: d.string()?,
            region: d.string()?,
            trail: d.string()?,
            backfill: d.bool()?,
        };
        let when = d.time()?;
        let claimed = d.string()?;
        let path = d.string()?;
        let found_key = if d.bool()? { Some(d.string()?) } else { None };
        let sha256 = if d.bool()? {
            Some(d.bytes()?.try_into().ok()?)
        } else {
            None
        };
        let doc = if d.bool()? {
            Ok(decode_doc(d)?)
        } else {
            Err(d.string()?)
        };
        Some(DigestItem {
            chain,
            when,
            claimed,
            path,
            found_key,
            sha256,
            doc,
        })
    }
}

/// A log file a digest lists, with the digest's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The log file's key from `AWSLogs/` on.
    pub key: String,
    /// What the S3 key has before `key` (the bucket's prefix, often nothing).
    pub prefix: String,
    pub hash: String,
    pub digest: String,
    pub digest_status: Status,
    pub account: String,
    pub region: String,
    pub trail: String,
}

impl Spill for Listing {
    fn weight(&self) -> usize {
        self.key.capacity()
            + self.prefix.capacity()
            + self.hash.capacity()
            + self.digest.capacity()
            + 64
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.key);
        out.str(&self.prefix);
        out.str(&self.hash);
        out.str(&self.digest);
        out.u64(self.digest_status as u64);
        out.str(&self.account);
        out.str(&self.region);
        out.str(&self.trail);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Listing {
            key: d.string()?,
            prefix: d.string()?,
            hash: d.string()?,
            digest: d.string()?,
            digest_status: Status::from_index(d.u64()?)?,
            account: d.string()?,
            region: d.string()?,
            trail: d.string()?,
        })
    }
}

pub fn listing_order(a: &Listing, b: &Listing) -> Ordering {
    (&a.key, !a.digest_status.intact(), &a.digest).cmp(&(
        &b.key,
        !b.digest_status.intact(),
        &b.digest,
    ))
}

/// The hour a digest covers, with its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub org: String,
    pub account: String,
    pub region: String,
    pub trail: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub digest: String,
    pub status: Status,
}

impl Spill for Interval {
    fn weight(&self) -> usize {
        self.account.capacity()
            + self.region.capacity()
            + self.trail.capacity()
            + self.digest.capacity()
            + 64
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.org);
        out.str(&self.account);
        out.str(&self.region);
        out.str(&self.trail);
        out.time(Some(self.start));
        out.time(Some(self.end));
        out.str(&self.digest);
        out.u64(self.status as u64);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Interval {
            org: d.string()?,
            account: d.string()?,
            region: d.string()?,
            trail: d.string()?,
            start: d.time()??,
            end: d.time()??,
            digest: d.string()?,
            status: Status::from_index(d.u64()?)?,
        })
    }
}

pub fn interval_order(a: &Interval, b: &Interval) -> Ordering {
    (&a.org, &a.account, &a.region, a.start, a.end, &a.digest)
        .cmp(&(&b.org, &b.account, &b.region, b.start, b.end, &b.digest))
}

/// What the chain pass leaves for the log pass.
pub struct Chains {
    pub listings: Merged<Listing>,
    pub intervals: Merged<Interval>,
}

/// What vouches for a digest: its successor's fields, or a saved signature.
#[derive(Debug, Clone)]
enum Voucher {
    Successor {
        path: String,
        hash: Option<String>,
        hash_algorithm: Option<String>,
        signature: Option<String>,
    },
    Saved(String),
    Nothing(&'static str),
}

/// A digest (and the copies of it found elsewhere) waiting for its verdict.
struct Pending {
    items: Vec<DigestItem>,
    voucher: Voucher,
}

/// Decides one copy's status: what was found wrong with it, else what its voucher says.
fn judge(item: &DigestItem, voucher: &Voucher, keys: &Keys) -> (Status, String, String) {
    let doc = match &item.doc {
        Ok(d) => d,
        Err(why) => return (Status::Unreadable, why.clone(), String::new()),
    };
    let own = item.sha256.map(|h| hex(&h)).unwrap_or_default();
    if item.found_key.as_deref() != Some(item.claimed.as_str()) {
        let found = item.found_key.as_deref().unwrap_or(&item.path);
        return (
            Status::Moved,
            format!("written to {}, found at {found}", doc.object),
            String::new(),
        );
    }
    let check = |signature_hex: &str| -> (Status, String) {
        if doc.algorithm != "SHA256withRSA" {
            return (
                Status::SignatureInvalid,
                format!("unknown signature algorithm {:?}", doc.algorithm),
            );
        }
        let Ok(signature) = hex::decode(signature_hex) else {
            return (Status::SignatureInvalid, "the signature is not hex".into());
        };
        if keys.is_empty() {
            return (
                Status::Unverified,
                "no public keys were given: the signature was not checked".into(),
            );
        }
        match keys.check(
            &doc.fingerprint,
            doc.signed_text(&own).as_bytes(),
            &signature,
        ) {
            Check::Valid => (Status::Valid, String::new()),
            Check::Invalid(why) => (Status::SignatureInvalid, why),
            Check::NoKey => (
                Status::Unverified,
                format!(
                    "no public key with fingerprint {} was given",
                    doc.fingerprint
                ),
            ),
        }
    };
    match voucher {
        Voucher::Successor {
            path,
            hash,
            hash_algorithm,
            signature,
        } => {
            if hash_algorithm.as_deref().is_some_and(|a| a != "SHA-256") {
                return (
                    Status::HashMismatch,
                    format!("the next digest names hash algorithm {hash_algorithm:?}"),
                    path.clone(),
                );
            }
            if hash.as_deref() != Some(own.as_str()) {
                return (
                    Status::HashMismatch,
                    format!(
                        "its SHA-256 is {own}; the next digest says {}",
                        hash.as_deref().unwrap_or("nothing")
                    ),
                    path.clone(),
                );
            }
            let Some(signature) = signature else {
                return (
                    Status::SignatureInvalid,
                    "the next digest gives no signature for it".into(),
                    path.clone(),
                );
            };
            let (status, detail) = check(signature);
            (status, detail, path.clone())
        }
        Voucher::Saved(signature) => {
            let (status, detail) = check(signature);
            let detail = if detail.is_empty() {
                "signature from --signatures".to_owned()
            } else {
                detail
            };
            (status, detail, String::new())
        }
        Voucher::Nothing(why) => (Status::Unsigned, (*why).to_owned(), String::new()),
    }
}

/// Where the verdicts go.
struct Sinks<'a, 'd> {
    rows: &'a mut Sorter<'d, Row>,
    gaps: &'a mut Sorter<'d, Gap>,
    listings: Sorter<'d, Listing>,
    intervals: Sorter<'d, Interval>,
}

/// How many digests wait for their signatures to be checked together, at most...
const BATCH: usize = 256;
/// ... and how large they may be, with the listings they hold.
const BATCH_BYTES: usize = 8 << 20;
/// Lost digests named by their hour, at most, per run of lost digests (a year of hours).
const MAX_INFERRED: i64 = 24 * 366;

/// Checks a batch of digests (signatures in parallel) and sends out the verdicts.
fn settle(batch: &mut Vec<Pending>, keys: &Keys, sinks: &mut Sinks<'_, '_>) -> Result<(), Error> {
    let verdicts: Vec<Vec<(Status, String, String)>> = batch
        .par_iter()
        .map(|p| p.items.iter().map(|i| judge(i, &p.voucher, keys)).collect())
        .collect();
    for (p, verdicts) in batch.drain(..).zip(verdicts) {
        for (item, (status, detail, digest)) in p.items.into_iter().zip(verdicts) {
            let c = &item.chain;
            let account = account_of(c);
            sinks.rows.push(Row {
                path: item.path.clone(),
                kind: Kind::Digest,
                account: account.clone(),
                region: c.region.clone(),
                trail: c.trail.clone(),
                status,
                digest,
                detail,
            })?;
            match &item.doc {
                Ok(doc) => {
                    for l in &doc.logs {
                        let key = s3_key(&l.object).unwrap_or(&l.object);
                        sinks.listings.push(Listing {
                            key: key.to_owned(),
                            prefix: l.object[..l.object.len() - key.len()].to_owned(),
                            hash: l.hash.clone(),
                            digest: item.path.clone(),
                            digest_status: status,
                            account: account.clone(),
                            region: c.region.clone(),
                            trail: c.trail.clone(),
                        })?;
                    }
                    sinks.intervals.push(Interval {
                        org: c.org.clone(),
                        account: c.account.clone(),
                        region: c.region.clone(),
                        trail: c.trail.clone(),
                        start: doc.start,
                        end: doc.end,
                        digest: item.path.clone(),
                        status,
                    })?;
                }
                // An unreadable digest still covers its hour (from its name): what was
                // delivered in it is vouched for by nothing.
                Err(_) => {
                    if let Some(end) = item.when {
                        sinks.intervals.push(Interval {
                            org: c.org.clone(),
                            account: c.account.clone(),
                            region: c.region.clone(),
                            trail: c.trail.clone(),
                            start: end - chrono::Duration::hours(1),
                            end,
                            digest: item.path.clone(),
                            status,
                        })?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The account column of a chain: `o-org/account` for an organization trail.
fn account_of(c: &ChainKey) -> String {
    if c.org.is_empty() {
        c.account.clone()
    } else {
        format!("{}{}", c.org, c.account)
    }
}

/// Reads every chain in time order.
pub fn pass<'d>(
    mut digests: Merged<DigestItem>,
    keys: &Keys,
    signatures: &Signatures,
    dir: &'d SpillDir,
    rows: &mut Sorter<'d, Row>,
    gaps: &mut Sorter<'d, Gap>,
) -> Result<Chains, Error> {
    let mut sinks = Sinks {
        rows,
        gaps,
        listings: Sorter::new(dir, listing_order),
        intervals: Sorter::new(dir, interval_order),
    };
    let mut batch: Vec<Pending> = Vec::new();
    // The latest digest of the current chain (and its copies), not yet vouched for.
    let mut prev: Option<Vec<DigestItem>> = None;
    let saved = |items: &[DigestItem], why: &'static str| -> Voucher {
        match signatures.get(&items[0].claimed) {
            Some(s) => Voucher::Saved(s.to_owned()),
            None => Voucher::Nothing(why),
        }
    };
    while let Some(d) = digests.pop()? {
        if prev.as_ref().is_some_and(|p| p[0].chain != d.chain) {
            let p = prev.take().expect("checked");
            let voucher = saved(&p, "the newest digest of its chain: nothing vouches for it");
            batch.push(Pending { items: p, voucher });
        }
        if let Some(p) = prev.as_mut()
            && p[0].claimed == d.claimed
        {
            // Another copy of the same digest.
            p.push(d);
            continue;
        }
        let chain = d.chain.clone();
        let gap = |from: Option<Timestamp>, to: Option<Timestamp>, reason| Gap {
            account: account_of(&chain),
            region: chain.region.clone(),
            trail: chain.trail.clone(),
            from,
            to,
            reason,
        };
        match &d.doc {
            Ok(doc) if doc.is_start() => {
                if let Some(p) = prev.take() {
                    let from = p[0].doc.as_ref().ok().map(|x| x.end).or(p[0].when);
                    sinks
                        .gaps
                        .push(gap(from, Some(doc.start), GapReason::ChainRestarted))?;
                    let voucher = saved(
                        &p,
                        "the last digest before the chain restarted: nothing vouches for it",
                    );
                    batch.push(Pending { items: p, voucher });
                }
            }
            Ok(doc) => {
                let named = doc
                    .previous_object
                    .as_deref()
                    .map(|o| s3_key(o).unwrap_or(o).to_owned())
                    .unwrap_or_default();
                match prev.take() {
                    Some(p) if p[0].claimed == named => {
                        let voucher = Voucher::Successor {
                            path: d.path.clone(),
                            hash: doc.previous_hash.clone(),
                            hash_algorithm: doc.previous_hash_algorithm.clone(),
                            signature: doc.previous_signature.clone(),
                        };
                        batch.push(Pending { items: p, voucher });
                    }
                    other => {
                        // The predecessor it names is not in the archive.
                        let stamp = names::digest_name(&named).map(|n| n.stamp);
                        let object = doc.previous_object.clone().unwrap_or_default();
                        let lost = |path: String, detail: String| Row {
                            path,
                            kind: Kind::Digest,
                            account: account_of(&chain),
                            region: chain.region.clone(),
                            trail: chain.trail.clone(),
                            status: Status::Missing,
                            digest: d.path.clone(),
                            detail,
                        };
                        let detail = if other.is_some() {
                            "named as its predecessor by the digest, not in the archive"
                        } else {
                            "named as its predecessor by the digest (the oldest found), not in the archive: expected when the download starts here"
                        };
                        sinks.rows.push(lost(object.clone(), detail.into()))?;
                        let from = match &other {
                            Some(p) => p[0].doc.as_ref().ok().map(|x| x.end).or(p[0].when),
                            None => stamp.map(|s| s - chrono::Duration::hours(1)),
                        };
                        // Digests are hourly: the hours between the last digest present and
                        // the one named are digests lost too, named by their hour.
                        if let (Some(from), Some(stamp)) = (from, stamp) {
                            let hours = ((stamp - from).num_seconds() + 1800) / 3600;
                            for k in 1..hours.clamp(1, MAX_INFERRED) {
                                let end = stamp - chrono::Duration::hours(k);
                                if let Some(path) = names::digest_key_at(&object, end) {
                                    let detail = format!(
                                        "not in the archive: the digest of the hour ending {}, between two digests present (its name follows from that hour)",
                                        crate::event::time::format(&end)
                                    );
                                    sinks.rows.push(lost(path, detail))?;
                                }
                            }
                        }
                        sinks
                            .gaps
                            .push(gap(from, Some(doc.start), GapReason::DigestMissing))?;
                        if let Some(p) = other {
                            let voucher = saved(
                                &p,
                                "the last digest before a lost one: nothing vouches for it",
                            );
                            batch.push(Pending { items: p, voucher });
                        }
                    }
                }
            }
            // Unreadable: it links to nothing; what came before it is vouched for by nothing.
            Err(_) => {
                if let Some(p) = prev.take() {
                    let voucher =
                        saved(&p, "the next digest is unreadable: nothing vouches for it");
                    batch.push(Pending { items: p, voucher });
                }
            }
        }
        prev = Some(vec![d]);
        // Settled often enough that the digests waiting (with what they list) stay small.
        let waiting: usize = batch.iter().flat_map(|p| &p.items).map(Spill::weight).sum();
        if batch.len() >= BATCH || waiting >= BATCH_BYTES {
            settle(&mut batch, keys, &mut sinks)?;
        }
    }
    if let Some(p) = prev.take() {
        let voucher = saved(&p, "the newest digest of its chain: nothing vouches for it");
        batch.push(Pending { items: p, voucher });
    }
    settle(&mut batch, keys, &mut sinks)?;
    Ok(Chains {
        listings: sinks.listings.finish()?,
        intervals: sinks.intervals.finish()?,
    })
}

/// A time for reports (or empty).
pub fn shown(t: Option<Timestamp>) -> String {
    t.map(|t| time::format(&t)).unwrap_or_default()
}
