//! The byte prefilter: which records are worth decoding.
//!
//! The selected events are a tiny share of a trail (0.2 % for the five credential events), so
//! trailsift finds candidates by searching raw bytes and decodes only those. The search must never
//! miss a record the decoder would select, whatever its spelling:
//!
//! - A selected record's `eventName` value holds the exact name, and its `eventSource` (when the
//!   selection pins it) the exact source, unless a `\u` escape spells some of it. The framer
//!   flags every record holding a backslash followed by `u` (a `\u` escape, or one nested in a
//!   JSON string such as lookup-events' `CloudTrailEvent`, `\\u`), and those are always decoded.
//!   The needles carry no quotes: inside a JSON string the quotes are escaped (`\"`).
//! - When every selected event pins its source (the default set: `iam.amazonaws.com`), one pass
//!   over the whole buffer finds the source; only records holding it are checked for a name.
//!   Otherwise one multi-pattern pass (Teddy) looks for the names.
//!
//! A property test decodes every record of generated and re-spelled dumps and checks that the
//! prefiltered scan selects exactly the same ones.

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem::Finder;

/// What to search for, derived from the event selection.
#[derive(Debug, Clone)]
pub struct Prefilter {
    plan: Plan,
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

/// The names, as one multi-pattern searcher (for whole buffers) and as single finders
/// (for one record, where a searcher's set-up would cost more than the search).
#[derive(Debug, Clone)]
struct Names {
    any: AhoCorasick,
    each: Vec<Finder<'static>>,
}

impl Names {
    fn new(names: &[&str]) -> Names {
        let any = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(names)
            .expect("a handful of short patterns always builds");
        let each = names
            .iter()
            .map(|n| Finder::new(n.as_bytes()).into_owned())
            .collect();
        Names { any, each }
    }

    fn in_record(&self, record: &[u8]) -> bool {
        self.each.iter().any(|f| f.find(record).is_some())
    }
}

impl Prefilter {
    /// Decode everything.
    pub fn everything() -> Prefilter {
        Prefilter {
            plan: Plan::Everything,
        }
    }

    /// Candidates hold one of `names` (and, when `sources` is not empty, one of `sources`:
    /// every selected event must then pin one of them).
    pub fn new(names: &[&str], sources: &[&str]) -> Prefilter {
        let names = Names::new(names);
        let plan = if sources.is_empty() {
            Plan::Names(names)
        } else {
            Plan::Sources {
                sources: sources
                    .iter()
                    .map(|s| Finder::new(s.as_bytes()).into_owned())
                    .collect(),
                names,
            }
        };
        Prefilter { plan }
    }

    /// Whether every record is a candidate.
    pub fn is_everything(&self) -> bool {
        matches!(self.plan, Plan::Everything)
    }

    /// Offsets in `buf` (a whole decompressed file) where a candidate may lie, in order.
    /// Records that hold none of them are not candidates (unless they hold a `\u` escape).
    pub fn scan(&self, buf: &[u8], hits: &mut Vec<usize>) {
        hits.clear();
        match &self.plan {
            Plan::Everything => {}
            Plan::Sources { sources, .. } => {
                for f in sources {
                    hits.extend(f.find_iter(buf));
                }
                if sources.len() > 1 {
                    hits.sort_unstable();
                }
            }
            Plan::Names(names) => hits.extend(names.any.find_iter(buf).map(|m| m.start())),
        }
    }

    /// Whether a record is a candidate, judged from its own bytes. `seen` says whether the
    /// whole-buffer scan found a hit inside it (`None` when no scan was made: streamed data).
    pub fn accepts(&self, record: &[u8], escapes: bool, seen: Option<bool>) -> bool {
        if escapes {
            return true;
        }
        match &self.plan {
            Plan::Everything => true,
            Plan::Sources { sources, names } => {
                let source =
                    seen.unwrap_or_else(|| sources.iter().any(|f| f.find(record).is_some()));
                source && names.in_record(record)
            }
            Plan::Names(names) => seen.unwrap_or(true) && names.in_record(record),
        }
    }
}

/// Walks the sorted hits of a whole-buffer scan alongside the records, which arrive in order.
#[derive(Debug, Default)]
pub struct HitCursor {
    hits: Vec<usize>,
    next: usize,
}

impl HitCursor {
    /// Resets the cursor for a new buffer, filling the hits with `prefilter.scan`.
    pub fn reset(&mut self, prefilter: &Prefilter, buf: &[u8]) {
        prefilter.scan(buf, &mut self.hits);
        self.next = 0;
    }

    /// Whether a hit falls inside `start..end`; hits before `start` are dropped.
    pub fn inside(&mut self, start: usize, end: usize) -> bool {
        while self.next < self.hits.len() && self.hits[self.next] < start {
            self.next += 1;
        }
        self.next < self.hits.len() && self.hits[self.next] < end
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
        assert!(p.accepts(iam, false, None));
        assert!(!p.accepts(cognito, false, None));
        assert!(!p.accepts(other, false, None));
        assert!(
            p.accepts(other, true, None),
            "escaped records are always decoded"
        );
        assert!(
            !p.accepts(iam, false, Some(false)),
            "the whole-buffer scan saw no source in it"
        );
    }

    #[test]
    fn names_inside_json_strings_are_found() {
        // lookup-events: the record is a JSON string, its quotes escaped.
        let p = Prefilter::new(&["ChangePassword"], &["iam.amazonaws.com"]);
        let lookup = br#"{"EventId":"1","CloudTrailEvent":"{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"ChangePassword\"}"}"#;
        assert!(p.accepts(lookup, false, None));
    }

    #[test]
    fn names_only_and_the_hit_cursor() {
        let p = Prefilter::new(&["EnableMFADevice", "UpdateAccessKey"], &[]);
        let buf = br#"[{"eventName":"A"},{"eventName":"UpdateAccessKey"},{"x":1}]"#;
        let mut c = HitCursor::default();
        c.reset(&p, buf);
        assert_eq!(c.hits, [33]);
        assert!(!c.inside(1, 18));
        assert!(c.inside(19, 51));
        assert!(!c.inside(52, buf.len()));
        assert!(Prefilter::everything().accepts(b"{}", false, Some(false)));
    }
}
