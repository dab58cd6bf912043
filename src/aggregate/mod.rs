//! Aggregation: the selected events of every file in, one deduplicated, resolved archive out,
//! streamed in report order.
//!
//! - `CreateVirtualMFADevice` names no user; its target is the user to whom the same serial
//!   number is enabled next in the archive (successful `EnableMFADevice` calls, read whatever
//!   the filters): see [`collect`].
//! - The same event delivered twice (same eventID, same content) is reported once, with the
//!   number of copies; the same eventID with different content is kept twice and flagged as a
//!   conflict. Records without an eventID are never merged: see [`dedup`].
//! - Order: time (unknown times last), eventID, then origin: the same for any thread count.
//!
//! Every step goes through external sorts ([`crate::spill`]): by (account, serial) for the
//! MFA devices; the events once, by report order, while slim items of each go by eventID
//! for deduplication and its decisions come back in report order to be joined with them. At
//! any moment one enablement, one delivery and the sorters' budgets are in memory.

pub mod collect;
pub mod dedup;
pub mod timeline;
pub mod users;

use std::cmp::Ordering;

pub use collect::Collector;
pub use dedup::{Archive, FileTally, Verdict};

use crate::error::Error;
use crate::event::Event;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};

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
pub fn report_order(a: &Reported, b: &Reported) -> Ordering {
    a.event.order_key().cmp(&b.event.order_key())
}

/// The archive's events in report order, each numbered with its position.
pub struct Events {
    /// Every delivery, in report order.
    sorted: Merged<Reported>,
    /// What became of each, in the same order.
    verdicts: Merged<Verdict>,
    next_seq: u64,
}

impl Events {
    pub fn pop(&mut self) -> Result<Option<Reported>, Error> {
        loop {
            let Some(mut r) = self.sorted.pop()? else {
                return Ok(None);
            };
            // Both streams are in one total order over the same deliveries: they pair up.
            let verdict = self.verdicts.pop()?;
            let Some(verdict) = verdict.filter(|v| v.origin == r.event.origin) else {
                return Err(Error::Inconsistent(format!(
                    "the deduplication of the event from file #{} record #{} went astray",
                    r.event.origin.file, r.event.origin.record
                )));
            };
            if verdict.copies == 0 {
                continue;
            }
            r.copies = verdict.copies;
            r.conflict = verdict.conflict;
            r.seq = self.next_seq;
            self.next_seq += 1;
            return Ok(Some(r));
        }
    }
}

/// The archive's events in report order, and what deduplication counted.
pub struct Deduplicated {
    pub archive: Archive,
    pub events: Events,
    /// Each repeat and conflict, by file index (sum them per file).
    pub tallies: Merged<FileTally>,
}

