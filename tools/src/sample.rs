//! The bundled `sample-logs/` dump: three accounts over four days, everyday noise, and the
//! stories an investigator should find in it (see `sample-logs/STORIES.md`, written alongside).
//!
//! Every story event goes into a delivered log file of its own 5-minute window, with noise
//! around it, exactly as CloudTrail delivers; background files fill the rest of the days.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};

use crate::dump::{gzip, log_path, records_body, write_file};
use crate::synth::{Noise, Record, assumed_role, iam_user, principal_id, root, uuid};

pub const PROD: &str = "111122223333";
pub const DEV: &str = "444455556666";
pub const SANDBOX: &str = "777788889999";
/// The organization trail's id (prod is logged by it and by its own account trail).
pub const ORG: &str = "o-a1b2c3d4e5";

const OFFICE: &str = "198.51.100.10";
const CONSOLE: &str = "console.amazonaws.com";
const CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/iam.update-access-key";

/// An IAM user in a console session (temporary `ASIA` keys) with or without MFA.
fn user(account: &str, name: &str, mfa: bool, time: &str) -> Value {
    let key = format!("ASIA{}", &principal_id(&format!("{account}{name}"))[4..20]);
    iam_user(account, name, &key, Some(mfa), &session_start(time))
}

/// An IAM user calling with a long-term `AKIA` key (no session context).
fn user_with_long_term_key(account: &str, name: &str) -> Value {
    let key = format!(
        "AKIA{}",
        &principal_id(&format!("key{account}{name}"))[4..20]
    );
    iam_user(account, name, &key, None, "")
}

/// Half an hour before `time`: when the console session began.
fn session_start(time: &str) -> String {
    let hour: u32 = time[11..13].parse().unwrap_or(1);
    format!(
        "{}{:02}{}",
        &time[..11],
        hour.saturating_sub(1),
        &time[13..]
    )
}

/// One of the stories' credential calls.
#[allow(clippy::too_many_arguments)]
fn call(
    rng: &mut fastrand::Rng,
    time: &str,
    account: &str,
    name: &str,
    identity: Value,
    params: Value,
    ip: &str,
    agent: &str,
) -> Record {
    let mut r = Record::call(rng, time, "iam.amazonaws.com", name, "us-east-1", identity);
    r.request_parameters = params;
    r.source_ip_address = ip.into();
    r.user_agent = agent.into();
    r.recipient_account_id = account.into();
    if agent == CONSOLE {
        r.session_credential_from_console = Some("true".into());
    }
    r
}

/// The story events, built in order (the seeded generator makes the same ids every time).
struct Stories<'r> {
    rng: &'r mut fastrand::Rng,
    out: Vec<(String, Record)>,
}

impl Stories<'_> {
    /// A credential call in `account`; returned for adjustments.
    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        account: &str,
        time: &str,
        name: &str,
        identity: Value,
        params: Value,
        ip: &str,
        agent: &str,
    ) -> &mut Record {
        let r = call(self.rng, time, account, name, identity, params, ip, agent);
        self.out.push((account.to_owned(), r));
        &mut self.out.last_mut().expect("just pushed").1
    }
}

/// Marks a call as failed.
fn fail(r: &mut Record, code: &str, message: &str) {
    r.error_code = Some(code.into());
    r.error_message = Some(message.into());
    r.response_elements = Value::Null;
}

/// The response of a `CreateVirtualMFADevice`: the new device's serial number.
fn new_device(r: &mut Record, serial: String) {
    r.response_elements = json!({"virtualMFADevice": {"serialNumber": serial}});
}

fn serial(account: &str, user: &str) -> String {
    format!("arn:aws:iam::{account}:mfa/{user}")
}

