//! The fields trailsift reads from a record, borrowed from the JSON text where possible.
//!
//! Every field is optional and lenient: a record whose `userName` is a number, whose
//! `requestParameters` is a string, or that lacks `userIdentity` still decodes. A field of an
//! unexpected shape reads as absent; only text that is not JSON at all (or nests deeper than
//! serde_json's recursion limit) makes a record undecodable.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// A scalar read as text: strings as they are, numbers and booleans spelled out; `null`,
/// objects and arrays as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The text, or "" when absent.
    pub fn or_empty(&self) -> &str {
        self.get().unwrap_or("")
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// An object read as `T`; any other JSON value reads as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loose<T>(pub Option<T>);

impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose(None)
    }
}

impl<T> Loose<T> {
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
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
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Loose(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// One item of a file: a CloudTrail record, or a wrapper around one (lookup-events element,
/// EventBridge envelope), or something else entirely (a digest, unrelated JSON).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawItem<'a> {
    #[serde(borrow, rename = "eventVersion")]
    pub event_version: Text<'a>,
    #[serde(borrow, rename = "userIdentity")]
    pub user_identity: Loose<RawIdentity<'a>>,
    #[serde(borrow, rename = "eventTime")]
    pub event_time: Text<'a>,
    #[serde(borrow, rename = "eventSource")]
    pub event_source: Text<'a>,
    #[serde(borrow, rename = "eventName")]
    pub event_name: Text<'a>,
    #[serde(borrow, rename = "awsRegion")]
    pub aws_region: Text<'a>,
    #[serde(borrow, rename = "sourceIPAddress")]
    pub source_ip: Text<'a>,
    #[serde(borrow, rename = "userAgent")]
    pub user_agent: Text<'a>,
    #[serde(borrow, rename = "errorCode")]
    pub error_code: Text<'a>,
    #[serde(borrow, rename = "errorMessage")]
    pub error_message: Text<'a>,
    #[serde(borrow, rename = "requestParameters")]
    pub request_parameters: Loose<RawParameters<'a>>,
    #[serde(borrow, rename = "responseElements")]
    pub response_elements: Loose<RawResponse<'a>>,
    #[serde(borrow, rename = "requestID")]
    pub request_id: Text<'a>,
    #[serde(borrow, rename = "eventID")]
    pub event_id: Text<'a>,
    #[serde(borrow, rename = "eventType")]
    pub event_type: Text<'a>,
    #[serde(borrow, rename = "eventCategory")]
    pub event_category: Text<'a>,
    #[serde(borrow, rename = "recipientAccountId")]
    pub recipient_account_id: Text<'a>,
    #[serde(borrow, rename = "sessionCredentialFromConsole")]
    pub session_credential_from_console: Text<'a>,
    /// lookup-events: the record as a JSON string.
    #[serde(borrow, rename = "CloudTrailEvent")]
    pub cloudtrail_event: Text<'a>,
    /// EventBridge: the record inside an envelope.
    #[serde(borrow)]
    pub detail: Option<&'a RawValue>,
    /// A whole `{"Records":[...]}` file met as one item (its key was spelled with escapes).
    #[serde(borrow, rename = "Records")]
    pub records: Option<Vec<&'a RawValue>>,
    /// The same for lookup-events output (`{"Events":[...]}`).
    #[serde(borrow, rename = "Events")]
    pub events: Option<Vec<&'a RawValue>>,
    /// Digest files.
    #[serde(borrow, rename = "digestStartTime")]
    pub digest_start_time: Text<'a>,
    #[serde(borrow, rename = "logFiles")]
    pub log_files: Option<&'a RawValue>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawIdentity<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Text<'a>,
    #[serde(borrow, rename = "userName")]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub arn: Text<'a>,
    #[serde(borrow, rename = "accountId")]
    pub account_id: Text<'a>,
    #[serde(borrow, rename = "principalId")]
    pub principal_id: Text<'a>,
    #[serde(borrow, rename = "accessKeyId")]
    pub access_key_id: Text<'a>,
    #[serde(borrow, rename = "invokedBy")]
    pub invoked_by: Text<'a>,
    #[serde(borrow, rename = "sessionContext")]
    pub session_context: Loose<RawSessionContext<'a>>,
    #[serde(borrow, rename = "onBehalfOf")]
    pub on_behalf_of: Loose<RawOnBehalfOf<'a>>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawSessionContext<'a> {
    #[serde(borrow)]
    pub attributes: Loose<RawAttributes<'a>>,
    #[serde(borrow, rename = "sessionIssuer")]
    pub session_issuer: Loose<RawIssuer<'a>>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawAttributes<'a> {
    #[serde(borrow, rename = "mfaAuthenticated")]
    pub mfa_authenticated: Text<'a>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawIssuer<'a> {
    #[serde(borrow, rename = "userName")]
    pub user_name: Text<'a>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawOnBehalfOf<'a> {
    #[serde(borrow, rename = "userId")]
    pub user_id: Text<'a>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawParameters<'a> {
    #[serde(borrow, rename = "userName")]
    pub user_name: Text<'a>,
    #[serde(borrow, rename = "serialNumber")]
    pub serial_number: Text<'a>,
    #[serde(borrow, rename = "accessKeyId")]
    pub access_key_id: Text<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    #[serde(borrow, rename = "virtualMFADeviceName")]
    pub virtual_mfa_device_name: Text<'a>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawResponse<'a> {
    #[serde(borrow, rename = "virtualMFADevice")]
    pub virtual_mfa_device: Loose<RawVirtualMfaDevice<'a>>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RawVirtualMfaDevice<'a> {
    #[serde(borrow, rename = "serialNumber")]
    pub serial_number: Text<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_types_read_as_absent_or_text() {
        let json = r#"{"eventName":"X","userIdentity":"not an object","eventTime":null,
            "awsRegion":42,"requestParameters":{"userName":["a"],"status":true},
            "responseElements":[1,2],"unknownFutureField":{"deep":[{"x":1}]}}"#;
        let item: RawItem = serde_json::from_str(json).unwrap();
        assert_eq!(item.event_name.get(), Some("X"));
        assert!(item.user_identity.get().is_none());
        assert_eq!(item.event_time.get(), None);
        assert_eq!(item.aws_region.get(), Some("42"));
        let params = item.request_parameters.get().unwrap();
        assert_eq!(params.user_name.get(), None);
        assert_eq!(params.status.get(), Some("true"));
        assert!(item.response_elements.get().is_none());
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let item: RawItem =
            serde_json::from_str(r#"{"eventName":"A","eventSource":"i\u0061m"}"#).unwrap();
        assert!(matches!(item.event_name.0, Some(Cow::Borrowed("A"))));
        assert_eq!(item.event_source.get(), Some("iam"));
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
        assert_eq!(item.user_identity.get().unwrap().user_name.get(), None);
    }
}
