//! The built-in rules (documented one by one in `docs/findings.md`).

use std::collections::{BTreeMap, HashMap};

use super::{Context, Finding, Rule, Scope, Severity, clock};
use crate::aggregate::timeline::{detail, mask_key};
use crate::event::Event;

/// Calls on a user's credentials that can target someone else.
const ON_A_USER: [&str; 3] = ["EnableMFADevice", "ResyncMFADevice", "UpdateAccessKey"];

/// Credential and MFA calls (the five defaults and their relatives a user may select).
const CREDENTIAL_CALLS: [&str; 14] = [
    "EnableMFADevice",
    "ResyncMFADevice",
    "CreateVirtualMFADevice",
    "ChangePassword",
    "UpdateAccessKey",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "CreateAccessKey",
    "DeleteAccessKey",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "PasswordUpdated",
    "ResetServiceSpecificCredential",
];

pub(super) fn credential_call(name: &str) -> bool {
    CREDENTIAL_CALLS.contains(&name)
}

/// `credential-change-for-other-user`: an MFA device or access key of one user changed by another.
pub struct CredentialChangeForOtherUser;

impl Rule for CredentialChangeForOtherUser {
    fn id(&self) -> &'static str {
        "credential-change-for-other-user"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        for i in 0..cx.events.len() {
            let e = cx.event(i);
            if ON_A_USER.contains(&e.name.as_str())
                && !e.target.is_empty()
                && e.target != e.actor.name
            {
                let text = format!("{} {}: another user's credentials", e.actor.name, detail(e));
                out.push(cx.finding(i, self, &e.target, text));
            }
        }
    }
}

/// `mfa-enrolled-without-mfa`: an MFA device created or enabled by a session that did not
/// itself use MFA (or used temporary keys outside a console session).
pub struct MfaEnrolledWithoutMfa;

impl Rule for MfaEnrolledWithoutMfa {
    fn id(&self) -> &'static str {
        "mfa-enrolled-without-mfa"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        for i in 0..cx.events.len() {
            let e = cx.event(i);
            if !matches!(
                e.name.as_str(),
                "CreateVirtualMFADevice" | "EnableMFADevice"
            ) || e.failed()
                || cx.benign[i]
            {
                continue;
            }
            let why = if e.actor.mfa == Some(false) {
                "from a session without MFA".to_owned()
            } else if e.actor.temporary_keys() && !e.actor.console {
                format!(
                    "with temporary keys ({}) outside a console session",
                    mask_key(&e.actor.access_key)
                )
            } else {
                continue;
            };
            out.push(cx.finding(
                i,
                self,
                cx.subject(i),
                format!("{} {} {why}", e.actor.name, detail(e)),
            ));
        }
    }
}

/// `takeover-chain`: a password change followed, for the same user, by a new MFA device.
pub struct TakeoverChain;

impl Rule for TakeoverChain {
    fn id(&self) -> &'static str {
        "takeover-chain"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn scope(&self) -> Scope {
        Scope::Subject
    }
    fn wants(&self, e: &Event) -> bool {
        matches!(
            e.name.as_str(),
            "ChangePassword" | "CreateVirtualMFADevice" | "EnableMFADevice"
        )
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        let window = cx.settings.chain_window;
        // The successful MFA set-ups of each (account, user), in time order.
        let mut setups: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for j in 0..cx.events.len() {
            let e = cx.event(j);
            if matches!(
                e.name.as_str(),
                "CreateVirtualMFADevice" | "EnableMFADevice"
            ) && !e.failed()
                && e.time.is_some()
            {
                setups
                    .entry((e.account.as_str(), cx.subject(j)))
                    .or_default()
                    .push(j);
            }
        }
        for i in 0..cx.events.len() {
            let start = cx.event(i);
            let Some(t0) = start.time else { continue };
            if start.name != "ChangePassword" || start.failed() {
                continue;
            }
            let user = cx.subject(i);
            let mut chain = vec![i];
            for &j in setups
                .get(&(start.account.as_str(), user))
                .map_or(&[][..], Vec::as_slice)
            {
                let t = cx.event(j).time.expect("filtered on time");
                if j > i && t - t0 <= window {
                    chain.push(j);
                }
            }
            if chain.len() < 2 || chain.iter().all(|&k| cx.benign[k]) {
                continue;
            }
            let steps: Vec<String> = chain
                .iter()
                .map(|&k| format!("{} {}", cx.event(k).name, clock(cx.event(k).time, Some(t0))))
                .collect();
            let text = format!(
                "{user}'s password changed, then an MFA device set up within {} minutes: {}",
                window.num_minutes(),
                steps.join(" -> ")
            );
            for &k in &chain {
                out.push(cx.finding(k, self, user, text.clone()));
            }
        }
    }
}

/// `access-key-reactivated`: an access key set Active after the archive saw it set Inactive.
pub struct AccessKeyReactivated;

