//! Events in the byte form of the external sort's runs (see [`crate::spill`]).

use std::sync::Arc;

use super::fingerprint::Fingerprint;
use super::{Actor, Event, Origin};
use crate::spill::{Decoder, Encoder, Spill};

impl Event {
    /// Bytes the event's strings hold on the heap.
    pub fn heap_bytes(&self) -> usize {
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
        .iter()
        .map(|s| s.capacity())
        .sum::<usize>()
            + self.source_file.len()
    }
}

impl Spill for Event {
    fn weight(&self) -> usize {
        std::mem::size_of::<Event>() + self.heap_bytes()
    }

    fn encode(&self, out: &mut Encoder) {
        out.time(self.time);
        for s in [&self.name, &self.source, &self.account, &self.region] {
            out.str(s);
        }
        let a = &self.actor;
        for s in [&a.name, &a.kind, &a.arn, &a.access_key] {
            out.str(s);
        }
        out.opt_bool(a.mfa);
        out.bool(a.console);
        out.bool(a.root);
        for s in [
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
        ] {
            out.str(s);
        }
        out.u64(u64::from(self.origin.file));
        out.u64(self.origin.record);
        out.str(&self.source_file);
        out.u128(self.fingerprint.0);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Event> {
        Some(Event {
            time: d.time()?,
            name: d.string()?,
            source: d.string()?,
            account: d.string()?,
            region: d.string()?,
            actor: Actor {
                name: d.string()?,
                kind: d.string()?,
                arn: d.string()?,
                access_key: d.string()?,
                mfa: d.opt_bool()?,
                console: d.bool()?,
                root: d.bool()?,
            },
            target: d.string()?,
            access_key_id: d.string()?,
            key_status: d.string()?,
            mfa_serial: d.string()?,
            source_ip: d.string()?,
            user_agent: d.string()?,
            error_code: d.string()?,
            error_message: d.string()?,
            event_id: d.string()?,
            request_id: d.string()?,
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
