//! Framer tests: every shape, fed whole and in small pieces through a draining buffer.

use super::*;

#[derive(Debug, Default)]
struct Collect {
    records: Vec<(u64, u64, String, Container)>,
    /// `(escapes, anchored)` of each record.
    flags: Vec<(bool, bool)>,
    damaged: Vec<(u64, u64, Damage)>,
    non_objects: u64,
    stop_after: Option<usize>,
}

impl Sink for Collect {
    fn record(&mut self, r: RecordBytes<'_>) -> Flow {
        self.records.push((
            r.index,
            r.offset,
            String::from_utf8_lossy(r.bytes).into_owned(),
            r.container,
        ));
        self.flags.push((r.escapes, r.anchored));
        match self.stop_after {
            Some(n) if self.records.len() >= n => Flow::Stop,
            _ => Flow::Continue,
        }
    }
    fn damaged(&mut self, index: u64, offset: u64, damage: Damage) {
        self.damaged.push((index, offset, damage));
    }
    fn non_object(&mut self, _offset: u64) {
        self.non_objects += 1;
    }
}

const LIMITS: Options = Options::new(1 << 20);

/// Frames `data` by feeding it `piece` bytes at a time through a buffer that drops what the
/// framer releases, as the streaming reader does.
fn frame_pieces(data: &[u8], piece: usize, limits: Options) -> (Collect, Framed) {
    let mut sink = Collect::default();
    let mut framer = Framer::new(limits);
    let mut buf: Vec<u8> = Vec::new();
    let mut offset = 0u64;
    let mut next = 0;
    loop {
        let to = (next + piece).min(data.len());
        buf.extend_from_slice(&data[next..to]);
        next = to;
        let eof = next == data.len();
        let used = framer.feed(&buf, offset, eof, &mut sink);
        buf.drain(..used);
        offset += used as u64;
        if eof {
            break;
        }
    }
    (sink, framer.finish())
}

fn frame(data: &[u8]) -> (Collect, Framed) {
    let whole = frame_pieces(data, data.len().max(1), LIMITS);
    // The bulk path must change nothing but the speed.
    let plain = frame_pieces(
        data,
        data.len().max(1),
        Options {
            bulk: false,
            ..LIMITS
        },
    );
    assert_eq!(whole.0.records, plain.0.records, "bulk");
    assert_eq!(whole.0.flags, plain.0.flags, "bulk");
    assert_eq!(whole.0.damaged, plain.0.damaged, "bulk");
    assert_eq!(whole.0.non_objects, plain.0.non_objects, "bulk");
    assert_eq!(
        (&whole.1.ending, whole.1.shape, whole.1.records),
        (&plain.1.ending, plain.1.shape, plain.1.records),
        "bulk"
    );
    for piece in [1, 5, 64, 1000] {
        let streamed = frame_pieces(data, piece, LIMITS);
        assert_eq!(whole.0.records, streamed.0.records, "piece {piece}");
        assert_eq!(whole.0.damaged, streamed.0.damaged, "piece {piece}");
        assert_eq!(whole.1.ending, streamed.1.ending, "piece {piece}");
        assert_eq!(whole.1.shape, streamed.1.shape, "piece {piece}");
    }
    whole
}

fn texts(c: &Collect) -> Vec<&str> {
    c.records.iter().map(|r| r.2.as_str()).collect()
}