impl Rule for AccessKeyReactivated {
    fn id(&self) -> &'static str {
        "access-key-reactivated"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn scope(&self) -> Scope {
        Scope::AccessKey
    }
    fn wants(&self, e: &Event) -> bool {
        e.name == "UpdateAccessKey" && !e.access_key_id.is_empty()
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        // The latest successful deactivation of each (account, key).
        let mut inactive: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for i in 0..cx.events.len() {
            let e = cx.event(i);
            if e.name != "UpdateAccessKey" || e.failed() || e.access_key_id.is_empty() {
                continue;
            }
            let key = (e.account.as_str(), e.access_key_id.as_str());
            if e.key_status.eq_ignore_ascii_case("Inactive") {
                inactive.insert(key, i);
            } else if e.key_status.eq_ignore_ascii_case("Active")
                && let Some(off) = inactive.remove(&key)
            {
                if cx.benign[i] {
                    continue;
                }
                let (before, owner) = (cx.event(off), cx.subject(i));
                let masked = mask_key(&e.access_key_id);
                let on = format!(
                    "{owner}'s access key {masked} set Active by {}; it had been set Inactive by {} at {}",
                    e.actor.name,
                    before.actor.name,
                    clock(before.time, None)
                );
                let off_text = format!(
                    "{owner}'s access key {masked} set Inactive by {}; set Active again by {} at {}",
                    before.actor.name,
                    e.actor.name,
                    clock(e.time, None)
                );
                out.push(cx.finding(off, self, owner, off_text));
                out.push(cx.finding(i, self, owner, on));
            }
        }
    }
}

/// `root-credential-change`: the root user changed credentials or MFA.
pub struct RootCredentialChange;

impl Rule for RootCredentialChange {
    fn id(&self) -> &'static str {
        "root-credential-change"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        for i in 0..cx.events.len() {
            let e = cx.event(i);
            if e.actor.root && credential_call(&e.name) {
                let mfa = match e.actor.mfa {
                    Some(true) => "with MFA",
                    Some(false) => "without MFA",
                    None => "MFA not logged",
                };
                out.push(cx.finding(
                    i,
                    self,
                    "root",
                    format!("the root user {} ({mfa}, from {})", detail(e), e.source_ip),
                ));
            }
        }
    }
}

/// `failure-burst`: many failed credential calls by one actor in a short time.
pub struct FailureBurst;

impl Rule for FailureBurst {
    fn id(&self) -> &'static str {
        "failure-burst"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        let (need, window) = (cx.settings.burst_failures.max(1), cx.settings.burst_window);
        // The group is one actor's history.
        {
            let failures: Vec<usize> = (0..cx.events.len())
                .filter(|&i| {
                    cx.event(i).failed()
                        && credential_call(&cx.event(i).name)
                        && cx.event(i).time.is_some()
                })
                .collect();
            // Every failure inside some window holding `need` failures belongs to a burst.
            let time = |k: usize| cx.event(failures[k]).time.expect("filtered on time");
            let mut in_burst = vec![false; failures.len()];
            let mut left = 0;
            for right in 0..failures.len() {
                while time(right) - time(left) > window {
                    left += 1;
                }
                if right + 1 - left >= need {
                    in_burst[left..=right].iter_mut().for_each(|b| *b = true);
                }
            }
            // Report each run of consecutive burst failures with its extent.
            let mut k = 0;
            while k < failures.len() {
                if !in_burst[k] {
                    k += 1;
                    continue;
                }
                let end = (k..failures.len())
                    .take_while(|&m| in_burst[m])
                    .last()
                    .expect("k is in a burst");
                let count = end + 1 - k;
                let minutes = ((time(end) - time(k)).num_seconds() + 59).max(60) / 60;
                for (n, m) in (k..=end).enumerate() {
                    let e = cx.event(failures[m]);
                    let text = format!(
                        "failed call {} of {count} by {} within {minutes} minutes ({} {})",
                        n + 1,
                        e.actor.name,
                        e.name,
                        e.error_code
                    );
                    out.push(cx.finding(failures[m], self, &e.actor.name, text));
                }
                k = end + 1;
            }
        }
    }
}

/// `new-source-ip`: a credential call from an address the actor was not seen at before.
pub struct NewSourceIp;

impl Rule for NewSourceIp {
    fn id(&self) -> &'static str {
        "new-source-ip"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        // The group is one actor's history; the context knows which addresses are new.
        for (i, earlier) in cx.new_address.iter().enumerate() {
            let (Some(earlier), e) = (earlier, cx.event(i)) else {
                continue;
            };
            if !credential_call(&e.name) {
                continue;
            }
            let earlier = if earlier.is_empty() {
                "no address before".to_owned()
            } else {
                format!("before only from {}", earlier.join(", "))
            };
            out.push(cx.finding(
                i,
                self,
                &e.actor.name,
                format!(
                    "first call by {} from {} ({earlier}): {}",
                    e.actor.name, e.source_ip, e.name
                ),
            ));
        }
    }
}

/// `mfa-resync`: an MFA device resynchronised (rare; no public rule covers it).
pub struct MfaResync;

impl Rule for MfaResync {
    fn id(&self) -> &'static str {
        "mfa-resync"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn evaluate(&self, cx: &Context, out: &mut Vec<Finding>) {
        for i in 0..cx.events.len() {
            let e = cx.event(i);
            if e.name == "ResyncMFADevice" && !cx.benign[i] {
                out.push(cx.finding(
                    i,
                    self,
                    cx.subject(i),
                    format!("{} {}", e.actor.name, detail(e)),
                ));
            }
        }
    }
}
