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
//!   source and a name, or a name.
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
    Few(Vec<Finder<'static>>),
    Many(AhoCorasick),
}

/// Up to this many names are searched for one by one (an automaton costs more on a record
/// of a kilobyte or two).
const FEW: usize = 8;

impl Names {
    fn new(names: &[&str]) -> Names {
        if names.len() <= FEW {
            Names::Few(
                names
                    .iter()
                    .map(|n| Finder::new(n.as_bytes()).into_owned())
                    .collect(),
            )
        } else {
            Names::Many(AhoCorasick::new(names).expect("event names always build a searcher"))
        }
    }

    fn in_record(&self, record: &[u8]) -> bool {
        match self {
            Names::Few(each) => each.iter().any(|f| f.find(record).is_some()),
            Names::Many(any) => any.is_match(record),
        }
    }
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
