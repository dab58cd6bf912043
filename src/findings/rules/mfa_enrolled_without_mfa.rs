//! `mfa-enrolled-without-mfa`: an MFA device created or enabled by a session that did not
//! itself use MFA (or used temporary keys outside a console session).

use crate::event::describe::{detail, mask_key};
use crate::findings::{Call, Out, Rule, Settings, Severity, Technique, Watch, subject};

use super::{DEVICE_REGISTRATION, MFA, review_mfa};

pub struct MfaEnrolledWithoutMfa;

impl Rule for MfaEnrolledWithoutMfa {
    fn id(&self) -> &'static str {
        "mfa-enrolled-without-mfa"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn mitre(&self) -> &'static [Technique] {
        &[DEVICE_REGISTRATION, MFA]
    }
    fn watch(&self, _: Settings) -> Box<dyn Watch> {
        Box::new(Watcher)
    }
}

struct Watcher;

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let e = call.event();
        if !matches!(
            e.name.as_str(),
            "CreateVirtualMFADevice" | "EnableMFADevice"
        ) || e.failed()
            || call.benign
        {
            return;
        }
        let why = if e.actor.mfa == Some(false) {
            "from a session without MFA".to_owned()
        } else if e.actor.temporary_keys() && !e.actor.console {
            format!(
                "with temporary keys ({}) outside a console session",
                mask_key(&e.actor.access_key)
            )
        } else {
            return;
        };
        let user = subject(e);
        out.flag(
            call.reported,
            user,
            format!("{} {} {why}", e.actor.name, detail(e)),
            review_mfa(e, user),
        );
    }
}
