//! Deduplication: the same event delivered twice is reported once; one eventID with two
//! contents is reported twice and flagged as a conflict.
//!
//! The events themselves are sorted once, in report order. What deduplication needs of each
//! delivery is a slim item ([`Delivery`]: eventID, content fingerprint, time and origin),
//! sorted by eventID (by its hash first); within one eventID every delivery is preceded by a
//! key item holding only its content's fingerprint. Reading an eventID's key items tells how
//! many contents it has before its first delivery comes by, so one pass decides every
//! delivery, holding one at a time however many copies or contents an eventID has. The
//! decisions ([`Verdict`]) are sorted back into report order and joined one to one with the
//! events (see [`super::Events`]).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::error::Error;
use crate::event::fingerprint::Fingerprint;
use crate::event::time::Timestamp;
use crate::event::{Event, Origin, Str};
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill};

/// What deduplication needs of one selected record.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// The content of one delivery of an eventID (sorted before the deliveries themselves).
    Key {
        id: u64,
        event_id: Str,
        fingerprint: Fingerprint,
    },
    /// The delivery: its content, and its place in report order.
    Slim {
        id: u64,
        event_id: Str,
        fingerprint: Fingerprint,
        time: Option<Timestamp>,
        origin: Origin,
    },
}

impl Delivery {
    /// The items of one delivery: its key (when it has an eventID) and itself.
    pub(crate) fn of(event: &Event, out: &mut Vec<Delivery>) {
        let id = twox_hash::XxHash3_128::oneshot(event.event_id.as_bytes()) as u64;
        if !event.event_id.is_empty() {
            out.push(Delivery::Key {
                id,
                event_id: event.event_id.clone(),
                fingerprint: event.fingerprint,
            });
        }
        out.push(Delivery::Slim {
            id,
            event_id: event.event_id.clone(),
            fingerprint: event.fingerprint,
            time: event.time,
            origin: event.origin,
        });
    }

    fn key(&self) -> (u64, &str, u8, Fingerprint) {
        match self {
            Delivery::Key {
                id,
                event_id,
                fingerprint,
            } => (*id, event_id, 0, *fingerprint),
            Delivery::Slim {
                id,
                event_id,
                fingerprint,
                ..
            } => (*id, event_id, 1, *fingerprint),
        }
    }
}

/// eventID (by hash), keys before deliveries, then content, then origin: the copies of an
/// event side by side, the first (the one reported) first.
pub(crate) fn delivery_order(a: &Delivery, b: &Delivery) -> Ordering {
    let origin = |d: &Delivery| match d {
        Delivery::Key { .. } => None,
        Delivery::Slim { origin, .. } => Some(*origin),
    };
    a.key()
        .cmp(&b.key())
        .then_with(|| origin(a).cmp(&origin(b)))
}

impl Spill for Delivery {
    fn weight(&self) -> usize {
        match self {
            Delivery::Key { event_id, .. } | Delivery::Slim { event_id, .. } => event_id.capacity(),
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
            Delivery::Slim {
                id,
                event_id,
                fingerprint,
                time,
                origin,
            } => {
                out.bool(true);
                out.u64(*id);
                out.str(event_id);
                out.u128(fingerprint.0);
                out.time(*time);
                out.origin(*origin);
            }
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Delivery> {
        Some(if d.bool()? {
            Delivery::Slim {
                id: d.u64()?,
                event_id: d.text()?,
                fingerprint: Fingerprint(d.u128()?),
                time: d.time()?,
                origin: d.origin()?,
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

/// What became of one delivery, in report order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub time: Option<Timestamp>,
    pub event_id: Str,
    pub origin: Origin,
    /// How many times the archive holds this exact event; 0 for a repeat (not reported).
    pub copies: u32,
    /// Another record has the same eventID and different content.
    pub conflict: bool,
}

impl Verdict {
    fn order_key(&self) -> (bool, Option<Timestamp>, &str, Origin) {
        (self.time.is_none(), self.time, &self.event_id, self.origin)
    }
}

/// The report order ([`Event::order_key`]).
pub(crate) fn verdict_order(a: &Verdict, b: &Verdict) -> Ordering {
    a.order_key().cmp(&b.order_key())
}

impl Spill for Verdict {
    fn weight(&self) -> usize {
        self.event_id.capacity()
    }
    fn encode(&self, out: &mut Encoder) {
        out.time(self.time);
        out.str(&self.event_id);
        out.origin(self.origin);
        out.u64(u64::from(self.copies));
        out.bool(self.conflict);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Verdict> {
        Some(Verdict {
            time: d.time()?,
            event_id: d.text()?,
            origin: d.origin()?,
            copies: d.u32()?,
            conflict: d.bool()?,
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

/// Reads the sorted deliveries; decides each one (to `verdicts`) and charges each repeat or
/// conflict to its file (to `tallies`).
pub(crate) fn deduplicate(
    mut deliveries: Merged<Delivery>,
    verdicts: &mut Sorter<'_, Verdict>,
    tallies: &mut Sorter<'_, FileTally>,
) -> Result<Archive, Error> {
    let mut archive = Archive::default();
    // The eventID whose key items were read last, and whether it has several contents.
    let mut group: Option<(u64, Str)> = None;
    let mut last_print: Option<Fingerprint> = None;
    let mut conflict = false;
    // The first delivery of the current content (its copies counted so far), and its content.
    let mut held: Option<(Verdict, Fingerprint)> = None;
    let report = |held: &mut Option<(Verdict, Fingerprint)>,
                  archive: &mut Archive,
                  verdicts: &mut Sorter<'_, Verdict>|
     -> Result<(), Error> {
        if let Some((verdict, _)) = held.take() {
            archive.reported += 1;
            verdicts.push(verdict)?;
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
                    report(&mut held, &mut archive, verdicts)?;
                    group = Some((id, event_id));
                    conflict = false;
                } else if last_print != Some(fingerprint) && !conflict {
                    conflict = true;
                    archive.conflicts += 1;
                }
                last_print = Some(fingerprint);
            }
            Delivery::Slim {
                event_id,
                time,
                origin,
                fingerprint,
                ..
            } => {
                // Records without an eventID are never merged.
                let unmerged = event_id.is_empty();
                let repeat = !unmerged
                    && held.as_ref().is_some_and(|(kept, print)| {
                        *print == fingerprint && kept.event_id == event_id
                    });
                let conflict = conflict && !unmerged;
                let this = Verdict {
                    time,
                    event_id,
                    origin,
                    copies: u32::from(!repeat),
                    conflict,
                };
                if repeat {
                    if let Some((kept, _)) = held.as_mut() {
                        kept.copies += 1;
                    }
                    archive.duplicates += 1;
                    verdicts.push(this)?;
                } else {
                    report(&mut held, &mut archive, verdicts)?;
                    held = Some((this, fingerprint));
                }
                if repeat || conflict {
                    tallies.push(FileTally {
                        file: origin.file,
                        duplicates: u64::from(repeat),
                        conflicts: u64::from(conflict),
                    })?;
                }
            }
        }
    }
    report(&mut held, &mut archive, verdicts)?;
    Ok(archive)
}