/// Every story event, by account.
fn stories(rng: &mut fastrand::Rng) -> Vec<(String, Record)> {
    let mut s = Stories {
        rng,
        out: Vec::new(),
    };
    let none = Value::Null;
    let device = |user: &str, account: &str| json!({"userName": user, "serialNumber": serial(account, user)});

    // alice (prod): benign self-service from the office, with an MFA session.
    let t = "2026-03-02T08:55:12Z";
    s.call(
        PROD,
        t,
        "ChangePassword",
        user(PROD, "alice", true, t),
        none.clone(),
        OFFICE,
        CONSOLE,
    );
    let t = "2026-03-03T09:12:40Z";
    let key = json!({"accessKeyId": "AKIAPRODALICE0000001", "status": "Inactive"});
    s.call(
        PROD,
        t,
        "UpdateAccessKey",
        user(PROD, "alice", true, t),
        key,
        OFFICE,
        CONSOLE,
    );
    let t = "2026-03-04T09:30:05Z";
    s.call(
        PROD,
        t,
        "ResyncMFADevice",
        user(PROD, "alice", true, t),
        device("alice", PROD),
        OFFICE,
        CONSOLE,
    );

    // alice (dev) is another person with the same name.
    let t = "2026-03-03T15:20:00Z";
    s.call(
        DEV,
        t,
        "ChangePassword",
        user(DEV, "alice", true, t),
        none.clone(),
        "192.0.2.44",
        CONSOLE,
    );

    // bob (prod admin) enrols an MFA device for carol, later resynchronises it.
    let t = "2026-03-02T10:15:30Z";
    let params = json!({"virtualMFADeviceName": "carol", "path": "/"});
    let r = s.call(
        PROD,
        t,
        "CreateVirtualMFADevice",
        user(PROD, "bob", true, t),
        params,
        OFFICE,
        CONSOLE,
    );
    new_device(r, serial(PROD, "carol"));
    let t = "2026-03-02T10:16:02Z";
    s.call(
        PROD,
        t,
        "EnableMFADevice",
        user(PROD, "bob", true, t),
        device("carol", PROD),
        OFFICE,
        CONSOLE,
    );
    let t = "2026-03-05T11:02:44Z";
    s.call(
        PROD,
        t,
        "ResyncMFADevice",
        user(PROD, "bob", true, t),
        device("carol", PROD),
        OFFICE,
        CONSOLE,
    );

    // bob disables dave's key; mallory, without MFA, first fails on henry's key, then turns
    // dave's key back on from an address never seen before.
    let t = "2026-03-03T14:00:09Z";
    let key = |status: &str| json!({"userName": "dave", "accessKeyId": "AKIAPRODDAVE00000042", "status": status});
    s.call(
        PROD,
        t,
        "UpdateAccessKey",
        user(PROD, "bob", true, t),
        key("Inactive"),
        OFFICE,
        CONSOLE,
    );
    let t = "2026-03-04T02:10:51Z";
    let mallory = user_with_long_term_key(PROD, "mallory");
    let denied = "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:UpdateAccessKey on resource: user henry because no identity-based policy allows the iam:UpdateAccessKey action";
    let r = s.call(
        PROD,
        t,
        "UpdateAccessKey",
        mallory.clone(),
        none.clone(),
        "203.0.113.66",
        CLI,
    );
    fail(r, "AccessDenied", denied);
    let t = "2026-03-04T02:13:37Z";
    s.call(
        PROD,
        t,
        "UpdateAccessKey",
        mallory,
        key("Active"),
        "203.0.113.66",
        CLI,
    );

    // erin: a password-only takeover. A normal password change on day one, then from a new
    // address without MFA: password, new virtual device, device enabled, within minutes.
    let t = "2026-03-02T13:40:00Z";
    s.call(
        PROD,
        t,
        "ChangePassword",
        user(PROD, "erin", false, t),
        none.clone(),
        "198.51.100.20",
        CONSOLE,
    );
    let t = "2026-03-04T03:00:18Z";
    s.call(
        PROD,
        t,
        "ChangePassword",
        user(PROD, "erin", false, t),
        none.clone(),
        "185.220.101.7",
        CONSOLE,
    );
    let t = "2026-03-04T03:04:55Z";
    let params = json!({"virtualMFADeviceName": "erin-phone", "path": "/"});
    let r = s.call(
        PROD,
        t,
        "CreateVirtualMFADevice",
        user(PROD, "erin", false, t),
        params,
        "185.220.101.7",
        CONSOLE,
    );
    new_device(r, serial(PROD, "erin-phone"));
    let t = "2026-03-04T03:05:31Z";
    let params = json!({"userName": "erin", "serialNumber": serial(PROD, "erin-phone")});
    s.call(
        PROD,
        t,
        "EnableMFADevice",
        user(PROD, "erin", false, t),
        params,
        "185.220.101.7",
        CONSOLE,
    );

    // frank, an IAM Identity Center (SSO) administrator, rotates the CI user's key.
    let t = "2026-03-03T11:00:27Z";
    let sso = assumed_role(
        PROD,
        "AWSReservedSSO_AdministratorAccess_7c5d1e2f3a4b5c6d",
        "frank@example.com",
        "ASIAPRODFRANKSSO0001",
        true,
        &session_start(t),
    );
    let key = json!({"userName": "ci-deployer", "accessKeyId": "AKIAPRODCIDEPLOY0007", "status": "Inactive"});
    s.call(
        PROD,
        t,
        "UpdateAccessKey",
        sso,
        key,
        "198.51.100.31",
        CONSOLE,
    );

    // The root user enrols an MFA device without MFA, and later flips its own access key.
    let t = "2026-03-02T16:02:10Z";
    let params = json!({"userName": "AWS ROOT USER", "serialNumber": format!("arn:aws:iam::{PROD}:mfa/root-account-mfa-device")});
    let r = s.call(
        PROD,
        t,
        "EnableMFADevice",
        root(PROD, "ASIAPRODROOT00000001", false, &session_start(t)),
        params,
        "192.0.2.200",
        CONSOLE,
    );
    r.user_agent = "Coral/Netty4".into();
    let t = "2026-03-05T07:45:00Z";
    let key = json!({"accessKeyId": "AKIAPRODROOTKEY00001", "status": "Inactive"});
    s.call(
        PROD,
        t,
        "UpdateAccessKey",
        root(PROD, "ASIAPRODROOT00000002", true, &session_start(t)),
        key,
        "192.0.2.200",
        CONSOLE,
    );

    // grace (dev) mistypes MFA codes: six failures in seven minutes, then success.
    for t in [
        "2026-03-05T01:00:03Z",
        "2026-03-05T01:01:15Z",
        "2026-03-05T01:02:40Z",
        "2026-03-05T01:04:02Z",
        "2026-03-05T01:05:30Z",
        "2026-03-05T01:07:01Z",
    ] {
        let r = s.call(
            DEV,
            t,
            "EnableMFADevice",
            user(DEV, "grace", false, t),
            device("grace", DEV),
            "192.0.2.77",
            CONSOLE,
        );
        fail(
            r,
            "InvalidAuthenticationCode",
            "Authentication code for device is not valid.",
        );
    }
    let t = "2026-03-05T01:08:20Z";
    s.call(
        DEV,
        t,
        "EnableMFADevice",
        user(DEV, "grace", false, t),
        device("grace", DEV),
        "192.0.2.77",
        CONSOLE,
    );

    // ivan (dev) picks a password the policy refuses, then one it accepts.
    let t = "2026-03-04T16:30:00Z";
    let r = s.call(
        DEV,
        t,
        "ChangePassword",
        user(DEV, "ivan", true, t),
        none.clone(),
        "192.0.2.45",
        CONSOLE,
    );
    fail(
        r,
        "PasswordPolicyViolation",
        "Password does not conform to the account password policy.",
    );
    let t = "2026-03-04T16:31:10Z";
    s.call(
        DEV,
        t,
        "ChangePassword",
        user(DEV, "ivan", true, t),
        none.clone(),
        "192.0.2.45",
        CONSOLE,
    );

    // A Cognito user pool password change: same name, not an IAM event.
    let t = "2026-03-03T18:00:00Z";
    let mut cognito = Record::call(
        s.rng,
        t,
        "cognito-idp.amazonaws.com",
        "ChangePassword",
        "us-east-1",
        json!({"type": "Unknown", "principalId": "Anonymous"}),
    );
    cognito.recipient_account_id = DEV.into();
    cognito.request_parameters = json!({"accessToken": "HIDDEN_DUE_TO_SECURITY_REASONS"});
    s.out.push((DEV.to_owned(), cognito));

    // Terraform in the sandbox re-activates a service user's key (and the same user creates
    // its own virtual device, never enabled).
    let t = "2026-03-05T09:10:00Z";
    let tf = assumed_role(
        SANDBOX,
        "terraform-ci",
        "gh-actions-1234",
        "ASIASANDBOXTERRAFORM",
        false,
        &session_start(t),
    );
    let key = json!({"userName": "svc-backup", "accessKeyId": "AKIASANDBOXBACKUP001", "status": "Active"});
    s.call(
        SANDBOX,
        t,
        "UpdateAccessKey",
        tf,
        key,
        "52.94.133.131",
        crate::synth::SDK_AGENTS[4],
    );
    let t = "2026-03-05T09:12:00Z";
    let params = json!({"virtualMFADeviceName": "svc-backup", "path": "/"});
    let r = s.call(
        SANDBOX,
        t,
        "CreateVirtualMFADevice",
        user(SANDBOX, "svc-backup", false, t),
        params,
        "52.94.133.131",
        CLI,
    );
    new_device(r, serial(SANDBOX, "svc-backup"));
    s.out
}

