//! What a finding keeps of its event: the fields findings.csv, the HTML page and the
//! explanations show, and the event's place in report order.
//!
//! A finding used to carry the whole event through its sorts. An archive where one actor
//! makes a hundred thousand credential calls has several findings per call, and each wrote
//! and read back every field of its event (user agent, error message, ARN, the record's JSON
//! with `--format jsonl`) three times over; this is a tenth of that.

use crate::aggregate::Reported;
use crate::event::Str;
use crate::event::time::Timestamp;
use crate::spill::{Decoder, Encoder, Spill};

/// The event a finding is about, as far as the reports of findings need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cited {
    /// The event's position in report order (its row of events.csv, from 0).
    pub seq: u64,
    pub time: Option<Timestamp>,
    pub account: Str,
    /// The actor's name.
    pub actor: Str,
    /// The event's name.
    pub name: Str,
    pub event_id: Str,
    pub source_ip: Str,
    pub error_code: Str,
}

impl Cited {
    pub fn of(r: &Reported) -> Cited {
        let e = &r.event;
        Cited {
            seq: r.seq,
            time: e.time,
            account: e.account.clone(),
            actor: e.actor.name.clone(),
            name: e.name.clone(),
            event_id: e.event_id.clone(),
            source_ip: e.source_ip.clone(),
            error_code: e.error_code.clone(),
        }
    }

    fn texts(&self) -> [&Str; 6] {
        [
            &self.account,
            &self.actor,
            &self.name,
            &self.event_id,
            &self.source_ip,
            &self.error_code,
        ]
    }
}

impl Spill for Cited {
    fn weight(&self) -> usize {
        std::mem::size_of::<Cited>()
            + self
                .texts()
                .iter()
                .filter(|s| s.is_heap_allocated())
                .map(|s| s.capacity() + 16)
                .sum::<usize>()
    }

    fn encode(&self, out: &mut Encoder) {
        out.u64(self.seq);
        out.time(self.time);
        for s in self.texts() {
            out.str(s);
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Cited> {
        Some(Cited {
            seq: d.u64()?,
            time: d.time()?,
            account: d.text()?,
            actor: d.text()?,
            name: d.text()?,
            event_id: d.text()?,
            source_ip: d.text()?,
            error_code: d.text()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::time::parse;

    #[test]
    fn goes_through_a_run_unchanged() {
        let cited = Cited {
            seq: 41,
            time: parse("2024-03-01T02:03:04Z"),
            account: "123456789012".into(),
            actor: "a very long actor name that does not fit inline".into(),
            name: "UpdateAccessKey".into(),
            event_id: "0f0e-id".into(),
            source_ip: "198.51.100.7".into(),
            error_code: "".into(),
        };
        let mut out = Encoder::default();
        cited.encode(&mut out);
        let mut d = Decoder::new(out.as_bytes());
        assert_eq!(Cited::decode(&mut d), Some(cited.clone()));
        assert!(d.is_empty());
        // The heap-allocated actor name is counted, the inline strings are not.
        assert_eq!(
            cited.weight(),
            std::mem::size_of::<Cited>() + cited.actor.capacity() + 16
        );
        let untimed = Cited {
            time: None,
            ..cited
        };
        let mut out = Encoder::default();
        untimed.encode(&mut out);
        assert_eq!(
            Cited::decode(&mut Decoder::new(out.as_bytes())),
            Some(untimed)
        );
    }
}
