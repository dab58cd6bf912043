//! Events in words: one readable line per event, and access keys shown without being quoted.
//!
//! Shared by the timeline, the findings and every report that describes an event.

use super::Event;

/// One readable line about an event: "set access key AKIA…0001 of bob to Active", and how a
/// failed call failed.
pub fn detail(e: &Event) -> String {
    let text = action(e);
    if e.failed() {
        format!("{text}; failed with {}", e.error_code)
    } else {
        text
    }
}

/// What the call did (or tried to do): "set access key AKIA…0001 of bob to Active".
pub fn action(e: &Event) -> String {
    let target = if e.target.is_empty() {
        "an unknown user"
    } else {
        e.target.as_str()
    };
    let serial = if e.mfa_serial.is_empty() {
        "(serial not logged)"
    } else {
        e.mfa_serial.as_str()
    };
    match e.name.as_str() {
        "EnableMFADevice" => format!("enabled MFA device {serial} for {target}"),
        "ResyncMFADevice" => format!("resynchronised MFA device {serial} of {target}"),
        "CreateVirtualMFADevice" if e.target.is_empty() => {
            format!("created virtual MFA device {serial}")
        }
        "CreateVirtualMFADevice" => {
            format!("created virtual MFA device {serial}, later enabled for {target}")
        }
        "ChangePassword" | "PasswordUpdated" => "changed own console password".to_owned(),
        "UpdateAccessKey" if e.access_key_id.is_empty() && e.key_status.is_empty() => {
            format!("updated an access key of {target} (which key, and to what, not logged)")
        }
        "UpdateAccessKey" => {
            let key = if e.access_key_id.is_empty() {
                "(key not logged)".to_owned()
            } else {
                mask_key(&e.access_key_id)
            };
            let status = if e.key_status.is_empty() {
                "(status not logged)"
            } else {
                e.key_status.as_str()
            };
            format!("set access key {key} of {target} to {status}")
        }
        name if e.target.is_empty() => format!("called {name}"),
        name => format!("called {name} on {target}"),
    }
}

/// `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`: enough to tell keys apart, not to quote one.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return key.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        crate::event::from_json(json)
    }

    #[test]
    fn details_read_as_sentences() {
        let key = event(
            r#"{"eventName":"UpdateAccessKey","userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{"userName":"bob","accessKeyId":"AKIAIOSFODNN70000001","status":"Active"}}"#,
        );
        assert_eq!(detail(&key), "set access key AKIA…0001 of bob to Active");
        let failed = event(
            r#"{"eventName":"ChangePassword","errorCode":"PasswordPolicyViolation","userIdentity":{"type":"IAMUser","userName":"a"}}"#,
        );
        assert_eq!(
            detail(&failed),
            "changed own console password; failed with PasswordPolicyViolation"
        );
        let other = event(
            r#"{"eventName":"DeleteLoginProfile","userIdentity":{"type":"IAMUser","userName":"a"},"requestParameters":{"userName":"b"}}"#,
        );
        assert_eq!(detail(&other), "called DeleteLoginProfile on b");
    }
}
