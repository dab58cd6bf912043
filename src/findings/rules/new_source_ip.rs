//! `new-source-ip`: a credential call from an address the actor was not seen at before.

use crate::findings::{Call, Out, Rule, Settings, Severity, Technique, Watch};

use super::{CLOUD_ACCOUNTS, review};

pub struct NewSourceIp;

impl Rule for NewSourceIp {
    fn id(&self) -> &'static str {
        "new-source-ip"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn mitre(&self) -> &'static [Technique] {
        &[CLOUD_ACCOUNTS]
    }
    fn watch(&self, _: Settings) -> Box<dyn Watch> {
        Box::new(Watcher)
    }
}

struct Watcher;

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let Some(earlier) = call.new_address else {
            return;
        };
        let e = call.event();
        let earlier = if earlier.is_empty() {
            "no address before".to_owned()
        } else {
            format!("before only from {}", earlier.join(", "))
        };
        out.flag(
            call.reported,
            &e.actor.name,
            format!(
                "first call by {} from {} ({earlier}): {}",
                e.actor.name, e.source_ip, e.name
            ),
            review(e, &e.actor.name),
        );
    }
}
