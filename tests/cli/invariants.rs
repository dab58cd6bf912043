//! Invariants that hold for any input bytes whatsoever. Shared with the fuzz target
//! (`fuzz/fuzz_targets/read_frame_decode.rs` includes this file), and run by the tests on every
//! committed fuzz seed.

use trailsift::event::Event;
use trailsift::filter::{EventSet, Selection};
use trailsift::frame::{Damage, Flow, Framer, Options, RecordBytes, Sink};
use trailsift::input::ReadLimits;
use trailsift::scan::file::{Collected, FileReport, Status, Worker};

fn selection(events: EventSet) -> Selection {
    Selection::new(events)
}

/// A file's report and the events it selected.
struct Scanned {
    report: FileReport,
    events: Vec<Event>,
}

fn scan(data: &[u8], events: EventSet, limits: ReadLimits) -> Scanned {
    let selection = selection(events);
    let prefilter = selection.prefilter();
    let collected = Collected::default();
    let report = Worker::with_limits(&selection, &prefilter, limits).scan_bytes(data, &collected);
    Scanned {
        report,
        events: collected.events.into_inner(),
    }
}

/// Everything a framer reports, in order.
#[derive(Debug, Default, PartialEq)]
struct Framing {
    /// Records: offset, length, escapes, anchored.
    records: Vec<(u64, usize, bool, bool)>,
    damaged: Vec<(u64, u64, Damage)>,
    non_objects: Vec<u64>,
    ending: Option<String>,
}

impl Sink for Framing {
    fn record(&mut self, r: RecordBytes<'_>) -> Flow {
        self.records
            .push((r.offset, r.bytes.len(), r.escapes, r.anchored));
        Flow::Continue
    }
    fn damaged(&mut self, index: u64, offset: u64, damage: Damage) {
        self.damaged.push((index, offset, damage));
    }
    fn non_object(&mut self, offset: u64) {
        self.non_objects.push(offset);
    }
}

fn frame(data: &[u8], options: Options) -> Framing {
    let mut framing = Framing::default();
    let mut framer = Framer::new(options);
    framer.feed(data, 0, true, &mut framing);
    let framed = framer.finish();
    framing.ending = Some(format!(
        "{:?} {:?} {}",
        framed.ending, framed.shape, framed.records
    ));
    framing
}

/// Frames `data` (as decompressed bytes) with and without the bulk path, and panics if the
/// framer reports anything differently.
pub fn check_bulk_framing(data: &[u8]) {
    let anchors = selection(EventSet::default_set()).prefilter().anchors();
    // Names without a source: one anchor pair per name.
    let names = selection(EventSet::Only(
        ["CreateAccessKey", "DeleteAccessKey", "UpdateLoginProfile"]
            .iter()
            .map(|n| n.parse().expect("an event name"))
            .collect(),
    ))
    .prefilter()
    .anchors();
    for options in [
        Options {
            anchors: names,
            ..Options::new(1 << 20)
        },
        Options::new(1 << 20),
        Options {
            anchors,
            ..Options::new(1 << 20)
        },
        Options {
            anchors,
            ..Options::new(64)
        },
    ] {
        let bulk = frame(data, options);
        let plain = frame(
            data,
            Options {
                bulk: false,
                ..options
            },
        );
        assert_eq!(bulk, plain, "the bulk path framed differently");
    }
}

/// Frames `data` with and without the bulk path, then reads it three ways, and panics if any
/// of them disagree:
/// - the prefiltered scan selects exactly the records a full decode of every record selects.
///   It frames the same records; it may count fewer undecodable ones, since a record whose
///   brackets are sound but whose text is not JSON (`"x": tru`) is only found out when decoded,
///   and the fast path decodes only candidates;
/// - a file that reads cleanly from one buffer reads identically through tiny streaming windows.
pub fn check(data: &[u8]) {
    check_bulk_framing(data);
    let fast = scan(data, EventSet::default_set(), ReadLimits::DEFAULT);
    let full = scan(data, EventSet::All, ReadLimits::DEFAULT);
    let (f, a) = (&fast.report, &full.report);
    // A full decode classifies every item; the fast path only those it decodes (an item
    // carrying a record's keys counts as one record without being decoded), so the record
    // counts agree only when nothing but plain records was found.
    if a.non_records.total() == 0 {
        assert_eq!(f.records, a.records);
        assert_eq!(f.non_records.total(), 0);
    }
    assert!(
        f.undecodable <= a.undecodable,
        "{} > {}",
        f.undecodable,
        a.undecodable
    );
    if f.undecodable == a.undecodable && f.records == a.records {
        assert_eq!(f.status, a.status);
    }
    let default = EventSet::default_set();
    let selected: Vec<_> = full
        .events
        .iter()
        .filter(|e| default.selects(&e.source, &e.name))
        .collect();
    assert_eq!(
        fast.events.iter().collect::<Vec<_>>(),
        selected,
        "the prefilter lost or invented events"
    );

    if fast.report.status == Status::Ok {
        let tiny = ReadLimits {
            max_compressed: 16,
            max_whole: 16,
            chunk: 7,
        };
        let streamed = scan(data, EventSet::default_set(), tiny);
        assert_eq!(
            (
                streamed.report.records,
                streamed.report.status,
                &streamed.events
            ),
            (fast.report.records, fast.report.status, &fast.events)
        );
    }
}
