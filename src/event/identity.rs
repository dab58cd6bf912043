//! Who acted, and on whom.
//!
//! The actor is named by its identity type (an IAM user by name, a role session as
//! `role/session`, the root user as `root`, ...). The target of a credential call is the user
//! whose credentials changed: the `userName` parameter, else the caller itself for the calls
//! that default to the caller, else (for failed calls logged without parameters) the user named
//! in the error message. `CreateVirtualMFADevice` names no user; its target is resolved later
//! from the archive (see `aggregate`).

use super::raw::RawIdentity;

/// The user name CloudTrail writes for the root user in request parameters.
const ROOT_PARAMETER: &str = "AWS ROOT USER";

/// The actor's name (see the module doc and the README for the rules).
pub fn actor_name(id: &RawIdentity<'_>) -> String {
    let kind = id.kind.or_empty();
    let arn = id.arn.or_empty();
    let named = match kind {
        "IAMUser" => id.user_name.get().map(str::to_owned).or_else(|| {
            tail_after(arn, ":user/")
                .map(last_segment)
                .map(str::to_owned)
        }),
        "AssumedRole" => tail_after(arn, ":assumed-role/").map(str::to_owned),
        "Root" => Some("root".to_owned()),
        "FederatedUser" => tail_after(arn, ":federated-user/").map(str::to_owned),
        "IdentityCenterUser" => id
            .on_behalf_of
            .get()
            .and_then(|o| o.user_id.get())
            .map(str::to_owned),
        "AWSService" => id.invoked_by.get().map(str::to_owned),
        _ => None,
    };
    named
        .filter(|n| !n.is_empty())
        .or_else(|| {
            id.user_name
                .get()
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        })
        .or_else(|| {
            Some(last_segment(arn))
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        })
        .or_else(|| id.principal_id.get().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether the identity is the account's root user.
pub fn is_root(id: &RawIdentity<'_>) -> bool {
    id.kind.get() == Some("Root") || id.arn.get().is_some_and(|a| a.ends_with(":root"))
}

/// How the target user of a call defaults when the request names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetDefault {
    /// The call acts on the caller's own credentials (ChangePassword, own access key, ...).
    Caller,
    /// The call names no user (CreateVirtualMFADevice): resolved later, or left empty.
    None,
}

/// The default for an event name: calls on a user's own credentials default to the caller.
pub fn target_default(event_name: &str) -> TargetDefault {
    match event_name {
        "EnableMFADevice"
        | "ResyncMFADevice"
        | "UpdateAccessKey"
        | "ChangePassword"
        | "DeactivateMFADevice"
        | "CreateAccessKey"
        | "DeleteAccessKey"
        | "UpdateSigningCertificate"
        | "UploadSigningCertificate"
        | "DeleteSigningCertificate"
        | "UploadSSHPublicKey"
        | "UpdateSSHPublicKey"
        | "DeleteSSHPublicKey"
        | "CreateServiceSpecificCredential"
        | "DeleteServiceSpecificCredential"
        | "UpdateServiceSpecificCredential"
        | "ResetServiceSpecificCredential" => TargetDefault::Caller,
        _ => TargetDefault::None,
    }
}

/// The target user of a call, before archive-wide resolution.
///
/// `param_user` is `requestParameters.userName`. A password change (IAM's `ChangePassword`,
/// the sign-in service's `PasswordUpdated`, which is how the root password change is logged)
/// always targets the caller; root's own calls (`AWS ROOT USER`, or no user named) target
/// `root`.
pub fn target_user(
    event_name: &str,
    actor: &str,
    actor_is_root: bool,
    param_user: Option<&str>,
    failed_without_parameters: bool,
    error_message: &str,
) -> String {
    if matches!(event_name, "ChangePassword" | "PasswordUpdated") {
        return if actor_is_root { "root" } else { actor }.to_owned();
    }
    match param_user.filter(|u| !u.is_empty()) {
        Some(ROOT_PARAMETER) => return "root".to_owned(),
        Some(u) => return u.to_owned(),
        None => {}
    }
    if failed_without_parameters && let Some(u) = user_in_error(error_message) {
        return u;
    }
    match target_default(event_name) {
        TargetDefault::Caller if actor_is_root => "root".to_owned(),
        TargetDefault::Caller => actor.to_owned(),
        TargetDefault::None => String::new(),
    }
}

/// The user an IAM error message names, if any:
/// `... on resource: user bob ...`, `... on resource: arn:aws:iam::123:user/path/bob ...`,
/// `The user with name bob cannot be found.`
pub fn user_in_error(message: &str) -> Option<String> {
    let token = |s: &str| -> Option<String> {
        let t: &str = s
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .next()?;
        let t = t.trim_end_matches(['.', ')', '"', '\'']);
        (!t.is_empty()).then(|| t.to_owned())
    };
    if let Some(rest) = tail_after(message, "on resource: user ") {
        return token(rest);
    }
    if let Some(rest) = tail_after(message, "on resource: arn:") {
        let arn = token(rest)?;
        return tail_after(&arn, ":user/")
            .map(last_segment)
            .map(str::to_owned);
    }
    if let Some(rest) = tail_after(message, "user with name ") {
        return token(rest);
    }
    None
}

/// The part of `s` after the first `marker`.
fn tail_after<'s>(s: &'s str, marker: &str) -> Option<&'s str> {
    s.find(marker).map(|i| &s[i + marker.len()..])
}