/// Five-minute delivery window of a time: `YYYYMMDDTHHMM` rounded down, as a file-name time.
fn window(time: &str) -> String {
    let minute: u32 = time[14..16].parse().expect("minutes");
    format!(
        "{}{}{}T{}{:02}Z",
        &time[0..4],
        &time[5..7],
        &time[8..10],
        &time[11..13],
        minute / 5 * 5 + 5
    )
    .replace("60Z", "59Z")
}

/// Writes the sample under `root`. Returns the number of files written.
pub fn generate(root: &Path) -> Result<usize> {
    let mut rng = fastrand::Rng::with_seed(20260302);
    let noise = Noise {
        accounts: vec![PROD.into(), DEV.into(), SANDBOX.into()],
        users: [
            "alice",
            "bob",
            "carol",
            "dave",
            "erin",
            "svc-reporting",
            "build-agent",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        roles: [
            "app-worker",
            "data-pipeline",
            "lambda-exec",
            "AWSReservedSSO_ReadOnly_5d2c1f0e8a",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    };
    // (trail prefix, account, region, window) → records
    let mut files: BTreeMap<(Option<&str>, String, String, String), Vec<Record>> = BTreeMap::new();
    let trail = |account: &str| if account == PROD { Some(ORG) } else { None };
    for (account, record) in stories(&mut rng) {
        let key = (
            trail(&account),
            account.clone(),
            "us-east-1".to_owned(),
            window(&record.event_time),
        );
        files.entry(key).or_default().push(record);
    }
    // Background deliveries: every account, two regions, four days, every six hours.
    for account in [PROD, DEV, SANDBOX] {
        for region in [
            "us-east-1",
            if account == DEV {
                "us-west-2"
            } else {
                "eu-west-1"
            },
        ] {
            for day in 2..=5 {
                for hour in [1, 7, 13, 19] {
                    let t = format!("2026-03-{day:02}T{hour:02}:2{}:00Z", day % 5);
                    files
                        .entry((
                            trail(account),
                            account.to_owned(),
                            region.to_owned(),
                            window(&t),
                        ))
                        .or_default();
                }
            }
        }
    }
    let mut written = 0;
    for ((org, account, region, win), mut records) in files {
        let base = format!(
            "{}-{}-{}T{}:{}:00Z",
            &win[0..4],
            &win[4..6],
            &win[6..8],
            &win[9..11],
            &win[11..13]
        );
        let n = 18 + rng.usize(..20);
        for k in 0..n {
            let sec = (k * 290 / n) as u32;
            let minute: u32 = win[11..13].parse::<u32>().unwrap_or(5).saturating_sub(5);
            let t = format!("{}{:02}:{:02}Z", &base[..14], minute + sec / 60, sec % 60);
            records.push(noise.record(&mut rng, &t, &account, &region));
        }
        records.sort_by(|a, b| a.event_time.cmp(&b.event_time));
        let rel = log_path(org, &account, &region, &win, rng.u64(..));
        write_file(root, &rel, &gzip(records_body(&records).as_bytes()))?;
        written += 1;
        // prod's own account trail delivers its IAM (global) events a second time.
        if org.is_some() && region == "us-east-1" {
            let iam: Vec<Record> = records
                .iter()
                .filter(|r| {
                    r.event_source == "iam.amazonaws.com"
                        && r.event_time.as_str() >= "2026-03-03"
                        && r.event_time.as_str() < "2026-03-04"
                })
                .cloned()
                .collect();
            if !iam.is_empty() {
                let rel = log_path(None, &account, &region, &win, rng.u64(..));
                write_file(root, &rel, &gzip(records_body(&iam).as_bytes()))?;
                written += 1;
            }
        }
    }
    written += extras(root, &mut rng)?;
    std::fs::write(root.join("README.md"), STORIES)?;
    Ok(written + 1)
}

/// `sample-logs/README.md`: what is in the sample and what trailsift should find.
pub const STORIES: &str = include_str!("sample-stories.md");

/// The files that are not plain delivered logs: a digest, an Insights file, and an analyst's
/// lookup-events export holding a copy of one event and a tampered copy of another.
fn extras(root: &Path, rng: &mut fastrand::Rng) -> Result<usize> {
    let digest = json!({
        "awsAccountId": PROD,
        "digestStartTime": "2026-03-03T13:00:00Z",
        "digestEndTime": "2026-03-03T14:00:00Z",
        "digestS3Bucket": "org-cloudtrail-logs",
        "digestS3Object": format!("AWSLogs/{ORG}/{PROD}/CloudTrail-Digest/us-east-1/2026/03/03/{PROD}_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20260303T140000Z.json.gz"),
        "digestPublicKeyFingerprint": "0c6f2fa7b4a3e1d1c3a2b0e9f8d7c6b5",
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": "2026-03-03T13:59:58Z",
        "oldestEventTime": "2026-03-03T13:00:02Z",
        "previousDigestS3Bucket": "org-cloudtrail-logs",
        "previousDigestS3Object": null,
        "previousDigestHashValue": null,
        "previousDigestHashAlgorithm": null,
        "previousDigestSignature": null,
        "logFiles": [],
    });
    let digest_path = Path::new("AWSLogs")
        .join(ORG)
        .join(PROD)
        .join("CloudTrail-Digest/us-east-1/2026/03/03")
        .join(format!(
            "{PROD}_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20260303T140000Z.json.gz"
        ));
    write_file(root, &digest_path, &gzip(digest.to_string().as_bytes()))?;

    let insight = json!({"Records": [{
        "eventVersion": "1.08", "eventTime": "2026-03-04T02:00:00Z", "awsRegion": "us-east-1",
        "eventID": uuid(rng), "eventType": "AwsCloudTrailInsight", "recipientAccountId": PROD,
        "sharedEventID": uuid(rng), "insightDetails": {"state": "Start", "eventSource": "iam.amazonaws.com", "eventName": "UpdateAccessKey", "insightType": "ApiCallRateInsight"},
        "eventCategory": "Insight"}]});
    let insight_path = Path::new("AWSLogs")
        .join(ORG)
        .join(PROD)
        .join("CloudTrail-Insight/us-east-1/2026/03/04")
        .join(format!(
            "{PROD}_CloudTrail-Insight_us-east-1_20260304T0205Z_{}.json.gz",
            "q1W2e3R4t5Y6u7I8"
        ));
    write_file(root, &insight_path, &gzip(insight.to_string().as_bytes()))?;

    // The analyst's export of dev: ivan's successful password change as AWS logged it, and
    // alice's with its source address edited: same eventID, different content.
    let dev = stories(&mut fastrand::Rng::with_seed(20260302));
    let find = |user: &str, code_none: bool| {
        dev.iter()
            .find(|(a, r)| {
                a == DEV
                    && r.event_name == "ChangePassword"
                    && r.user_identity["userName"] == user
                    && r.error_code.is_none() == code_none
            })
            .map(|(_, r)| r.clone())
            .expect("story event")
    };
    let ivan = find("ivan", true);
    let mut alice = find("alice", true);
    alice.source_ip_address = "10.0.0.1".into();
    let events: Vec<Value> = [ivan, alice]
        .iter()
        .map(|r| {
            json!({"EventId": r.event_id, "EventName": r.event_name, "ReadOnly": "false", "EventTime": r.event_time.replace('T', " ").replace('Z', "+00:00"),
                   "EventSource": r.event_source, "Username": r.user_identity["userName"], "Resources": [], "CloudTrailEvent": r.to_json()})
        })
        .collect();
    let export = serde_json::to_string_pretty(&json!({"Events": events}))?;
    write_file(
        root,
        Path::new("exports/dev-lookup-events-2026-03-05.json"),
        export.as_bytes(),
    )?;
    Ok(3)
}
