//! Decoding: a framed item's bytes in, the CloudTrail records inside it out.
//!
//! An item is usually a record. It may also wrap one (a lookup-events element carries the record
//! as a JSON string in `CloudTrailEvent`; an EventBridge envelope carries it in `detail`), or be
//! a whole `{"Records":[...]}` object whose key the framer could not see (spelled with escapes),
//! or not be a record at all (a digest, an Insights event, unrelated JSON). Invalid UTF-8 is
//! replaced, never fatal.

use super::raw::RawItem;

/// What an item turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// CloudTrail records (this many), each handed to the callback.
    Records(usize),
    /// A CloudTrail digest file's body.
    Digest,
    /// A CloudTrail Insights event (not an API call).
    Insight,
    /// JSON that is not CloudTrail.
    Other,
}

/// Why an item could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON: {0}")]
pub struct DecodeError(pub String);

/// Decodes one item, calling `each` with every record in it and the record's own JSON text.
pub fn decode(
    bytes: &[u8],
    each: &mut dyn FnMut(&RawItem<'_>, &str),
) -> Result<ItemKind, DecodeError> {
    // Valid UTF-8 (nearly always) is checked by the fast validator and borrowed.
    match std::str::from_utf8(bytes) {
        Ok(text) => decode_text(text, each, 0),
        Err(_) => decode_text(&String::from_utf8_lossy(bytes), each, 0),
    }
}

fn decode_text(
    text: &str,
    each: &mut dyn FnMut(&RawItem<'_>, &str),
    depth: u8,
) -> Result<ItemKind, DecodeError> {
    let item: RawItem = serde_json::from_str(text).map_err(|e| DecodeError(e.to_string()))?;
    if depth < 2 {
        if let Some(inner) = item.cloudtrail_event.get() {
            return decode_text(inner, each, depth + 1);
        }
        if let Some(detail) = item.detail
            && detail.get().trim_start().starts_with('{')
        {
            let kind = decode_text(detail.get(), each, depth + 1)?;
            if kind != ItemKind::Other {
                return Ok(kind);
            }
        }
        if let Some(records) = item.records.as_ref().or(item.events.as_ref()) {
            let mut n = 0;
            for r in records {
                if let Ok(ItemKind::Records(k)) = decode_text(r.get(), each, depth + 1) {
                    n += k;
                }
            }
            return Ok(ItemKind::Records(n));
        }
    }
    if item.digest_start_time.get().is_some() || item.log_files.is_some() {
        return Ok(ItemKind::Digest);
    }
    if item.event_category.get() == Some("Insight")
        || item.event_type.get() == Some("AwsCloudTrailInsight")
    {
        return Ok(ItemKind::Insight);
    }
    let looks_like_record = item.event_name.get().is_some()
        || item.event_version.get().is_some()
        || item.event_time.get().is_some()
        || item.event_source.get().is_some()
        || item.event_id.get().is_some()
        || item.user_identity.get().is_some();
    if !looks_like_record {
        return Ok(ItemKind::Other);
    }
    each(&item, text);
    Ok(ItemKind::Records(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(json: &[u8]) -> (Result<ItemKind, DecodeError>, Vec<String>) {
        let mut out = Vec::new();
        let kind = decode(json, &mut |r, _| {
            out.push(r.event_name.or_empty().to_owned())
        });
        (kind, out)
    }

    #[test]
    fn every_wrapper_gives_its_record() {
        assert_eq!(
            names(br#"{"eventName":"A","eventVersion":"1.08"}"#),
            (Ok(ItemKind::Records(1)), vec!["A".into()])
        );
        let lookup = br#"{"EventId":"x","EventName":"B","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"eventName\":\"B\"}"}"#;
        assert_eq!(names(lookup), (Ok(ItemKind::Records(1)), vec!["B".into()]));
        let bridge = br#"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{"eventVersion":"1.08","eventName":"C"}}"#;
        assert_eq!(names(bridge), (Ok(ItemKind::Records(1)), vec!["C".into()]));
        let whole = br#"{"Rec\u006frds":[{"eventName":"D"},{"eventName":"E"}]}"#;
        assert_eq!(
            names(whole),
            (Ok(ItemKind::Records(2)), vec!["D".into(), "E".into()])
        );
        let lookup = br#"{"\u0045vents":[{"CloudTrailEvent":"{\"eventName\":\"F\"}"}]}"#;
        assert_eq!(names(lookup), (Ok(ItemKind::Records(1)), vec!["F".into()]));
    }

    #[test]
    fn non_records_are_classified() {
        assert_eq!(
            names(br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#).0,
            Ok(ItemKind::Digest)
        );
        assert_eq!(names(br#"{"eventVersion":"1.07","eventType":"AwsCloudTrailInsight","eventCategory":"Insight"}"#).0, Ok(ItemKind::Insight));
        assert_eq!(
            names(br#"{"name":"package","version":"1.0"}"#).0,
            Ok(ItemKind::Other)
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_and_bad_json_is_an_error() {
        let (kind, got) = names(b"{\"eventName\":\"A\xff\xfeB\"}");
        assert_eq!(kind, Ok(ItemKind::Records(1)));
        assert_eq!(got, ["A\u{fffd}\u{fffd}B"]);
        assert!(names(br#"{"eventName": tru}"#).0.is_err());
    }
}
