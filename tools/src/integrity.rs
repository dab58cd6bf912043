//! An archive with real CloudTrail digest chains, signed with RSA keys made when it is
//! generated, and tampered with in every way `trailsift verify` must tell apart. The generator
//! records what each file's verdict must be, so a test can compare verify.csv and gaps.csv
//! with it exactly.
//!
//! The stories (account 111122223333 unless said):
//! - `us-east-1`, trail `main`: eleven hourly digests. A log file's content changed, one with
//!   bytes after its gzip member, one cut short, one deleted, one slipped in; a digest edited
//!   (hash-mismatch); two consecutive digests deleted (one gap, both missing, the digest
//!   before them unsigned); a log file rewritten with its digest and the
//!   next digest's hash field (the signatures give it away); a copy of a digest in the wrong
//!   folder (moved); log files after the newest digest (not-covered); the newest digest
//!   authenticated only with a saved signature.
//! - `us-east-1`, a `_backfill` digest: a chain of its own.
//! - `us-west-2`, trail `my_trail_name` (underscores), signed with a second key: logging off for
//!   three hours (chain restarted), log files delivered meanwhile (unverifiable).
//! - organization trail `o-exampleorg/222233334444`, `eu-west-1`: a digest that is not JSON.
//! - `111122223333`, `ap-south-1`: two trails, two chains; one digest names an unknown
//!   signature algorithm, one lacks fields.
//! - `333344445555`, `eu-central-1`: log files, no digest (no digests).
//!
//! [`add_digests`] signs any dump instead, untampered: one chain per account and region, one
//! digest an hour (empty hours included), as CloudTrail writes them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use base64::Engine as _;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::sha2::Sha256;
use rsa::{Generate, PrivateKey};
use sha2::Digest as _;

use crate::dump::gzip;

const BUCKET: &str = "trail-bucket";

/// What the generator wrote and what the check must say of it.
pub struct Archive {
    pub root: PathBuf,
    /// `aws cloudtrail list-public-keys` output with both keys (the first as PKCS#1, the
    /// second as SubjectPublicKeyInfo, as both appear in the wild).
    pub public_keys: String,
    /// The same with the first key only.
    pub first_key_only: String,
    /// `s3_object,signature` for the newest digest of the main chain.
    pub signatures: String,
    /// verify.csv's verdict for every path (relative to `root`) or S3 key: (kind, status),
    /// with both keys and the signatures given.
    pub expected: BTreeMap<String, (&'static str, &'static str)>,
    /// gaps.csv's rows: account, region, trail, from, to, reason.
    pub gaps: Vec<[String; 6]>,
}

