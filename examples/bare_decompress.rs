//! The physical limit for the benchmark: decompress every file under the given paths with
//! libdeflate on N threads and do nothing with the bytes.
//!
//! `cargo run --release --example bare_decompress -- <PATH>... [--threads N] [--sha256]`
//!
//! It uses the same whole-buffer inflater and buffer sizes as trailsift, so the ratio between
//! the two measures exactly what framing, filtering and reporting add. With `--sha256` it also
//! hashes every file's decompressed bytes: the limit for `trailsift verify`, which must do both.
use std::path::PathBuf;
use std::time::Instant;

use std::sync::Mutex;

use trailsift::input::inflate::Inflater;
use trailsift::scan::queue::{Busy, largest_first};

/// One thread's inflater, compressed input and output.
type Buffers = (Inflater, Vec<u8>, Vec<u8>);

fn main() {
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut roots = Vec::new();
    let mut hash = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--sha256" {
            hash = true;
        } else if a == "--threads" {
            threads = args
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--threads N");
        } else {
            roots.push(PathBuf::from(a));
        }
    }
    let files: Vec<(PathBuf, u64)> = roots
        .iter()
        .flat_map(|r| walkdir::WalkDir::new(r).sort_by_file_name())
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), e.metadata().map_or(0, |m| m.len())))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    // The same schedule as trailsift: one file at a time, largest first, to a free thread.
    let sizes: Vec<u64> = files.iter().map(|f| f.1).collect();
    let buffers: Vec<Mutex<Buffers>> = (0..threads)
        .map(|_| Mutex::new((Inflater::new(), Vec::new(), Vec::new())))
        .collect();
    let busy = Busy::new(threads);
    let start = Instant::now();
    let done = pool.install(|| {
        largest_first(&sizes, &buffers, &busy, |(inflater, input, out), i| {
            input.clear();
            let mut f = std::fs::File::open(&files[i].0).expect("open");
            std::io::Read::read_to_end(&mut f, input).expect("read");
            let n = inflater
                .whole(input, out, usize::MAX)
                .expect("whole-buffer gzip")
                .written;
            if hash {
                let digest = <sha2::Sha256 as sha2::Digest>::digest(&out[..n]);
                std::hint::black_box(digest);
            }
            (input.len() as u64, n as u64)
        })
    });
    let (compressed, plain) = done.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "files={} threads={threads} compressed_bytes={compressed} json_bytes={plain} wall_s={secs:.3} json_mb_s={:.0} busy_s={}",
        files.len(),
        plain as f64 / 1e6 / secs,
        busy.seconds()
            .iter()
            .map(|s| format!("{s:.3}"))
            .collect::<Vec<_>>()
            .join(",")
    );
}