/// The part after the last `/` (or `:` when there is no `/`).
fn last_segment(s: &str) -> &str {
    s.rsplit_once('/')
        .or_else(|| s.rsplit_once(':'))
        .map_or(s, |(_, tail)| tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::raw::RawItem;

    fn identity(json: &str) -> RawIdentity<'_> {
        let item: RawItem = serde_json::from_str(json).unwrap();
        item.user_identity.into_inner().unwrap()
    }

    #[test]
    fn actor_names_by_identity_type() {
        let cases = [
            (
                r#"{"userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::1:user/x"}}"#,
                "alice",
            ),
            (
                r#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/dev/bob"}}"#,
                "bob",
            ),
            (
                r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_ab12/carol@example.com"}}"#,
                "AWSReservedSSO_Admin_ab12/carol@example.com",
            ),
            (
                r#"{"userIdentity":{"type":"Root","userName":"my-alias","arn":"arn:aws:iam::1:root"}}"#,
                "root",
            ),
            (
                r#"{"userIdentity":{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/dave"}}"#,
                "dave",
            ),
            (
                r#"{"userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"94482488-3041-7026-18f3"}}}"#,
                "94482488-3041-7026-18f3",
            ),
            (
                r#"{"userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}"#,
                "ec2.amazonaws.com",
            ),
            (
                r#"{"userIdentity":{"type":"SAMLUser","userName":"erin"}}"#,
                "erin",
            ),
            (
                r#"{"userIdentity":{"type":"WebIdentityUser","arn":"arn:aws:sts::1:x/y/frank"}}"#,
                "frank",
            ),
            (
                r#"{"userIdentity":{"type":"AWSAccount","principalId":"AIDAEXAMPLE","accountId":"2"}}"#,
                "AIDAEXAMPLE",
            ),
            (r#"{"userIdentity":{}}"#, ""),
        ];
        for (json, expected) in cases {
            assert_eq!(actor_name(&identity(json)), expected, "{json}");
        }
    }

    #[test]
    fn targets() {
        assert_eq!(
            target_user("EnableMFADevice", "alice", false, Some("bob"), false, ""),
            "bob"
        );
        assert_eq!(
            target_user("UpdateAccessKey", "alice", false, None, false, ""),
            "alice"
        );
        assert_eq!(
            target_user("ChangePassword", "alice", false, Some("bob"), false, ""),
            "alice"
        );
        assert_eq!(
            target_user(
                "EnableMFADevice",
                "root",
                true,
                Some("AWS ROOT USER"),
                false,
                ""
            ),
            "root"
        );
        assert_eq!(
            target_user("UpdateAccessKey", "root", true, None, false, ""),
            "root"
        );
        assert_eq!(
            target_user("EnableMFADevice", "root", true, Some("bob"), false, ""),
            "bob"
        );
        // The root password change, logged by the sign-in service.
        assert_eq!(
            target_user("PasswordUpdated", "root", true, None, false, ""),
            "root"
        );
        assert_eq!(
            target_user("CreateVirtualMFADevice", "alice", false, None, false, ""),
            ""
        );
        let denied = "User: arn:aws:iam::1:user/mallory is not authorized to perform: iam:UpdateAccessKey on resource: user henry because no identity-based policy allows the iam:UpdateAccessKey action";
        assert_eq!(
            target_user("UpdateAccessKey", "mallory", false, None, true, denied),
            "henry"
        );
        assert_eq!(
            target_user("UpdateAccessKey", "mallory", false, None, false, denied),
            "mallory"
        );
    }

    #[test]
    fn users_in_error_messages() {
        assert_eq!(
            user_in_error("x on resource: arn:aws:iam::123:user/ops/grace because").as_deref(),
            Some("grace")
        );
        assert_eq!(
            user_in_error("The user with name ivan cannot be found.").as_deref(),
            Some("ivan")
        );
        assert_eq!(user_in_error("An unknown error occurred"), None);
        assert_eq!(user_in_error("on resource: arn:aws:iam::1:role/x"), None);
    }
}
