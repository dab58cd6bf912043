//! The fields trailsift reads from a record, borrowed from the JSON text where possible.
//!
//! Decoding is lenient wherever the JSON is sound:
//! - every field is optional; `null` reads as absent;
//! - a text field holding something else (a number, a boolean, an object, an array) keeps that
//!   value's JSON text, and the record is noted ([`Noted`]);
//! - an object field holding something else reads as absent, and is noted;
//! - a key that appears twice takes its last value (the fingerprint notes the duplicate);
//! - unknown keys are skipped without recursion, however deep they nest.
//!
//! Only text that is not JSON at all makes a record undecodable (see [`super::decode`], which
//! also repairs lone surrogate escapes and numbers beyond `f64` before giving up).

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;

/// What a value was when it was not what the field expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Odd {
    Number,
    Bool,
    Object,
    Array,
    Text,
}

impl Odd {
    fn as_str(self) -> &'static str {
        match self {
            Odd::Number => "a number",
            Odd::Bool => "a boolean",
            Odd::Object => "an object",
            Odd::Array => "an array",
            Odd::Text => "a string",
        }
    }
}

/// Things worth telling about a decoded record that is nevertheless kept.
pub trait Noted {
    /// Appends one line per oddity below `path` (e.g. `requestParameters.userName: ...`).
    fn notes(&self, path: &At<'_>, out: &mut Vec<String>);
}

/// Where a value sits in its record (`requestParameters.userName`): a chain of keys on the
/// stack, spelled out only when there is something to say about it.
#[derive(Debug, Clone, Copy)]
pub struct At<'p>(Option<(&'p At<'p>, &'p str)>);

impl<'p> At<'p> {
    /// The record itself.
    pub const ROOT: At<'static> = At(None);

    /// The value under `key`.
    pub fn key(&'p self, key: &'p str) -> At<'p> {
        At(Some((self, key)))
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            None => Ok(()),
            Some((parent, key)) => {
                if parent.0.is_some() {
                    write!(f, "{parent}.")?;
                }
                f.write_str(key)
            }
        }
    }
}

/// A text field: strings as they are; numbers, booleans, objects and arrays as their JSON
/// text (remembering that they were odd); `null` as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a> {
    value: Option<Cow<'a, str>>,
    odd: Option<Odd>,
}

impl<'a> Text<'a> {
    /// A string value (for tests and callers that build items by hand).
    pub fn new(value: &'a str) -> Text<'a> {
        Text {
            value: Some(Cow::Borrowed(value)),
            odd: None,
        }
    }

    pub fn get(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// The text, or "" when absent.
    pub fn or_empty(&self) -> &str {
        self.get().unwrap_or("")
    }

    /// What the value was, when it was not a string.
    pub fn odd(&self) -> Option<Odd> {
        self.odd
    }

    /// Whether the value is borrowed from the record's text (no escapes, not odd).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.value, Some(Cow::Borrowed(_)))
    }

    fn odd_text(odd: Odd, text: String) -> Text<'a> {
        Text {
            value: Some(Cow::Owned(text)),
            odd: Some(odd),
        }
    }
}

impl Noted for Text<'_> {
    fn notes(&self, path: &At<'_>, out: &mut Vec<String>) {
        if let Some(odd) = self.odd {
            out.push(format!(
                "{path}: {} where text was expected, kept as its JSON text",
                odd.as_str()
            ));
        }
    }
}

