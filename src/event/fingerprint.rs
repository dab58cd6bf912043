//! A record's content, hashed independently of its spelling.
//!
//! Two deliveries of one event are the same event when their eventIDs match and their content
//! matches; the content is compared through this fingerprint: key order, whitespace and escapes
//! do not change it, any value does. The hash is computed while the text is parsed (no value
//! tree is built), with xxh3-128: collisions between the few records that share an eventID are
//! out of the question.

use std::fmt;

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use twox_hash::XxHash3_128;

use super::raw::Key;

/// 128 bits of a record's canonical content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fingerprint(pub u128);

/// Fingerprints JSON text; `None` when the text is not JSON (or nests deeper than serde_json's
/// recursion limit).
pub fn of_json(text: &str) -> Option<Fingerprint> {
    of_json_noting(text, &mut false)
}

/// [`of_json`], also telling whether some object holds a key twice.
fn of_json_noting(text: &str, duplicates: &mut bool) -> Option<Fingerprint> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut scratch = Scratch::default();
    let hash = Canonical {
        scratch: &mut scratch,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    *duplicates = scratch.duplicates;
    Some(Fingerprint(hash))
}

/// Fingerprints a record: by content when it parses, else by its exact bytes (a record nested
/// too deep to compare by content is only a duplicate of an identical copy). Also returns the
/// keys that appear twice in one of its objects: JSON allows it, CloudTrail never writes it,
/// and a reader that takes the first value sees another record than one that takes the last.
pub fn of_record(text: &str) -> (Fingerprint, Vec<String>) {
    let mut repeated = false;
    let print = of_json_noting(text, &mut repeated)
        .unwrap_or_else(|| Fingerprint(tagged(Tag::Raw, text.as_bytes())));
    // Rare: only then are the keys read again, by name.
    let names = if repeated {
        let mut names = Vec::new();
        let mut de = serde_json::Deserializer::from_str(text);
        let _ = Repeated { names: &mut names }.deserialize(&mut de);
        names
    } else {
        Vec::new()
    };
    (print, names)
}

/// Names the keys that appear twice in one object, up to [`NAMED_DUPLICATES`].
struct Repeated<'c> {
    names: &'c mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Repeated<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Repeated<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Repeated {
                names: &mut *self.names,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            map.next_value_seed(Repeated {
                names: &mut *self.names,
            })?;
            if keys.contains(&key)
                && self.names.len() < NAMED_DUPLICATES
                && !self.names.iter().any(|n| *n == key)
            {
                self.names.push(key.to_string());
            }
            keys.push(key);
        }
        Ok(())
    }
}

/// How many duplicated keys of one record are named.
pub const NAMED_DUPLICATES: usize = 8;

/// What kind of value a hash is of, so that `"1"`, `1` and `[1]` differ.
#[derive(Clone, Copy)]
#[repr(u64)]
enum Tag {
    Null = 1,
    Bool,
    Int,
    Uint,
    Float,
    Str,
    Array,
    Object,
    Raw,
}

fn tagged(tag: Tag, bytes: &[u8]) -> u128 {
    XxHash3_128::oneshot_with_seed(tag as u64, bytes)
}

/// Buffers shared by every level of one value's hashing, so that hashing a record allocates
/// a few times, not once per object and array. Each object or array uses the top of the stacks
/// while it is open and gives it back when it closes (its children have given theirs back).
#[derive(Default)]
struct Scratch {
    /// (key hash, value hash) of the open objects' entries.
    entries: Vec<(u128, u128)>,
    /// Item hashes of the open arrays.
    items: Vec<u128>,
    /// The bytes hashed when a container closes.
    bytes: Vec<u8>,
    /// Set when some object holds a key twice.
    duplicates: bool,
}

impl Scratch {
    /// The hash of `seed`-tagged words, as a streaming hasher fed each word in turn returns it.
    fn hash_words(&mut self, tag: Tag, words: impl Iterator<Item = u128>) -> u128 {
        self.bytes.clear();
        for w in words {
            self.bytes.extend_from_slice(&w.to_le_bytes());
        }
        tagged(tag, &self.bytes)
    }
}

/// Hashes a JSON value as serde parses it: scalars by kind and value, arrays in order, objects
/// by their entries sorted by key hash. Keys seen twice in one object are noted.
struct Canonical<'c> {
    scratch: &'c mut Scratch,
}

