//! Aggregation: the selected events of every file in, one deduplicated, resolved, sorted
//! archive out, with per-user timelines and summaries built from it.
//!
//! - `CreateVirtualMFADevice` names no user; its target is the user to whom the same serial
//!   number is enabled next in the archive (successful `EnableMFADevice` calls, read whatever
//!   the filters).
//! - The same event delivered twice (same eventID, same content) is reported once, with the
//!   number of copies; the same eventID with different content is kept twice and flagged as a
//!   conflict. Records without an eventID are never merged.
//! - Order: time (unknown times last), eventID, then origin: the same for any thread count.

pub mod timeline;
pub mod users;

use std::collections::HashMap;

use crate::event::Event;
use crate::filter::Selection;
use crate::scan::file::{FileReport, MfaLink};

/// An event as reported: one per distinct delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// Boxed: an event is half a kilobyte before its strings, and sorting and deduplicating
    /// `--all-events` runs move every event several times.
    pub event: Box<Event>,
    /// How many times the archive holds this exact event.
    pub copies: u32,
    /// Another record has the same eventID and different content.
    pub conflict: bool,
}

/// Duplicate and conflict counts of one input file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileTally {
    /// Records of this file that repeat an event reported from elsewhere.
    pub duplicates: u64,
    /// Records of this file whose eventID has conflicting content.
    pub conflicts: u64,
}

/// The deduplicated, resolved, sorted events of a run.
#[derive(Debug, Clone, Default)]
pub struct Archive {
    pub events: Vec<Reported>,
    /// Records dropped as repeats.
    pub duplicates: u64,
    /// eventIDs with more than one content.
    pub conflicts: u64,
    /// Indexed like the input files.
    pub tallies: Vec<FileTally>,
}

/// Builds the archive, taking the events and links out of the file reports.
pub fn build(reports: &mut [FileReport], selection: &Selection) -> Archive {
    let total = reports.iter().map(|r| r.events.len()).sum();
    let mut events: Vec<Box<Event>> = Vec::with_capacity(total);
    let mut links: Vec<MfaLink> = Vec::new();
    for r in reports.iter_mut() {
        // Each file's events are moved once, into their boxes, and its vector freed.
        events.extend(std::mem::take(&mut r.events).into_iter().map(Box::new));
        links.append(&mut r.links);
    }
    resolve_virtual_devices(&mut events, links);
    events.retain(|e| selection.keeps_users(e));
    let mut archive = dedup(events, reports.len());
    let order = sorted_order(&archive.events, |a, b| {
        a.event.order_key().cmp(&b.event.order_key())
    });
    archive.events = permute(std::mem::take(&mut archive.events), &order);
    archive
}

