//! Invariants that hold for any input bytes whatsoever. Shared with the fuzz target
//! (`fuzz/fuzz_targets/read_frame_decode.rs` includes this file), and run by the tests on every
//! committed fuzz seed.

use trailsift::filter::{EventSet, Selection};
use trailsift::input::ReadLimits;
use trailsift::scan::file::{FileReport, Status, Worker};

fn selection(events: EventSet) -> Selection {
    Selection::new(events)
}

fn scan(data: &[u8], events: EventSet, limits: ReadLimits) -> FileReport {
    let selection = selection(events);
    let prefilter = selection.prefilter();
    Worker::with_limits(&selection, &prefilter, limits).scan_bytes(data)
}

/// Reads `data` three ways and panics if they disagree:
/// - the prefiltered scan selects exactly the records a full decode of every record selects.
///   It frames the same records; it may count fewer undecodable ones, since a record whose
///   brackets are sound but whose text is not JSON (`"x": tru`) is only found out when decoded,
///   and the fast path decodes only candidates;
/// - a file that reads cleanly from one buffer reads identically through tiny streaming windows.
pub fn check(data: &[u8]) {
    let fast = scan(data, EventSet::default_set(), ReadLimits::DEFAULT);
    let full = scan(data, EventSet::All, ReadLimits::DEFAULT);
    assert_eq!(fast.records, full.records);
    assert!(
        fast.undecodable <= full.undecodable,
        "{} > {}",
        fast.undecodable,
        full.undecodable
    );
    if fast.undecodable == full.undecodable {
        assert_eq!(fast.status, full.status);
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

    if fast.status == Status::Ok {
        let tiny = ReadLimits {
            max_compressed: 16,
            max_whole: 16,
            chunk: 7,
        };
        let streamed = scan(data, EventSet::default_set(), tiny);
        assert_eq!(
            (streamed.records, streamed.status, &streamed.events),
            (fast.records, fast.status, &fast.events)
        );
    }
}
