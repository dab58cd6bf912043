//! Which events a run selects: the event set, the time window, accounts, regions and users.

use crate::event::Event;
use crate::event::time::Timestamp;
use crate::prefilter::Prefilter;

/// The source of the five default events.
pub const IAM: &str = "iam.amazonaws.com";

/// The five calls a password-only session can still make under a "force MFA" policy.
pub const DEFAULT_EVENTS: [&str; 5] = [
    "EnableMFADevice",
    "ResyncMFADevice",
    "CreateVirtualMFADevice",
    "ChangePassword",
    "UpdateAccessKey",
];

/// One selected event: a name, optionally pinned to a source (`iam.amazonaws.com:ChangePassword`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventSpec {
    pub source: Option<String>,
    pub name: String,
}

impl std::str::FromStr for EventSpec {
    type Err = String;

    /// `Name` or `source:Name`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (source, name) = match s.rsplit_once(':') {
            Some((source, name)) => (Some(source.trim().to_owned()), name.trim()),
            None => (None, s),
        };
        if name.is_empty() || source.as_deref() == Some("") {
            return Err(format!(
                "'{}' is not an event name (expected Name or source:Name)",
                crate::terminal::escape(s)
            ));
        }
        Ok(EventSpec {
            source,
            name: name.to_owned(),
        })
    }
}

impl std::fmt::Display for EventSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{source}:{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl EventSpec {
    fn matches(&self, source: &str, name: &str) -> bool {
        self.name == name && self.source.as_deref().is_none_or(|s| s == source)
    }
}

/// The events to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSet {
    /// These events (the default: the five IAM credential calls).
    Only(Vec<EventSpec>),
    /// Every record that is an API call.
    All,
}

impl EventSet {
    /// The five default events, pinned to IAM.
    pub fn default_set() -> EventSet {
        EventSet::Only(
            DEFAULT_EVENTS
                .iter()
                .map(|n| EventSpec {
                    source: Some(IAM.into()),
                    name: (*n).into(),
                })
                .collect(),
        )
    }

    pub fn selects(&self, source: &str, name: &str) -> bool {
        match self {
            EventSet::All => !name.is_empty(),
            EventSet::Only(specs) => specs.iter().any(|s| s.matches(source, name)),
        }
    }

    /// The events named (`None` for all events).
    pub fn specs(&self) -> Option<&[EventSpec]> {
        match self {
            EventSet::All => None,
            EventSet::Only(specs) => Some(specs),
        }
    }

    /// The selected names, in the order given (`None` for all events).
    pub fn names(&self) -> Option<Vec<&str>> {
        match self {
            EventSet::All => None,
            EventSet::Only(specs) => {
                let mut names: Vec<&str> = Vec::new();
                for s in specs {
                    if !names.contains(&s.name.as_str()) {
                        names.push(&s.name);
                    }
                }
                Some(names)
            }
        }
    }
}

/// The successful IAM `EnableMFADevice` calls are read whenever `CreateVirtualMFADevice` is
/// selected: they tell to whom a new virtual device went.
pub fn is_mfa_link(source: &str, name: &str) -> bool {
    source == IAM && name == "EnableMFADevice"
}

/// The full selection of a run.
#[derive(Debug, Clone)]
pub struct Selection {
    pub events: EventSet,
    /// Inclusive.
    pub since: Option<Timestamp>,
    /// Exclusive.
    pub until: Option<Timestamp>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// Actor or target.
    pub users: Vec<String>,
}

impl Selection {
    /// The events of `events`, with no time, account, region or user filter.
    pub fn new(events: EventSet) -> Selection {
        Selection {
            events,
            since: None,
            until: None,
            accounts: Vec::new(),
            regions: Vec::new(),
            users: Vec::new(),
        }
    }

