//! Writing records the way CloudTrail delivers them: gzipped `{"Records":[...]}` files under
//! `AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::synth::{Record, token};

/// The CloudTrail body of a log file: `{"Records":[r1,r2,...]}`, compact, as AWS writes it.
pub fn records_body(records: &[Record]) -> String {
    let mut body = String::from("{\"Records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&r.to_json());
    }
    body.push_str("]}");
    body
}

/// Gzip at the default level (what AWS's delivery produces, give or take).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 6), Compression::default());
    enc.write_all(data).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

/// Where a delivered log file lives below the dump root. `time` is the delivery time
/// `YYYYMMDDTHHMMZ`; `salt` feeds the random 16-character suffix.
pub fn log_path(org: Option<&str>, account: &str, region: &str, time: &str, salt: u64) -> PathBuf {
    let mut rng = fastrand::Rng::with_seed(salt);
    let suffix = token(
        &mut rng,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        16,
    );
    let (y, m, d) = (&time[0..4], &time[4..6], &time[6..8]);
    let mut p = PathBuf::from("AWSLogs");
    if let Some(org) = org {
        p.push(org);
    }
    p.push(account);
    p.push("CloudTrail");
    p.push(region);
    p.push(y);
    p.push(m);
    p.push(d);
    p.push(format!(
        "{account}_CloudTrail_{region}_{time}_{suffix}.json.gz"
    ));
    p
}

/// Writes `bytes` to `root/rel`, creating directories.
pub fn write_file(root: &Path, rel: &Path, bytes: &[u8]) -> Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}
