//! `mfa-resync`: an MFA device resynchronised (rare; no public rule covers it). Every one is
//! flagged, the user's own included: resynchronising without the user's device undermines MFA.

use crate::event::describe::detail;
use crate::findings::{Call, Out, Rule, Settings, Severity, Technique, Watch, subject};

use super::{MFA, review_mfa};

pub struct MfaResync;

impl Rule for MfaResync {
    fn id(&self) -> &'static str {
        "mfa-resync"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn mitre(&self) -> &'static [Technique] {
        &[MFA]
    }
    fn watch(&self, _: Settings) -> Box<dyn Watch> {
        Box::new(Watcher)
    }
}

struct Watcher;

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let e = call.event();
        if e.name == "ResyncMFADevice" {
            let user = subject(e);
            let own = if user == e.actor.name {
                " (own device)"
            } else {
                ""
            };
            out.flag(
                call.reported,
                user,
                format!("{} {}{own}", e.actor.name, detail(e)),
                review_mfa(e, user),
            );
        }
    }
}
