//! Events in the byte form of the external sort's runs (see [`crate::spill`]).

use std::sync::Arc;

use super::fingerprint::Fingerprint;
use super::{Actor, Event, Origin};
use crate::spill::{Decoder, Encoder, Spill};

impl Event {
    /// The event's text fields, in the order the runs store them.
    fn texts(&self) -> [&String; 18] {
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
        let texts: usize = self.texts().iter().map(|s| s.capacity()).sum();
        texts + self.source_file.len()
    }
}

impl Spill for Event {
    fn weight(&self) -> usize {
        std::mem::size_of::<Event>() + self.heap_bytes()
    }

    fn encode(&self, out: &mut Encoder) {
        out.time(self.time);
        for s in self.texts() {
            out.str(s);
        }
        out.opt_bool(self.actor.mfa);
        out.bool(self.actor.console);
        out.bool(self.actor.root);
        out.u64(u64::from(self.origin.file));
        out.u64(self.origin.record);
        out.str(&self.source_file);
        out.u128(self.fingerprint.0);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Event> {
        let time = d.time()?;
        let mut texts: [String; 18] = Default::default();
        for t in &mut texts {
            *t = d.string()?;
        }
        let [
            name,
            source,
            account,
            region,
            actor_name,
            kind,
            arn,
            access_key,
            target,
            access_key_id,
            key_status,
            mfa_serial,
            source_ip,
            user_agent,
            error_code,
            error_message,
            event_id,
            request_id,
        ] = texts;
        Some(Event {
            time,
            name,
            source,
            account,
            region,
            actor: Actor {
                name: actor_name,
                kind,
                arn,
                access_key,
                mfa: d.opt_bool()?,
                console: d.bool()?,
                root: d.bool()?,
            },
            target,
            access_key_id,
            key_status,
            mfa_serial,
            source_ip,
            user_agent,
            error_code,
            error_message,
            event_id,
            request_id,
            origin: Origin {
                file: d.u32()?,
                record: d.u64()?,
            },
            source_file: Arc::from(d.str()?),
            fingerprint: Fingerprint(d.u128()?),
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
        e.origin = Origin {
            file: 7,
            record: 1 << 40,
        };
        e.fingerprint = Fingerprint(u128::MAX / 3);
        e.source_file = Arc::from("AWSLogs/1/CloudTrail/us-east-1/x.json.gz");
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
