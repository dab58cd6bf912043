//! The public keys and saved signatures a check is given.
//!
//! `--public-keys FILE`: the saved output of `aws cloudtrail list-public-keys` (run once per
//! region): `{"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}`.
//! Values are base64 DER RSA keys, PKCS#1 or SubjectPublicKeyInfo; times ISO 8601 or epoch
//! seconds. A file of another shape, or one holding a private key, is refused (a usage error
//! naming it). `--signatures FILE`: a CSV `s3_object,signature` of digests' S3 metadata
//! signatures (hex), for the newest digest of each chain, which no successor vouches for.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use serde::Deserialize;

use super::names::s3_key;
use crate::event::time;

/// The public keys given, by fingerprint.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    by_fingerprint: HashMap<String, PublicKey>,
}

/// One RSA public key, checked with `ring` (four times faster than the `rsa` crate, which
/// reads the keys) when its size and exponent are among those `ring` takes: 2048 to 8192
/// bits, an odd exponent from 3 to 2^33 - 1, as CloudTrail's keys are. Any other key is
/// checked with the `rsa` crate.
#[derive(Debug, Clone)]
struct PublicKey {
    key: rsa::PublicKey,
    /// The modulus and exponent, big-endian without leading zeros, when `ring` takes them.
    fast: Option<(Vec<u8>, Vec<u8>)>,
}

impl PublicKey {
    fn new(key: rsa::PublicKey) -> PublicKey {
        use rsa::traits::PublicKeyParts;
        let minimal = |bytes: Vec<u8>| {
            let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
            bytes[first..].to_vec()
        };
        let n = minimal(key.n().to_be_bytes().into_vec());
        let e = minimal(key.e().to_be_bytes().into_vec());
        let e_value = (e.len() <= 8).then(|| e.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)));
        let n_bits = key.n().bit_width();
        let fast = ((2048..=8192).contains(&n_bits)
            && e_value.is_some_and(|v| v % 2 == 1 && (3..1 << 33).contains(&v)))
        .then_some((n, e));
        PublicKey { key, fast }
    }

    /// Whether `signature` is this key's RSA PKCS#1 v1.5 SHA-256 signature of `message`.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.fast {
            Some((n, e)) => ring::signature::RsaPublicKeyComponents { n, e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    message,
                    signature,
                )
                .is_ok(),
            None => self
                .key
                .pkcs1v15_verify::<Sha256>(message, signature)
                .is_ok(),
        }
    }
}

/// What checking one signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Valid,
    Invalid(String),
    /// No key with that fingerprint was given.
    NoKey,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KeysFile {
    Listed {
        #[serde(rename = "PublicKeyList")]
        keys: Vec<RawKey>,
    },
    Bare(Vec<RawKey>),
}

#[derive(Deserialize)]
struct RawKey {
    #[serde(rename = "Value")]
    value: String,
    #[serde(rename = "Fingerprint")]
    fingerprint: String,
    /// Keys rotate and their validity ranges overlap: a digest is checked with the key its
    /// fingerprint names, whatever the range (which must still be a time, when given).
    #[serde(rename = "ValidityStartTime", default)]
    from: Option<serde_json::Value>,
    #[serde(rename = "ValidityEndTime", default)]
    to: Option<serde_json::Value>,
}

/// Whether a validity time is ISO 8601 or epoch seconds (or absent).
fn is_time(v: &Option<serde_json::Value>) -> bool {
    match v {
        None | Some(serde_json::Value::Null) | Some(serde_json::Value::Number(_)) => true,
        Some(serde_json::Value::String(s)) => time::parse(s).is_some(),
        Some(_) => false,
    }
}