#[test]
fn records_object_compact_and_pretty() {
    let (c, f) = frame(br#"{"Records":[{"a":1},{"b":{"c":[2]}}]}"#);
    assert_eq!(texts(&c), [r#"{"a":1}"#, r#"{"b":{"c":[2]}}"#]);
    assert_eq!(
        (f.shape, f.ending, f.records),
        (Shape::Records, Ending::Complete, 2)
    );
    assert_eq!(c.records[1].1, 20);
    assert_eq!(c.records[1].3, Container::Records);

    let pretty =
        b"{\n  \"Records\" : [\n    {\n      \"a\": \"x]\"\n    },\n    {\"b\": 2}\n  ]\n}\n";
    let (c, f) = frame(pretty);
    assert_eq!(texts(&c), ["{\n      \"a\": \"x]\"\n    }", "{\"b\": 2}"]);
    assert_eq!(f.ending, Ending::Complete);
}

#[test]
fn records_key_need_not_come_first() {
    let (c, f) = frame(br#"{"x":{"Records":[1]},"y":[{"z":1}],"Records":[{"a":1}],"n":"t"}"#);
    assert_eq!(texts(&c), [r#"{"a":1}"#]);
    assert_eq!((f.shape, f.ending), (Shape::Records, Ending::Complete));
}

#[test]
fn empty_inputs_are_complete_with_no_records() {
    for data in [
        &b""[..],
        b"   \n",
        br#"{"Records":[]}"#,
        b"\xEF\xBB\xBF{\"Records\": [ ]}\n",
    ] {
        let (c, f) = frame(data);
        assert!(c.records.is_empty() && c.damaged.is_empty());
        assert_eq!(f.ending, Ending::Complete, "{data:?}");
    }
}

#[test]
fn lookup_events_and_bare_arrays() {
    let (c, f) =
        frame(br#"{"Events":[{"EventId":"1","CloudTrailEvent":"{\"a\":\"}\"}"}],"NextToken":"x"}"#);
    assert_eq!(c.records.len(), 1);
    assert_eq!(c.records[0].3, Container::Events);
    assert_eq!((f.shape, f.ending), (Shape::Events, Ending::Complete));

    let (c, f) = frame(b"[\n {\"a\": 1},\n {\"b\": [{}]}\n]");
    assert_eq!(texts(&c), ["{\"a\": 1}", "{\"b\": [{}]}"]);
    assert_eq!((f.shape, f.ending), (Shape::Array, Ending::Complete));
}

#[test]
fn non_object_members_are_counted_not_recorded() {
    let (c, f) = frame(br#"{"Records":[1,{"a":1},"s}]",null,[{"x":1}],true,{"b":2}]}"#);
    assert_eq!(texts(&c), [r#"{"a":1}"#, r#"{"b":2}"#]);
    assert_eq!(f.non_objects, 5);
    assert_eq!(f.ending, Ending::Complete);
}

#[test]
fn json_lines_and_concatenated_objects() {
    let data = b"{\"a\":1}\n{\"b\":\"x\\ny\"}\n\n{\"c\":3}\n";
    let (c, f) = frame(data);
    assert_eq!(texts(&c), ["{\"a\":1}", "{\"b\":\"x\\ny\"}", "{\"c\":3}"]);
    assert_eq!(f.shape, Shape::Lines);
    assert_eq!(c.records.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1, 2]);

    let (c, f) = frame(b"{\n \"a\": 1\n}\n{\n \"b\": 2\n}");
    assert_eq!(texts(&c), ["{\n \"a\": 1\n}", "{\n \"b\": 2\n}"]);
    assert_eq!((f.shape, f.ending), (Shape::Objects, Ending::Complete));
}

#[test]
fn a_broken_line_costs_only_itself() {
    let data = b"{\"a\":1}\n{\"b\":\"cut\n{\"c\":3}\nnot json\n{\"d\":[}\n{\"e\":5}";
    let (c, f) = frame(data);
    assert_eq!(texts(&c), ["{\"a\":1}", "{\"c\":3}", "{\"e\":5}"]);
    let indexes: Vec<_> = c.damaged.iter().map(|d| (d.0, d.2.clone())).collect();
    assert_eq!(indexes, [(1, Damage::CutOff), (3, Damage::CutOff)]);
    assert_eq!(f.records, 5);
    assert_eq!(
        f.ending,
        Ending::GarbageLines {
            offset: 26,
            lines: 1
        }
    );

    // Garbage first, then good lines, still reads as JSON Lines.
    let (c, f) = frame(b"{\"a\":\n{\"b\":2}\n{\"c\":3}\n");
    assert_eq!(texts(&c), ["{\"b\":2}", "{\"c\":3}"]);
    assert_eq!(f.shape, Shape::Lines);
}

#[test]
fn truncation_keeps_every_complete_record() {
    let full = br#"{"Records":[{"a":1},{"b":2},{"c":{"d":"xyz"}}]}"#;
    let cut = &full[..36];
    let (c, f) = frame(cut);
    assert_eq!(texts(&c), [r#"{"a":1}"#, r#"{"b":2}"#]);
    assert_eq!(c.damaged, [(2, 28, Damage::CutOff)]);
    assert_eq!(f.ending, Ending::CutOff { offset: 28 });

    // Cut between records: nothing damaged, but the data is incomplete.
    let (c, f) = frame(&full[..28]);
    assert_eq!(c.records.len(), 2);
    assert!(c.damaged.is_empty());
    assert_eq!(f.ending, Ending::CutOff { offset: 28 });
}

#[test]
fn damage_in_the_middle_resynchronises_on_the_next_record() {
    let data = br#"{"Records":[{"eventName":"A"},{"eventName":"B","x":{"y":1,{"eventName":"C","r":[{"q":1}]},{"eventName":"D"}]}"#;
    let (c, f) = frame(data);
    assert_eq!(
        texts(&c),
        [
            r#"{"eventName":"A"}"#,
            r#"{"eventName":"C","r":[{"q":1}]}"#,
            r#"{"eventName":"D"}"#
        ]
    );
    assert_eq!(c.damaged.len(), 1);
    assert_eq!(c.damaged[0].0, 1);
    assert_eq!(c.records.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 2, 3]);
    assert_eq!(f.ending, Ending::Complete);
}

#[test]
fn garbage_and_trailing_data() {
    let (c, f) = frame(b"\x8f\x00garbage");
    assert!(c.records.is_empty());
    assert_eq!(
        (f.shape, f.ending),
        (Shape::NotJson, Ending::NotJson { offset: 0 })
    );

    let (c, f) = frame(b"{\"Records\":[{\"a\":1}]}\n\x00\x00junk");
    assert_eq!(c.records.len(), 1);
    assert_eq!(f.ending, Ending::TrailingData { offset: 22 });
}

#[test]
fn oversized_records_are_skipped_and_reported() {
    let big = format!(
        r#"{{"Records":[{{"a":1}},{{"s":"{}"}},{{"b":2}}]}}"#,
        "x".repeat(5000)
    );
    let limits = Options::new(1024);
    // The same verdict whether the record arrives whole or streams past the limit.
    for piece in [256, big.len()] {
        let (c, f) = frame_pieces(big.as_bytes(), piece, limits);
        assert_eq!(texts(&c), [r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(c.damaged, [(1, 20, Damage::TooLarge { limit: 1024 })]);
        assert_eq!(f.records, 3);
        assert_eq!(f.ending, Ending::Complete);
    }
    let lines = format!(
        "{{\"a\":1}}\n{{\"s\":\"{}\"}}\n{{\"b\":2}}\n",
        "x".repeat(5000)
    );
    for piece in [256, lines.len()] {
        let (c, f) = frame_pieces(lines.as_bytes(), piece, limits);
        assert_eq!(texts(&c), [r#"{"a":1}"#, r#"{"b":2}"#], "piece {piece}");
        assert_eq!(c.damaged, [(1, 8, Damage::TooLarge { limit: 1024 })]);
        assert_eq!(f.records, 3);
    }
}

#[test]
fn the_sink_can_stop_framing() {
    let mut sink = Collect {
        stop_after: Some(1),
        ..Collect::default()
    };
    let mut framer = Framer::new(LIMITS);
    framer.feed(br#"{"Records":[{"a":1},{"b":2}]}"#, 0, true, &mut sink);
    assert_eq!(sink.records.len(), 1);
    assert_eq!(framer.finish().ending, Ending::Stopped);
}

/// Frames a large input whole and in a few piece sizes (large enough to keep the test quick);
/// all must agree.
fn frame_large(data: &[u8]) -> (Collect, Framed) {
    let whole = frame_pieces(data, data.len().max(1), LIMITS);
    for piece in [1000, 4096, 70_000] {
        let streamed = frame_pieces(data, piece, LIMITS);
        assert_eq!(whole.0.records, streamed.0.records, "piece {piece}");
        assert_eq!(whole.0.damaged, streamed.0.damaged, "piece {piece}");
        assert_eq!(whole.1.ending, streamed.1.ending, "piece {piece}");
        assert_eq!(whole.1.shape, streamed.1.shape, "piece {piece}");
    }
    whole
}

#[test]
fn json_lines_resynchronise_at_any_line_length() {
    let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(100_000));
    // A first record longer than the sniff window, then a cut line: the lines after it count.
    let data = format!("{long}\n{{\"cut\":\n{{\"b\":1}}\n{{\"c\":2}}\n");
    let (c, f) = frame_large(data.as_bytes());
    assert_eq!(texts(&c)[1..], [r#"{"b":1}"#, r#"{"c":2}"#]);
    assert_eq!(c.damaged.len(), 1);
    assert_eq!(c.damaged[0].2, Damage::CutOff);
    assert_eq!((f.shape, f.records), (Shape::Lines, 4));

    // A first garbage line longer than the window.
    let data = format!("{}\n{{\"b\":1}}\n{{\"c\":2}}\n", "garbage ".repeat(12_000));
    let (c, f) = frame_large(data.as_bytes());
    assert_eq!(texts(&c), [r#"{"b":1}"#, r#"{"c":2}"#]);
    assert_eq!(
        (f.shape, f.ending),
        (
            Shape::Lines,
            Ending::GarbageLines {
                offset: 0,
                lines: 1
            }
        )
    );

    // A malformed long first line.
    let data = format!("{{\"a\":[{}}}\n{{\"b\":1}}\n", "1,".repeat(40_000));
    let (c, f) = frame_large(data.as_bytes());
    assert_eq!(texts(&c), [r#"{"b":1}"#]);
    assert_eq!(f.shape, Shape::Lines);

    // One long line of text that is not JSON is still not JSON.
    let (c, f) = frame_large("word ".repeat(20_000).as_bytes());
    assert!(c.records.is_empty());
    assert_eq!(
        (f.shape, f.ending),
        (Shape::NotJson, Ending::NotJson { offset: 0 })
    );

    // A compact single-line records file longer than the window is not taken for lines.
    let records: Vec<String> = (0..3000).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
    let data = format!("{{\"Records\":[{}]}}\n", records.join(","));
    let (c, f) = frame_large(data.as_bytes());
    assert_eq!(
        (c.records.len(), f.shape, f.ending),
        (3000, Shape::Records, Ending::Complete)
    );
}

#[test]
fn concatenated_files_with_byte_order_marks() {
    let data = b"\xEF\xBB\xBF{\"Records\":[{\"a\":1}]}\n\xEF\xBB\xBF{\"Records\":[{\"b\":2}]}\n";
    let (c, f) = frame(data);
    assert_eq!(texts(&c), [r#"{"a":1}"#, r#"{"b":2}"#]);
    assert_eq!(f.ending, Ending::Complete);
    let lines = b"\xEF\xBB\xBF{\"a\":1}\n\xEF\xBB\xBF{\"b\":2}\n{\"c\":3}\n";
    let (c, f) = frame(lines);
    assert_eq!(texts(&c), [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]);
    assert_eq!((f.shape, f.ending), (Shape::Lines, Ending::Complete));
}

#[test]
fn binary_after_json_lines_stops_the_reading() {
    let mut data = b"{\"a\":1}\n{\"b\":2}\n".to_vec();
    data.extend(std::iter::repeat_n(0u8, 3 << 20));
    let limits = Options::new(1 << 20);
    let mut sink = Collect::default();
    let mut framer = Framer::new(limits);
    let used = framer.feed(&data, 0, false, &mut sink);
    assert!(framer.is_done(), "used {used}");
    let f = framer.finish();
    assert_eq!(sink.records.len(), 2);
    assert_eq!(
        f.ending,
        Ending::GarbageLines {
            offset: 16,
            lines: 1
        }
    );
}

#[test]
fn the_pace_follows_the_fast_path_and_changes_nothing() {
    // A byte-order mark first, so that stream offsets and window indexes differ.
    let record = format!(
        r#"{{"eventVersion":"1.08","userAgent":"{}","n":1}}"#,
        "x".repeat(900)
    );
    let records: Vec<&str> = std::iter::repeat_n(record.as_str(), 200).collect();
    let data = format!("\u{feff}{{\"Records\":[{}]}}\n", records.join(","));
    let data = data.as_bytes();
    let mut plain = Collect::default();
    Framer::new(LIMITS).feed(data, 0, true, &mut plain);
    let mut paced = Collect::default();
    let mut offsets = Vec::new();
    let mut pace = |offset: u64| offsets.push(offset);
    Framer::new(LIMITS).feed_paced(data, 0, true, &mut paced, Some(&mut pace));
    assert_eq!(paced.records, plain.records);
    assert_eq!(paced.flags, plain.flags);
    assert!(offsets.is_sorted(), "{offsets:?}");
    assert!(
        offsets.iter().all(|&o| o <= data.len() as u64),
        "{offsets:?}"
    );
    if structural::Nesting::simd_level() == "AVX-512" {
        // The fast loop paces every 256 bytes it reads: most of the file.
        assert!(offsets.len() > data.len() / 256 / 2, "{}", offsets.len());
        // Each offset is where a stretch the loop is about to read ends, in the stream.
        let first_record = data.windows(2).position(|w| w == b"[{").unwrap() as u64 + 1;
        assert!(offsets[0] > first_record && offsets[0] <= first_record + 512);
    }
}
