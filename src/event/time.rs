//! Event times: parsed leniently, written as ISO 8601 UTC ending in `Z`.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// A point in time, UTC.
pub type Timestamp = DateTime<Utc>;

/// Parses CloudTrail's `YYYY-MM-DDTHH:MM:SSZ` and what other exporters write: fractions, a
/// numeric offset, a space instead of `T`, no zone at all (read as UTC).
pub fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let spaced = text.len() > 10 && text.as_bytes()[10] == b' ';
    if spaced {
        let fixed = format!("{}T{}", &text[..10], &text[11..]);
        if let Ok(t) = DateTime::parse_from_rfc3339(&fixed) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// ISO 8601 UTC with a `Z`, fractions only when present: `2026-03-02T10:04:05Z`.
pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_seen_in_exports() {
        let cases = [
            ("2026-03-02T10:04:05Z", "2026-03-02T10:04:05Z"),
            ("2026-03-02T10:04:05.250Z", "2026-03-02T10:04:05.250Z"),
            ("2022-02-08 09:23:37+11:00", "2022-02-07T22:23:37Z"),
            ("2021-11-18T09:41:02-08:00", "2021-11-18T17:41:02Z"),
            ("2026-03-02T10:04:05", "2026-03-02T10:04:05Z"),
            ("2026-03-02 10:04:05", "2026-03-02T10:04:05Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse(input).map(|t| format(&t)).as_deref(),
                Some(expected),
                "{input}"
            );
        }
        assert_eq!(parse("Jul 30, 2024 9:53:13 PM"), None);
        assert_eq!(parse(""), None);
    }
}
