//! Reader tests: every encoding, through both the whole-buffer and the streaming path.

use std::io::Write;

use super::*;
use crate::frame::{Damage, Flow, Framer, Options, RecordBytes, Sink};

/// Frames whatever the reader feeds.
struct Framing<'a> {
    framer: Framer,
    sink: &'a mut Collect,
}

impl Feed for Framing<'_> {
    fn whole(&mut self, data: &[u8]) {
        self.framer.feed(data, 0, true, self.sink);
    }
    fn window(&mut self, data: &[u8], offset: u64, eof: bool) -> usize {
        self.framer.feed(data, offset, eof, self.sink)
    }
}

#[derive(Default)]
struct Collect {
    records: Vec<String>,
    damaged: Vec<(u64, Damage)>,
}

impl Sink for Collect {
    fn record(&mut self, r: RecordBytes<'_>) -> Flow {
        self.records
            .push(String::from_utf8_lossy(r.bytes).into_owned());
        Flow::Continue
    }
    fn damaged(&mut self, index: u64, _offset: u64, damage: Damage) {
        self.damaged.push((index, damage));
    }
    fn non_object(&mut self, _offset: u64) {}
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const TINY: ReadLimits = ReadLimits {
    max_compressed: 64,
    max_whole: 64,
    chunk: 7,
};

/// Reads `data` with the default limits and with tiny ones (forcing the streaming path);
/// both must agree.
fn read(data: &[u8]) -> (Collect, ReadReport) {
    let run = |limits: ReadLimits| {
        let mut sink = Collect::default();
        let mut feed = Framing {
            framer: Framer::new(Options::new(1 << 20)),
            sink: &mut sink,
        };
        let dir = std::env::temp_dir().join(format!("trailsift-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("f{}", data.len()));
        std::fs::write(&path, data).unwrap();
        let report = Reader::new(limits).read(&path, &mut feed);
        std::fs::remove_file(&path).unwrap();
        (sink, report)
    };
    let (a, ra) = run(ReadLimits::DEFAULT);
    let (b, rb) = run(TINY);
    assert_eq!(a.records, b.records);
    assert_eq!(a.damaged, b.damaged);
    assert_eq!(
        (ra.encoding, ra.decompressed),
        (rb.encoding, rb.decompressed)
    );
    assert_eq!(ra.problem.is_some(), rb.problem.is_some());
    (a, ra)
}

const BODY: &str = r#"{"Records":[{"eventName":"A"},{"eventName":"B"},{"eventName":"C"}]}"#;

#[test]
fn plain_and_gzip_read_the_same_records() {
    let (plain, r) = read(BODY.as_bytes());
    assert_eq!(plain.records.len(), 3);
    assert_eq!(r.encoding, Encoding::Plain);
    let (zipped, r) = read(&gz(BODY.as_bytes()));
    assert_eq!(zipped.records, plain.records);
    assert_eq!(
        (r.encoding, r.decompressed, r.problem),
        (Encoding::Gzip, BODY.len() as u64, None)
    );
}

#[test]
fn every_member_of_a_multi_member_file_is_read() {
    let lines = [
        "{\"eventName\":\"A\"}\n",
        "{\"eventName\":\"B\"}\n",
        "{\"eventName\":\"C\"}\n",
    ];
    let mut data = Vec::new();
    for l in lines {
        data.extend(gz(l.as_bytes()));
    }
    let (c, r) = read(&data);
    assert_eq!(
        c.records,
        [
            "{\"eventName\":\"A\"}",
            "{\"eventName\":\"B\"}",
            "{\"eventName\":\"C\"}"
        ]
    );
    assert_eq!(r.problem, None);
}

#[test]
fn truncated_gzip_keeps_the_records_before_the_cut() {
    let body = format!(
        r#"{{"Records":[{}]}}"#,
        (0..400)
            .map(|i| format!(r#"{{"eventName":"E{i}","pad":"{}"}}"#, "x".repeat(i % 50)))
            .collect::<Vec<_>>()
            .join(",")
    );
    let data = gz(body.as_bytes());
    let (c, r) = read(&data[..data.len() * 2 / 3]);
    assert!(
        c.records.len() > 100 && c.records.len() < 400,
        "{}",
        c.records.len()
    );
    assert_eq!(c.records[0], r#"{"eventName":"E0","pad":""}"#);
    assert!(
        matches!(r.problem, Some(ReadProblem::Gzip { .. })),
        "{:?}",
        r.problem
    );
}

#[test]
fn utf16_with_bom_is_transcoded() {
    for (bom, encode) in [
        ([0xFF, 0xFE], u16::to_le_bytes as fn(u16) -> [u8; 2]),
        ([0xFE, 0xFF], u16::to_be_bytes),
    ] {
        let mut data = bom.to_vec();
        for unit in BODY.encode_utf16() {
            data.extend(encode(unit));
        }
        let (c, r) = read(&data);
        assert_eq!(c.records.len(), 3);
        assert_eq!(r.encoding, Encoding::Utf16);
        let (c, r) = read(&gz(&data));
        assert_eq!(c.records.len(), 3);
        assert_eq!(r.encoding, Encoding::GzipUtf16);
    }
}

#[test]
fn a_byte_order_mark_alone_is_an_empty_file() {
    for data in [&[0xFF, 0xFE][..], &[0xFE, 0xFF], &[0xEF, 0xBB, 0xBF]] {
        let (c, r) = read(data);
        assert!(c.records.is_empty() && c.damaged.is_empty(), "{data:?}");
        assert_eq!(r.problem, None, "{data:?}");
    }
}

#[test]
fn garbage_behind_a_gzip_header_is_a_gzip_problem() {
    let mut data = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    data.extend((0..200u8).map(|i| i.wrapping_mul(37)));
    let (c, r) = read(&data);
    assert!(c.records.is_empty());
    assert!(
        matches!(r.problem, Some(ReadProblem::Gzip { after: 0, .. })),
        "{:?}",
        r.problem
    );
}

#[test]
fn missing_files_are_reported() {
    let mut sink = Collect::default();
    let mut feed = Framing {
        framer: Framer::new(Options::new(1024)),
        sink: &mut sink,
    };
    let r = Reader::new(ReadLimits::DEFAULT).read(Path::new("/nonexistent/x.json.gz"), &mut feed);
    assert!(matches!(r.problem, Some(ReadProblem::Open(_))));
}
