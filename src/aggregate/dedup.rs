//! Deduplication: the same event delivered twice is reported once; one eventID with two
//! contents is reported twice and flagged as a conflict.
//!
//! The deliveries are sorted by eventID (by its hash first), and within one eventID every
//! delivery is preceded by a small key item holding only its content's fingerprint. Reading an
//! eventID's key items tells how many contents it has before its first delivery comes by, so
//! one pass reports every event with its flag while holding one delivery at a time, however
//! many copies or contents an eventID has.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::Reported;
use crate::error::Error;
use crate::event::Event;
use crate::event::fingerprint::Fingerprint;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill};

/// One selected record on its way to deduplication.
pub(crate) enum Delivery {
    /// The content of one delivery of an eventID (sorted before the deliveries themselves).
    Key {
        id: u64,
        event_id: crate::event::Str,
        fingerprint: Fingerprint,
    },
    /// The delivery itself.
    Full { id: u64, event: Box<Event> },
}

impl Delivery {
    /// The items of one delivery: its key (when it has an eventID) and itself.
    pub(crate) fn of(event: Box<Event>, out: &mut Vec<Delivery>) {
        let id = twox_hash::XxHash3_128::oneshot(event.event_id.as_bytes()) as u64;
        if !event.event_id.is_empty() {
            out.push(Delivery::Key {
                id,
                event_id: event.event_id.clone(),
                fingerprint: event.fingerprint,
            });
        }
        out.push(Delivery::Full { id, event });
    }

    fn key(&self) -> (u64, &str, u8, Fingerprint) {
        match self {
            Delivery::Key {
                id,
                event_id,
                fingerprint,
            } => (*id, event_id, 0, *fingerprint),
            Delivery::Full { id, event } => (*id, &event.event_id, 1, event.fingerprint),
        }
    }
}

/// eventID (by hash), keys before deliveries, then content, then origin: the copies of an
/// event side by side.
pub(crate) fn delivery_order(a: &Delivery, b: &Delivery) -> Ordering {
    let origin = |d: &Delivery| match d {
        Delivery::Key { .. } => None,
        Delivery::Full { event, .. } => Some(event.origin),
    };
    a.key()
        .cmp(&b.key())
        .then_with(|| origin(a).cmp(&origin(b)))
}

impl Spill for Delivery {
    fn weight(&self) -> usize {
        match self {
            Delivery::Key { event_id, .. } => event_id.capacity() + 32,
            Delivery::Full { event, .. } => event.weight(),
        }
    }

    fn encode(&self, out: &mut Encoder) {
        match self {
            Delivery::Key {
                id,
                event_id,
                fingerprint,
            } => {
                out.bool(false);
                out.u64(*id);
                out.str(event_id);
                out.u128(fingerprint.0);
            }
            Delivery::Full { id, event } => {
                out.bool(true);
                out.u64(*id);
                event.encode(out);
            }
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Delivery> {
        Some(if d.bool()? {
            Delivery::Full {
                id: d.u64()?,
                event: Box::new(Event::decode(d)?),
            }
        } else {
            Delivery::Key {
                id: d.u64()?,
                event_id: d.text()?,
                fingerprint: Fingerprint(d.u128()?),
            }
        })
    }
}

/// What deduplication counted.
#[derive(Debug, Clone, Default)]
pub struct Archive {
    /// Events reported (after duplicates are merged).
    pub reported: u64,
    /// Records dropped as repeats.
    pub duplicates: u64,
    /// eventIDs with more than one content.
    pub conflicts: u64,
    /// The distinct event names reported.
    pub names: BTreeSet<String>,
}

/// Duplicates and conflicts of one delivery, charged to its file (summed per file for the
/// manifest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileTally {
    pub file: u32,
    /// Records of this file that repeat an event reported from elsewhere.
    pub duplicates: u64,
    /// Records of this file whose eventID has conflicting content.
    pub conflicts: u64,
}

impl Spill for FileTally {
    fn weight(&self) -> usize {
        0
    }
    fn encode(&self, out: &mut Encoder) {
        out.u64(u64::from(self.file));
        out.u64(self.duplicates);
        out.u64(self.conflicts);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(FileTally {
            file: d.u32()?,
            duplicates: d.u64()?,
            conflicts: d.u64()?,
        })
    }
}

pub(crate) fn tally_order(a: &FileTally, b: &FileTally) -> Ordering {
    (a.file, a.duplicates, a.conflicts).cmp(&(b.file, b.duplicates, b.conflicts))
}

/// Reads the sorted deliveries; reports each distinct event to `reported` and each repeat or
/// conflict to `tallies`.
pub(crate) fn deduplicate(
    mut deliveries: Merged<Delivery>,
    reported: &mut Sorter<'_, Reported>,
    tallies: &mut Sorter<'_, FileTally>,
) -> Result<Archive, Error> {
    let mut archive = Archive::default();
    // The eventID whose key items were read last, and whether it has several contents.
    let mut group: Option<(u64, crate::event::Str)> = None;
    let mut last_print: Option<Fingerprint> = None;
    let mut conflict = false;
    // The first delivery of the current content, and how many copies it has so far.
    let mut held: Option<(Box<Event>, u32, bool)> = None;
    let mut report =
        |held: &mut Option<(Box<Event>, u32, bool)>, archive: &mut Archive| -> Result<(), Error> {
            if let Some((event, copies, conflict)) = held.take() {
                archive.reported += 1;
                if !archive.names.contains(event.name.as_str()) {
                    archive.names.insert(event.name.to_string());
                }
                reported.push(Reported {
                    event,
                    copies,
                    conflict,
                    seq: 0,
                })?;
            }
            Ok(())
        };
    while let Some(d) = deliveries.pop()? {
        match d {
            Delivery::Key {
                id,
                event_id,
                fingerprint,
            } => {
                let same = group
                    .as_ref()
                    .is_some_and(|(i, e)| *i == id && *e == event_id);
                if !same {
                    report(&mut held, &mut archive)?;
                    group = Some((id, event_id));
                    conflict = false;
                } else if last_print != Some(fingerprint) && !conflict {
                    conflict = true;
                    archive.conflicts += 1;
                }
                last_print = Some(fingerprint);
            }
            Delivery::Full { event, .. } if event.event_id.is_empty() => {
                // Records without an eventID are never merged.
                report(&mut held, &mut archive)?;
                held = Some((event, 1, false));
            }
            Delivery::Full { event, .. } => {
                let file = event.origin.file;
                let repeat = held.as_ref().is_some_and(|(h, _, _)| {
                    h.fingerprint == event.fingerprint && h.event_id == event.event_id
                });
                if repeat {
                    if let Some((_, copies, _)) = held.as_mut() {
                        *copies += 1;
                    }
                    archive.duplicates += 1;
                } else {
                    report(&mut held, &mut archive)?;
                    held = Some((event, 1, conflict));
                }
                if repeat || conflict {
                    tallies.push(FileTally {
                        file,
                        duplicates: u64::from(repeat),
                        conflicts: u64::from(conflict),
                    })?;
                }
            }
        }
    }
    report(&mut held, &mut archive)?;
    Ok(archive)
}