/// How deep the JSON text kept for an odd value goes; deeper levels are written as `…`.
const KEPT_DEPTH: u8 = 16;

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text {
                    value: Some(Cow::Borrowed(v)),
                    odd: None,
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text {
                    value: Some(Cow::Owned(v.to_owned())),
                    odd: None,
                })
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text {
                    value: Some(Cow::Owned(v)),
                    odd: None,
                })
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text {
                    value: Some(Cow::Borrowed(if v { "true" } else { "false" })),
                    odd: Some(Odd::Bool),
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text::odd_text(Odd::Number, v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text::odd_text(Odd::Number, v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text::odd_text(Odd::Number, float_text(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let mut out = String::new();
                JsonText {
                    out: &mut out,
                    depth: 0,
                }
                .visit_map(map)?;
                Ok(Text::odd_text(Odd::Object, out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                let mut out = String::new();
                JsonText {
                    out: &mut out,
                    depth: 0,
                }
                .visit_seq(seq)?;
                Ok(Text::odd_text(Odd::Array, out))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A float as JSON writes it (`1e300`, not three hundred digits).
fn float_text(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(|| "null".to_owned(), |n| n.to_string())
}

/// Writes the JSON text of the value it visits (compact, keys in their order), down to
/// [`KEPT_DEPTH`] levels; deeper values are skipped without recursion and written as `…`.
struct JsonText<'s> {
    out: &'s mut String,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for JsonText<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.depth >= KEPT_DEPTH {
            IgnoredAny::deserialize(d)?;
            self.out.push('…');
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonText<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        push_json_string(self.out, v);
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.out.push_str(&float_text(v));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.push_str("null");
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.out.push('[');
        let mut first = true;
        loop {
            if !first {
                self.out.push(',');
            }
            let seed = JsonText {
                out: &mut *self.out,
                depth: self.depth + 1,
            };
            if seq.next_element_seed(seed)?.is_none() {
                if !first {
                    self.out.pop();
                }
                break;
            }
            first = false;
        }
        self.out.push(']');
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.out.push('{');
        let mut first = true;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if !first {
                self.out.push(',');
            }
            first = false;
            push_json_string(self.out, &key.0);
            self.out.push(':');
            map.next_value_seed(JsonText {
                out: &mut *self.out,
                depth: self.depth + 1,
            })?;
        }
        self.out.push('}');
        Ok(())
    }
}

fn push_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()));
}

/// A map key, borrowed unless it was spelled with escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// An object read as `T`; `null` reads as absent, any other value as absent and odd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loose<T> {
    value: Option<T>,
    odd: Option<Odd>,
}

impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose {
            value: None,
            odd: None,
        }
    }
}

impl<T> Loose<T> {
    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }

    pub fn into_inner(self) -> Option<T> {
        self.value
    }

    /// What the value was, when it was not an object.
    pub fn odd(&self) -> Option<Odd> {
        self.odd
    }

    fn of_odd(odd: Odd) -> Loose<T> {
        Loose {
            value: None,
            odd: Some(odd),
        }
    }
}

impl<T: Noted> Noted for Loose<T> {
    fn notes(&self, path: &At<'_>, out: &mut Vec<String>) {
        if let Some(odd) = self.odd {
            out.push(format!(
                "{path}: {} where an object was expected, ignored",
                odd.as_str()
            ));
        }
        if let Some(v) = &self.value {
            v.notes(path, out);
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Loose<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Loose {
                    value: Some(t),
                    odd: None,
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose::of_odd(Odd::Array))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose::of_odd(Odd::Bool))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Loose::of_odd(Odd::Number))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Loose::of_odd(Odd::Number))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Loose::of_odd(Odd::Number))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Loose::of_odd(Odd::Text))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose::default())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The elements of an array field (`Records`, `Events`), unparsed; any other value reads as
/// absent and odd.
#[derive(Debug, Clone, Default)]
pub struct Items<'a> {
    value: Option<Vec<&'a RawValue>>,
    odd: Option<Odd>,
}

impl<'a> Items<'a> {
    pub fn get(&self) -> Option<&[&'a RawValue]> {
        self.value.as_deref()
    }
}

impl Noted for Items<'_> {
    fn notes(&self, path: &At<'_>, out: &mut Vec<String>) {
        if let Some(odd) = self.odd {
            out.push(format!(
                "{path}: {} where an array was expected, ignored",
                odd.as_str()
            ));
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Items<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The raw value first (any JSON value), then a look at what it is.
        let raw = <&'a RawValue>::deserialize(d)?;
        let text = raw.get().trim_start();
        let odd = match text.as_bytes().first() {
            Some(b'[') => {
                let value: Vec<&'a RawValue> =
                    serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
                return Ok(Items {
                    value: Some(value),
                    odd: None,
                });
            }
            Some(b'n') => None,
            Some(b'{') => Some(Odd::Object),
            Some(b'"') => Some(Odd::Text),
            Some(b't' | b'f') => Some(Odd::Bool),
            _ => Some(Odd::Number),
        };
        Ok(Items { value: None, odd })
    }
}

/// A field kept unparsed (any JSON value).
pub type Raw<'a> = Option<&'a RawValue>;

impl Noted for Raw<'_> {
    fn notes(&self, _: &At<'_>, _: &mut Vec<String>) {}
}

