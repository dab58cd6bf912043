//! The byte prefilter: which records are worth decoding.
//!
//! The selected events are a tiny share of a trail (0.2 % for the five credential events), so
//! trailsift finds candidates by their bytes and decodes only those. The test must never miss a
//! record the decoder would select, whatever its spelling:
//!
//! - A selected record's `eventName` value is the exact name, and its `eventSource` (when the
//!   selection pins it) the exact source: whole JSON string values, each right after a quote,
//!   unless a `\u` escape spells some of it. The framer flags every record holding a backslash
//!   followed by `u` (nested escapes too), and those are always decoded.
//! - While it frames, the framer looks for [`Anchors`]: a quote and the first two bytes of each
//!   needle (`"ia` for `iam.amazonaws.com`), so finding candidates costs no pass of its own.
//!   When every selected event pins its source (the default set), the needles are the sources;
//!   otherwise the names.
//! - An anchored record is then checked for the needles themselves (no quotes: inside a JSON
//!   string such as lookup-events' `CloudTrailEvent` the quotes are escaped, `\"`): a pinned
//!   source and a name, or a name. Names are looked for in the values of `eventName` keys (one
//!   search for the key instead of one per name); when a key is spelled in a way that check
//!   does not follow, the names are searched for anywhere in the record.
//!
//! A property test decodes every record of generated and re-spelled dumps and checks that the
//! prefiltered scan selects exactly the same ones.

use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;

use crate::frame::Anchors;

/// What to look for, derived from the event selection.
#[derive(Debug, Clone)]
pub struct Prefilter {
    plan: Plan,
    anchors: Anchors,
}

#[derive(Debug, Clone)]
enum Plan {
    /// Every record is decoded (`--all-events`).
    Everything,
    /// A record is a candidate when it holds one of the sources and one of the names.
    Sources {
        sources: Vec<Finder<'static>>,
        names: Names,
    },
    /// A record is a candidate when it holds one of the names.
    Names(Names),
}

/// The names, searched for inside one record: one finder each, or one multi-pattern searcher
/// when there are many.
#[derive(Debug, Clone)]
enum Names {
    Few {
        each: Vec<Finder<'static>>,
        names: Vec<Box<[u8]>>,
        /// `eventName` (boxed: a finder is large, and the other variant small).
        key: Box<Finder<'static>>,
    },
    Many(AhoCorasick),
}

/// Up to this many names are searched for one by one (an automaton costs more on a record
/// of a kilobyte or two).
const FEW: usize = 8;

impl Names {
    fn new(names: &[&str]) -> Names {
        if names.len() <= FEW {
            Names::Few {
                each: names
                    .iter()
                    .map(|n| Finder::new(n.as_bytes()).into_owned())
                    .collect(),
                names: names.iter().map(|n| n.as_bytes().into()).collect(),
                key: Box::new(Finder::new(b"eventName").into_owned()),
            }
        } else {
            Names::Many(AhoCorasick::new(names).expect("event names always build a searcher"))
        }
    }

    fn in_record(&self, record: &[u8]) -> bool {
        match self {
            Names::Few { each, names, key } => match named_by_key(record, key, names) {
                Some(found) => found,
                None => each.iter().any(|f| f.find(record).is_some()),
            },
            Names::Many(any) => any.is_match(record),
        }
    }
}

/// Whether an `eventName` key of `record` has one of `names` as its value, looking only at
/// those values (one search instead of one per name). `None` when a key is followed by
/// anything but the plain spelling `"eventName" : "Value"` (or, inside a JSON string,
/// `\"eventName\":\"Value\"`): the caller then searches for the names anywhere.
fn named_by_key(record: &[u8], key: &Finder<'_>, names: &[Box<[u8]>]) -> Option<bool> {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    for at in key.find_iter(record) {
        let rest = &record[at + key.needle().len()..];
        // The key's closing quote, escaped or not.
        let nested = rest.first() == Some(&b'\\');
        let rest = rest.get(usize::from(nested)..)?.strip_prefix(b"\"")?;
        let rest = rest.trim_ascii_start().strip_prefix(b":")?;
        let start = rest.iter().position(|b| !ws(b))?;
        let rest = &rest[start..];
        let rest = if nested {
            rest.strip_prefix(b"\\")?
        } else {
            rest
        };
        let value = rest.strip_prefix(b"\"")?;
        let end = memchr::memchr2(b'"', b'\\', value)?;
        // The value ends at its closing quote (escaped when nested); a backslash anywhere
        // else is an escape inside it, which this does not follow.
        let closed = if nested {
            value[end..].starts_with(b"\\\"")
        } else {
            value[end] == b'"'
        };
        if !closed {
            return None;
        }
        if names.iter().any(|n| **n == value[..end]) {
            return Some(true);
        }
    }
    Some(false)
}

impl Prefilter {
    /// Decode everything.
    pub fn everything() -> Prefilter {
        Prefilter {
            plan: Plan::Everything,
            anchors: Anchors::ALL,
        }
    }