    /// Everything about an event that can be judged from its own record (all but `users`,
    /// which needs the target resolved across the archive).
    pub fn keeps(&self, e: &Event) -> bool {
        if !self.events.selects(&e.source, &e.name) {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = e.time else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t >= u) {
                return false;
            }
        }
        (self.accounts.is_empty() || self.accounts.iter().any(|a| *a == e.account))
            && (self.regions.is_empty() || self.regions.iter().any(|r| *r == e.region))
    }

    /// The user filter, once targets are final.
    pub fn keeps_users(&self, e: &Event) -> bool {
        self.users.is_empty()
            || self
                .users
                .iter()
                .any(|u| *u == e.actor.name || *u == e.target)
    }

    /// The selection in words (for the HTML report).
    pub fn describe(&self) -> String {
        let mut parts = vec![match &self.events {
            EventSet::All => "every API call".to_owned(),
            EventSet::Only(specs) => specs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }];
        if let Some(t) = self.since {
            parts.push(format!("from {}", crate::event::time::format(&t)));
        }
        if let Some(t) = self.until {
            parts.push(format!("before {}", crate::event::time::format(&t)));
        }
        for (what, list) in [
            ("accounts", &self.accounts),
            ("regions", &self.regions),
            ("users", &self.users),
        ] {
            if !list.is_empty() {
                parts.push(format!("{what} {}", list.join(", ")));
            }
        }
        parts.join("; ")
    }

    /// Whether `EnableMFADevice` links must be collected.
    pub fn needs_mfa_links(&self) -> bool {
        match &self.events {
            EventSet::All => true,
            EventSet::Only(specs) => specs
                .iter()
                .any(|s| s.matches(IAM, "CreateVirtualMFADevice")),
        }
    }

    /// The byte prefilter that finds every record this selection could keep.
    pub fn prefilter(&self) -> Prefilter {
        let EventSet::Only(specs) = &self.events else {
            return Prefilter::everything();
        };
        let mut names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let mut sources: Vec<&str> = Vec::new();
        let mut pinned = true;
        for s in specs {
            match &s.source {
                Some(src) if !sources.contains(&src.as_str()) => sources.push(src),
                Some(_) => {}
                None => pinned = false,
            }
        }
        if self.needs_mfa_links() {
            names.push("EnableMFADevice");
            if !sources.contains(&IAM) {
                sources.push(IAM);
            }
        }
        names.sort_unstable();
        names.dedup();
        Prefilter::new(&names, if pinned { &sources } else { &[] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        crate::event::from_json(json)
    }

    fn selection(events: EventSet) -> Selection {
        Selection::new(events)
    }

    #[test]
    fn default_set_is_iam_only() {
        let s = selection(EventSet::default_set());
        assert!(s.keeps(&event(
            r#"{"eventSource":"iam.amazonaws.com","eventName":"ChangePassword"}"#
        )));
        assert!(!s.keeps(&event(
            r#"{"eventSource":"cognito-idp.amazonaws.com","eventName":"ChangePassword"}"#
        )));
        assert!(!s.keeps(&event(
            r#"{"eventSource":"iam.amazonaws.com","eventName":"GetUser"}"#
        )));
    }

    #[test]
    fn specs_parse_with_and_without_source() {
        assert_eq!(
            "CreateAccessKey".parse(),
            Ok(EventSpec {
                source: None,
                name: "CreateAccessKey".into()
            })
        );
        assert_eq!(
            " signin.amazonaws.com:PasswordUpdated ".parse(),
            Ok(EventSpec {
                source: Some("signin.amazonaws.com".into()),
                name: "PasswordUpdated".into()
            })
        );
        assert!("".parse::<EventSpec>().is_err());
        assert!(":X".parse::<EventSpec>().is_err());
    }

    #[test]
    fn window_is_inclusive_then_exclusive_and_needs_a_time() {
        let mut s = selection(EventSet::All);
        s.since = crate::event::time::parse("2026-03-02T00:00:00Z");
        s.until = crate::event::time::parse("2026-03-03T00:00:00Z");
        let at = |t: &str| event(&format!(r#"{{"eventName":"X","eventTime":"{t}"}}"#));
        assert!(s.keeps(&at("2026-03-02T00:00:00Z")));
        assert!(!s.keeps(&at("2026-03-03T00:00:00Z")));
        assert!(!s.keeps(&at("2026-03-01T23:59:59Z")));
        assert!(!s.keeps(&event(r#"{"eventName":"X"}"#)));
    }

    #[test]
    fn users_match_actor_or_target() {
        let mut s = selection(EventSet::All);
        s.users = vec!["bob".into()];
        let e = event(
            r#"{"eventName":"EnableMFADevice","userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{"userName":"bob"}}"#,
        );
        assert!(s.keeps_users(&e));
        s.users = vec!["carol".into()];
        assert!(!s.keeps_users(&e));
    }
}