/// Declares a record structure with a lenient `Deserialize`: each listed key fills its field
/// (the last value wins when a key repeats), every other key is skipped without recursion.
macro_rules! lenient_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<'a> {
            $( $(#[$fmeta:meta])* $key:literal => $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default, Clone)]
        pub struct $name<'a> {
            $( $(#[$fmeta])* pub $field: $ty, )*
            _life: PhantomData<&'a ()>,
        }

        impl<'de: 'a, 'a> Deserialize<'de> for $name<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(PhantomData<&'a ()>);
                impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                    type Value = $name<'a>;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<Key<'de>>()? {
                            match &*key.0 {
                                $( $key => out.$field = map.next_value()?, )*
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V(PhantomData))
            }
        }

        impl Noted for $name<'_> {
            fn notes(&self, path: &At<'_>, out: &mut Vec<String>) {
                $( self.$field.notes(&path.key($key), out); )*
            }
        }
    };
}

lenient_struct! {
    /// One item of a file: a CloudTrail record, or a wrapper around one (lookup-events element,
    /// EventBridge envelope), or something else entirely (a digest, unrelated JSON).
    pub struct RawItem<'a> {
        "eventVersion" => event_version: Text<'a>,
        "userIdentity" => user_identity: Loose<RawIdentity<'a>>,
        "eventTime" => event_time: Text<'a>,
        "eventSource" => event_source: Text<'a>,
        "eventName" => event_name: Text<'a>,
        "awsRegion" => aws_region: Text<'a>,
        "sourceIPAddress" => source_ip: Text<'a>,
        "userAgent" => user_agent: Text<'a>,
        "errorCode" => error_code: Text<'a>,
        "errorMessage" => error_message: Text<'a>,
        "requestParameters" => request_parameters: Loose<RawParameters<'a>>,
        "responseElements" => response_elements: Loose<RawResponse<'a>>,
        "requestID" => request_id: Text<'a>,
        "eventID" => event_id: Text<'a>,
        "eventType" => event_type: Text<'a>,
        "eventCategory" => event_category: Text<'a>,
        "recipientAccountId" => recipient_account_id: Text<'a>,
        "sessionCredentialFromConsole" => session_credential_from_console: Text<'a>,
        /// lookup-events: the record as a JSON string.
        "CloudTrailEvent" => cloudtrail_event: Text<'a>,
        /// EventBridge: the record inside an envelope.
        "detail" => detail: Raw<'a>,
        /// A whole `{"Records":[...]}` file met as one item (its key was spelled with escapes).
        "Records" => records: Items<'a>,
        /// The same for lookup-events output (`{"Events":[...]}`).
        "Events" => events: Items<'a>,
        /// Digest files.
        "digestStartTime" => digest_start_time: Text<'a>,
        "logFiles" => log_files: Raw<'a>,
    }
}

lenient_struct! {
    pub struct RawIdentity<'a> {
        "type" => kind: Text<'a>,
        "userName" => user_name: Text<'a>,
        "arn" => arn: Text<'a>,
        "accountId" => account_id: Text<'a>,
        "principalId" => principal_id: Text<'a>,
        "accessKeyId" => access_key_id: Text<'a>,
        "invokedBy" => invoked_by: Text<'a>,
        "sessionContext" => session_context: Loose<RawSessionContext<'a>>,
        "onBehalfOf" => on_behalf_of: Loose<RawOnBehalfOf<'a>>,
    }
}

lenient_struct! {
    pub struct RawSessionContext<'a> {
        "attributes" => attributes: Loose<RawAttributes<'a>>,
        "sessionIssuer" => session_issuer: Loose<RawIssuer<'a>>,
    }
}

lenient_struct! {
    pub struct RawAttributes<'a> {
        "mfaAuthenticated" => mfa_authenticated: Text<'a>,
    }
}

lenient_struct! {
    pub struct RawIssuer<'a> {
        "userName" => user_name: Text<'a>,
    }
}

lenient_struct! {
    pub struct RawOnBehalfOf<'a> {
        "userId" => user_id: Text<'a>,
    }
}

lenient_struct! {
    pub struct RawParameters<'a> {
        "userName" => user_name: Text<'a>,
        "serialNumber" => serial_number: Text<'a>,
        "accessKeyId" => access_key_id: Text<'a>,
        "status" => status: Text<'a>,
        "virtualMFADeviceName" => virtual_mfa_device_name: Text<'a>,
    }
}

