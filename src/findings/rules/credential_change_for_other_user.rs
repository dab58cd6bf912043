//! `credential-change-for-other-user`: an MFA device or access key of one user changed by
//! another.

use crate::event::describe::detail;
use crate::findings::{Call, Out, Rule, Settings, Severity, Technique, Watch};

use super::{ACCOUNT_MANIPULATION, CLOUD_CREDENTIALS, DEVICE_REGISTRATION, review};

/// Calls on a user's credentials that can target someone else.
const ON_A_USER: [&str; 3] = ["EnableMFADevice", "ResyncMFADevice", "UpdateAccessKey"];

pub struct CredentialChangeForOtherUser;

impl Rule for CredentialChangeForOtherUser {
    fn id(&self) -> &'static str {
        "credential-change-for-other-user"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn mitre(&self) -> &'static [Technique] {
        &[ACCOUNT_MANIPULATION, CLOUD_CREDENTIALS, DEVICE_REGISTRATION]
    }
    fn watch(&self, _: Settings) -> Box<dyn Watch> {
        Box::new(Watcher)
    }
}

struct Watcher;

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let e = call.event();
        if ON_A_USER.contains(&e.name.as_str()) && !e.target.is_empty() && e.target != e.actor.name
        {
            let text = format!("{} {}: another user's credentials", e.actor.name, detail(e));
            out.flag(call.reported, &e.target, text, review(e, &e.target));
        }
    }
}
