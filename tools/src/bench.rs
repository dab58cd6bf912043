//! The macro-benchmark dump: many delivered log files with a realistic record mix and
//! compression ratio, a small share of the five credential events, and file sizes of one of
//! several shapes ([`Shape`]): by default skewed as real trails are (us-east-1, which logs
//! every global service, delivers large files; the other regions many small ones, a third of
//! them a record or two).

use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;
use serde_json::json;

use crate::dump::{gzip, log_path, records_body, write_file};
use crate::synth::{Noise, Record, access_key, assumed_role, iam_user};

/// How the records are spread over the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every file holds `records_per_file` records.
    Uniform,
    /// Log-normal sizes: us-east-1's files (a quarter of them) around 1,000 records, the
    /// others around 160, a third of those only one or two records; the largest quarter of
    /// the files holds about three quarters of the bytes.
    Skewed,
    /// One file holding half the records, the rest small files as in the other regions of
    /// `Skewed`.
    HugeFile,
    /// Files of one to three records (a 2 GB dump is ~470,000 files).
    TinyFiles,
}

impl std::str::FromStr for Shape {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Shape> {
        Ok(match s {
            "uniform" => Shape::Uniform,
            "skewed" => Shape::Skewed,
            "huge-file" => Shape::HugeFile,
            "tiny-files" => Shape::TinyFiles,
            _ => anyhow::bail!("--shape uniform|skewed|huge-file|tiny-files, not {s:?}"),
        })
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    /// Uncompressed JSON to produce, in bytes (approximately).
    pub json_bytes: u64,
    /// Records per delivered file (the uniform shape, and the micro-benchmarks).
    pub records_per_file: usize,
    pub shape: Shape,
    /// Share of records that are one of the five credential events.
    pub credential_share: f64,
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct BenchStats {
    pub files: u64,
    pub records: u64,
    pub credential_events: u64,
    pub json_bytes: u64,
    pub gzip_bytes: u64,
}

const ACCOUNTS: [&str; 4] = [
    "111122223333",
    "222233334444",
    "333344445555",
    "444455556666",
];
/// File `i` is in region `i % 4`: a quarter of the files in us-east-1.
const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];

/// About one record's JSON.
const APPROX_RECORD: u64 = 1500;

/// A log-normal draw with the given median.
fn log_normal(rng: &mut fastrand::Rng, median: f64, sigma: f64) -> f64 {
    // Box-Muller.
    let (u, v) = (1.0 - rng.f64(), rng.f64());
    let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
    (median.ln() + sigma * z).exp()
}

/// Records in a small region's file of the skewed shape.
fn small_region_file(rng: &mut fastrand::Rng) -> usize {
    if rng.f64() < 0.35 {
        rng.usize(1..=2)
    } else {
        (log_normal(rng, 160.0, 1.1) as usize).clamp(1, 20_000)
    }
}

/// The number of records in each file of the dump (deterministic for a spec).
pub fn plan(spec: &BenchSpec) -> Vec<usize> {
    let mut rng = fastrand::Rng::with_seed(spec.seed ^ 0x5EED_51DE);
    let budget = (spec.json_bytes / APPROX_RECORD).max(1) as usize;
    let mut files = Vec::new();
    let mut records = 0usize;
    if spec.shape == Shape::HugeFile {
        files.push(budget / 2);
        records = budget / 2;
    }
    while records < budget {
        let i = files.len();
        let n = match spec.shape {
            Shape::Uniform => spec.records_per_file,
            Shape::Skewed if i % 4 == 0 => {
                (log_normal(&mut rng, 1000.0, 0.55) as usize).clamp(1, 20_000)
            }
            Shape::Skewed | Shape::HugeFile => small_region_file(&mut rng),
            Shape::TinyFiles => rng.usize(1..=3),
        };
        files.push(n);
        records += n;
    }
    files
}

fn noise() -> Noise {
    Noise {
        accounts: ACCOUNTS.iter().map(|s| s.to_string()).collect(),
        users: (0..40).map(|i| format!("user{i:02}")).collect(),
        roles: [
            "app-worker",
            "ci-deployer",
            "data-pipeline",
            "lambda-exec",
            "OrganizationAccountAccessRole",
            "AWSReservedSSO_ReadOnly_5d2c1f0e8a",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    }
}

/// One of the five credential events, for a random user.
fn credential_event(rng: &mut fastrand::Rng, time: &str, account: &str) -> Record {
    let user = format!("user{:02}", rng.u8(..40));
    let actor = if rng.bool() {
        iam_user(
            account,
            &user,
            &access_key(rng, "AKIA"),
            Some(rng.u8(..4) > 0),
            time,
        )
    } else {
        assumed_role(
            account,
            "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e",
            "admin@example.com",
            &access_key(rng, "ASIA"),
            true,
            time,
        )
    };
    let name = [
        "EnableMFADevice",
        "ResyncMFADevice",
        "CreateVirtualMFADevice",
        "ChangePassword",
        "UpdateAccessKey",
    ][rng.usize(..5)];
    let mut r = Record::call(rng, time, "iam.amazonaws.com", name, "us-east-1", actor);
    let serial = format!("arn:aws:iam::{account}:mfa/{user}");
    r.request_parameters = match name {
        "EnableMFADevice" | "ResyncMFADevice" => json!({"userName": user, "serialNumber": serial}),
        "CreateVirtualMFADevice" => json!({"virtualMFADeviceName": user, "path": "/"}),
        "UpdateAccessKey" => {
            json!({"userName": user, "accessKeyId": access_key(rng, "AKIA"), "status": if rng.bool() {"Active"} else {"Inactive"}})
        }
        _ => serde_json::Value::Null,
    };
    if name == "CreateVirtualMFADevice" {
        r.response_elements = json!({"virtualMFADevice": {"serialNumber": serial}});
    }
    r.source_ip_address = format!("203.0.113.{}", rng.u8(1..255));
    r.user_agent = "console.amazonaws.com".into();
    r
}

/// The records of delivered file number `i` of a dump (deterministic), and how many of them
/// are credential events.
pub fn file_records(spec: &BenchSpec, i: u64, count: usize) -> (Vec<Record>, u64) {
    let noise = noise();
    let mut rng = fastrand::Rng::with_seed(spec.seed ^ (i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let (account, region) = place(i);
    let minute = i / 16 * 5;
    let (day, hour, min) = (1 + minute / 1440 % 28, minute / 60 % 24, minute % 60);
    let mut records = Vec::with_capacity(count);
    let mut credential = 0;
    for k in 0..count {
        let sec = (k * 300 / count) as u64;
        let time = format!(
            "2026-03-{day:02}T{hour:02}:{:02}:{:02}Z",
            min + sec / 60,
            sec % 60
        );
        if rng.f64() < spec.credential_share {
            credential += 1;
            records.push(credential_event(&mut rng, &time, account));
        } else {
            records.push(noise.record(&mut rng, &time, account, region));
        }
    }
    (records, credential)
}

/// The `{"Records":[...]}` body of file number `i` (for micro-benchmarks).
pub fn file_body(spec: &BenchSpec, i: u64) -> String {
    records_body(&file_records(spec, i, spec.records_per_file).0)
}

/// The account and region of file number `i`.
fn place(i: u64) -> (&'static str, &'static str) {
    (ACCOUNTS[((i / 4) % 4) as usize], REGIONS[(i % 4) as usize])
}

/// Generates the dump under `root` (in parallel; deterministic for a given spec).
pub fn generate(root: &Path, spec: &BenchSpec) -> Result<BenchStats> {
    let stats: Vec<BenchStats> = plan(spec)
        .into_par_iter()
        .enumerate()
        .map(|(i, count)| -> Result<BenchStats> {
            let i = i as u64;
            let (records, credential) = file_records(spec, i, count);
            let minute = i / 16 * 5;
            let (day, hour, min) = (1 + minute / 1440 % 28, minute / 60 % 24, minute % 60);
            let (account, region) = place(i);
            let body = records_body(&records);
            let gz = gzip(body.as_bytes());
            let delivery = format!("202603{day:02}T{hour:02}{:02}Z", (min + 5) % 60);
            let rel = log_path(None, account, region, &delivery, spec.seed ^ i);
            write_file(root, &rel, &gz)?;
            Ok(BenchStats {
                files: 1,
                records: records.len() as u64,
                credential_events: credential,
                json_bytes: body.len() as u64,
                gzip_bytes: gz.len() as u64,
            })
        })
        .collect::<Result<_>>()?;
    Ok(stats
        .into_iter()
        .fold(BenchStats::default(), |a, s| BenchStats {
            files: a.files + s.files,
            records: a.records + s.records,
            credential_events: a.credential_events + s.credential_events,
            json_bytes: a.json_bytes + s.json_bytes,
            gzip_bytes: a.gzip_bytes + s.gzip_bytes,
        }))
}