lenient_struct! {
    pub struct RawResponse<'a> {
        "virtualMFADevice" => virtual_mfa_device: Loose<RawVirtualMfaDevice<'a>>,
    }
}

lenient_struct! {
    pub struct RawVirtualMfaDevice<'a> {
        "serialNumber" => serial_number: Text<'a>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_types_keep_their_json_text_and_are_noted() {
        let json = r#"{"eventName":"X","userIdentity":"not an object","eventTime":null,
            "awsRegion":42,"requestParameters":{"userName":["a",{"b":null}],"status":true},
            "responseElements":[1,2],"unknownFutureField":{"deep":[{"x":1}]},
            "errorCode":1e300}"#;
        let item: RawItem = serde_json::from_str(json).unwrap();
        assert_eq!(item.event_name.get(), Some("X"));
        assert!(item.user_identity.get().is_none());
        assert_eq!(item.user_identity.odd(), Some(Odd::Text));
        assert_eq!(item.event_time.get(), None);
        assert_eq!(item.aws_region.get(), Some("42"));
        assert_eq!(item.error_code.get(), Some("1e+300"));
        let params = item.request_parameters.get().unwrap();
        assert_eq!(params.user_name.get(), Some(r#"["a",{"b":null}]"#));
        assert_eq!(params.status.get(), Some("true"));
        assert!(item.response_elements.get().is_none());
        let mut notes = Vec::new();
        item.notes(&At::ROOT, &mut notes);
        assert_eq!(
            notes,
            [
                "userIdentity: a string where an object was expected, ignored",
                "awsRegion: a number where text was expected, kept as its JSON text",
                "errorCode: a number where text was expected, kept as its JSON text",
                "requestParameters.userName: an array where text was expected, kept as its JSON text",
                "requestParameters.status: a boolean where text was expected, kept as its JSON text",
                "responseElements: an array where an object was expected, ignored",
            ]
        );
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let item: RawItem =
            serde_json::from_str(r#"{"eventName":"A","eventSource":"i\u0061m"}"#).unwrap();
        assert!(item.event_name.is_borrowed());
        assert_eq!(item.event_source.get(), Some("iam"));
        assert!(!item.event_source.is_borrowed());
    }

    #[test]
    fn repeated_keys_take_the_last_value() {
        let item: RawItem = serde_json::from_str(
            r#"{"eventName":"GetUser","userIdentity":{"userName":"a","userName":"b"},"eventName":"ChangePassword"}"#,
        )
        .unwrap();
        assert_eq!(item.event_name.get(), Some("ChangePassword"));
        assert_eq!(item.user_identity.get().unwrap().user_name.get(), Some("b"));
    }

    #[test]
    fn keys_spelled_with_escapes_are_recognised() {
        let item: RawItem = serde_json::from_str(r#"{"event\u004eame":"A"}"#).unwrap();
        assert_eq!(item.event_name.get(), Some("A"));
    }

    #[test]
    fn hostile_nesting_in_unread_fields_is_skipped_without_recursion() {
        let nest = |n| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let deep = format!(
            r#"{{"eventName":"A","requestParameters":{{"x":{}}},"userIdentity":{{"userName":{}}}}}"#,
            nest(100_000),
            nest(100_000)
        );
        let item: RawItem = serde_json::from_str(&deep).unwrap();
        assert_eq!(item.event_name.get(), Some("A"));
        let kept = item.user_identity.get().unwrap().user_name.get().unwrap();
        assert!(kept.starts_with("[[[[") && kept.contains('…'), "{kept}");
        assert!(kept.len() < 100, "{kept}");
    }

    #[test]
    fn records_that_are_not_arrays_are_noted() {
        let item: RawItem = serde_json::from_str(r#"{"Records":{"a":1}}"#).unwrap();
        assert!(item.records.get().is_none());
        let mut notes = Vec::new();
        item.notes(&At::ROOT, &mut notes);
        assert_eq!(
            notes,
            ["Records: an object where an array was expected, ignored"]
        );
        let item: RawItem = serde_json::from_str(r#"{"Records":[{"a":1}, 2]}"#).unwrap();
        assert_eq!(item.records.get().unwrap().len(), 2);
    }
}
