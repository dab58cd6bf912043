//! `takeover-chain`: a password change followed, for the same user, by a new MFA device.
//!
//! A successful MFA set-up (`CreateVirtualMFADevice`, `EnableMFADevice`) is in a chain when a
//! successful password change of the same user precedes it within the window; a password
//! change is in one when such a set-up follows it. The set-ups are flagged when seen; the
//! password changes tentatively, confirmed by the chain's first set-up when it comes. The
//! watcher holds the times of the password changes of the last window, nothing else.

use std::collections::VecDeque;

use crate::event::Event;
use crate::event::time::Timestamp;
use crate::findings::{
    Call, Command, Out, Response, Rule, Scope, Settings, Severity, Story, Technique, Watch, clock,
    subject,
};

use super::{DEVICE_REGISTRATION, MFA, root_review};

pub struct TakeoverChain;

impl Rule for TakeoverChain {
    fn id(&self) -> &'static str {
        "takeover-chain"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn mitre(&self) -> &'static [Technique] {
        &[DEVICE_REGISTRATION, MFA]
    }
    fn scope(&self) -> Scope {
        Scope::Subject
    }
    fn wants(&self, e: &Event) -> bool {
        is_password_change(e) || is_setup(e)
    }
    fn watch(&self, settings: Settings) -> Box<dyn Watch> {
        Box::new(Watcher {
            window: settings.chain_window,
            chain: None,
        })
    }
}

/// Steps of each kind an explanation lists.
const LISTED_STEPS: usize = 4;
/// MFA devices whose removal the response spells out.
const LISTED_DEVICES: usize = 3;

fn is_password_change(e: &Event) -> bool {
    e.name == "ChangePassword" && !e.failed()
}

fn is_setup(e: &Event) -> bool {
    matches!(
        e.name.as_str(),
        "CreateVirtualMFADevice" | "EnableMFADevice"
    ) && !e.failed()
}

struct Watcher {
    window: chrono::Duration,
    chain: Option<Chain>,
}

/// The chain being read: password changes so far, then set-ups.
struct Chain {
    story: u64,
    account: String,
    user: String,
    /// Password changes of the last window before the first set-up: (time, benign).
    changes: VecDeque<(Timestamp, bool)>,
    last_change: Timestamp,
    /// Once a set-up came: its time, and the changes it confirms (the first listed ones).
    first_setup: Option<Timestamp>,
    confirmed: Vec<Timestamp>,
    confirmed_count: u64,
    setups: Vec<(String, Option<Timestamp>)>,
    setup_count: u64,
    /// Serial numbers set up, and whether each was enabled (not only created).
    devices: Vec<(String, bool)>,
    /// Some event of the chain is not benign self-service.
    suspicious: bool,
}

impl Chain {
    fn close(self, window: chrono::Duration, out: &mut Out) {
        let Some(first_setup) = self.first_setup else {
            // No set-up followed: the password changes were not part of a chain.
            out.close_story(Story {
                id: self.story,
                dropped: true,
                ..Story::default()
            });
            return;
        };
        let start = self.confirmed.first().copied();
        let mut steps: Vec<String> = self
            .confirmed
            .iter()
            .map(|t| format!("ChangePassword {}", clock(Some(*t), start)))
            .collect();
        if self.confirmed_count > self.confirmed.len() as u64 {
            steps.push(format!(
                "({} more password changes)",
                self.confirmed_count - self.confirmed.len() as u64
            ));
        }
        steps.extend(
            self.setups
                .iter()
                .map(|(name, t)| format!("{name} {}", clock(*t, start))),
        );
        if self.setup_count > self.setups.len() as u64 {
            steps.push(format!(
                "({} more MFA set-ups)",
                self.setup_count - self.setups.len() as u64
            ));
        }
        let text = format!(
            "{}'s password changed, then an MFA device set up within {} minutes: {}",
            self.user,
            window.num_minutes(),
            steps.join(" -> ")
        );
        out.close_story(Story {
            id: self.story,
            dropped: !self.suspicious,
            confirm_from: Some(first_setup - window),
            text,
            count: self.confirmed_count + self.setup_count,
            minutes: 0,
            response: Some(contain(&self.account, &self.user, &self.devices)),
        });
    }
}