impl Keys {
    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    /// Reads one keys file into the set; the message names the file.
    pub fn load(&mut self, path: &Path) -> Result<(), String> {
        let shown = crate::discover::display_path(path);
        let text =
            std::fs::read(path).map_err(|e| format!("cannot read --public-keys {shown}: {e}"))?;
        if memchr::memmem::find(&text, b"PRIVATE KEY-----").is_some() {
            return Err(format!(
                "--public-keys {shown} holds a private key; give the public keys (aws cloudtrail list-public-keys), and keep private keys out of evidence"
            ));
        }
        let file: KeysFile = serde_json::from_slice(&text).map_err(|_| {
            format!(
                "--public-keys {shown} is not the output of `aws cloudtrail list-public-keys` (a JSON object with a PublicKeyList)"
            )
        })?;
        let keys = match file {
            KeysFile::Listed { keys } | KeysFile::Bare(keys) => keys,
        };
        for (i, k) in keys.into_iter().enumerate() {
            let der = base64::engine::general_purpose::STANDARD
                .decode(k.value.trim())
                .map_err(|e| format!("--public-keys {shown}: key {} is not base64: {e}", i + 1))?;
            let key = rsa::PublicKey::from_pkcs1_der(&der)
                .or_else(|_| rsa::PublicKey::from_public_key_der(&der))
                .map_err(|_| {
                    if rsa::PrivateKey::from_pkcs1_der(&der).is_ok()
                        || rsa::PrivateKey::from_pkcs8_der(&der).is_ok()
                    {
                        format!(
                            "--public-keys {shown}: key {} is a private key; give the public keys (aws cloudtrail list-public-keys), and keep private keys out of evidence",
                            i + 1
                        )
                    } else {
                        format!(
                            "--public-keys {shown}: key {} is not an RSA public key (PKCS#1 or SubjectPublicKeyInfo DER)",
                            i + 1
                        )
                    }
                })?;
            if !is_time(&k.from) || !is_time(&k.to) {
                return Err(format!(
                    "--public-keys {shown}: key {}'s validity is not a time (ISO 8601 or epoch seconds)",
                    i + 1
                ));
            }
            self.by_fingerprint.insert(
                k.fingerprint.trim().to_ascii_lowercase(),
                PublicKey::new(key),
            );
        }
        Ok(())
    }

    /// Checks an RSA PKCS#1 v1.5 SHA-256 signature of `message` by the key `fingerprint`.
    pub fn check(&self, fingerprint: &str, message: &[u8], signature: &[u8]) -> Check {
        let Some(key) = self.by_fingerprint.get(&fingerprint.to_ascii_lowercase()) else {
            return Check::NoKey;
        };
        if key.verifies(message, signature) {
            Check::Valid
        } else {
            Check::Invalid(
                "the signature does not verify with the public key its fingerprint names".into(),
            )
        }
    }
}

/// Digests' signatures saved from S3 metadata, by key from `AWSLogs/` on.
#[derive(Debug, Clone, Default)]
pub struct Signatures {
    by_key: HashMap<String, String>,
}

impl Signatures {
    /// Reads a CSV `s3_object,signature` (a header row is skipped).
    pub fn load(path: &Path) -> Result<Signatures, String> {
        let shown = crate::discover::display_path(path);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .map_err(|e| format!("cannot read --signatures {shown}: {e}"))?;
        let mut by_key = HashMap::new();
        for (i, row) in reader.records().enumerate() {
            let row = row.map_err(|e| format!("--signatures {shown}: {e}"))?;
            let (Some(object), Some(signature)) = (row.get(0), row.get(1)) else {
                return Err(format!(
                    "--signatures {shown}: line {} is not `s3_object,signature`",
                    i + 1
                ));
            };
            let (object, signature) = (object.trim(), signature.trim());
            if i == 0 && object == "s3_object" {
                continue;
            }
            let Some(key) = s3_key(object) else {
                return Err(format!(
                    "--signatures {shown}: line {}: {object:?} is not a digest's key (no AWSLogs/)",
                    i + 1
                ));
            };
            if hex::decode(signature).is_err() {
                return Err(format!(
                    "--signatures {shown}: line {}: the signature is not hex",
                    i + 1
                ));
            }
            by_key.insert(key.to_owned(), signature.to_ascii_lowercase());
        }
        Ok(Signatures { by_key })
    }

    /// The saved signature (hex) of the digest with this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
    use rsa::pkcs8::EncodePublicKey;
    use rsa::{Generate, PrivateKey};

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn listed(value: &str, from: serde_json::Value) -> String {
        serde_json::json!({"PublicKeyList": [{
            "Value": value, "ValidityStartTime": from, "ValidityEndTime": null,
            "Fingerprint": "0A1B2C3D4E5F60718293A4B5C6D7E8F9"}]})
        .to_string()
    }

    #[test]
    fn both_key_encodings_check_signatures_and_the_wrong_message_fails() {
        let private = PrivateKey::generate();
        let public = private.to_public_key();
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let dir = tempfile::tempdir().unwrap();
        let signature = private.pkcs1v15_sign::<Sha256>(b"signed text").unwrap();
        for (name, value, from) in [
            (
                "pkcs1.json",
                b64(public.to_pkcs1_der().unwrap().as_bytes()),
                serde_json::json!("2026-01-01T00:00:00Z"),
            ),
            (
                "spki.json",
                b64(public.to_public_key_der().unwrap().as_bytes()),
                serde_json::json!(1767225600),
            ),
        ] {
            let mut keys = Keys::default();
            keys.load(&write(&dir, name, &listed(&value, from)))
                .unwrap();
            assert_eq!(keys.len(), 1);
            // Fingerprints compare without regard to case.
            let fp = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
            assert_eq!(keys.check(fp, b"signed text", &signature), Check::Valid);
            assert!(matches!(
                keys.check(fp, b"signed text!", &signature),
                Check::Invalid(_)
            ));
            assert_eq!(keys.check("ffff", b"signed text", &signature), Check::NoKey);
        }
    }