impl<'de> DeserializeSeed<'de> for Canonical<'_> {
    type Value = u128;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u128, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Canonical<'_> {
    type Value = u128;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<u128, E> {
        Ok(tagged(Tag::Null, &[]))
    }
    fn visit_bool<E>(self, v: bool) -> Result<u128, E> {
        Ok(tagged(Tag::Bool, &[u8::from(v)]))
    }
    fn visit_i64<E>(self, v: i64) -> Result<u128, E> {
        Ok(tagged(Tag::Int, &v.to_le_bytes()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<u128, E> {
        Ok(tagged(Tag::Uint, &v.to_le_bytes()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<u128, E> {
        Ok(tagged(Tag::Float, &v.to_bits().to_le_bytes()))
    }
    fn visit_str<E>(self, v: &str) -> Result<u128, E> {
        Ok(tagged(Tag::Str, v.as_bytes()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u128, A::Error> {
        let scratch = self.scratch;
        let start = scratch.items.len();
        while let Some(item) = seq.next_element_seed(Canonical {
            scratch: &mut *scratch,
        })? {
            scratch.items.push(item);
        }
        let items = std::mem::take(&mut scratch.items);
        let hash = scratch.hash_words(Tag::Array, items[start..].iter().copied());
        scratch.items = items;
        scratch.items.truncate(start);
        Ok(hash)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u128, A::Error> {
        let scratch = self.scratch;
        let start = scratch.entries.len();
        while let Some(key) = map.next_key_seed(Canonical {
            scratch: &mut *scratch,
        })? {
            let value = map.next_value_seed(Canonical {
                scratch: &mut *scratch,
            })?;
            scratch.entries.push((key, value));
        }
        let mut entries = std::mem::take(&mut scratch.entries);
        let own = &mut entries[start..];
        own.sort_unstable();
        if own.windows(2).any(|w| w[0].0 == w[1].0) {
            scratch.duplicates = true;
        }
        let hash = scratch.hash_words(Tag::Object, own.iter().flat_map(|&(k, v)| [k, v]));
        scratch.entries = entries;
        scratch.entries.truncate(start);
        Ok(hash)
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
        assert_ne!(of_json(r#"{"a":"1"}"#), of_json(r#"{"a":1}"#));
        assert_ne!(of_json(r#"{"a":[1]}"#), of_json(r#"{"a":1}"#));
        assert_ne!(of_json(r#"{"a":{"b":1}}"#), of_json(r#"{"a":{"a":1}}"#));
        assert_eq!(of_json("not json"), None);
        assert_eq!(of_json(r#"{"a":1} trailing"#), None);
        let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(1000), "]".repeat(1000));
        assert_eq!(of_json(&deep), None);
        assert_eq!(of_record(&deep), of_record(&deep.clone()));
        assert_ne!(of_record(&deep).0, of_record(&deep.replace('1', "2")).0);
    }

    /// The hashes are those of the definition: a streaming xxh3 fed each entry in turn.
    #[test]
    fn containers_hash_as_their_words_streamed() {
        let mut h = XxHash3_128::with_seed(Tag::Array as u64);
        for v in [1u64, 2] {
            h.write(&tagged(Tag::Uint, &v.to_le_bytes()).to_le_bytes());
        }
        let array = h.finish_128();
        assert_eq!(of_json("[1,2]"), Some(Fingerprint(array)));
        let mut entries = [
            (tagged(Tag::Str, b"b"), tagged(Tag::Null, &[])),
            (tagged(Tag::Str, b"a"), array),
        ];
        entries.sort_unstable();
        let mut h = XxHash3_128::with_seed(Tag::Object as u64);
        for (k, v) in entries {
            h.write(&k.to_le_bytes());
            h.write(&v.to_le_bytes());
        }
        assert_eq!(
            of_json(r#"{"b":null,"a":[1,2]}"#),
            Some(Fingerprint(h.finish_128()))
        );
    }

    #[test]
    fn repeated_keys_are_named_and_change_the_fingerprint() {
        let (a, dups) =
            of_record(r#"{"eventName":"GetUser","x":{"k":1,"k":2},"eventName":"ChangePassword"}"#);
        assert_eq!(dups, ["k", "eventName"]);
        let (b, none) = of_record(r#"{"x":{"k":2},"eventName":"ChangePassword"}"#);
        assert!(none.is_empty());
        assert_ne!(a, b);
    }
}