/// Review the user's devices, remove the ones set up in the chain, force a password reset.
fn contain(account: &str, user: &str, devices: &[(String, bool)]) -> Response {
    if user == "root" {
        return root_review(account);
    }
    let mut commands = vec![Command::iam(&["list-mfa-devices"]).arg("--user-name", user)];
    for (serial, enabled) in devices {
        if *enabled {
            commands.push(
                Command::iam(&["deactivate-mfa-device"])
                    .arg("--user-name", user)
                    .arg("--serial-number", serial),
            );
        }
        if serial.contains(":mfa/") {
            commands
                .push(Command::iam(&["delete-virtual-mfa-device"]).arg("--serial-number", serial));
        }
    }
    commands.push(
        Command::iam(&["update-login-profile"])
            .arg("--user-name", user)
            .flag("--password-reset-required"),
    );
    Response::new(account, commands)
}

impl Watcher {
    fn close(&mut self, out: &mut Out) {
        if let Some(chain) = self.chain.take() {
            chain.close(self.window, out);
        }
    }
}

impl Watch for Watcher {
    fn see(&mut self, call: &Call<'_>, out: &mut Out) {
        let e = call.event();
        let Some(t) = e.time else { return };
        // A chain that can no longer grow is complete.
        if self
            .chain
            .as_ref()
            .is_some_and(|c| t - c.last_change > self.window)
        {
            self.close(out);
        }
        if is_password_change(e) {
            if self.chain.as_ref().is_some_and(|c| c.first_setup.is_some()) {
                self.close(out);
            }
            let window = self.window;
            let chain = self.chain.get_or_insert_with(|| Chain {
                story: out.open_story(),
                account: e.account.to_string(),
                user: subject(e).to_owned(),
                changes: VecDeque::new(),
                last_change: t,
                first_setup: None,
                confirmed: Vec::new(),
                confirmed_count: 0,
                setups: Vec::new(),
                setup_count: 0,
                devices: Vec::new(),
                suspicious: false,
            });
            // Only changes within the window of a later set-up can be confirmed.
            while chain.changes.front().is_some_and(|(c, _)| t - *c > window) {
                chain.changes.pop_front();
            }
            chain.changes.push_back((t, call.benign));
            chain.last_change = t;
            let (story, user) = (chain.story, chain.user.clone());
            out.flag_in_story(call.reported, &user, story, 0, true, Response::default());
            return;
        }
        if !is_setup(e) {
            return;
        }
        let Some(chain) = self.chain.as_mut() else {
            return;
        };
        if chain.first_setup.is_none() {
            chain.first_setup = Some(t);
            let from = t - self.window;
            for (c, benign) in chain.changes.drain(..) {
                if c >= from {
                    chain.confirmed_count += 1;
                    chain.suspicious |= !benign;
                    if chain.confirmed.len() < LISTED_STEPS {
                        chain.confirmed.push(c);
                    }
                }
            }
        }
        chain.setup_count += 1;
        chain.suspicious |= !call.benign;
        if chain.setups.len() < LISTED_STEPS {
            chain.setups.push((e.name.to_string(), e.time));
        }
        let enabled = e.name == "EnableMFADevice";
        if !e.mfa_serial.is_empty() {
            if let Some(d) = chain.devices.iter_mut().find(|(s, _)| *s == e.mfa_serial) {
                d.1 |= enabled;
            } else if chain.devices.len() < LISTED_DEVICES {
                chain.devices.push((e.mfa_serial.to_string(), enabled));
            }
        }
        let (story, user) = (chain.story, chain.user.clone());
        out.flag_in_story(call.reported, &user, story, 0, false, Response::default());
    }

    fn end(&mut self, out: &mut Out) {
        self.close(out);
    }
}
