//! Decoding: a framed item's bytes in, what is inside it out.
//!
//! An item is usually a record. It may also wrap one (a lookup-events element carries the record
//! as a JSON string in `CloudTrailEvent`; an EventBridge envelope carries it in `detail`), or be
//! a whole `{"Records":[...]}` object whose key the framer could not see (spelled with escapes),
//! or not be a record at all (a digest, an Insights event, unrelated JSON). Each thing found is
//! handed to the caller as a [`Found`], so a wrapper holding records and other items gives each
//! its due.
//!
//! Decoding is lenient wherever the JSON is sound: invalid UTF-8 is replaced, and text that the
//! strict parser refuses only for a lone surrogate escape or a number beyond a double is
//! repaired ([`super::repair`]) and read again; the repairs travel with the record.

use std::borrow::Cow;

use super::raw::RawItem;
use super::repair::{Repair, repair};

/// An item that is not a CloudTrail record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotRecord {
    /// A CloudTrail digest file's body.
    Digest,
    /// A CloudTrail Insights event (not an API call).
    Insight,
    /// JSON that is not CloudTrail.
    Other,
}

impl NotRecord {
    /// How the manifest names items of this kind.
    pub fn describe(self) -> &'static str {
        match self {
            NotRecord::Digest => "digest",
            NotRecord::Insight => "Insights event",
            NotRecord::Other => "other JSON",
        }
    }
}

/// One thing found in an item.
pub enum Found<'r, 't> {
    /// A CloudTrail record, its own JSON text (as read, after any repair) and the repairs.
    Record {
        raw: &'r RawItem<'t>,
        text: &'r str,
        repairs: &'r [Repair],
    },
    /// Something that is not a record.
    NotRecord(NotRecord),
    /// An element of a wrapper (`Records`, `Events`, `CloudTrailEvent`) that is not JSON,
    /// while the wrapper itself is.
    Broken(DecodeError),
}

/// Why an item could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON: {0}")]
pub struct DecodeError(pub String);

/// Decodes one item, calling `each` with everything in it.
pub fn decode(bytes: &[u8], each: &mut dyn FnMut(Found<'_, '_>)) -> Result<(), DecodeError> {
    // Valid UTF-8 (nearly always) is checked by the fast validator and borrowed.
    let (text, repairs) = match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), Vec::new()),
        Err(_) => (String::from_utf8_lossy(bytes), vec![Repair::InvalidUtf8]),
    };
    decode_text(&text, &repairs, each, 0)
}

fn decode_text(
    text: &str,
    repairs: &[Repair],
    each: &mut dyn FnMut(Found<'_, '_>),
    depth: u8,
) -> Result<(), DecodeError> {
    match serde_json::from_str::<RawItem>(text) {
        Ok(item) => classify(&item, text, repairs, each, depth),
        Err(strict) => {
            let Some((fixed, more)) = repair(text) else {
                return Err(DecodeError(strict.to_string()));
            };
            let item: RawItem =
                serde_json::from_str(&fixed).map_err(|e| DecodeError(e.to_string()))?;
            let all: Vec<Repair> = repairs.iter().copied().chain(more).collect();
            classify(&item, &fixed, &all, each, depth)
        }
    }
}

/// What an item is by its own fields (not looking inside wrappers).
fn kind_of(item: &RawItem<'_>) -> Result<(), NotRecord> {
    if item.digest_start_time.get().is_some() || item.log_files.is_some() {
        return Err(NotRecord::Digest);
    }
    if item.event_category.get() == Some("Insight")
        || item.event_type.get() == Some("AwsCloudTrailInsight")
    {
        return Err(NotRecord::Insight);
    }
    let looks_like_record = item.event_name.get().is_some()
        || item.event_version.get().is_some()
        || item.event_time.get().is_some()
        || item.event_source.get().is_some()
        || item.event_id.get().is_some()
        || item.user_identity.get().is_some();
    if looks_like_record {
        Ok(())
    } else {
        Err(NotRecord::Other)
    }
}

