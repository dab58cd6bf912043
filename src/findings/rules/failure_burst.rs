//! `failure-burst`: many failed credential calls by one actor in a short time.
//!
//! A failure belongs to a burst when it is one of N consecutive failures of its actor within
//! the window; consecutive burst failures make one burst (a pause longer than the window
//! starts another), a story whose size and length are known when it ends. The watcher holds
//! the last N failures, never more.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::aggregate::Reported;
use crate::event::time::Timestamp;
use crate::findings::history::credential_call;
use crate::findings::{Call, Finding, Out, Rule, Settings, Severity, Story, Technique, Watch};

use super::{BRUTE_FORCE, review};

pub struct FailureBurst;

impl Rule for FailureBurst {
    fn id(&self) -> &'static str {
        "failure-burst"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn mitre(&self) -> &'static [Technique] {
        &[BRUTE_FORCE]
    }
    fn watch(&self, settings: Settings) -> Box<dyn Watch> {
        Box::new(Watcher {
            need: settings.burst_failures.max(1),
            window: settings.burst_window,
            recent: VecDeque::new(),
            seen: 0,
            flagged_to: None,
            burst: None,
        })
    }
    fn explain(&self, f: &Finding, story: &Story) -> String {
        let e = f.event();
        format!(
            "failed call {} of {} by {} within {} minutes ({} {})",
            f.position, story.count, e.actor, story.minutes, e.name, e.error_code
        )
    }
}

struct Watcher {
    need: usize,
    window: chrono::Duration,
    /// The last `need` failures: their number among the actor's failures, time, event.
    recent: VecDeque<(u64, Timestamp, Arc<Reported>)>,
    /// Failures seen so far.
    seen: u64,
    /// The number of the last failure flagged.
    flagged_to: Option<u64>,
    burst: Option<Burst>,
}

/// The burst being read.
struct Burst {
    story: u64,
    count: u64,
    first: Timestamp,
    last: Timestamp,
}

impl Watcher {
    fn close(&mut self, out: &mut Out) {
        if let Some(b) = self.burst.take() {
            out.close_story(Story {
                id: b.story,
                count: b.count,
                minutes: ((b.last - b.first).num_seconds() + 59).max(60) / 60,
                confirm_from: Some(b.first),
                ..Story::default()
            });
        }
    }
}

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let e = call.event();
        let Some(t) = e.time else { return };
        if !e.failed() || !credential_call(&e.name) {
            return;
        }
        let n = self.seen;
        self.seen += 1;
        self.recent.push_back((n, t, Arc::clone(call.reported)));
        if self.recent.len() > self.need {
            self.recent.pop_front();
        }
        let (_, oldest, _) = self.recent.front().expect("just pushed");
        if self.recent.len() < self.need || t - *oldest > self.window {
            return;
        }
        // The last `need` failures are a burst: flag those not flagged yet. They continue the
        // burst before when they follow its last failure directly and within the window.
        let first_new = self
            .recent
            .iter()
            .find(|(k, _, _)| self.flagged_to.is_none_or(|last| *k > last))
            .map(|(_, time, _)| *time);
        let continues = self
            .flagged_to
            .is_some_and(|last| last + 1 >= self.recent[0].0)
            && match (self.burst.as_ref(), first_new) {
                (Some(b), Some(t)) => t - b.last <= self.window,
                _ => false,
            };
        if !continues {
            self.close(out);
        }
        for (k, time, reported) in &self.recent {
            if self.flagged_to.is_some_and(|last| *k <= last) {
                continue;
            }
            let burst = self.burst.get_or_insert_with(|| Burst {
                story: out.open_story(),
                count: 0,
                first: *time,
                last: *time,
            });
            burst.count += 1;
            burst.last = *time;
            let user = &reported.event.actor.name;
            out.flag_in_story(
                reported,
                user,
                burst.story,
                burst.count as u32,
                false,
                review(&reported.event, user),
            );
            self.flagged_to = Some(*k);
        }
    }

    fn end(&mut self, out: &mut Out) {
        self.close(out);
    }
}
