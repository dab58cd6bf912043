//! `access-key-reactivated`: an access key set Active after the archive saw it set Inactive.
//!
//! Every reactivation is flagged, self-service included: re-enabling a disabled key is rare
//! and is the persistence move responders fear. The explanation says whether it was the key
//! owner's own call, who had deactivated the key and when. A key's group holds one event: its
//! latest deactivation.

use std::sync::Arc;

use crate::aggregate::Reported;
use crate::event::Event;
use crate::event::describe::mask_key;
use crate::findings::{
    Call, Command, Out, Response, Rule, Scope, Settings, Severity, Technique, Watch, clock, subject,
};

use super::CLOUD_CREDENTIALS;

pub struct AccessKeyReactivated;

impl Rule for AccessKeyReactivated {
    fn id(&self) -> &'static str {
        "access-key-reactivated"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn mitre(&self) -> &'static [Technique] {
        &[CLOUD_CREDENTIALS]
    }
    fn scope(&self) -> Scope {
        Scope::AccessKey
    }
    fn wants(&self, e: &Event) -> bool {
        e.name == "UpdateAccessKey" && !e.access_key_id.is_empty()
    }
    fn watch(&self, _: Settings) -> Box<dyn Watch> {
        Box::new(Watcher { inactive: None })
    }
}

struct Watcher {
    /// The latest successful deactivation of the key not yet undone.
    inactive: Option<Arc<Reported>>,
}

/// "self-service" or "by another user", and whether the session used MFA.
fn how(e: &Event, owner: &str) -> String {
    let who = if e.actor.name == owner {
        "self-service, the key owner's own call"
    } else {
        "by another user"
    };
    match e.actor.mfa {
        Some(true) => format!("{who}, from an MFA session"),
        Some(false) => format!("{who}, from a session without MFA"),
        None => who.to_owned(),
    }
}

/// Switch the key off again, then look at the owner's keys.
fn contain(e: &Event, owner: &str) -> Response {
    let mut off = Command::iam(&["update-access-key"]);
    let mut list = Command::iam(&["list-access-keys"]);
    // The root user's keys are managed with its own credentials, without a user name.
    if owner != "root" {
        off = off.arg("--user-name", owner);
        list = list.arg("--user-name", owner);
    }
    off = off
        .arg("--access-key-id", &e.access_key_id)
        .arg("--status", "Inactive");
    Response::new(&e.account, vec![off, list])
}

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let e = call.event();
        if e.failed() {
            return;
        }
        if e.key_status.eq_ignore_ascii_case("Inactive") {
            self.inactive = Some(Arc::clone(call.reported));
            return;
        }
        if !e.key_status.eq_ignore_ascii_case("Active") {
            return;
        }
        let Some(off) = self.inactive.take() else {
            return;
        };
        let before = &off.event;
        let owner = subject(e);
        let masked = mask_key(&e.access_key_id);
        let response = contain(e, owner);
        out.flag(
            &off,
            owner,
            format!(
                "{owner}'s access key {masked} set Inactive by {}; set Active again by {} at {} ({})",
                before.actor.name,
                e.actor.name,
                clock(e.time, None),
                how(e, owner)
            ),
            response.clone(),
        );
        out.flag(
            call.reported,
            owner,
            format!(
                "{owner}'s access key {masked} set Active again by {} ({}); it had been set Inactive by {} at {}",
                e.actor.name,
                how(e, owner),
                before.actor.name,
                clock(before.time, None)
            ),
            response,
        );
    }
}
