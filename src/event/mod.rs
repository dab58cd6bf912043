//! The typed event model: what trailsift keeps of a selected record.
//!
//! [`decode`] turns a framed item into [`raw::RawItem`]s (borrowed, lenient); [`Event::from_raw`]
//! resolves the actor, the target user and the other reported fields into an owned [`Event`].
//! Nothing downstream sees JSON. [`describe`] puts an event into words for every report.

pub mod decode;
pub mod describe;
pub mod fingerprint;
pub mod identity;
pub mod raw;
pub mod repair;
mod stored;
pub mod time;

use std::sync::Arc;

use fingerprint::Fingerprint;

/// A text field of an event: short ones (names, accounts, regions, keys) live inline, without
/// an allocation of their own; millions of events go through several sorts.
pub type Str = compact_str::CompactString;
use raw::RawItem;
use time::Timestamp;

/// Where a record came from: every reported row can be traced back to its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// Index of the input file in the sorted list of inputs.
    pub file: u32,
    /// Position of the record among the records of the file, from 0.
    pub record: u64,
}

/// A successful `EnableMFADevice`: which user a device serial went to, and when. These tell
/// whom a `CreateVirtualMFADevice` (which names no user) made its device for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaLink {
    pub account: Str,
    pub serial: Str,
    pub user: Str,
    pub time: Option<Timestamp>,
}

/// Who made a call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    /// The name the reports use (see [`identity::actor_name`]).
    pub name: Str,
    /// `userIdentity.type`.
    pub kind: Str,
    pub arn: Str,
    /// `userIdentity.accessKeyId`: `AKIA…` long-term, `ASIA…` temporary.
    pub access_key: Str,
    /// `sessionContext.attributes.mfaAuthenticated`, when logged.
    pub mfa: Option<bool>,
    /// The call came from a console session.
    pub console: bool,
    pub root: bool,
}

impl Actor {
    /// The call used temporary (`ASIA…`) keys.
    pub fn temporary_keys(&self) -> bool {
        self.access_key.starts_with("ASIA")
    }
}

/// One selected record, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub time: Option<Timestamp>,
    pub name: Str,
    pub source: Str,
    pub account: Str,
    pub region: Str,
    pub actor: Actor,
    /// The user whose credentials the call changed ("" when none; see [`identity`]).
    pub target: Str,
    pub access_key_id: Str,
    pub key_status: Str,
    pub mfa_serial: Str,
    pub source_ip: Str,
    pub user_agent: Str,
    pub error_code: Str,
    pub error_message: Str,
    pub event_id: Str,
    pub request_id: Str,
    pub origin: Origin,
    /// The input file's path as the reports show it (shared by the events of one file).
    pub source_file: Arc<str>,
    /// The record's content, for telling duplicates from conflicts.
    pub fingerprint: Fingerprint,
    /// The record's JSON text, kept only when a report needs it (`--format jsonl`).
    pub record: Option<Box<str>>,
}

impl Event {
    /// Resolves a decoded record. `fingerprint` is filled in by the caller once the event is
    /// known to be selected.
    pub fn from_raw(raw: &RawItem<'_>, origin: Origin) -> Event {
        let id = raw.user_identity.get().cloned().unwrap_or_default();
        let actor_name = identity::actor_name(&id);
        let root = identity::is_root(&id);
        let params = raw.request_parameters.get();
        let name: Str = raw.event_name.or_empty().into();
        let error_code: Str = raw.error_code.or_empty().into();
        let error_message: Str = raw.error_message.or_empty().into();
        let failed_without_parameters = !error_code.is_empty() && params.is_none();
        let target = identity::target_user(
            &name,
            &actor_name,
            root,
            params.and_then(|p| p.user_name.get()),
            failed_without_parameters,
            &error_message,
        );
        let mfa_serial = params
            .and_then(|p| p.serial_number.get())
            .or_else(|| {
                raw.response_elements
                    .get()?
                    .virtual_mfa_device
                    .get()?
                    .serial_number
                    .get()
            })
            .unwrap_or("")
            .into();
        let user_agent: Str = raw.user_agent.or_empty().into();
        let console = raw.session_credential_from_console.get() == Some("true")
            || id.invoked_by.get() == Some("signin.amazonaws.com")
            || matches!(
                user_agent.as_str(),
                "console.amazonaws.com" | "signin.amazonaws.com"
            );
        let mfa = id
            .session_context
            .get()
            .and_then(|c| c.attributes.get())
            .and_then(|a| a.mfa_authenticated.get())
            .and_then(|m| match m.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            });
        let account = raw
            .recipient_account_id
            .get()
            .filter(|a| !a.is_empty())
            .or(id.account_id.get())
            .unwrap_or("")
            .into();
        Event {
            time: raw.event_time.get().and_then(time::parse),
            name,
            source: raw.event_source.or_empty().into(),
            account,
            region: raw.aws_region.or_empty().into(),
            actor: Actor {
                name: actor_name.into(),
                kind: id.kind.or_empty().into(),
                arn: id.arn.or_empty().into(),
                access_key: id.access_key_id.or_empty().into(),
                mfa,
                console,
                root,
            },
            target: target.into(),
            access_key_id: params
                .and_then(|p| p.access_key_id.get())
                .unwrap_or("")
                .into(),
            key_status: params.and_then(|p| p.status.get()).unwrap_or("").into(),
            mfa_serial,
            source_ip: raw.source_ip.or_empty().into(),
            user_agent,
            error_code,
            error_message,
            event_id: raw.event_id.or_empty().into(),
            request_id: raw.request_id.or_empty().into(),
            origin,
            source_file: Arc::from(""),
            fingerprint: Fingerprint::default(),
            record: None,
        }
    }

    /// Whether the call failed.
    pub fn failed(&self) -> bool {
        !self.error_code.is_empty()
    }

    /// The sort key of the reports: time (unknown times last), eventID, then origin.
    pub fn order_key(&self) -> (bool, Option<Timestamp>, &str, Origin) {
        (self.time.is_none(), self.time, &self.event_id, self.origin)
    }
}

