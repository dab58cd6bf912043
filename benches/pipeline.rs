//! Micro-benchmarks of each pipeline stage on realistic generated CloudTrail files
//! (`cargo bench`). Throughput is in bytes of decompressed JSON.
//!
//! The macro benchmark (whole runs against bare decompression) is `scripts/bench.sh`.

use std::hint::black_box;
use std::io::{Read, Write};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trailsift::event::decode::{Found, decode};
use trailsift::event::{Event, Origin};
use trailsift::filter::{EventSet, Selection};
use trailsift::frame::{Damage, Flow, Framer, Options, RecordBytes, Sink};
use trailsift::input::inflate::Inflater;
use trailsift::scan::file::{Collected, Worker};
use trailsift_tools::bench::{BenchSpec, file_body};

/// One delivered file of the benchmark dump: ~415 records, ~630 KB of JSON, 0.2 % credential events.
fn body() -> String {
    let spec = BenchSpec {
        json_bytes: 0,
        records_per_file: 415,
        shape: trailsift_tools::bench::Shape::Uniform,
        credential_share: 0.002,
        seed: 1,
    };
    (0..8)
        .map(|i| file_body(&spec, i))
        .max_by_key(|b| {
            b.matches("iam.amazonaws.com\",\"eventName\":\"Change")
                .count()
        })
        .unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

struct Count(u64);

impl Sink for Count {
    fn record(&mut self, r: RecordBytes<'_>) -> Flow {
        self.0 += r.bytes.len() as u64;
        Flow::Continue
    }
    fn damaged(&mut self, _: u64, _: u64, _: Damage) {}
    fn non_object(&mut self, _: u64) {}
}

fn stages(c: &mut Criterion) {
    let body = body();
    let gz = gzip(body.as_bytes());
    let bytes = body.len() as u64;

    let mut g = c.benchmark_group("decompress");
    g.throughput(Throughput::Bytes(bytes));
    let mut inflater = Inflater::new();
    let mut out = Vec::new();
    g.bench_function("libdeflate whole buffer", |b| {
        b.iter(|| inflater.whole(black_box(&gz), &mut out, usize::MAX))
    });
    g.bench_function(
        "libdeflate whole buffer + SHA-256 (the limit of scan --verify)",
        |b| {
            b.iter(|| {
                let n = inflater
                    .whole(black_box(&gz), &mut out, usize::MAX)
                    .unwrap()
                    .written;
                <sha2::Sha256 as sha2::Digest>::digest(&out[..n])
            })
        },
    );
    let mut buf = vec![0u8; 1 << 20];
    g.bench_function("flate2 zlib-rs streaming", |b| {
        b.iter(|| {
            let mut d = flate2::read::MultiGzDecoder::new(black_box(&gz[..]));
            let mut n = 0;
            while let Ok(k @ 1..) = d.read(&mut buf) {
                n += k;
            }
            n
        })
    });
    g.finish();

    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("records file", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            Framer::new(Options::new(32 << 20)).feed(
                black_box(body.as_bytes()),
                0,
                true,
                &mut sink,
            );
            sink.0
        })
    });
    let lines: String = body
        .trim_start_matches("{\"Records\":[")
        .trim_end_matches("]}")
        .replace("},{\"eventVersion\"", "}\n{\"eventVersion\"");
    g.bench_function("json lines", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            Framer::new(Options::new(32 << 20)).feed(
                black_box(lines.as_bytes()),
                0,
                true,
                &mut sink,
            );
            sink.0
        })
    });
    g.finish();

    let mut g = c.benchmark_group("frame + prefilter anchors");
    g.throughput(Throughput::Bytes(bytes));
    let default = Selection::new(EventSet::default_set()).prefilter();
    let names = Selection::new(EventSet::Only(vec![
        "CreateAccessKey".parse().unwrap(),
        "DeleteAccessKey".parse().unwrap(),
        "UpdateLoginProfile".parse().unwrap(),
    ]))
    .prefilter();
    for (label, prefilter) in [
        ("default events (one anchor)", &default),
        ("three unpinned names (three anchors)", &names),
    ] {
        let options = Options {
            anchors: prefilter.anchors(),
            ..Options::new(32 << 20)
        };
        g.bench_function(label, |b| {
            b.iter(|| {
                let mut sink = Count(0);
                Framer::new(options).feed(black_box(body.as_bytes()), 0, true, &mut sink);
                sink.0
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("decode");
    let record = trailsift_tools::damaged::credential("bench-decode").to_json();
    g.throughput(Throughput::Bytes(record.len() as u64));
    g.bench_function("one credential record to an event", |b| {
        b.iter(|| {
            let mut events = Vec::new();
            decode(black_box(record.as_bytes()), &mut |found| {
                if let Found::Record { raw, .. } = found {
                    events.push(Event::from_raw(raw, Origin { file: 0, record: 0 }))
                }
            })
            .unwrap();
            events
        })
    });
    g.finish();

    let mut g = c.benchmark_group("scan file");
    g.throughput(Throughput::Bytes(bytes));
    let default_sel = Selection::new(EventSet::default_set());
    let all_sel = Selection::new(EventSet::All);
    let (pf_default, pf_all) = (default_sel.prefilter(), all_sel.prefilter());
    let mut fast = Worker::new(&default_sel, &pf_default);
    let mut hashed = Worker::new(&default_sel, &pf_default).hashing(true);
    let mut full = Worker::new(&all_sel, &pf_all);
    g.bench_function("gzip file, default events", |b| {
        b.iter(|| {
            fast.scan_bytes(black_box(&gz), &Collected::default())
                .matched
        })
    });
    g.bench_function(
        "gzip file, default events, hashed as scan --verify does",
        |b| {
            b.iter(|| {
                hashed
                    .scan_bytes(black_box(&gz), &Collected::default())
                    .matched
            })
        },
    );
    g.bench_function("gzip file, all events", |b| {
        b.iter(|| {
            full.scan_bytes(black_box(&gz), &Collected::default())
                .matched
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
