//! Gathering the selected events while the scan runs, and giving `CreateVirtualMFADevice` the
//! user its device went to.
//!
//! Everything goes into external sorts as it arrives (from any worker thread): the events
//! with a final target into the report-order sort, and their slim deduplication items into
//! the sort by eventID (see [`super::dedup`]); `CreateVirtualMFADevice` calls, which name no
//! user, into a sort by (account, serial, time), beside the successful `EnableMFADevice`
//! calls sorted the same way. Once the scan is done the two are merged: each creation takes
//! the user the same serial is enabled for next, holding one enablement at a time.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Mutex;

use super::dedup::{Delivery, delivery_order};
use super::{Reported, report_order};
use crate::error::Error;
use crate::event::{Event, MfaLink};
use crate::filter::Selection;
use crate::scan::file::Collect;
use crate::spill::{Decoder, Encoder, Shared, Spill, SpillDir};

/// Gathers the selected events of every file while the scan runs (from any thread).
pub struct Collector<'d> {
    selection: &'d Selection,
    ready: Sinks<'d>,
    unresolved: Shared<'d, Unresolved>,
    links: Shared<'d, MfaLink>,
}

/// Where the events with a final target go.
struct Sinks<'d> {
    events: Shared<'d, Reported>,
    deliveries: Shared<'d, Delivery>,
    names: Mutex<BTreeSet<String>>,
}

/// Everything collected, every event with its final target.
pub(super) struct Collected<'d> {
    /// The events, in report order (not yet deduplicated).
    pub events: Shared<'d, Reported>,
    /// Their deduplication items.
    pub deliveries: Shared<'d, Delivery>,
    /// The distinct event names.
    pub names: BTreeSet<String>,
}

/// Events on their way to the collector's sorts.
#[derive(Default)]
struct Batch {
    events: Vec<Reported>,
    deliveries: Vec<Delivery>,
    names: BTreeSet<String>,
}

impl Batch {
    /// Takes one event whose target is final: kept if the user filter keeps it.
    fn deliver(&mut self, selection: &Selection, event: Box<Event>) {
        if !selection.keeps_users(&event) {
            return;
        }
        Delivery::of(&event, &mut self.deliveries);
        if !self.names.contains(event.name.as_str()) {
            self.names.insert(event.name.to_string());
        }
        self.events.push(Reported {
            event,
            copies: 0,
            conflict: false,
            seq: 0,
        });
    }

    fn len(&self) -> usize {
        self.events.len()
    }

    /// Hands the batch to the sorts.
    fn flush(&mut self, to: &Sinks<'_>) {
        if !self.events.is_empty() {
            to.events.extend(self.events.drain(..));
            to.deliveries.extend(self.deliveries.drain(..));
        }
        if !self.names.is_empty() {
            let mut names = to.names.lock().unwrap_or_else(|p| p.into_inner());
            names.append(&mut self.names);
        }
    }
}

