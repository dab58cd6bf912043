//! Aggregation: the selected events of every file in, one deduplicated, resolved archive out,
//! streamed in report order, with per-user timelines and summaries built from it.
//!
//! - `CreateVirtualMFADevice` names no user; its target is the user to whom the same serial
//!   number is enabled next in the archive (successful `EnableMFADevice` calls, read whatever
//!   the filters).
//! - The same event delivered twice (same eventID, same content) is reported once, with the
//!   number of copies; the same eventID with different content is kept twice and flagged as a
//!   conflict. Records without an eventID are never merged.
//! - Order: time (unknown times last), eventID, then origin: the same for any thread count.
//!
//! The events go through two external sorts ([`crate::spill`]): by eventID, where the
//! deliveries of one event meet, then by report order. Only one eventID's deliveries and the
//! sorters' budgets are in memory at a time.

pub mod timeline;
pub mod users;

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use crate::error::Error;
use crate::event::Event;
use crate::filter::Selection;
use crate::scan::file::MfaLink;
use crate::spill::{Decoder, Encoder, Merged, Shared, Sorter, Spill, SpillDir};

/// An event as reported: one per distinct delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// Boxed: an event is half a kilobyte before its strings, and sorts move it.
    pub event: Box<Event>,
    /// How many times the archive holds this exact event.
    pub copies: u32,
    /// Another record has the same eventID and different content.
    pub conflict: bool,
    /// The position of the event in report order (row of events.csv, from 0).
    pub seq: u64,
}

impl Spill for Reported {
    fn weight(&self) -> usize {
        self.event.weight()
    }

    fn encode(&self, out: &mut Encoder) {
        self.event.encode(out);
        out.u64(u64::from(self.copies));
        out.bool(self.conflict);
        out.u64(self.seq);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Reported> {
        Some(Reported {
            event: Box::new(Event::decode(d)?),
            copies: d.u32()?,
            conflict: d.bool()?,
            seq: d.u64()?,
        })
    }
}

/// The report order: time (unknown last), eventID, origin.
fn report_order(a: &Reported, b: &Reported) -> Ordering {
    a.event.order_key().cmp(&b.event.order_key())
}

/// One selected record, keyed for deduplication.
struct Delivery {
    /// A hash of the eventID: deliveries are grouped by it first, and the strings are
    /// compared only when hashes tie (the same eventID, or a collision the strings settle).
    id: u64,
    event: Box<Event>,
}

impl Spill for Delivery {
    fn weight(&self) -> usize {
        self.event.weight()
    }

    fn encode(&self, out: &mut Encoder) {
        out.u64(self.id);
        self.event.encode(out);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Delivery> {
        Some(Delivery {
            id: d.u64()?,
            event: Box::new(Event::decode(d)?),
        })
    }
}

/// eventID (by hash), then content, then origin: the copies of an event side by side.
fn delivery_order(a: &Delivery, b: &Delivery) -> Ordering {
    let (x, y) = (&a.event, &b.event);
    (a.id, &x.event_id, x.fingerprint, x.origin).cmp(&(b.id, &y.event_id, y.fingerprint, y.origin))
}

/// Gathers the selected events of every file while the scan runs (from any thread).
pub struct Collector<'d> {
    deliveries: Shared<'d, Delivery>,
}

impl<'d> Collector<'d> {
    pub fn new(dir: &'d SpillDir) -> Collector<'d> {
        Collector {
            deliveries: Shared::new(dir, delivery_order),
        }
    }

    /// Takes one file's selected events.
    pub fn add(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        self.deliveries.extend(events.into_iter().map(|e| Delivery {
            id: twox_hash::XxHash3_128::oneshot(e.event_id.as_bytes()) as u64,
            event: Box::new(e),
        }));
    }
}

/// Duplicate and conflict counts of one input file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileTally {
    /// Records of this file that repeat an event reported from elsewhere.
    pub duplicates: u64,
    /// Records of this file whose eventID has conflicting content.
    pub conflicts: u64,
}

/// What deduplication found; the events themselves come from [`Events`].
#[derive(Debug, Clone, Default)]
pub struct Archive {
    /// Events reported (after duplicates are merged).
    pub reported: u64,
    /// Records dropped as repeats.
    pub duplicates: u64,
    /// eventIDs with more than one content.
    pub conflicts: u64,
    /// By input file index; files without duplicates or conflicts are not listed.
    pub tallies: HashMap<u32, FileTally>,
    /// The distinct event names reported.
    pub names: BTreeSet<String>,
}

/// The archive's events in report order, each numbered with its position.
pub struct Events {
    sorted: Merged<Reported>,
    next_seq: u64,
}

impl Events {
    pub fn pop(&mut self) -> Result<Option<Reported>, Error> {
        let Some(mut r) = self.sorted.pop()? else {
            return Ok(None);
        };
        r.seq = self.next_seq;
        self.next_seq += 1;
        Ok(Some(r))
    }
}

/// Deduplicates and resolves what was collected; `links` are every file's MFA enablements.
pub fn build(
    collected: Collector<'_>,
    links: Vec<MfaLink>,
    selection: &Selection,
    dir: &SpillDir,
) -> Result<(Archive, Events), Error> {
    let links = Links::new(links);
    let mut deliveries = collected.deliveries.finish()?;
    let mut dedup = Dedup {
        archive: Archive::default(),
        sorted: Sorter::new(dir, report_order),
        same_id: Vec::new(),
    };
    while let Some(Delivery { mut event, .. }) = deliveries.pop()? {
        links.resolve(&mut event);
        if selection.keeps_users(&event) {
            dedup.push(event)?;
        }
    }
    dedup.flush()?;
    let sorted = dedup.sorted.finish()?;
    Ok((
        dedup.archive,
        Events {
            sorted,
            next_seq: 0,
        },
    ))
}

/// Deduplication of a stream of deliveries sorted by eventID.
struct Dedup<'d> {
    archive: Archive,
    sorted: Sorter<'d, Reported>,
    /// The deliveries of the current eventID, sorted by content (boxed: they move on into
    /// the next sort).
    #[allow(clippy::vec_box)]
    same_id: Vec<Box<Event>>,
}

