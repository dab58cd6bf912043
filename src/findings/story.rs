//! Stories: findings about a sequence of events, completed when the sequence ends.
//!
//! A burst of failures is "call 3 of 37 within 7 minutes" only once the 37th is read; a
//! password change belongs to a takeover chain only if an MFA device follows within the
//! window. A rule flags each event of a sequence when it sees it (holding nothing back), opens
//! a story for the sequence, and closes it with the summary when the sequence ends. The
//! findings of stories and the stories are sorted by story and joined: each finding gets its
//! explanation (and possibly the story's commands), and tentative findings the story did not
//! confirm are dropped. Memory stays bounded however long a sequence is.

use std::cmp::Ordering;

use super::{Finding, Response, decode_response, encode_response};
use crate::error::Error;
use crate::event::time::Timestamp;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill};

/// The summary of one sequence.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Story {
    pub id: u64,
    /// Every finding of the story is dropped (its events turned out benign).
    pub dropped: bool,
    /// Tentative findings are kept when their event is at or after this time; none are kept
    /// when it is `None`.
    pub confirm_from: Option<Timestamp>,
    /// The explanation its findings share (or the rule's own wording's main part).
    pub text: String,
    /// How many events the sequence has.
    pub count: u64,
    /// How long it lasted, in whole minutes (at least one).
    pub minutes: i64,
    /// Commands for every finding of the story (instead of each event's own).
    pub response: Option<Response>,
}

impl Spill for Story {
    fn weight(&self) -> usize {
        self.text.capacity() + 64
    }
    fn encode(&self, out: &mut Encoder) {
        out.u64(self.id);
        out.bool(self.dropped);
        out.time(self.confirm_from);
        out.str(&self.text);
        out.u64(self.count);
        out.u64(self.minutes.max(0) as u64);
        match &self.response {
            Some(r) => {
                out.bool(true);
                encode_response(r, out);
            }
            None => out.bool(false),
        }
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Story {
            id: d.u64()?,
            dropped: d.bool()?,
            confirm_from: d.time()?,
            text: d.string()?,
            count: d.u64()?,
            minutes: i64::try_from(d.u64()?).ok()?,
            response: if d.bool()? {
                Some(decode_response(d)?)
            } else {
                None
            },
        })
    }
}

pub(super) fn order(a: &Story, b: &Story) -> Ordering {
    a.id.cmp(&b.id)
}

/// Findings of stories: by story, then as findings are ordered.
pub(super) fn member_order(a: &Finding, b: &Finding) -> Ordering {
    (a.story, a.event.seq, a.rank, a.emitted).cmp(&(b.story, b.event.seq, b.rank, b.emitted))
}

/// Completes the findings of each story with it, into `out`.
pub(super) fn join(
    mut findings: Merged<Finding>,
    mut stories: Merged<Story>,
    out: &mut Sorter<'_, Finding>,
) -> Result<(), Error> {
    let mut story = stories.pop()?;
    while let Some(mut f) = findings.pop()? {
        let id = f.story.expect("only findings of stories are joined");
        while story.as_ref().is_some_and(|s| s.id < id) {
            story = stories.pop()?;
        }
        // A story that was never closed confirms nothing (a rule always closes its stories).
        let Some(s) = story.as_ref().filter(|s| s.id == id) else {
            continue;
        };
        if s.dropped {
            continue;
        }
        if f.tentative {
            let confirmed = match (s.confirm_from, f.event().time) {
                (Some(from), Some(t)) => t >= from,
                _ => false,
            };
            if !confirmed {
                continue;
            }
        }
        f.explanation = f.rule().explain(&f, s);
        if let Some(r) = &s.response {
            f.response = r.clone();
        }
        out.push(f)?;
    }
    Ok(())
}