impl<'d> Collector<'d> {
    pub fn new(dir: &'d SpillDir, selection: &'d Selection) -> Collector<'d> {
        Collector {
            selection,
            ready: Sinks {
                events: Shared::new(dir, report_order),
                deliveries: Shared::new(dir, delivery_order),
                names: Mutex::new(BTreeSet::new()),
            },
            unresolved: Shared::new(dir, unresolved_order),
            links: Shared::new(dir, link_order),
        }
    }

    /// Gives every `CreateVirtualMFADevice` its user, then hands everything to deduplication.
    pub(super) fn finish(self) -> Result<Collected<'d>, Error> {
        let Collector {
            selection,
            ready,
            unresolved,
            links,
        } = self;
        let mut unresolved = unresolved.finish()?;
        let mut links = links.finish()?;
        let mut link = links.pop()?;
        // The first enablement of the (account, serial) the last creation had.
        let mut first: Option<MfaLink> = None;
        let mut batch = Batch::default();
        while let Some(Unresolved(mut event)) = unresolved.pop()? {
            let key = (event.account.as_str(), event.mfa_serial.as_str());
            while link.as_ref().is_some_and(|l| link_key(l) < key) {
                link = links.pop()?;
            }
            if first.as_ref().is_none_or(|f| link_key(f) != key) {
                first = link.clone().filter(|l| link_key(l) == key);
            }
            let target = match event.time {
                // The first enablement at or after the creation (or one whose time is unknown).
                Some(created) => {
                    while link.as_ref().is_some_and(|l| {
                        link_key(l) == key && l.time.is_some_and(|enabled| enabled < created)
                    }) {
                        link = links.pop()?;
                    }
                    link.as_ref()
                        .filter(|l| link_key(l) == key)
                        .map(|l| &l.user)
                }
                // The creation's time is unknown: any enablement, the first.
                None => first.as_ref().map(|l| &l.user),
            };
            if let Some(user) = target {
                event.target = user.clone();
            }
            batch.deliver(selection, event);
            if batch.len() >= 256 {
                batch.flush(&ready);
            }
        }
        batch.flush(&ready);
        let Sinks {
            events,
            deliveries,
            names,
        } = ready;
        Ok(Collected {
            events,
            deliveries,
            names: names.into_inner().unwrap_or_else(|p| p.into_inner()),
        })
    }
}

impl Collect for Collector<'_> {
    fn events(&self, events: &mut Vec<Event>) {
        let mut ready = Batch::default();
        let mut later = Vec::new();
        for e in events.drain(..) {
            let e = Box::new(e);
            if e.name == "CreateVirtualMFADevice" && e.target.is_empty() && !e.mfa_serial.is_empty()
            {
                later.push(Unresolved(e));
            } else {
                ready.deliver(self.selection, e);
            }
        }
        ready.flush(&self.ready);
        if !later.is_empty() {
            self.unresolved.extend(later);
        }
    }

    fn links(&self, links: &mut Vec<MfaLink>) {
        self.links.extend(links.drain(..));
    }
}

/// A `CreateVirtualMFADevice` waiting for its user.
struct Unresolved(Box<Event>);

impl Spill for Unresolved {
    fn weight(&self) -> usize {
        self.0.weight()
    }
    fn encode(&self, out: &mut Encoder) {
        self.0.encode(out);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Unresolved(Box::new(Event::decode(d)?)))
    }
}

/// (account, serial), then time (unknown last), then origin.
fn unresolved_order(a: &Unresolved, b: &Unresolved) -> Ordering {
    fn key(
        u: &Unresolved,
    ) -> (
        &str,
        &str,
        bool,
        Option<crate::event::time::Timestamp>,
        crate::event::Origin,
    ) {
        let e = &u.0;
        (
            e.account.as_str(),
            e.mfa_serial.as_str(),
            e.time.is_none(),
            e.time,
            e.origin,
        )
    }
    key(a).cmp(&key(b))
}

fn link_key(l: &MfaLink) -> (&str, &str) {
    (l.account.as_str(), l.serial.as_str())
}

/// (account, serial), then time (unknown last), then user.
fn link_order(a: &MfaLink, b: &MfaLink) -> Ordering {
    fn key(
        l: &MfaLink,
    ) -> (
        &str,
        &str,
        bool,
        Option<crate::event::time::Timestamp>,
        &str,
    ) {
        (
            l.account.as_str(),
            l.serial.as_str(),
            l.time.is_none(),
            l.time,
            l.user.as_str(),
        )
    }
    key(a).cmp(&key(b))
}

impl Spill for MfaLink {
    fn weight(&self) -> usize {
        self.account.capacity() + self.serial.capacity() + self.user.capacity()
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.account);
        out.str(&self.serial);
        out.str(&self.user);
        out.time(self.time);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(MfaLink {
            account: d.text()?,
            serial: d.text()?,
            user: d.text()?,
            time: d.time()?,
        })
    }
}

/// The merged stream of a sorter, for tests.
#[cfg(test)]
pub(super) fn drain<T: Spill>(mut m: crate::spill::Merged<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(x) = m.pop().unwrap() {
        out.push(x);
    }
    out
}