impl Dedup<'_> {
    fn push(&mut self, event: Box<Event>) -> Result<(), Error> {
        // Records without an eventID are never merged: each is a group of its own.
        if self
            .same_id
            .first()
            .is_some_and(|first| event.event_id.is_empty() || event.event_id != first.event_id)
        {
            self.flush()?;
        }
        self.same_id.push(event);
        Ok(())
    }

    /// Reports the deliveries of one eventID: one event per content, a conflict if several.
    fn flush(&mut self) -> Result<(), Error> {
        let same_id = std::mem::take(&mut self.same_id);
        let archive = &mut self.archive;
        let contents = 1 + same_id
            .windows(2)
            .filter(|w| w[0].fingerprint != w[1].fingerprint)
            .count();
        let conflict = contents > 1;
        if conflict {
            archive.conflicts += 1;
            for e in &same_id {
                archive.tallies.entry(e.origin.file).or_default().conflicts += 1;
            }
        }
        let mut group = same_id.into_iter().peekable();
        while let Some(kept) = group.next() {
            let mut copies = 1;
            while let Some(repeat) = group.next_if(|n| n.fingerprint == kept.fingerprint) {
                copies += 1;
                archive.duplicates += 1;
                archive
                    .tallies
                    .entry(repeat.origin.file)
                    .or_default()
                    .duplicates += 1;
            }
            archive.reported += 1;
            if !archive.names.contains(&kept.name) {
                archive.names.insert(kept.name.clone());
            }
            self.sorted.push(Reported {
                event: kept,
                copies,
                conflict,
                seq: 0,
            })?;
        }
        Ok(())
    }
}

/// The MFA enablements, sorted by (account, serial, time (unknown last), user).
struct Links(Vec<MfaLink>);

impl Links {
    fn new(mut links: Vec<MfaLink>) -> Links {
        links.sort_by(|a, b| {
            (&a.account, &a.serial, a.time.is_none(), a.time, &a.user).cmp(&(
                &b.account,
                &b.serial,
                b.time.is_none(),
                b.time,
                &b.user,
            ))
        });
        Links(links)
    }

