//! Per-user timelines: every event under its actor and, when different, under its target.

use std::cmp::Ordering;
use std::sync::Arc;

use super::Reported;
use crate::event::Event;
use crate::spill::{Decoder, Encoder, Spill};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub reported: Arc<Reported>,
    pub role: Role,
}

impl Entry {
    pub fn event(&self) -> &Event {
        &self.reported.event
    }

    pub fn account(&self) -> &str {
        &self.event().account
    }

    /// Whose timeline the line is in.
    pub fn user(&self) -> &str {
        let e = self.event();
        match self.role {
            Role::Actor | Role::SelfService => &e.actor.name,
            Role::Target => &e.target,
        }
    }

    /// The other party ("" when there is none).
    pub fn counterpart(&self) -> &str {
        let e = self.event();
        match self.role {
            Role::Actor => &e.target,
            Role::Target => &e.actor.name,
            Role::SelfService => "",
        }
    }
}

impl Spill for Entry {
    fn weight(&self) -> usize {
        // Shared with the other sorts while in memory; counted in full here, to be safe.
        self.reported.weight() + std::mem::size_of::<Reported>()
    }

    fn encode(&self, out: &mut Encoder) {
        self.reported.encode(out);
        out.u64(self.role as u64);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Entry> {
        let reported = Arc::new(Reported::decode(d)?);
        let role = match d.u64()? {
            0 => Role::Actor,
            1 => Role::Target,
            2 => Role::SelfService,
            _ => return None,
        };
        Some(Entry { reported, role })
    }
}

/// The lines an event adds: under its actor and, when different, under its target.
pub fn entries_of(r: &Arc<Reported>) -> impl Iterator<Item = Entry> + '_ {
    let e = &r.event;
    let (actor, target) = (e.actor.name.as_str(), e.target.as_str());
    let roles: [Option<Role>; 2] = if !target.is_empty() && target == actor {
        [Some(Role::SelfService), None]
    } else {
        [
            (!actor.is_empty()).then_some(Role::Actor),
            (!target.is_empty()).then_some(Role::Target),
        ]
    };
    roles.into_iter().flatten().map(|role| Entry {
        reported: Arc::clone(r),
        role,
    })
}

/// Timeline order: account, user, then report order.
pub fn order(a: &Entry, b: &Entry) -> Ordering {
    (a.account(), a.user(), a.reported.seq).cmp(&(b.account(), b.user(), b.reported.seq))
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
        let mut entries = Vec::new();
        for (seq, json) in [
            r#"{"eventID":"1","recipientAccountId":"9","eventName":"EnableMFADevice","userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{"userName":"bob"}}"#,
            r#"{"eventID":"2","recipientAccountId":"9","eventName":"ChangePassword","userIdentity":{"type":"IAMUser","userName":"bob"}}"#,
        ]
        .into_iter()
        .enumerate()
        {
            let r = Arc::new(Reported {
                event: Box::new(event(json)),
                copies: 1,
                conflict: false,
                seq: seq as u64,
            });
            entries.extend(entries_of(&r));
        }
        entries.sort_by(order);
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.user(),
                    e.role,
                    e.counterpart(),
                    e.event().event_id.as_str(),
                )
            })
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