fn classify(
    item: &RawItem<'_>,
    text: &str,
    repairs: &[Repair],
    each: &mut dyn FnMut(Found<'_, '_>),
    depth: u8,
) -> Result<(), DecodeError> {
    if depth < 2 {
        if let Some(inner) = item.cloudtrail_event.get() {
            return decode_text(inner, repairs, each, depth + 1);
        }
        if let Some(detail) = item.detail
            && detail.get().trim_start().starts_with('{')
            && let Ok(inner) = serde_json::from_str::<RawItem>(detail.get())
            && (kind_of(&inner) != Err(NotRecord::Other)
                || inner.records.get().is_some()
                || inner.cloudtrail_event.get().is_some())
        {
            return classify(&inner, detail.get(), repairs, each, depth + 1);
        }
        if let Some(records) = item.records.get().or(item.events.get()) {
            for r in records {
                // A member that is not an object is not a record (as the framer counts it).
                if !r.get().trim_start().starts_with('{') {
                    each(Found::NotRecord(NotRecord::Other));
                    continue;
                }
                if let Err(e) = decode_text(r.get(), repairs, each, depth + 1) {
                    each(Found::Broken(e));
                }
            }
            return Ok(());
        }
    }
    match kind_of(item) {
        Ok(()) => each(Found::Record {
            raw: item,
            text,
            repairs,
        }),
        Err(kind) => each(Found::NotRecord(kind)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `decode` found: event names of records, kinds of the rest, and the repairs.
    fn found(json: &[u8]) -> (Result<(), DecodeError>, Vec<String>) {
        let mut out = Vec::new();
        let result = decode(json, &mut |f| match f {
            Found::Record { raw, repairs, .. } => {
                let mut s = raw.event_name.or_empty().to_owned();
                for r in repairs {
                    s.push_str(&format!(" [{r}]"));
                }
                out.push(s);
            }
            Found::NotRecord(k) => out.push(format!("({})", k.describe())),
            Found::Broken(e) => out.push(format!("<{e}>")),
        });
        (result, out)
    }

    #[test]
    fn every_wrapper_gives_its_record() {
        assert_eq!(
            found(br#"{"eventName":"A","eventVersion":"1.08"}"#),
            (Ok(()), vec!["A".into()])
        );
        let lookup = br#"{"EventId":"x","EventName":"B","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"eventName\":\"B\"}"}"#;
        assert_eq!(found(lookup), (Ok(()), vec!["B".into()]));
        let bridge = br#"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{"eventVersion":"1.08","eventName":"C"}}"#;
        assert_eq!(found(bridge), (Ok(()), vec!["C".into()]));
        let whole = br#"{"Rec\u006frds":[{"eventName":"D"},{},{"eventName":"E"},5,{"CloudTrailEvent":"{not json"}]}"#;
        assert_eq!(
            found(whole).1,
            [
                "D",
                "(other JSON)",
                "E",
                "(other JSON)",
                "<invalid JSON: key must be a string at line 1 column 2>"
            ]
        );
        let lookup = br#"{"\u0045vents":[{"CloudTrailEvent":"{\"eventName\":\"F\"}"}]}"#;
        assert_eq!(found(lookup), (Ok(()), vec!["F".into()]));
    }

    #[test]
    fn non_records_are_classified() {
        assert_eq!(
            found(br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#).1,
            ["(digest)"]
        );
        assert_eq!(
            found(br#"{"eventVersion":"1.07","eventType":"AwsCloudTrailInsight","eventCategory":"Insight"}"#).1,
            ["(Insights event)"]
        );
        assert_eq!(
            found(br#"{"name":"package","version":"1.0"}"#).1,
            ["(other JSON)"]
        );
        // An envelope whose detail is not a record is itself what is classified.
        assert_eq!(found(br#"{"detail":{"a":1},"eventName":"G"}"#).1, ["G"]);
    }

    #[test]
    fn sound_json_is_read_leniently_and_only_broken_text_fails() {
        let (r, got) = found(b"{\"eventName\":\"A\xff\xfeB\"}");
        assert_eq!(r, Ok(()));
        assert_eq!(
            got,
            ["A\u{fffd}\u{fffd}B [bytes that are not UTF-8 were replaced by U+FFFD]"]
        );
        let (r, got) =
            found(br#"{"eventName":"ChangePassword","userAgent":"x\ud800","awsRegion":1e999}"#);
        assert_eq!(r, Ok(()));
        assert_eq!(
            got,
            [
                "ChangePassword [a lone surrogate escape was replaced by U+FFFD] [a number too large for a double was kept as text]"
            ]
        );
        assert!(found(br#"{"eventName": tru}"#).0.is_err());
        assert!(found(br#"{"eventName":"x\ud800", }"#).0.is_err());
    }
}