    /// Gives a `CreateVirtualMFADevice` the user its serial is enabled for next.
    fn resolve(&self, e: &mut Event) {
        if e.name != "CreateVirtualMFADevice" || !e.target.is_empty() || e.mfa_serial.is_empty() {
            return;
        }
        let key = (e.account.as_str(), e.mfa_serial.as_str());
        let start = self
            .0
            .partition_point(|l| (l.account.as_str(), l.serial.as_str()) < key);
        let candidates = self.0[start..]
            .iter()
            .take_while(|l| (l.account.as_str(), l.serial.as_str()) == key);
        // The first enablement at or after the creation (any, when a time is unknown).
        let mut next = candidates.filter(|l| match (e.time, l.time) {
            (Some(created), Some(enabled)) => enabled >= created,
            _ => true,
        });
        if let Some(link) = next.next() {
            e.target = link.user.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;
    use crate::event::fingerprint::Fingerprint;
    use crate::filter::EventSet;

    fn event(json: &str, file: u32, record: u64, fp: u128) -> Event {
        let mut e = crate::event::from_json(json);
        e.origin = Origin { file, record };
        e.fingerprint = Fingerprint(fp);
        e
    }

    /// The archive of `files` (one vector of events each), built in memory and again with a
    /// budget so small that every sort spills: both must agree.
    fn archive(files: Vec<Vec<Event>>, links: Vec<MfaLink>) -> (Archive, Vec<Reported>) {
        let mut results = Vec::new();
        for budget in [1 << 20, 1] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = SpillDir::new(tmp.path(), budget);
            let collector = Collector::new(&dir);
            for events in files.iter().rev() {
                collector.add(events.clone());
            }
            let selection = Selection::new(EventSet::All);
            let (archive, mut events) = build(collector, links.clone(), &selection, &dir).unwrap();
            let mut reported = Vec::new();
            while let Some(r) = events.pop().unwrap() {
                reported.push(r);
            }
            assert_eq!(dir.runs_written() > 0, budget == 1);
            results.push((archive, reported));
        }
        let spilled = results.pop().unwrap();
        let (archive, reported) = results.pop().unwrap();
        assert_eq!(spilled.1, reported);
        assert_eq!(
            (spilled.0.tallies, spilled.0.names),
            (archive.tallies.clone(), archive.names.clone())
        );
        (archive, reported)
    }

    #[test]
    fn duplicates_collapse_and_conflicts_stay() {
        let a =
            r#"{"eventID":"e1","eventName":"ChangePassword","eventTime":"2026-03-02T10:00:00Z"}"#;
        let b =
            r#"{"eventID":"e2","eventName":"ChangePassword","eventTime":"2026-03-02T09:00:00Z"}"#;
        let no_id = r#"{"eventName":"ChangePassword","eventTime":"2026-03-02T08:00:00Z"}"#;
        let (archive, events) = archive(
            vec![
                vec![event(a, 0, 5, 1), event(b, 0, 6, 7), event(no_id, 0, 7, 9)],
                vec![event(a, 1, 0, 1), event(b, 1, 1, 8), event(no_id, 1, 2, 9)],
            ],
            vec![],
        );
        let rows: Vec<_> = events
            .iter()
            .map(|r| {
                (
                    r.event.event_id.as_str(),
                    r.event.origin.file,
                    r.copies,
                    r.conflict,
                    r.seq,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("", 0, 1, false, 0),
                ("", 1, 1, false, 1),
                ("e2", 0, 1, true, 2),
                ("e2", 1, 1, true, 3),
                ("e1", 0, 2, false, 4)
            ]
        );
        assert_eq!(
            (archive.reported, archive.duplicates, archive.conflicts),
            (5, 1, 1)
        );
        assert_eq!(
            archive.tallies,
            HashMap::from([
                (
                    0,
                    FileTally {
                        duplicates: 0,
                        conflicts: 1
                    }
                ),
                (
                    1,
                    FileTally {
                        duplicates: 1,
                        conflicts: 1
                    }
                )
            ])
        );
        assert_eq!(
            archive.names.into_iter().collect::<Vec<_>>(),
            ["ChangePassword"]
        );
    }

    #[test]
    fn virtual_devices_take_the_next_enablement() {
        let create = r#"{"eventName":"CreateVirtualMFADevice","recipientAccountId":"1","eventTime":"2026-03-02T10:00:00Z","userIdentity":{"type":"IAMUser","userName":"admin"},"responseElements":{"virtualMFADevice":{"serialNumber":"arn:aws:iam::1:mfa/x"}}}"#;
        let link = |account: &str, serial: &str, user: &str, t: &str| MfaLink {
            account: account.into(),
            serial: serial.into(),
            user: user.into(),
            time: crate::event::time::parse(t),
        };
        let (_, events) = archive(
            vec![vec![event(create, 0, 0, 1)]],
            vec![
                link("1", "arn:aws:iam::1:mfa/y", "other", "2026-03-02T10:01:00Z"),
                link(
                    "2",
                    "arn:aws:iam::1:mfa/x",
                    "elsewhere",
                    "2026-03-02T10:01:00Z",
                ),
                link("1", "arn:aws:iam::1:mfa/x", "later", "2026-03-02T11:00:00Z"),
                link("1", "arn:aws:iam::1:mfa/x", "early", "2026-03-02T09:00:00Z"),
                link("1", "arn:aws:iam::1:mfa/x", "bob", "2026-03-02T10:05:00Z"),
            ],
        );
        assert_eq!(events[0].event.target, "bob");
    }
}
