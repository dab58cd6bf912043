//! The five credential events explained for the page: what each is, why an investigator
//! cares, how to remediate, and which of the hardening checks the archive answers for it.

use super::gather::CheckKind;

/// One event's explanation.
pub struct Explained {
    pub name: &'static str,
    pub what: &'static str,
    pub why: &'static str,
    /// Steps: advice, and the commands that carry it out (U, K, S: user, key, serial).
    pub remediate: &'static [(&'static str, &'static [&'static str])],
    pub checks: &'static [CheckKind],
}

pub const EVENTS: [Explained; 5] = [
    Explained {
        name: "ChangePassword",
        what: "A user set a new console password for themselves. The password never appears in the log.",
        why: "Whoever knows a password can change it, and lock the owner out: it is the first step of the password-only takeover. A change from a session without MFA deserves a look.",
        remediate: &[
            (
                "Ask the user whether they made the change; if not, set a new password that must be changed at the next sign-in",
                &[
                    "aws iam update-login-profile --user-name U --password NEW --password-reset-required",
                ],
            ),
            (
                "Enforce a strong password policy",
                &[
                    "aws iam update-account-password-policy --minimum-password-length 14 --require-symbols --require-numbers",
                ],
            ),
        ],
        checks: &[CheckKind::PasswordWithoutMfa],
    },
    Explained {
        name: "CreateVirtualMFADevice",
        what: "A virtual (authenticator app) MFA device was created. It protects no one until EnableMFADevice attaches it to a user.",
        why: "An attacker holding only a password creates a device of their own before enrolling it; created with temporary keys outside the console it is a known sign of misuse.",
        remediate: &[
            (
                "List the account's virtual devices and whom they are attached to",
                &["aws iam list-virtual-mfa-devices"],
            ),
            (
                "Delete one nobody owns",
                &["aws iam delete-virtual-mfa-device --serial-number S"],
            ),
        ],
        checks: &[CheckKind::MfaWithTemporaryKeys],
    },
    Explained {
        name: "EnableMFADevice",
        what: "An MFA device was attached to a user (or to the root user).",
        why: "Whoever enrols the device holds the second factor from then on. Enrolled by someone else, from a session without MFA, or right after a password change, it may be an attacker's persistence.",
        remediate: &[
            (
                "Review the user's devices",
                &["aws iam list-mfa-devices --user-name U"],
            ),
            (
                "Remove one that is not theirs",
                &[
                    "aws iam deactivate-mfa-device --user-name U --serial-number S",
                    "aws iam delete-virtual-mfa-device --serial-number S",
                ],
            ),
            (
                "Require MFA for every IAM user, and enrol it with the user present",
                &[],
            ),
        ],
        checks: &[CheckKind::MfaEnrolledWithoutMfa],
    },
    Explained {
        name: "ResyncMFADevice",
        what: "An MFA device's clock was resynchronised with two consecutive codes.",
        why: "Rarely needed; done without the user's device in hand, it undermines the factor. Repeated resyncs deserve a call to the user.",
        remediate: &[(
            "Confirm with the user that they hold the device; if in doubt, remove it and enrol it again with them",
            &["aws iam list-mfa-devices --user-name U"],
        )],
        checks: &[CheckKind::MfaResync],
    },
    Explained {
        name: "UpdateAccessKey",
        what: "An access key was set Active or Inactive.",
        why: "A key turned back on after a responder turned it off is the persistence move responders fear; a key flipped by someone other than its owner means lost accountability.",
        remediate: &[
            (
                "List the user's keys and when they were last used",
                &[
                    "aws iam list-access-keys --user-name U",
                    "aws iam get-access-key-last-used --access-key-id K",
                ],
            ),
            (
                "Turn a key off again, then rotate it",
                &[
                    "aws iam update-access-key --user-name U --access-key-id K --status Inactive",
                    "aws iam create-access-key --user-name U",
                    "aws iam delete-access-key --user-name U --access-key-id K",
                ],
            ),
        ],
        checks: &[CheckKind::KeyActivated],
    },
];

/// What a check looks for, in words.
pub fn describe(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::PasswordWithoutMfa => {
            "passwords changed from a session that was not MFA-authenticated"
        }
        CheckKind::MfaEnrolledWithoutMfa => {
            "MFA devices created or enabled from a session that was not MFA-authenticated"
        }
        CheckKind::MfaWithTemporaryKeys => {
            "MFA devices created or enabled with temporary (ASIA…) keys outside a console session"
        }
        CheckKind::KeyActivated => "access keys set Active (check each was meant to be on)",
        CheckKind::RootCredentialChange => "credential changes by the root user",
        CheckKind::MfaResync => "MFA devices resynchronised",
    }
}

/// Every check, in the page's order.
pub const CHECKS: [CheckKind; 6] = [
    CheckKind::PasswordWithoutMfa,
    CheckKind::MfaEnrolledWithoutMfa,
    CheckKind::MfaWithTemporaryKeys,
    CheckKind::KeyActivated,
    CheckKind::MfaResync,
    CheckKind::RootCredentialChange,
];

/// Keeping CloudTrail itself trustworthy.
pub const LOGGING: &str = "Keep a multi-region trail with global service events and log file validation on (aws cloudtrail update-trail --name T --enable-log-file-validation), and check the download with trailsift verify.";