/// The error code without the spelling variations IAM uses (`Client.` prefix, `Exception`
/// suffix): `Client.LimitExceededException` and `LimitExceeded` count as one.
pub fn normalised_error(code: &str) -> &str {
    let code = code.strip_prefix("Client.").unwrap_or(code);
    code.strip_suffix("Exception")
        .filter(|c| !c.is_empty())
        .unwrap_or(code)
}

/// A record's JSON resolved into an event (for unit tests across the crate).
#[cfg(test)]
pub(crate) fn from_json(json: &str) -> Event {
    let raw: RawItem = serde_json::from_str(json).expect("test records are JSON");
    Event::from_raw(&raw, Origin { file: 0, record: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        from_json(json)
    }

    #[test]
    fn resolves_an_admin_enabling_mfa_for_someone_else() {
        let e = event(
            r#"{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","principalId":"EXAMPLE_ID","arn":"arn:aws:iam::0123456789012:user/Alice","accountId":"0123456789012","accessKeyId":"EXAMPLE_KEY","userName":"Alice","sessionContext":{"attributes":{"mfaAuthenticated":"false","creationDate":"2019-11-27T15:07:22Z"}}},"eventTime":"2019-11-27T15:11:09Z","eventSource":"iam.amazonaws.com","eventName":"EnableMFADevice","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"console.amazonaws.com","requestParameters":{"userName":"Bob","serialNumber":"arn:aws:iam::0123456789012:mfa/Bob"},"responseElements":null,"requestID":"EXAMPLE-adea-490a-a806-EXAMPLE","eventID":"EXAMPLE-3fdc-4b2a-9885-EXAMPLE","eventType":"AwsApiCall","recipientAccountId":"0123456789012"}"#,
        );
        assert_eq!(e.actor.name, "Alice");
        assert_eq!(e.target, "Bob");
        assert_eq!(e.actor.mfa, Some(false));
        assert!(e.actor.console);
        assert_eq!(e.mfa_serial, "arn:aws:iam::0123456789012:mfa/Bob");
        assert_eq!(e.account, "0123456789012");
        assert_eq!(time::format(&e.time.unwrap()), "2019-11-27T15:11:09Z");
    }

    #[test]
    fn virtual_device_serial_comes_from_the_response() {
        let e = event(
            r#"{"eventName":"CreateVirtualMFADevice","userIdentity":{"type":"IAMUser","userName":"a","accountId":"9"},"responseElements":{"virtualMFADevice":{"serialNumber":"arn:aws:iam::9:mfa/a"}}}"#,
        );
        assert_eq!(
            (e.mfa_serial.as_str(), e.target.as_str(), e.account.as_str()),
            ("arn:aws:iam::9:mfa/a", "", "9")
        );
    }

    #[test]
    fn records_with_nothing_in_them_still_resolve() {
        let e = event("{}");
        assert_eq!(e.actor, Actor::default());
        assert_eq!((e.time, e.target.as_str()), (None, ""));
    }

    #[test]
    fn error_codes_normalise() {
        assert_eq!(
            normalised_error("Client.LimitExceededException"),
            "LimitExceeded"
        );
        assert_eq!(normalised_error("AccessDenied"), "AccessDenied");
        assert_eq!(normalised_error("Exception"), "Exception");
    }
}
