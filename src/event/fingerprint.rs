//! A record's content, hashed independently of its spelling.
//!
//! Two deliveries of one event are the same event when their eventIDs match and their content
//! matches; the content is compared through this fingerprint: key order, whitespace and escapes
//! do not change it, any value does.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

/// 128 bits of a record's canonical content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fingerprint(pub u128);

/// Fingerprints JSON text; `None` when the text is not JSON (or nests deeper than serde_json's
/// recursion limit).
pub fn of_json(text: &str) -> Option<Fingerprint> {
    let value: Value = serde_json::from_str(text).ok()?;
    Some(of_value(&value))
}

/// Fingerprints a record: by content when it parses as a value, else by its exact bytes (a
/// record nested too deep to compare by content is only a duplicate of an identical copy).
pub fn of_record(text: &str) -> Fingerprint {
    of_json(text).unwrap_or_else(|| {
        let mut a = DefaultHasher::new();
        let mut b = DefaultHasher::new();
        (6u8, text).hash(&mut a);
        (7u8, text).hash(&mut b);
        Fingerprint(u128::from(a.finish()) << 64 | u128::from(b.finish()))
    })
}

/// Fingerprints a parsed value.
pub fn of_value(value: &Value) -> Fingerprint {
    // Two independent 64-bit streams make an accidental collision between the few records
    // that share an eventID negligible.
    let mut a = DefaultHasher::new();
    let mut b = DefaultHasher::new();
    0xA5u8.hash(&mut b);
    feed(value, &mut a);
    feed(value, &mut b);
    Fingerprint(u128::from(a.finish()) << 64 | u128::from(b.finish()))
}

fn feed(value: &Value, h: &mut DefaultHasher) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(items) => {
            (4u8, items.len()).hash(h);
            for item in items {
                feed(item, h);
            }
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(h);
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|x, y| x.0.cmp(y.0));
            for (key, item) in entries {
                key.hash(h);
                feed(item, h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_does_not_matter_content_does() {
        let a = of_json(
            r#"{"eventID":"1","userIdentity":{"type":"IAMUser","userName":"bob"},"x":[1,2]}"#,
        );
        let b = of_json(
            "{ \"x\" : [1, 2],\n \"userIdentity\": {\"userName\": \"b\\u006fb\", \"type\": \"IAMUser\"}, \"eventID\": \"1\" }",
        );
        let c = of_json(
            r#"{"eventID":"1","userIdentity":{"type":"IAMUser","userName":"bob"},"x":[2,1]}"#,
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(of_json("not json"), None);
        let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(1000), "]".repeat(1000));
        assert_eq!(of_json(&deep), None);
        assert_eq!(of_record(&deep), of_record(&deep.clone()));
        assert_ne!(of_record(&deep), of_record(&deep.replace('1', "2")));
    }
}