    /// Candidates hold one of `names` (and, when `sources` is not empty, one of `sources`:
    /// every selected event must then pin one of them).
    pub fn new(names: &[&str], sources: &[&str]) -> Prefilter {
        let (plan, needles) = if sources.is_empty() {
            (Plan::Names(Names::new(names)), names)
        } else {
            let finders = sources
                .iter()
                .map(|s| Finder::new(s.as_bytes()).into_owned())
                .collect();
            (
                Plan::Sources {
                    sources: finders,
                    names: Names::new(names),
                },
                sources,
            )
        };
        Prefilter {
            plan,
            anchors: Anchors::new(needles.iter().map(|n| n.as_bytes())),
        }
    }

    /// The patterns the framer should flag records by.
    pub fn anchors(&self) -> Anchors {
        self.anchors
    }

    /// Whether every record is a candidate.
    pub fn is_everything(&self) -> bool {
        matches!(self.plan, Plan::Everything)
    }

    /// Whether a framed record is a candidate, from what the framer saw in it (`escapes`,
    /// `anchored`) and its own bytes.
    pub fn accepts(&self, record: &[u8], escapes: bool, anchored: bool) -> bool {
        match &self.plan {
            _ if escapes => true,
            Plan::Everything => true,
            _ if !anchored => false,
            Plan::Sources { sources, names } => {
                sources.iter().any(|f| f.find(record).is_some()) && names.in_record(record)
            }
            Plan::Names(names) => names.in_record(record),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_then_names() {
        let p = Prefilter::new(&["ChangePassword"], &["iam.amazonaws.com"]);
        let iam = br#"{"eventSource":"iam.amazonaws.com","eventName":"ChangePassword"}"#;
        let cognito =
            br#"{"eventSource":"cognito-idp.amazonaws.com","eventName":"ChangePassword"}"#;
        let other = br#"{"eventSource":"iam.amazonaws.com","eventName":"GetUser"}"#;
        assert!(p.accepts(iam, false, true));
        assert!(!p.accepts(cognito, false, true));
        assert!(!p.accepts(other, false, true));
        assert!(
            p.accepts(other, true, false),
            "escaped records are always decoded"
        );
        assert!(
            !p.accepts(iam, false, false),
            "the framer saw no anchor in it"
        );
        assert_eq!(p.anchors(), Anchors::new([&b"ia"[..]]));
    }

    #[test]
    fn names_inside_json_strings_are_found() {
        // lookup-events: the record is a JSON string, its quotes escaped.
        let p = Prefilter::new(&["ChangePassword"], &["iam.amazonaws.com"]);
        let lookup = br#"{"EventId":"1","CloudTrailEvent":"{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"ChangePassword\"}"}"#;
        assert!(p.accepts(lookup, false, true));
    }

    #[test]
    fn names_are_read_from_event_name_values() {
        let key = Finder::new(b"eventName");
        let names: Vec<Box<[u8]>> = vec![b"ChangePassword".to_vec().into()];
        let by_key = |r: &[u8]| named_by_key(r, &key, &names);
        assert_eq!(by_key(br#"{"eventName":"ChangePassword"}"#), Some(true));
        assert_eq!(
            by_key(b"{\"eventName\" :\n \"ChangePassword\"}"),
            Some(true)
        );
        assert_eq!(
            by_key(br#"{"eventName":"GetUser","x":"ChangePassword"}"#),
            Some(false)
        );
        assert_eq!(by_key(br#"{"eventName":"ChangePasswordX"}"#), Some(false));
        assert_eq!(by_key(br#"{"other":"ChangePassword"}"#), Some(false));
        // Inside a JSON string (lookup-events), and a nested key before the real one.
        assert_eq!(
            by_key(br#"{"CloudTrailEvent":"{\"eventName\":\"ChangePassword\"}"}"#),
            Some(true)
        );
        assert_eq!(
            by_key(br#"{"p":{"eventName":"GetUser"},"eventName":"ChangePassword"}"#),
            Some(true)
        );
        // Spellings it does not follow: the caller searches everywhere instead.
        assert_eq!(by_key(br#"{"eventName":"Change\"Password"}"#), None);
        assert_eq!(by_key(br#"{"eventName":5}"#), None);
        assert_eq!(by_key(br#"{"eventNames":"ChangePassword"}"#), None);
        // Through the prefilter: the fallback still finds the name.
        let p = Prefilter::new(&["ChangePassword"], &[]);
        assert!(p.accepts(
            br#"{"eventNames":"x","eventName":"ChangePassword"}"#,
            false,
            true
        ));
        assert!(!p.accepts(
            br#"{"eventName":"GetUser","x":"ChangePassword"}"#,
            false,
            true
        ));
    }

    #[test]
    fn many_names_and_everything() {
        let names = [
            "CreateAccessKey",
            "DeleteAccessKey",
            "UpdateLoginProfile",
            "CreateLoginProfile",
            "DeactivateMFADevice",
        ];
        let p = Prefilter::new(&names, &[]);
        assert!(p.accepts(br#"{"eventName":"DeactivateMFADevice"}"#, false, true));
        assert!(!p.accepts(br#"{"eventName":"GetUser"}"#, false, true));
        assert!(Prefilter::everything().accepts(b"{}", false, false));
        assert!(Prefilter::everything().is_everything());
        assert_eq!(
            Prefilter::new(&["X"], &[]).anchors(),
            Anchors::ALL,
            "a one-byte needle cannot be anchored"
        );
    }
}
