//! Per-user timelines: every event under its actor and, when different, under its target.

use super::{Archive, Reported};
use crate::event::Event;

/// How a user took part in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The user made the call, on someone else's credentials (or on none).
    Actor,
    /// Someone else changed the user's credentials.
    Target,
    /// The user changed their own credentials.
    SelfService,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Actor => "actor",
            Role::Target => "target",
            Role::SelfService => "self",
        }
    }
}

/// One line of a user's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub reported: &'a Reported,
    pub account: &'a str,
    pub user: &'a str,
    pub role: Role,
    /// The other party ("" when there is none).
    pub counterpart: &'a str,
}

impl Entry<'_> {
    pub fn event(&self) -> &Event {
        &self.reported.event
    }
}

/// Every user's timeline, sorted by account, user, time (unknown last), eventID, origin.
pub fn entries(archive: &Archive) -> Vec<Entry<'_>> {
    let mut out = Vec::with_capacity(archive.events.len() * 2);
    for r in &archive.events {
        let e = &r.event;
        let (actor, target) = (e.actor.name.as_str(), e.target.as_str());
        if !target.is_empty() && target == actor {
            out.push(Entry {
                reported: r,
                account: &e.account,
                user: actor,
                role: Role::SelfService,
                counterpart: "",
            });
            continue;
        }
        if !actor.is_empty() {
            out.push(Entry {
                reported: r,
                account: &e.account,
                user: actor,
                role: Role::Actor,
                counterpart: target,
            });
        }
        if !target.is_empty() {
            out.push(Entry {
                reported: r,
                account: &e.account,
                user: target,
                role: Role::Target,
                counterpart: actor,
            });
        }
    }
    // Users by rank (one string sort of the distinct users), then time: cheap comparisons.
    let mut users: Vec<(&str, &str)> = out.iter().map(|e| (e.account, e.user)).collect();
    users.sort_unstable();
    users.dedup();
    let rank: std::collections::HashMap<(&str, &str), usize> =
        users.iter().enumerate().map(|(i, u)| (*u, i)).collect();
    let mut keyed: Vec<(usize, Entry<'_>)> = out
        .into_iter()
        .map(|e| (rank[&(e.account, e.user)], e))
        .collect();
    keyed.sort_by(|(ra, a), (rb, b)| (ra, a.event().order_key()).cmp(&(rb, b.event().order_key())));
    keyed.into_iter().map(|(_, e)| e).collect()
}

/// One readable line about an event: "set access key AKIA…0001 of bob to Active".
pub fn detail(e: &Event) -> String {
    let target = if e.target.is_empty() {
        "an unknown user"
    } else {
        e.target.as_str()
    };
    let serial = if e.mfa_serial.is_empty() {
        "(serial not logged)"
    } else {
        e.mfa_serial.as_str()
    };
    let text = match e.name.as_str() {
        "EnableMFADevice" => format!("enabled MFA device {serial} for {target}"),
        "ResyncMFADevice" => format!("resynchronised MFA device {serial} of {target}"),
        "CreateVirtualMFADevice" if e.target.is_empty() => {
            format!("created virtual MFA device {serial}")
        }
        "CreateVirtualMFADevice" => {
            format!("created virtual MFA device {serial}, later enabled for {target}")
        }
        "ChangePassword" => "changed own console password".to_owned(),
        "UpdateAccessKey" if e.access_key_id.is_empty() && e.key_status.is_empty() => {
            format!("updated an access key of {target} (which key, and to what, not logged)")
        }
        "UpdateAccessKey" => {
            let key = if e.access_key_id.is_empty() {
                "(key not logged)".to_owned()
            } else {
                mask_key(&e.access_key_id)
            };
            let status = if e.key_status.is_empty() {
                "(status not logged)"
            } else {
                e.key_status.as_str()
            };
            format!("set access key {key} of {target} to {status}")
        }
        name if e.target.is_empty() => format!("called {name}"),
        name => format!("called {name} on {target}"),
    };
    if e.failed() {
        format!("{text}; failed with {}", e.error_code)
    } else {
        text
    }
}

/// `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`: enough to tell keys apart, not to quote one.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return key.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        crate::event::from_json(json)
    }

    #[test]
    fn details_read_as_sentences() {
        let key = event(
            r#"{"eventName":"UpdateAccessKey","userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{"userName":"bob","accessKeyId":"AKIAIOSFODNN70000001","status":"Active"}}"#,
        );
        assert_eq!(detail(&key), "set access key AKIA…0001 of bob to Active");
        let failed = event(
            r#"{"eventName":"ChangePassword","errorCode":"PasswordPolicyViolation","userIdentity":{"type":"IAMUser","userName":"a"}}"#,
        );
        assert_eq!(
            detail(&failed),
            "changed own console password; failed with PasswordPolicyViolation"
        );
        let other = event(
            r#"{"eventName":"DeleteLoginProfile","userIdentity":{"type":"IAMUser","userName":"a"},"requestParameters":{"userName":"b"}}"#,
        );
        assert_eq!(detail(&other), "called DeleteLoginProfile on b");
    }

    #[test]
    fn events_appear_under_actor_and_target() {
        let mut archive = Archive::default();
        for json in [
            r#"{"eventID":"1","recipientAccountId":"9","eventName":"EnableMFADevice","userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{"userName":"bob"}}"#,
            r#"{"eventID":"2","recipientAccountId":"9","eventName":"ChangePassword","userIdentity":{"type":"IAMUser","userName":"bob"}}"#,
        ] {
            archive.events.push(Reported {
                event: Box::new(event(json)),
                copies: 1,
                conflict: false,
            });
        }
        let entries = entries(&archive);
        let rows: Vec<_> = entries
            .iter()
            .map(|e| (e.user, e.role, e.counterpart, e.event().event_id.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("alice", Role::Actor, "bob", "1"),
                ("bob", Role::Target, "alice", "1"),
                ("bob", Role::SelfService, "", "2")
            ]
        );
    }
}