    #[test]
    fn ring_and_the_rsa_crate_agree_on_every_signature() {
        let private = PrivateKey::generate();
        let public = private.to_public_key();
        let fast = PublicKey::new(public.clone());
        assert!(
            fast.fast.is_some(),
            "a 3072-bit key with e = 65537 is ring's"
        );
        let slow = PublicKey {
            key: public,
            fast: None,
        };
        let good = private.pkcs1v15_sign::<Sha256>(b"signed text").unwrap();
        let mut flipped = good.clone();
        flipped[17] ^= 1;
        let cases: [(&[u8], &[u8], bool); 5] = [
            (b"signed text", &good, true),
            (b"signed text!", &good, false),
            (b"signed text", &flipped, false),
            (b"signed text", &good[1..], false),
            (b"signed text", b"", false),
        ];
        for (message, signature, valid) in cases {
            assert_eq!(fast.verifies(message, signature), valid);
            assert_eq!(slow.verifies(message, signature), valid);
        }
    }

    #[test]
    fn keys_ring_does_not_take_are_checked_by_the_rsa_crate() {
        // A 1024-bit modulus: the rsa crate takes it, ring does not.
        let mut n = vec![0xC5u8; 128];
        n[127] |= 1;
        let key = rsa::PublicKey::new(
            rsa::BoxedUint::from_be_slice_vartime(&n),
            rsa::BoxedUint::from(65537u64),
        )
        .unwrap();
        let key = PublicKey::new(key);
        assert!(key.fast.is_none());
        assert!(!key.verifies(b"signed text", &[0x11; 128]));
    }

    #[test]
    fn files_of_the_wrong_shape_and_private_keys_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let private = PrivateKey::generate();
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let der = b64(private.to_pkcs1_der().unwrap().as_bytes());
        let pem = private.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        let cases = [
            (
                "shape.json",
                r#"{"Keys":[]}"#.to_owned(),
                "is not the output of `aws cloudtrail list-public-keys`",
            ),
            (
                "b64.json",
                listed("%%%", serde_json::json!(null)),
                "key 1 is not base64",
            ),
            (
                "junk.json",
                listed("aGVsbG8=", serde_json::json!(null)),
                "key 1 is not an RSA public key",
            ),
            (
                "private.json",
                listed(&der, serde_json::json!(null)),
                "key 1 is a private key",
            ),
            ("private.pem", pem.to_string(), "holds a private key"),
            (
                "time.json",
                listed(
                    &b64(private.to_public_key().to_pkcs1_der().unwrap().as_bytes()),
                    serde_json::json!("soon"),
                ),
                "validity is not a time",
            ),
        ];
        for (name, text, says) in cases {
            let path = write(&dir, name, &text);
            let err = Keys::default().load(&path).unwrap_err();
            assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        }
        let err = Keys::default()
            .load(&dir.path().join("absent.json"))
            .unwrap_err();
        assert!(
            err.starts_with("cannot read --public-keys") && err.contains("absent.json"),
            "{err}"
        );
    }

    #[test]
    fn saved_signatures_by_key_wherever_the_bucket_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let ok = write(
            &dir,
            "s.csv",
            "s3_object,signature\nprefix/AWSLogs/1/CloudTrail-Digest/x.json.gz,ABCD\n",
        );
        let s = Signatures::load(&ok).unwrap();
        assert_eq!(s.get("AWSLogs/1/CloudTrail-Digest/x.json.gz"), Some("abcd"));
        for (text, says) in [
            ("elsewhere/x.json.gz,abcd\n", "is not a digest's key"),
            ("AWSLogs/1/x.json.gz,zz\n", "the signature is not hex"),
            ("AWSLogs/1/x.json.gz\n", "is not `s3_object,signature`"),
        ] {
            let err = Signatures::load(&write(&dir, "bad.csv", text)).unwrap_err();
            assert!(err.contains("bad.csv") && err.contains(says), "{err}");
        }
    }
}