/// Resolves and deduplicates what was collected.
pub fn build(collected: Collector<'_>, dir: &SpillDir) -> Result<Deduplicated, Error> {
    let collect::Collected {
        events,
        deliveries,
        names,
    } = collected.finish()?;
    let mut verdicts = Sorter::new(dir, dedup::verdict_order);
    let mut tallies = Sorter::new(dir, dedup::tally_order);
    let mut archive = dedup::deduplicate(deliveries.finish()?, &mut verdicts, &mut tallies)?;
    archive.names = names;
    Ok(Deduplicated {
        archive,
        events: Events {
            sorted: events.finish()?,
            verdicts: verdicts.finish()?,
            next_seq: 0,
        },
        tallies: tallies.finish()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::fingerprint::Fingerprint;
    use crate::event::{MfaLink, Origin};
    use crate::filter::{EventSet, Selection};
    use crate::scan::file::Collect;

    fn event(json: &str, file: u32, record: u64, fp: u128) -> Event {
        let mut e = crate::event::from_json(json);
        e.origin = Origin { file, record };
        e.fingerprint = Fingerprint(fp);
        e
    }

    /// The archive of `files` (one vector of events each), built in memory and again with a
    /// budget so small that every sort spills: both must agree.
    fn archive(
        files: Vec<Vec<Event>>,
        links: Vec<MfaLink>,
    ) -> (Archive, Vec<Reported>, Vec<FileTally>) {
        let mut results = Vec::new();
        for budget in [1 << 20, 1] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = SpillDir::new(tmp.path(), budget);
            let selection = Selection::new(EventSet::All);
            let collector = Collector::new(&dir, &selection);
            collector.links(&mut links.clone());
            for events in files.iter().rev() {
                collector.events(&mut events.clone());
            }
            let Deduplicated {
                archive,
                mut events,
                tallies,
            } = build(collector, &dir).unwrap();
            let mut reported = Vec::new();
            while let Some(r) = events.pop().unwrap() {
                reported.push(r);
            }
            let tallies = collect::drain(tallies);
            assert_eq!(dir.runs_written() > 0, budget == 1);
            results.push((archive, reported, tallies));
        }
        let spilled = results.pop().unwrap();
        let (archive, reported, tallies) = results.pop().unwrap();
        assert_eq!(spilled.1, reported);
        assert_eq!(spilled.2, tallies);
        assert_eq!(spilled.0.names, archive.names);
        (archive, reported, tallies)
    }

    #[test]
    fn duplicates_collapse_and_conflicts_stay() {
        let a =
            r#"{"eventID":"e1","eventName":"ChangePassword","eventTime":"2026-03-02T10:00:00Z"}"#;
        let b =
            r#"{"eventID":"e2","eventName":"ChangePassword","eventTime":"2026-03-02T09:00:00Z"}"#;
        let no_id = r#"{"eventName":"ChangePassword","eventTime":"2026-03-02T08:00:00Z"}"#;
        let (archive, events, tallies) = archive(
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
        let tally = |file, duplicates, conflicts| FileTally {
            file,
            duplicates,
            conflicts,
        };
        assert_eq!(tallies, [tally(0, 0, 1), tally(1, 0, 1), tally(1, 1, 0)]);
        assert_eq!(
            archive.names.into_iter().collect::<Vec<_>>(),
            ["ChangePassword"]
        );
    }

    #[test]
    fn many_copies_and_contents_of_one_event_id() {
        // Three contents, the second delivered four times: one conflict, three events.
        let json = r#"{"eventID":"same","eventName":"ChangePassword"}"#;
        let files = vec![vec![
            event(json, 0, 0, 3),
            event(json, 0, 1, 2),
            event(json, 0, 2, 2),
            event(json, 0, 3, 1),
            event(json, 0, 4, 2),
            event(json, 0, 5, 2),
        ]];
        let (archive, events, _) = archive(files, vec![]);
        let rows: Vec<_> = events
            .iter()
            .map(|r| (r.event.origin.record, r.copies, r.conflict))
            .collect();
        assert_eq!(rows, [(0, 1, true), (1, 4, true), (3, 1, true)]);
        assert_eq!((archive.duplicates, archive.conflicts), (3, 1));
    }

    #[test]
    fn virtual_devices_take_the_next_enablement() {
        let create = |t: &str, record| {
            event(
                &format!(
                    r#"{{"eventName":"CreateVirtualMFADevice","eventID":"c{record}","recipientAccountId":"1","eventTime":"{t}","userIdentity":{{"type":"IAMUser","userName":"admin"}},"responseElements":{{"virtualMFADevice":{{"serialNumber":"arn:aws:iam::1:mfa/x"}}}}}}"#
                ),
                0,
                record,
                record.into(),
            )
        };
        let untimed = event(
            r#"{"eventName":"CreateVirtualMFADevice","eventID":"c9","recipientAccountId":"1","userIdentity":{"type":"IAMUser","userName":"admin"},"responseElements":{"virtualMFADevice":{"serialNumber":"arn:aws:iam::1:mfa/x"}}}"#,
            0,
            9,
            9,
        );
        let link = |account: &str, serial: &str, user: &str, t: &str| MfaLink {
            account: account.into(),
            serial: serial.into(),
            user: user.into(),
            time: crate::event::time::parse(t),
        };
        let (_, events, _) = archive(
            vec![vec![
                create("2026-03-02T10:00:00Z", 1),
                create("2026-03-02T10:30:00Z", 2),
                create("2026-03-02T12:00:00Z", 3),
                untimed,
            ]],
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
        let targets: Vec<_> = events
            .iter()
            .map(|r| (r.event.event_id.as_str(), r.event.target.as_str()))
            .collect();
        assert_eq!(
            targets,
            [("c1", "bob"), ("c2", "later"), ("c3", ""), ("c9", "early")]
        );
    }
}
