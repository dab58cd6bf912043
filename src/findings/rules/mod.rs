//! The built-in rules, one module each, with the ATT&CK techniques they map to and the
//! commands they suggest beside them (documented one by one in `docs/findings.md`).

pub mod access_key_reactivated;
pub mod credential_change_for_other_user;
pub mod failure_burst;
pub mod mfa_enrolled_without_mfa;
pub mod mfa_resync;
pub mod new_source_ip;
pub mod root_credential_change;
pub mod takeover_chain;

use super::{Command, Response, Technique};
use crate::event::Event;

pub(super) const DEVICE_REGISTRATION: Technique = Technique {
    id: "T1098.005",
    name: "Device Registration",
};
pub(super) const MFA: Technique = Technique {
    id: "T1556.006",
    name: "Multi-Factor Authentication",
};
pub(super) const CLOUD_CREDENTIALS: Technique = Technique {
    id: "T1098.001",
    name: "Additional Cloud Credentials",
};
pub(super) const ACCOUNT_MANIPULATION: Technique = Technique {
    id: "T1098",
    name: "Account Manipulation",
};
pub(super) const CLOUD_ACCOUNTS: Technique = Technique {
    id: "T1078.004",
    name: "Cloud Accounts",
};
pub(super) const BRUTE_FORCE: Technique = Technique {
    id: "T1110",
    name: "Brute Force",
};

/// Who `user` is, as far as the commands are concerned.
enum Principal<'a> {
    Root,
    /// An IAM user (by name).
    User(&'a str),
    /// A role session (`role/session`): the role's name.
    Role(&'a str),
    /// Anything else (a service, a federated or Identity Center user): only its history can
    /// be looked up.
    Other(&'a str),
}

/// What `user` (the target or the actor of `e`) is.
fn principal<'a>(e: &'a Event, user: &'a str) -> Principal<'a> {
    if user == "root" && (e.actor.root || e.target == "root") {
        return Principal::Root;
    }
    let is_actor = user == e.actor.name;
    // A target named by the request (or by default, the caller's own user) is an IAM user.
    if !is_actor || e.actor.kind == "IAMUser" || e.actor.kind.is_empty() && e.target == user {
        return Principal::User(user);
    }
    match e.actor.kind.as_str() {
        "AssumedRole" => Principal::Role(user.split('/').next().unwrap_or(user)),
        _ => Principal::Other(user),
    }
}

/// The commands to review a user's credentials (or whatever `user` is).
pub(super) fn review(e: &Event, user: &str) -> Response {
    let commands = match principal(e, user) {
        Principal::Root => return root_review(&e.account),
        Principal::User(u) => vec![
            Command::iam(&["list-access-keys"]).arg("--user-name", u),
            Command::iam(&["list-mfa-devices"]).arg("--user-name", u),
        ],
        Principal::Role(r) => vec![
            Command::iam(&["get-role"]).arg("--role-name", r),
            Command::iam(&["list-attached-role-policies"]).arg("--role-name", r),
        ],
        Principal::Other(name) => vec![lookup(e, name)],
    };
    Response::new(&e.account, commands)
}

/// The commands to review a user's MFA devices.
pub(super) fn review_mfa(e: &Event, user: &str) -> Response {
    match principal(e, user) {
        Principal::User(u) => Response::new(
            &e.account,
            vec![Command::iam(&["list-mfa-devices"]).arg("--user-name", u)],
        ),
        _ => review(e, user),
    }
}

/// The root user's own credentials, reviewed with the root user's credentials (the console
/// steps, changing the password among them, are in the report's guidance).
pub(super) fn root_review(account: &str) -> Response {
    Response::new(
        account,
        vec![
            Command::iam(&["get-account-summary"]).arg(
                "--query",
                "SummaryMap.[AccountMFAEnabled,AccountAccessKeysPresent]",
            ),
            Command::iam(&["list-mfa-devices"]),
            Command::iam(&["list-access-keys"]),
        ],
    )
}

/// The principal's recent calls, from CloudTrail's own event history.
fn lookup(e: &Event, name: &str) -> Command {
    let mut c = Command(vec![
        "aws".into(),
        "cloudtrail".into(),
        "lookup-events".into(),
    ]);
    if !e.region.is_empty() {
        c = c.arg("--region", &e.region);
    }
    c.arg(
        "--lookup-attributes",
        &format!("AttributeKey=Username,AttributeValue={name}"),
    )
}
