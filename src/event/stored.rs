//! Events in the byte form of the external sort's runs (see [`crate::spill`]).

use std::sync::Arc;

use super::fingerprint::Fingerprint;
use super::{Actor, Event};
use crate::spill::{Decoder, Encoder, Spill};

impl Event {
    /// The event's text fields, in the order the runs store them (the actor's flags go after
    /// the first eight, the actor's own).
    fn texts(&self) -> [&super::Str; 18] {
        let a = &self.actor;
        [
            &self.name,
            &self.source,
            &self.account,
            &self.region,
            &a.name,
            &a.kind,
            &a.arn,
            &a.access_key,
            &self.target,
            &self.access_key_id,
            &self.key_status,
            &self.mfa_serial,
            &self.source_ip,
            &self.user_agent,
            &self.error_code,
            &self.error_message,
            &self.event_id,
            &self.request_id,
        ]
    }

    /// Bytes the event's strings hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        // Inline texts hold nothing on the heap.
        let texts: usize = self
            .texts()
            .iter()
            .filter(|s| s.is_heap_allocated())
            .map(|s| s.capacity() + 16)
            .sum();
        texts + self.source_file.len() + self.record.as_ref().map_or(0, |r| r.len())
    }
}

impl Spill for Event {
    fn weight(&self) -> usize {
        std::mem::size_of::<Event>() + self.heap_bytes()
    }

    fn encode(&self, out: &mut Encoder) {
        out.time(self.time);
        let texts = self.texts();
        for s in &texts[..8] {
            out.str(s);
        }
        out.opt_bool(self.actor.mfa);
        out.bool(self.actor.console);
        out.bool(self.actor.root);
        for s in &texts[8..] {
            out.str(s);
        }
        out.origin(self.origin);
        out.str(&self.source_file);
        out.u128(self.fingerprint.0);
        match &self.record {
            Some(r) => {
                out.bool(true);
                out.str(r);
            }
            None => out.bool(false),
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Event> {
        // Fields are read in the order they are written here, which is the encoded order.
        Some(Event {
            time: d.time()?,
            name: d.text()?,
            source: d.text()?,
            account: d.text()?,
            region: d.text()?,
            actor: Actor {
                name: d.text()?,
                kind: d.text()?,
                arn: d.text()?,
                access_key: d.text()?,
                mfa: d.opt_bool()?,
                console: d.bool()?,
                root: d.bool()?,
            },
            target: d.text()?,
            access_key_id: d.text()?,
            key_status: d.text()?,
            mfa_serial: d.text()?,
            source_ip: d.text()?,
            user_agent: d.text()?,
            error_code: d.text()?,
            error_message: d.text()?,
            event_id: d.text()?,
            request_id: d.text()?,
            origin: d.origin()?,
            source_file: Arc::from(d.str()?),
            fingerprint: Fingerprint(d.u128()?),
            record: if d.bool()? {
                Some(d.str()?.into())
            } else {
                None
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Event::decode(&mut Decoder::new(&bytes));
        }

        #[test]
        fn cut_runs_never_decode(cut in 0usize..1000) {
            let e = crate::event::from_json(r#"{"eventName":"ChangePassword","eventID":"x","userIdentity":{"type":"IAMUser","userName":"a"}}"#);
            let mut out = Encoder::default();
            e.encode(&mut out);
            let bytes = out.as_bytes();
            let cut = cut % bytes.len();
            prop_assert_eq!(Event::decode(&mut Decoder::new(&bytes[..cut])), None);
        }
    }

    #[test]
    fn every_field_survives_a_run() {
        let mut e = crate::event::from_json(
            r#"{"eventTime":"2026-03-02T10:04:05Z","eventName":"UpdateAccessKey","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"1","sourceIPAddress":"1.2.3.4","userAgent":"cli","errorCode":"E","errorMessage":"m","eventID":"id","requestID":"rq","userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn","accessKeyId":"ASIAX","sessionContext":{"attributes":{"mfaAuthenticated":"true"}}},"requestParameters":{"userName":"bob","accessKeyId":"AKIAY","status":"Active"},"sessionCredentialFromConsole":"true"}"#,
        );
        e.origin = crate::event::Origin {
            file: 7,
            record: 1 << 40,
        };
        e.fingerprint = Fingerprint(u128::MAX / 3);
        e.source_file = Arc::from("AWSLogs/1/CloudTrail/us-east-1/x.json.gz");
        e.record = Some(r#"{"eventName":"UpdateAccessKey"}"#.into());
        let mut out = Encoder::default();
        e.encode(&mut out);
        let mut d = Decoder::new(out.as_bytes());
        assert_eq!(Event::decode(&mut d), Some(e.clone()));
        assert!(d.is_empty());
        assert_eq!(
            (e.actor.mfa, e.actor.console, e.target.as_str()),
            (Some(true), true, "bob")
        );
    }
}