fn at(h: i64, m: i64, s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::seconds(h * 3600 + m * 60 + s)
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A chain's place in the bucket.
struct Trail {
    org: &'static str,
    account: &'static str,
    region: &'static str,
    name: &'static str,
    fingerprint: &'static str,
}

impl Trail {
    fn base(&self) -> String {
        format!("AWSLogs/{}{}", self.org, self.account)
    }

    fn log_key(&self, t: DateTime<Utc>, tag: &str) -> String {
        format!(
            "{}/CloudTrail/{}/{}/{}_CloudTrail_{}_{}_{tag:0>16}.json.gz",
            self.base(),
            self.region,
            t.format("%Y/%m/%d"),
            self.account,
            self.region,
            t.format("%Y%m%dT%H%MZ"),
        )
    }

    fn digest_key(&self, end: DateTime<Utc>, backfill: bool) -> String {
        format!(
            "{}/CloudTrail-Digest/{}/{}/{}_CloudTrail-Digest_{}_{}_{}_{}{}.json.gz",
            self.base(),
            self.region,
            end.format("%Y/%m/%d"),
            self.account,
            self.region,
            self.name,
            "us-east-1",
            end.format("%Y%m%dT%H%M%SZ"),
            if backfill { "_backfill" } else { "" }
        )
    }

    fn account_column(&self) -> String {
        format!("{}{}", self.org, self.account)
    }
}

/// A log file's decompressed content.
fn log_body(tag: &str) -> Vec<u8> {
    format!(
        r#"{{"Records":[{{"eventVersion":"1.09","eventTime":"2026-03-02T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"GetUser","eventID":"{tag}","userIdentity":{{"type":"IAMUser","userName":"u"}}}}]}}"#
    )
    .into_bytes()
}

/// One digest, as written.
struct Written {
    key: String,
    bytes: Vec<u8>,
    signature: String,
}

/// Builds and signs a chain's digests: `hours` are (start hour, the log keys and contents it
/// lists); a `None` previous starts the chain.
fn sign_digest(
    trail: &Trail,
    key: &PrivateKey,
    start: DateTime<Utc>,
    listed: &[(String, Vec<u8>)],
    previous: Option<&Written>,
    backfill: bool,
) -> Written {
    sign_edited(trail, key, start, listed, previous, backfill, |_| {})
}

/// [`sign_digest`], with the digest's JSON edited before it is written and signed.
fn sign_edited(
    trail: &Trail,
    key: &PrivateKey,
    start: DateTime<Utc>,
    listed: &[(String, Vec<u8>)],
    previous: Option<&Written>,
    backfill: bool,
    edit: impl Fn(&mut serde_json::Value),
) -> Written {
    let end = start + Duration::hours(1);
    let object = trail.digest_key(end, backfill);
    let logs: Vec<serde_json::Value> = listed
        .iter()
        .map(|(k, content)| {
            serde_json::json!({
                "s3Bucket": BUCKET,
                "s3Object": format!("archive-prefix/{k}"),
                "hashValue": hex::encode(sha2::Sha256::digest(content)),
                "hashAlgorithm": "SHA-256",
                "newestEventTime": iso(start),
                "oldestEventTime": iso(start),
            })
        })
        .collect();
    let prev_object = previous.map(|p| format!("archive-prefix/{}", p.key));
    let mut doc = serde_json::json!({
        "awsAccountId": trail.account,
        "digestStartTime": iso(start),
        "digestEndTime": iso(end),
        "digestS3Bucket": BUCKET,
        "digestS3Object": format!("archive-prefix/{object}"),
        "digestPublicKeyFingerprint": trail.fingerprint,
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": if listed.is_empty() { serde_json::Value::Null } else { iso(start).into() },
        "oldestEventTime": if listed.is_empty() { serde_json::Value::Null } else { iso(start).into() },
        "previousDigestS3Bucket": previous.map(|_| BUCKET),
        "previousDigestS3Object": prev_object,
        "previousDigestHashValue": previous.map(|p| hex::encode(sha2::Sha256::digest(&p.bytes))),
        "previousDigestHashAlgorithm": previous.map(|_| "SHA-256"),
        "previousDigestSignature": previous.map(|p| p.signature.clone()),
        "logFiles": logs,
    });
    edit(&mut doc);
    let bytes = doc.to_string().into_bytes();
    let signed = format!(
        "{}\n{}/archive-prefix/{}\n{}\n{}",
        iso(end),
        BUCKET,
        object,
        hex::encode(sha2::Sha256::digest(&bytes)),
        previous.map_or("null".to_owned(), |p| p.signature.clone())
    );
    let signature = hex::encode(
        key.pkcs1v15_sign::<Sha256>(signed.as_bytes())
            .expect("signing with a fresh key"),
    );
    Written {
        key: object,
        bytes,
        signature,
    }
}

fn put(root: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a file in a folder"))
        .with_context(|| format!("creating {}", path.display()))?;
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Writes the archive under `root` (its files below `root/archive-prefix/`).
pub fn generate(root: &Path) -> Result<Archive> {
    let keys = [PrivateKey::generate(), PrivateKey::generate()];
    let main = Trail {
        org: "",
        account: "111122223333",
        region: "us-east-1",
        name: "main",
        fingerprint: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    };
    let west = Trail {
        org: "",
        account: "111122223333",
        region: "us-west-2",
        name: "my_trail_name",
        fingerprint: "ffeeddccbbaa99887766554433221100",
    };
    let org = Trail {
        org: "o-exampleorg/",
        account: "222233334444",
        region: "eu-west-1",
        name: "org-trail",
        fingerprint: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    };
    let lonely = Trail {
        org: "",
        account: "333344445555",
        region: "eu-central-1",
        name: "none",
        fingerprint: "",
    };
    let prefix = "archive-prefix/";
    let mut expected = Expected::new();
    let mut gaps: Vec<[String; 6]> = Vec::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();

    // The main chain: hours 0..=10, two log files an hour.
    let mut listed_by_hour: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
    for h in 0..=10 {
        let hour = (0..2)
            .map(|i| {
                let key = main.log_key(at(h, 5 + 20 * i, 0), &format!("m{h:02}{i}"));
                (key.clone(), log_body(&key))
            })
            .collect();
        listed_by_hour.push(hour);
    }
    let mut digests: Vec<Written> = Vec::new();
    for h in 0..=10 {
        let d = sign_digest(
            &main,
            &keys[0],
            at(h, 0, 27),
            &listed_by_hour[h as usize],
            digests.last(),
            false,
        );
        digests.push(d);
    }
    for (h, hour) in listed_by_hour.iter().enumerate() {
        for (k, content) in hour {
            files.push((k.clone(), gzip(content)));
            expect(&mut expected, &format!("{prefix}{k}"), "log", "valid");
        }
        let _ = h;
    }
    let mut digest_files: Vec<(String, Vec<u8>)> = digests
        .iter()
        .map(|d| (d.key.clone(), gzip(&d.bytes)))
        .collect();
    for d in &digests {
        expect(
            &mut expected,
            &format!("{prefix}{}", d.key),
            "digest",
            "valid",
        );
    }
    // Hour 1: bytes after the gzip member.
    {
        let (k, content) = &listed_by_hour[1][0];
        let mut bytes = gzip(content);
        bytes.extend(gzip(b"appended"));
        replace(&mut files, k, bytes);
        expect(&mut expected, &format!("{prefix}{k}"), "log", "modified");
    }
    // Hour 2: one file's content changed, another deleted.
    {
        let (k, _) = &listed_by_hour[2][0];
        replace(&mut files, k, gzip(&log_body("tampered")));
        expect(&mut expected, &format!("{prefix}{k}"), "log", "modified");
        let (k, _) = &listed_by_hour[2][1];
        files.retain(|f| f.0 != *k);
        // Missing files are named by their S3 key.
        expected.remove(&format!("{prefix}{k}"));
        expect(
            &mut expected,
            &format!("archive-prefix/{k}"),
            "log",
            "missing",
        );
    }
    // Hour 3: the digest edited: its hash no longer matches the next digest's field; what it
    // lists is vouched for by nothing.
    {
        let d = &digests[3];
        let edited = String::from_utf8(d.bytes.clone())?
            .replace("\"newestEventTime\"", "\"newestEventTime \"");
        replace(&mut digest_files, &d.key, gzip(edited.as_bytes()));
        expect(
            &mut expected,
            &format!("{prefix}{}", d.key),
            "digest",
            "hash-mismatch",
        );
        for (k, _) in &listed_by_hour[3] {
            expect(
                &mut expected,
                &format!("{prefix}{k}"),
                "log",
                "unverifiable",
            );
        }
    }
    // Hours 5 and 6: both digests deleted. Hour 7 names hour 6's, hour 5's follows from the
    // hour it covered (both missing); hour 4's digest is then the last before a lost one
    // (unsigned); the log files of hours 5 and 6 are vouched for by nothing.
    {
        for h in [5, 6] {
            let key = digests[h].key.clone();
            digest_files.retain(|f| f.0 != key);
            expected.remove(&format!("{prefix}{key}"));
            for (k, _) in &listed_by_hour[h] {
                expect(
                    &mut expected,
                    &format!("{prefix}{k}"),
                    "log",
                    "unverifiable",
                );
            }
        }
        for h in [5, 6] {
            expect(
                &mut expected,
                &format!("archive-prefix/{}", digests[h].key),
                "digest",
                "missing",
            );
        }
        expect(
            &mut expected,
            &format!("{prefix}{}", digests[4].key),
            "digest",
            "unsigned",
        );
        gaps.push([
            main.account_column(),
            main.region.into(),
            main.name.into(),
            iso(at(5, 0, 27)),
            iso(at(7, 0, 27)),
            "digest missing".into(),
        ]);
    }
    // Hour 7: a log file rewritten, its digest's hash of it updated, and the next digest's hash
    // of that digest updated: every hash agrees; the signatures do not.
    {
        let (k, _) = &listed_by_hour[7][0];
        let forged_log = log_body("forged");
        replace(&mut files, k, gzip(&forged_log));
        let d7 = &digests[7];
        let old = hex::encode(sha2::Sha256::digest(&listed_by_hour[7][0].1));
        let new = hex::encode(sha2::Sha256::digest(&forged_log));
        let forged7 = String::from_utf8(d7.bytes.clone())?.replace(&old, &new);
        replace(&mut digest_files, &d7.key, gzip(forged7.as_bytes()));
        let d8 = &digests[8];
        let old = hex::encode(sha2::Sha256::digest(&d7.bytes));
        let new = hex::encode(sha2::Sha256::digest(forged7.as_bytes()));
        let forged8 = String::from_utf8(d8.bytes.clone())?.replace(&old, &new);
        replace(&mut digest_files, &d8.key, gzip(forged8.as_bytes()));
        expect(
            &mut expected,
            &format!("{prefix}{}", d7.key),
            "digest",
            "signature-invalid",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", d8.key),
            "digest",
            "hash-mismatch",
        );
        for h in [7, 8] {
            for (k, _) in &listed_by_hour[h] {
                expect(
                    &mut expected,
                    &format!("{prefix}{k}"),
                    "log",
                    "unverifiable",
                );
            }
        }
    }
    // Hour 9: a file slipped in, and a listed file cut short.
    {
        let k = main.log_key(at(9, 50, 0), "slippedin");
        files.push((k.clone(), gzip(&log_body("extra"))));
        expect(&mut expected, &format!("{prefix}{k}"), "log", "unlisted");
        let (k, content) = &listed_by_hour[9][1];
        let bytes = gzip(content);
        replace(&mut files, k, bytes[..bytes.len() / 2].to_vec());
        expect(&mut expected, &format!("{prefix}{k}"), "log", "modified");
    }
    // Hour 11: delivered after the newest digest. The newest digest is authenticated by the
    // saved signature.
    for i in 0..2 {
        let k = main.log_key(at(11, 10 + i, 0), &format!("late{i}"));
        files.push((k.clone(), gzip(&log_body(&k))));
        expect(&mut expected, &format!("{prefix}{k}"), "log", "not-covered");
    }
    let signatures = format!(
        "s3_object,signature\narchive-prefix/{},{}\n",
        digests[10].key, digests[10].signature
    );
    // A copy of hour 1's digest in the wrong folder: moved.
    {
        let wrong = format!(
            "misplaced/{}",
            main.digest_key(at(23, 0, 0), false)
                .replace("2026/03/02", "2026/03/09")
        );
        put(root, &wrong, &gzip(&digests[1].bytes))?;
        expect(&mut expected, &wrong, "digest", "moved");
    }

    // A late digest: a chain of its own (newest of it: unsigned).
    {
        let k = main.log_key(at(0, 59, 0), "backfilled");
        let content = log_body(&k);
        files.push((k.clone(), gzip(&content)));
        let b = sign_digest(
            &main,
            &keys[0],
            at(-1, 0, 11),
            &[(k.clone(), content)],
            None,
            true,
        );
        digest_files.push((b.key.clone(), gzip(&b.bytes)));
        expect(
            &mut expected,
            &format!("{prefix}{}", b.key),
            "digest",
            "unsigned",
        );
        expect(&mut expected, &format!("{prefix}{k}"), "log", "valid");
    }

    // us-west-2: hours 0..=2, logging off, hours 5..=6 (a new chain).
    {
        let mut prev: Option<Written> = None;
        let mut last_before = String::new();
        for h in [0, 1, 2, 5, 6] {
            let k = west.log_key(at(h, 30, 0), &format!("w{h}"));
            let content = log_body(&k);
            files.push((k.clone(), gzip(&content)));
            expect(&mut expected, &format!("{prefix}{k}"), "log", "valid");
            let previous = if h == 5 { None } else { prev.as_ref() };
            let d = sign_digest(
                &west,
                &keys[1],
                at(h, 0, 42),
                &[(k, content)],
                previous,
                false,
            );
            digest_files.push((d.key.clone(), gzip(&d.bytes)));
            expect(
                &mut expected,
                &format!("{prefix}{}", d.key),
                "digest",
                "valid",
            );
            if h == 2 {
                last_before = d.key.clone();
            }
            prev = Some(d);
        }
        expect(
            &mut expected,
            &format!("{prefix}{last_before}"),
            "digest",
            "unsigned",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", prev.as_ref().expect("written").key),
            "digest",
            "unsigned",
        );
        for h in [3, 4] {
            let k = west.log_key(at(h, 15, 0), &format!("off{h}"));
            files.push((k.clone(), gzip(&log_body(&k))));
            expect(
                &mut expected,
                &format!("{prefix}{k}"),
                "log",
                "unverifiable",
            );
        }
        gaps.push([
            west.account_column(),
            west.region.into(),
            west.name.into(),
            iso(at(3, 0, 42)),
            iso(at(5, 0, 42)),
            "chain restarted".into(),
        ]);
    }

    // The organization trail: hour 1's digest is not JSON.
    {
        let mut prev: Option<Written> = None;
        let mut keys_by_hour = Vec::new();
        for h in 0..=2 {
            let k = org.log_key(at(h, 20, 0), &format!("o{h}"));
            let content = log_body(&k);
            files.push((k.clone(), gzip(&content)));
            let d = sign_digest(
                &org,
                &keys[0],
                at(h, 0, 3),
                &[(k.clone(), content)],
                prev.as_ref(),
                false,
            );
            digest_files.push((d.key.clone(), gzip(&d.bytes)));
            keys_by_hour.push((k, d.key.clone()));
            prev = Some(d);
        }
        let broken = keys_by_hour[1].1.clone();
        replace(
            &mut digest_files,
            &broken,
            gzip(b"<html>AccessDenied</html>"),
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", keys_by_hour[0].1),
            "digest",
            "unsigned",
        );
        expect(
            &mut expected,
            &format!("{prefix}{broken}"),
            "digest",
            "unreadable",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", keys_by_hour[2].1),
            "digest",
            "unsigned",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", keys_by_hour[0].0),
            "log",
            "valid",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", keys_by_hour[1].0),
            "log",
            "unverifiable",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", keys_by_hour[2].0),
            "log",
            "valid",
        );
    }

    // Two more trails in one account and region, each its own chain: one whose first digest
    // names an unknown signature algorithm, one whose first digest lacks fields.
    for (name, edit) in [
        (
            "algo",
            (|d: &mut serde_json::Value| d["digestSignatureAlgorithm"] = "SHA512withECDSA".into())
                as fn(&mut serde_json::Value),
        ),
        ("fields", |d: &mut serde_json::Value| {
            let m = d.as_object_mut().expect("an object");
            m.remove("digestEndTime");
            m.remove("logFiles");
        }),
    ] {
        let trail = Trail {
            org: "",
            account: "111122223333",
            region: "ap-south-1",
            name,
            fingerprint: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        };
        let mut prev: Option<Written> = None;
        let mut logs = Vec::new();
        for h in 0..2 {
            let k = trail.log_key(at(h, 40, 0), &format!("{name}{h}"));
            let content = log_body(&k);
            files.push((k.clone(), gzip(&content)));
            let d = if h == 0 {
                sign_edited(
                    &trail,
                    &keys[0],
                    at(h, 0, 9),
                    &[(k.clone(), content)],
                    None,
                    false,
                    edit,
                )
            } else {
                sign_digest(
                    &trail,
                    &keys[0],
                    at(h, 0, 9),
                    &[(k.clone(), content)],
                    prev.as_ref(),
                    false,
                )
            };
            digest_files.push((d.key.clone(), gzip(&d.bytes)));
            logs.push((k, d.key.clone()));
            prev = Some(d);
        }
        let first = if name == "algo" {
            "signature-invalid"
        } else {
            "unreadable"
        };
        expect(
            &mut expected,
            &format!("{prefix}{}", logs[0].1),
            "digest",
            first,
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", logs[1].1),
            "digest",
            "unsigned",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", logs[0].0),
            "log",
            "unverifiable",
        );
        expect(
            &mut expected,
            &format!("{prefix}{}", logs[1].0),
            "log",
            "valid",
        );
    }

    // An account and region without digests.
    for h in [1, 4] {
        let k = lonely.log_key(at(h, 0, 0), &format!("n{h}"));
        files.push((k.clone(), gzip(&log_body(&k))));
        expect(&mut expected, &format!("{prefix}{k}"), "log", "not-covered");
    }
    gaps.push([
        lonely.account_column(),
        lonely.region.into(),
        String::new(),
        iso(at(1, 0, 0)),
        iso(at(4, 0, 0)),
        "no digests".into(),
    ]);

    for (k, bytes) in files.iter().chain(&digest_files) {
        put(root, &format!("{prefix}{k}"), bytes)?;
    }
    let public = keys.iter().map(|k| k.to_public_key()).collect::<Vec<_>>();
    let entry = |i: usize, value: String, fp: &str| {
        serde_json::json!({
            "Value": value,
            "ValidityStartTime": if i == 0 { serde_json::json!("2026-01-01T00:00:00Z") } else { serde_json::json!(1767225600) },
            "ValidityEndTime": serde_json::Value::Null,
            "Fingerprint": fp,
        })
    };
    let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
    let first = entry(
        0,
        b64(public[0].to_pkcs1_der().expect("encoding").as_bytes()),
        main.fingerprint,
    );
    let second = entry(
        1,
        b64(public[1].to_public_key_der().expect("encoding").as_bytes()),
        west.fingerprint,
    );
    let public_keys = serde_json::json!({"PublicKeyList": [first, second]}).to_string();
    let first_key_only = serde_json::json!({"PublicKeyList": [first]}).to_string();
    gaps.sort();
    Ok(Archive {
        root: root.to_path_buf(),
        public_keys,
        first_key_only,
        signatures,
        expected,
        gaps,
    })
}

type Expected = BTreeMap<String, (&'static str, &'static str)>;

fn expect(map: &mut Expected, rel: &str, kind: &'static str, status: &'static str) {
    map.insert(rel.to_owned(), (kind, status));
}

fn replace(files: &mut [(String, Vec<u8>)], key: &str, bytes: Vec<u8>) {
    let f = files
        .iter_mut()
        .find(|f| f.0 == key)
        .expect("the file exists");
    f.1 = bytes;
}

/// What [`add_digests`] wrote.
pub struct Signed {
    /// `aws cloudtrail list-public-keys` output with the key that signed the chains.
    pub public_keys: String,
    /// `s3_object,signature` of the newest digest of every chain.
    pub signatures: String,
    pub digests: usize,
    pub logs: usize,
}

/// Every log file below `dir`, as (path from `root` with `/`, the path).
fn log_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            log_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel.contains("/CloudTrail/")
                && rel.contains("_CloudTrail_")
                && rel.ends_with(".json.gz")
            {
                out.push((rel, path));
            }
        }
    }
    Ok(())
}