/// The order that sorts `items` (stable), found by sorting indexes: events are big, and a
/// sort that moves them costs more than the comparisons.
fn sorted_order<T>(items: &[T], compare: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<u32> {
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_by(|&a, &b| compare(&items[a as usize], &items[b as usize]));
    order
}

/// `items` rearranged into `order`.
fn permute<T>(items: Vec<T>, order: &[u32]) -> Vec<T> {
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .iter()
        .map(|&i| slots[i as usize].take().expect("each index once"))
        .collect()
}

/// Gives each `CreateVirtualMFADevice` the user its serial is enabled for next.
fn resolve_virtual_devices(events: &mut [Box<Event>], mut links: Vec<MfaLink>) {
    links.sort_by(|a, b| {
        (&a.account, &a.serial, a.time.is_none(), a.time, &a.user).cmp(&(
            &b.account,
            &b.serial,
            b.time.is_none(),
            b.time,
            &b.user,
        ))
    });
    let mut by_serial: HashMap<(&str, &str), Vec<&MfaLink>> = HashMap::new();
    for l in &links {
        by_serial
            .entry((&l.account, &l.serial))
            .or_default()
            .push(l);
    }
    for e in events.iter_mut().filter(|e| {
        e.name == "CreateVirtualMFADevice" && e.target.is_empty() && !e.mfa_serial.is_empty()
    }) {
        let Some(candidates) = by_serial.get(&(e.account.as_str(), e.mfa_serial.as_str())) else {
            continue;
        };
        // The first enablement at or after the creation (any, when a time is unknown).
        let next = candidates.iter().find(|l| match (e.time, l.time) {
            (Some(created), Some(enabled)) => enabled >= created,
            _ => true,
        });
        if let Some(link) = next {
            e.target = link.user.clone();
        }
    }
}

/// Collapses repeated deliveries and flags conflicts.
// Boxed on purpose: the sort below moves every event, and a box is 8 bytes.
#[allow(clippy::vec_box)]
fn dedup(events: Vec<Box<Event>>, files: usize) -> Archive {
    let mut archive = Archive {
        events: Vec::with_capacity(events.len()),
        tallies: vec![FileTally::default(); files],
        ..Archive::default()
    };
    // Grouped by a hash of the eventID first: the strings are compared only when the hashes
    // tie (the same eventID, or a 64-bit collision, which the string comparison then settles).
    let ids: Vec<u64> = events
        .iter()
        .map(|e| twox_hash::XxHash3_128::oneshot(e.event_id.as_bytes()) as u64)
        .collect();
    let mut order: Vec<u32> = (0..events.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&events[a as usize], &events[b as usize]);
        (ids[a as usize], &x.event_id, x.fingerprint, x.origin).cmp(&(
            ids[b as usize],
            &y.event_id,
            y.fingerprint,
            y.origin,
        ))
    });
    let mut rest = permute(events, &order).into_iter().peekable();
    while let Some(first) = rest.next() {
        if first.event_id.is_empty() {
            archive.events.push(Reported {
                event: first,
                copies: 1,
                conflict: false,
            });
            continue;
        }
        // Every record with this eventID, grouped by content (they are sorted that way).
        let mut same_id = vec![first];
        while let Some(next) = rest.next_if(|n| n.event_id == same_id[0].event_id) {
            same_id.push(next);
        }
        let contents = 1 + same_id
            .windows(2)
            .filter(|w| w[0].fingerprint != w[1].fingerprint)
            .count();
        let conflict = contents > 1;
        if conflict {
            archive.conflicts += 1;
            for e in &same_id {
                archive.tallies[e.origin.file as usize].conflicts += 1;
            }
        }
        let mut group = same_id.into_iter().peekable();
        while let Some(kept) = group.next() {
            let mut copies = 1;
            while let Some(repeat) = group.next_if(|n| n.fingerprint == kept.fingerprint) {
                copies += 1;
                archive.duplicates += 1;
                archive.tallies[repeat.origin.file as usize].duplicates += 1;
            }
            archive.events.push(Reported {
                event: kept,
                copies,
                conflict,
            });
        }
    }
    archive
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

    fn report(file: u32, events: Vec<Event>, links: Vec<MfaLink>) -> FileReport {
        FileReport {
            events,
            links,
            ..FileReport::empty(file, 0)
        }
    }

    fn all() -> Selection {
        Selection::new(EventSet::All)
    }

    #[test]
    fn duplicates_collapse_and_conflicts_stay() {
        let a =
            r#"{"eventID":"e1","eventName":"ChangePassword","eventTime":"2026-03-02T10:00:00Z"}"#;
        let b =
            r#"{"eventID":"e2","eventName":"ChangePassword","eventTime":"2026-03-02T09:00:00Z"}"#;
        let no_id = r#"{"eventName":"ChangePassword","eventTime":"2026-03-02T08:00:00Z"}"#;
        let mut reports = vec![
            report(
                0,
                vec![event(a, 0, 5, 1), event(b, 0, 6, 7), event(no_id, 0, 7, 9)],
                vec![],
            ),
            report(
                1,
                vec![event(a, 1, 0, 1), event(b, 1, 1, 8), event(no_id, 1, 2, 9)],
                vec![],
            ),
        ];
        let archive = build(&mut reports, &all());
        let rows: Vec<_> = archive
            .events
            .iter()
            .map(|r| {
                (
                    r.event.event_id.as_str(),
                    r.event.origin.file,
                    r.copies,
                    r.conflict,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("", 0, 1, false),
                ("", 1, 1, false),
                ("e2", 0, 1, true),
                ("e2", 1, 1, true),
                ("e1", 0, 2, false)
            ]
        );
        assert_eq!((archive.duplicates, archive.conflicts), (1, 1));
        assert_eq!(
            archive.tallies,
            [
                FileTally {
                    duplicates: 0,
                    conflicts: 1
                },
                FileTally {
                    duplicates: 1,
                    conflicts: 1
                }
            ]
        );
    }

    #[test]
    fn virtual_devices_take_the_next_enablement() {
        let create = r#"{"eventName":"CreateVirtualMFADevice","recipientAccountId":"1","eventTime":"2026-03-02T10:00:00Z","userIdentity":{"type":"IAMUser","userName":"admin"},"responseElements":{"virtualMFADevice":{"serialNumber":"arn:aws:iam::1:mfa/x"}}}"#;
        let link = |user: &str, t: &str| MfaLink {
            account: "1".into(),
            serial: "arn:aws:iam::1:mfa/x".into(),
            user: user.into(),
            time: crate::event::time::parse(t),
        };
        let mut reports = vec![report(
            0,
            vec![event(create, 0, 0, 1)],
            vec![
                link("early", "2026-03-02T09:00:00Z"),
                link("bob", "2026-03-02T10:05:00Z"),
                link("later", "2026-03-02T11:00:00Z"),
            ],
        )];
        let archive = build(&mut reports, &all());
        assert_eq!(archive.events[0].event.target, "bob");
    }
}
