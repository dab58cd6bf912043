//! Per-user timelines: every event under its actor and, when different, under its target.
//!
//! A timeline line carries only what timeline.csv, users.csv and the report's swimlanes show
//! (the event's detail is put into words once, for both of its lines), so the sort by user
//! moves a fraction of what the events weigh.

use std::cmp::Ordering;

use super::Reported;
use crate::event::Str;
use crate::event::describe::detail;
use crate::event::time::Timestamp;
use crate::spill::{Decoder, Encoder, Spill};

/// How a user took part in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    pub account: Str,
    /// Whose timeline the line is in.
    pub user: Str,
    /// The event's position in report order.
    pub seq: u64,
    pub time: Option<Timestamp>,
    pub name: Str,
    pub role: Role,
    /// The other party ("" when there is none).
    pub counterpart: Str,
    pub source_ip: Str,
    pub detail: Str,
    pub error_code: Str,
    pub event_id: Str,
}

impl Entry {
    pub fn failed(&self) -> bool {
        !self.error_code.is_empty()
    }
}

impl Spill for Entry {
    fn weight(&self) -> usize {
        [
            &self.account,
            &self.user,
            &self.name,
            &self.counterpart,
            &self.source_ip,
            &self.detail,
            &self.error_code,
            &self.event_id,
        ]
        .iter()
        .filter(|s| s.is_heap_allocated())
        .map(|s| s.capacity() + 16)
        .sum()
    }

    fn encode(&self, out: &mut Encoder) {
        out.str(&self.account);
        out.str(&self.user);
        out.u64(self.seq);
        out.time(self.time);
        out.str(&self.name);
        out.u64(self.role as u64);
        out.str(&self.counterpart);
        out.str(&self.source_ip);
        out.str(&self.detail);
        out.str(&self.error_code);
        out.str(&self.event_id);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Entry> {
        Some(Entry {
            account: d.text()?,
            user: d.text()?,
            seq: d.u64()?,
            time: d.time()?,
            name: d.text()?,
            role: match d.u64()? {
                0 => Role::Actor,
                1 => Role::Target,
                2 => Role::SelfService,
                _ => return None,
            },
            counterpart: d.text()?,
            source_ip: d.text()?,
            detail: d.text()?,
            error_code: d.text()?,
            event_id: d.text()?,
        })
    }
}

/// The lines an event adds: under its actor and, when different, under its target.
pub fn entries_of(r: &Reported) -> impl Iterator<Item = Entry> + '_ {
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
    let text = roles.iter().any(Option::is_some).then(|| detail(e));
    roles.into_iter().flatten().map(move |role| {
        let (user, counterpart) = match role {
            Role::Actor => (actor, target),
            Role::Target => (target, actor),
            Role::SelfService => (actor, ""),
        };
        Entry {
            account: e.account.clone(),
            user: user.into(),
            seq: r.seq,
            time: e.time,
            name: e.name.clone(),
            role,
            counterpart: counterpart.into(),
            source_ip: e.source_ip.clone(),
            detail: text.clone().unwrap_or_default().into(),
            error_code: e.error_code.clone(),
            event_id: e.event_id.clone(),
        }
    })
}

/// Timeline order: account, user, then report order.
pub fn order(a: &Entry, b: &Entry) -> Ordering {
    (&a.account, &a.user, a.seq).cmp(&(&b.account, &b.user, b.seq))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let r = Reported {
                event: Box::new(crate::event::from_json(json)),
                copies: 1,
                conflict: false,
                seq: seq as u64,
            };
            entries.extend(entries_of(&r));
        }
        entries.sort_by(order);
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.user.as_str(),
                    e.role,
                    e.counterpart.as_str(),
                    e.event_id.as_str(),
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
        assert_eq!(
            entries[0].detail,
            "enabled MFA device (serial not logged) for bob"
        );
    }
}