/// A log file's chain (`[prefix/]AWSLogs/[o-x/]<account>/`, region) and the hour it was
/// delivered in, from its name.
fn chain_of(rel: &str) -> Option<((String, String, String), DateTime<Utc>)> {
    let at = rel.find("/CloudTrail/")?;
    let base = &rel[..at + 1];
    let account = base.trim_end_matches('/').rsplit('/').next()?.to_owned();
    let name = rel.rsplit('/').next()?;
    let rest = name.strip_prefix(&format!("{account}_CloudTrail_"))?;
    let mut parts = rest.splitn(3, '_');
    let region = parts.next()?.to_owned();
    let time = parts.next()?;
    let t = chrono::NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%MZ").ok()?;
    let hour = Utc.from_utc_datetime(&t.date().and_hms_opt(chrono::Timelike::hour(&t), 0, 0)?);
    Some(((base.to_owned(), account, region), hour))
}

/// Adds digest files to the dump under `root`: one chain per account and region (trail
/// `bench`), one digest an hour from the first log file's hour to the last's, each listing
/// the files delivered in it, signed with a key made now.
pub fn add_digests(root: &Path) -> Result<Signed> {
    use rayon::prelude::*;
    let mut files = Vec::new();
    log_files(root, root, &mut files)?;
    files.sort();
    let hashed: Vec<(String, String)> = files
        .par_iter()
        .map(|(rel, path)| -> Result<(String, String)> {
            let bytes = std::fs::read(path)?;
            let mut plain = Vec::new();
            let mut d = flate2::read::GzDecoder::new(&bytes[..]);
            std::io::Read::read_to_end(&mut d, &mut plain)
                .with_context(|| format!("decompressing {}", path.display()))?;
            Ok((rel.clone(), hex::encode(sha2::Sha256::digest(&plain))))
        })
        .collect::<Result<_>>()?;
    type Chain = BTreeMap<DateTime<Utc>, Vec<(String, String)>>;
    let mut chains: BTreeMap<(String, String, String), Chain> = BTreeMap::new();
    for (rel, hash) in hashed {
        if let Some((chain, hour)) = chain_of(&rel) {
            chains
                .entry(chain)
                .or_default()
                .entry(hour)
                .or_default()
                .push((rel, hash));
        }
    }
    let key = PrivateKey::generate();
    let fingerprint = "00112233445566778899aabbccddeeff";
    let mut signatures = String::from("s3_object,signature\n");
    let (mut digests, mut logs) = (0, 0);
    for ((base, account, region), hours) in &chains {
        let (Some(first), Some(last)) = (hours.keys().next(), hours.keys().next_back()) else {
            continue;
        };
        let mut previous: Option<(String, Vec<u8>, String)> = None;
        let mut start = *first;
        while start <= *last {
            let end = start + Duration::hours(1);
            let object = format!(
                "{base}CloudTrail-Digest/{region}/{}/{account}_CloudTrail-Digest_{region}_bench_{region}_{}.json.gz",
                end.format("%Y/%m/%d"),
                end.format("%Y%m%dT%H%M%SZ")
            );
            let listed = hours.get(&start).map(Vec::as_slice).unwrap_or(&[]);
            logs += listed.len();
            let doc = serde_json::json!({
                "awsAccountId": account,
                "digestStartTime": iso(start),
                "digestEndTime": iso(end),
                "digestS3Bucket": BUCKET,
                "digestS3Object": object,
                "digestPublicKeyFingerprint": fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA",
                "newestEventTime": if listed.is_empty() { serde_json::Value::Null } else { iso(start).into() },
                "oldestEventTime": if listed.is_empty() { serde_json::Value::Null } else { iso(start).into() },
                "previousDigestS3Bucket": previous.as_ref().map(|_| BUCKET),
                "previousDigestS3Object": previous.as_ref().map(|p| p.0.clone()),
                "previousDigestHashValue": previous.as_ref().map(|p| hex::encode(sha2::Sha256::digest(&p.1))),
                "previousDigestHashAlgorithm": previous.as_ref().map(|_| "SHA-256"),
                "previousDigestSignature": previous.as_ref().map(|p| p.2.clone()),
                "logFiles": listed.iter().map(|(rel, hash)| serde_json::json!({
                    "s3Bucket": BUCKET,
                    "s3Object": rel,
                    "hashValue": hash,
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": iso(start),
                    "oldestEventTime": iso(start),
                })).collect::<Vec<_>>(),
            });
            let bytes = doc.to_string().into_bytes();
            let signed = format!(
                "{}\n{BUCKET}/{object}\n{}\n{}",
                iso(end),
                hex::encode(sha2::Sha256::digest(&bytes)),
                previous.as_ref().map_or("null", |p| p.2.as_str())
            );
            let signature = hex::encode(
                key.pkcs1v15_sign::<Sha256>(signed.as_bytes())
                    .expect("signing with a fresh key"),
            );
            put(root, &object, &gzip(&bytes))?;
            digests += 1;
            previous = Some((object, bytes, signature));
            start = end;
        }
        if let Some((object, _, signature)) = previous {
            signatures.push_str(&format!("{object},{signature}\n"));
        }
    }
    let value = base64::engine::general_purpose::STANDARD.encode(
        key.to_public_key()
            .to_pkcs1_der()
            .expect("encoding")
            .as_bytes(),
    );
    let public_keys = serde_json::json!({"PublicKeyList": [{
        "Value": value,
        "ValidityStartTime": "2020-01-01T00:00:00Z",
        "ValidityEndTime": serde_json::Value::Null,
        "Fingerprint": fingerprint,
    }]})
    .to_string();
    Ok(Signed {
        public_keys,
        signatures,
        digests,
        logs,
    })
}

/// Gzip a file's bytes again at another level (recompression must change nothing).
pub fn recompress(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path)?;
    let mut plain = Vec::new();
    let mut d = flate2::read::GzDecoder::new(&bytes[..]);
    std::io::Read::read_to_end(&mut d, &mut plain)?;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&plain)?;
    std::fs::write(path, e.finish()?)?;
    Ok(())
}
