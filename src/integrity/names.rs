//! What a path says: the object's key from `AWSLogs/` on (which is how files and the keys that
//! digests name are matched, wherever a copy lives), and what a log file's or a digest's name
//! tells (account, region, trail, delivery time).

use std::path::Path;

use chrono::{NaiveDateTime, TimeZone, Utc};

use crate::event::time::Timestamp;

/// The key of a path from its last `AWSLogs` component on, `/`-separated (`None` when it has
/// none).
pub fn key_of(path: &Path) -> Option<String> {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts.iter().rposition(|p| p == "AWSLogs")?;
    Some(parts[at..].join("/"))
}

/// The part of an S3 key from `AWSLogs/` on (keys carry the bucket's prefix before it).
pub fn s3_key(object: &str) -> Option<&str> {
    if object.starts_with("AWSLogs/") {
        return Some(object);
    }
    object.rfind("/AWSLogs/").map(|i| &object[i + 1..])
}

/// What a log file's key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogName {
    /// `o-xxxxxxxxxx/` for an organization trail, else empty.
    pub org: String,
    pub account: String,
    pub region: String,
    /// When it was delivered (the time in its name, to the minute).
    pub delivered: Timestamp,
}

/// What a digest's key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestName {
    pub org: String,
    pub account: String,
    pub region: String,
    pub trail: String,
    pub home_region: String,
    /// The digest's end time, from its name.
    pub stamp: Timestamp,
    /// A late digest (`_backfill`): a chain of its own.
    pub backfill: bool,
}

/// The parts of a key below `AWSLogs/`: organization, account, folder, region, file name.
fn parts(key: &str) -> Option<(String, &str, &str, &str, &str)> {
    let rest = key.strip_prefix("AWSLogs/")?;
    let mut segs: Vec<&str> = rest.split('/').collect();
    let org = if segs.first().is_some_and(|s| s.starts_with("o-")) {
        format!("{}/", segs.remove(0))
    } else {
        String::new()
    };
    // account / folder / region / YYYY / MM / DD / name
    if segs.len() != 7 {
        return None;
    }
    Some((org, segs[0], segs[1], segs[2], segs[6]))
}

fn stamp(text: &str, format: &str) -> Option<Timestamp> {
    NaiveDateTime::parse_from_str(text, format)
        .ok()
        .map(|t| Utc.from_utc_datetime(&t))
}

/// Parses `AWSLogs/[o-x/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<x>.json.gz`.
pub fn log_name(key: &str) -> Option<LogName> {
    let (org, account, folder, region, name) = parts(key)?;
    if folder != "CloudTrail" {
        return None;
    }
    let rest = name.strip_prefix(&format!("{account}_CloudTrail_{region}_"))?;
    let (time, tail) = rest.split_once('_')?;
    if tail.is_empty() || !name.ends_with(".json.gz") {
        return None;
    }
    Some(LogName {
        org,
        account: account.to_owned(),
        region: region.to_owned(),
        delivered: stamp(time, "%Y%m%dT%H%MZ")?,
    })
}

/// Parses `AWSLogs/[o-x/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<home>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz`
/// (a trail's name may hold `_`: it is what lies between the region and the home region).
pub fn digest_name(key: &str) -> Option<DigestName> {
    let (org, account, folder, region, name) = parts(key)?;
    if folder != "CloudTrail-Digest" {
        return None;
    }
    let rest = name
        .strip_prefix(&format!("{account}_CloudTrail-Digest_{region}_"))?
        .strip_suffix(".json.gz")?;
    let (rest, backfill) = match rest.strip_suffix("_backfill") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let (rest, time) = rest.rsplit_once('_')?;
    let (trail, home) = rest.rsplit_once('_')?;
    if trail.is_empty() || home.is_empty() {
        return None;
    }
    Some(DigestName {
        org,
        account: account.to_owned(),
        region: region.to_owned(),
        trail: trail.to_owned(),
        home_region: home.to_owned(),
        stamp: stamp(time, "%Y%m%dT%H%M%SZ")?,
        backfill,
    })
}

/// The key a digest of the same chain ending at `stamp` has: `key` with its date folder and
/// its stamp replaced (`None` when `key` is not a digest's name).
pub fn digest_key_at(key: &str, stamp: Timestamp) -> Option<String> {
    digest_name(s3_key(key)?)?;
    let (folder, name) = key.rsplit_once('/')?;
    let mut up = folder.rsplitn(4, '/');
    let (_, _, _, base) = (up.next()?, up.next()?, up.next()?, up.next()?);
    let tail = if name.ends_with("_backfill.json.gz") {
        "_backfill.json.gz"
    } else {
        ".json.gz"
    };
    let head = name.strip_suffix(tail)?;
    let head = &head[..head.len().checked_sub(16)?];
    Some(format!(
        "{base}/{}/{head}{}{tail}",
        stamp.format("%Y/%m/%d"),
        stamp.format("%Y%m%dT%H%M%SZ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_start_at_aws_logs_wherever_the_copy_lives() {
        assert_eq!(
            key_of(Path::new(
                "/cases/x/prefix/AWSLogs/1/CloudTrail/us-east-1/2026/03/02/f.json.gz"
            ))
            .as_deref(),
            Some("AWSLogs/1/CloudTrail/us-east-1/2026/03/02/f.json.gz")
        );
        assert_eq!(key_of(Path::new("/tmp/loose.json")), None);
        assert_eq!(
            s3_key("my/prefix/AWSLogs/1/CloudTrail/x.json.gz"),
            Some("AWSLogs/1/CloudTrail/x.json.gz")
        );
        assert_eq!(s3_key("AWSLogs/1/x"), Some("AWSLogs/1/x"));
        assert_eq!(s3_key("elsewhere/x"), None);
    }

    #[test]
    fn log_and_digest_names() {
        let log = log_name("AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/03/02/111122223333_CloudTrail_eu-west-1_20260302T1005Z_AbCdEfGh12345678.json.gz").unwrap();
        assert_eq!(
            (log.org.as_str(), log.account.as_str(), log.region.as_str()),
            ("o-abc123/", "111122223333", "eu-west-1")
        );
        assert_eq!(
            crate::event::time::format(&log.delivered),
            "2026-03-02T10:05:00Z"
        );
        let d = digest_name("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_my_trail_name_us-west-2_20260302T100027Z.json.gz").unwrap();
        assert_eq!(
            (d.trail.as_str(), d.home_region.as_str(), d.backfill),
            ("my_trail_name", "us-west-2", false)
        );
        assert_eq!(crate::event::time::format(&d.stamp), "2026-03-02T10:00:27Z");
        let b = digest_name("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260302T100027Z_backfill.json.gz").unwrap();
        assert!(b.backfill);
        let earlier = Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 27).unwrap();
        assert_eq!(
            digest_key_at("p/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_my_trail_name_us-west-2_20260302T100027Z.json.gz", earlier).as_deref(),
            Some("p/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/01/111122223333_CloudTrail-Digest_us-east-1_my_trail_name_us-west-2_20260301T230027Z.json.gz")
        );
        assert_eq!(
            digest_key_at("AWSLogs/1/CloudTrail/r/2026/03/02/x.json.gz", earlier),
            None
        );
        assert_eq!(
            log_name("AWSLogs/1/CloudTrail-Digest/r/2026/03/02/x.json.gz"),
            None
        );
        assert_eq!(
            digest_name("AWSLogs/1/CloudTrail/r/2026/03/02/x.json.gz"),
            None
        );
    }
}
