//! The framer's fast path through a clean records array.
//!
//! Between two records of a healthy trail there is nothing but a comma, so the state machine of
//! [`Core::feed`] has nothing to decide there. When it reaches a member that opens with `{`, it
//! asks the scanner for the spans of the members that follow, in batches (see
//! [`Nesting::spans`](super::structural::Nesting::spans)), and emits each one whose
//! surroundings are exactly what the state machine would accept without a second look: only
//! whitespace and commas before it, `{` and `}` at its ends, `,` or `]` after it, and a size
//! within the limit. At the first member that is anything else it stops, and the state machine
//! takes that member from its first byte, so damage is reported exactly as if there were no
//! fast path.

use super::structural::{Span, SpanStop};
use super::{Container, Core, Pace, skip_ws};
use crate::frame::Sink;

/// The first batch asks for one span, so that a damaged array wastes at most one member's
/// scan; each clean batch doubles the next, up to this many.
const MAX_BATCH: usize = 1024;

impl Core {
    /// Frames the clean members of the records array that starts at `window[at]` (between
    /// members, inside the array at `depth`). Returns whether it emitted any; if so, the framer
    /// is left between members after the last one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bulk(
        &mut self,
        window: &[u8],
        base: u64,
        at: usize,
        container: Container,
        depth: u32,
        sink: &mut dyn Sink,
        pace: Option<Pace<'_, '_>>,
    ) -> bool {
        let mut spans = std::mem::take(&mut self.spans);
        let mut from = at;
        let mut batch = 1;
        // The scanner counts in the window, the pace in the stream.
        let mut paced = pace.map(|pace| move |i: usize| pace(base + i as u64));
        self.nest.between_members(depth);
        'batches: loop {
            spans.clear();
            let pace = paced.as_mut().map(|p| p as &mut dyn FnMut(usize));
            let stop = self
                .nest
                .spans(window, from, depth, batch, &mut spans, pace);
            for span in &spans {
                if !self.is_clean(window, from, span) {
                    break 'batches;
                }
                let bytes = &window[span.start..span.end];
                self.emit_flagged(sink, bytes, base + span.start as u64, container, span.flags);
                from = span.end;
                if self.ending.is_some() {
                    break 'batches;
                }
            }
            if stop != SpanStop::Full {
                break;
            }
            batch = (batch * 2).min(MAX_BATCH);
        }
        self.spans = spans;
        self.nest.between_members(depth);
        let emitted = from != at;
        if emitted && self.ending.is_none() {
            self.pos = base + from as u64;
        }
        emitted
    }

    /// Whether the state machine would take `span` as a record without a second look, coming
    /// from `from` between members.
    fn is_clean(&self, window: &[u8], from: usize, span: &Span) -> bool {
        window[from..span.start]
            .iter()
            .all(|&b| b == b',' || b.is_ascii_whitespace())
            && window[span.start] == b'{'
            && window[span.end - 1] == b'}'
            && span.end - span.start <= self.limits.max_record
            && skip_ws(window, span.end).is_some_and(|i| matches!(window[i], b',' | b']'))
    }
}
