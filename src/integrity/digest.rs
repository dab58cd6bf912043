//! A digest file's content: what it vouches for and how it links to its predecessor.
//!
//! Fields are read as CloudTrail writes them; the times and the previous digest's signature are
//! kept exactly as written, since the signature covers them as text. A digest that is not
//! JSON, or lacks a field the check needs, is `unreadable`, with the reason.

use serde::Deserialize;

use crate::event::time::{self, Timestamp};

/// One log file a digest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its S3 key (as listed, prefix included).
    pub object: String,
    /// Lowercase hex SHA-256 of its decompressed content.
    pub hash: String,
    /// The hash algorithm named (`SHA-256`).
    pub algorithm: String,
}

/// What a digest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub start_text: String,
    pub end_text: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub bucket: String,
    pub object: String,
    pub fingerprint: String,
    pub algorithm: String,
    pub previous_bucket: Option<String>,
    pub previous_object: Option<String>,
    pub previous_hash: Option<String>,
    pub previous_hash_algorithm: Option<String>,
    pub previous_signature: Option<String>,
    pub logs: Vec<Listed>,
}

#[derive(Deserialize)]
struct RawListed {
    #[serde(rename = "s3Object")]
    object: Option<String>,
    #[serde(rename = "hashValue")]
    hash: Option<String>,
    #[serde(rename = "hashAlgorithm")]
    algorithm: Option<String>,
}

#[derive(Deserialize)]
struct RawDoc {
    #[serde(rename = "digestStartTime")]
    start: Option<String>,
    #[serde(rename = "digestEndTime")]
    end: Option<String>,
    #[serde(rename = "digestS3Bucket")]
    bucket: Option<String>,
    #[serde(rename = "digestS3Object")]
    object: Option<String>,
    #[serde(rename = "digestPublicKeyFingerprint")]
    fingerprint: Option<String>,
    #[serde(rename = "digestSignatureAlgorithm")]
    algorithm: Option<String>,
    #[serde(rename = "previousDigestS3Bucket")]
    previous_bucket: Option<String>,
    #[serde(rename = "previousDigestS3Object")]
    previous_object: Option<String>,
    #[serde(rename = "previousDigestHashValue")]
    previous_hash: Option<String>,
    #[serde(rename = "previousDigestHashAlgorithm")]
    previous_hash_algorithm: Option<String>,
    /// Present (possibly null) in every digest: the signature covers it.
    #[serde(
        rename = "previousDigestSignature",
        default,
        deserialize_with = "present"
    )]
    previous_signature: Option<Option<String>>,
    #[serde(rename = "logFiles")]
    logs: Option<Vec<RawListed>>,
}

/// A field that must be present, null allowed: `Some(None)` for null, `None` when absent.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Reads a digest's decompressed bytes.
pub fn parse(bytes: &[u8]) -> Result<Doc, String> {
    let raw: RawDoc = serde_json::from_slice(bytes).map_err(|e| format!("not a digest: {e}"))?;
    let need = |v: Option<String>, name: &str| v.ok_or_else(|| format!("no {name}"));
    let start_text = need(raw.start, "digestStartTime")?;
    let end_text = need(raw.end, "digestEndTime")?;
    let when =
        |t: &str, name: &str| time::parse(t).ok_or_else(|| format!("{name} {t:?} is not a time"));
    let logs = raw
        .logs
        .ok_or("no logFiles")?
        .into_iter()
        .map(|l| {
            Ok(Listed {
                object: need(l.object, "s3Object in logFiles")?,
                hash: need(l.hash, "hashValue in logFiles")?.to_ascii_lowercase(),
                algorithm: l.algorithm.unwrap_or_else(|| "SHA-256".into()),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Doc {
        start: when(&start_text, "digestStartTime")?,
        end: when(&end_text, "digestEndTime")?,
        start_text,
        end_text,
        bucket: need(raw.bucket, "digestS3Bucket")?,
        object: need(raw.object, "digestS3Object")?,
        fingerprint: need(raw.fingerprint, "digestPublicKeyFingerprint")?,
        algorithm: raw.algorithm.unwrap_or_else(|| "SHA256withRSA".into()),
        previous_bucket: raw.previous_bucket,
        previous_object: raw.previous_object,
        previous_hash: raw.previous_hash.map(|h| h.to_ascii_lowercase()),
        previous_hash_algorithm: raw.previous_hash_algorithm,
        previous_signature: raw.previous_signature.ok_or("no previousDigestSignature")?,
        logs,
    })
}

impl Doc {
    /// Whether the digest starts a chain (logging or validation was just turned on).
    pub fn is_start(&self) -> bool {
        self.previous_object.is_none()
    }

    /// The text the digest's signature covers: its end time, bucket and object, the hex
    /// SHA-256 of its own decompressed bytes, and its predecessor's signature (`null` for a
    /// chain's first digest), one per line.
    pub fn signed_text(&self, own_sha256: &str) -> String {
        format!(
            "{}\n{}/{}\n{}\n{}",
            self.end_text,
            self.bucket,
            self.object,
            own_sha256,
            self.previous_signature.as_deref().unwrap_or("null")
        )
    }
}

/// Whether decompressed bytes look like a digest (for a digest found outside its folder).
pub fn looks_like_digest(head: &[u8]) -> bool {
    let head = &head[..head.len().min(1024)];
    memchr::memmem::find(head, b"\"digestStartTime\"").is_some()
        || memchr::memmem::find(head, b"\"digestS3Object\"").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_digest_and_says_what_is_missing() {
        let text = r#"{"awsAccountId":"1","digestStartTime":"2026-03-02T09:00:27Z","digestEndTime":"2026-03-02T10:00:27Z","digestS3Bucket":"b","digestS3Object":"AWSLogs/1/x.json.gz","digestPublicKeyFingerprint":"ab","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[{"s3Bucket":"b","s3Object":"AWSLogs/1/l.json.gz","hashValue":"ABCD","hashAlgorithm":"SHA-256"}]}"#;
        let d = parse(text.as_bytes()).unwrap();
        assert!(d.is_start());
        assert_eq!(d.logs[0].hash, "abcd");
        assert_eq!(
            d.signed_text("ff"),
            "2026-03-02T10:00:27Z\nb/AWSLogs/1/x.json.gz\nff\nnull"
        );
        let without = text.replace(r#""previousDigestSignature":null,"#, "");
        assert_eq!(
            parse(without.as_bytes()),
            Err("no previousDigestSignature".into())
        );
        assert!(parse(b"not json").unwrap_err().starts_with("not a digest"));
        assert!(looks_like_digest(text.as_bytes()));
    }
}
