//! `root-credential-change`: the root user changed credentials or MFA.

use crate::event::describe::detail;
use crate::findings::history::credential_call;
use crate::findings::{Call, Out, Rule, Settings, Severity, Technique, Watch};

use super::{ACCOUNT_MANIPULATION, CLOUD_ACCOUNTS, root_review};

pub struct RootCredentialChange;

impl Rule for RootCredentialChange {
    fn id(&self) -> &'static str {
        "root-credential-change"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn mitre(&self) -> &'static [Technique] {
        &[CLOUD_ACCOUNTS, ACCOUNT_MANIPULATION]
    }
    fn watch(&self, _: Settings) -> Box<dyn Watch> {
        Box::new(Watcher)
    }
}

struct Watcher;

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let e = call.event();
        if e.actor.root && credential_call(&e.name) {
            let mfa = match e.actor.mfa {
                Some(true) => "with MFA",
                Some(false) => "without MFA",
                None => "MFA not logged",
            };
            out.flag(
                call.reported,
                "root",
                format!("the root user {} ({mfa}, from {})", detail(e), e.source_ip),
                root_review(&e.account),
            );
        }
    }
}
