//! The detection rules on the sample's stories: every rule fires where it should and only there.

use std::collections::BTreeSet;

use std::process::Command;

use crate::harness::{Run, scan};

/// (rule, user, actor, event name, event time) of every finding.
fn findings(run: &Run) -> BTreeSet<(String, String, String, String, String)> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.rows("findings.csv")
        .into_iter()
        .map(|r| {
            (
                r["rule"].clone(),
                r["user"].clone(),
                r["actor"].clone(),
                r["event_name"].clone(),
                r["event_time"].clone(),
            )
        })
        .collect()
}

fn of_rule(all: &BTreeSet<(String, String, String, String, String)>, rule: &str) -> Vec<String> {
    all.iter()
        .filter(|f| f.0 == rule)
        .map(|f| format!("{} {} {} {}", f.1, f.2, f.3, f.4))
        .collect()
}

#[test]
fn every_rule_fires_on_its_story_and_nowhere_else() {
    let all = findings(&scan(&["sample-logs"]));
    assert_eq!(
        of_rule(&all, "takeover-chain"),
        [
            "erin erin ChangePassword 2026-03-04T03:00:18Z",
            "erin erin CreateVirtualMFADevice 2026-03-04T03:04:55Z",
            "erin erin EnableMFADevice 2026-03-04T03:05:31Z",
        ],
        "erin's first password change (2026-03-02) is not followed by an MFA change"
    );
    assert_eq!(
        of_rule(&all, "access-key-reactivated"),
        [
            "dave bob UpdateAccessKey 2026-03-03T14:00:09Z",
            "dave mallory UpdateAccessKey 2026-03-04T02:13:37Z"
        ],
        "alice's own deactivated key stays off; svc-backup's key was never seen off"
    );
    assert_eq!(
        of_rule(&all, "root-credential-change"),
        [
            "root root EnableMFADevice 2026-03-02T16:02:10Z",
            "root root UpdateAccessKey 2026-03-05T07:45:00Z"
        ]
    );
    assert_eq!(
        of_rule(&all, "credential-change-for-other-user"),
        [
            "carol bob EnableMFADevice 2026-03-02T10:16:02Z",
            "carol bob ResyncMFADevice 2026-03-05T11:02:44Z",
            "ci-deployer AWSReservedSSO_AdministratorAccess_7c5d1e2f3a4b5c6d/frank@example.com UpdateAccessKey 2026-03-03T11:00:27Z",
            "dave bob UpdateAccessKey 2026-03-03T14:00:09Z",
            "dave mallory UpdateAccessKey 2026-03-04T02:13:37Z",
            "henry mallory UpdateAccessKey 2026-03-04T02:10:51Z",
            "svc-backup terraform-ci/gh-actions-1234 UpdateAccessKey 2026-03-05T09:10:00Z",
        ]
    );
    assert_eq!(
        of_rule(&all, "mfa-enrolled-without-mfa"),
        [
            "erin erin CreateVirtualMFADevice 2026-03-04T03:04:55Z",
            "erin erin EnableMFADevice 2026-03-04T03:05:31Z",
            "grace grace EnableMFADevice 2026-03-05T01:08:20Z",
            "root root EnableMFADevice 2026-03-02T16:02:10Z",
            "svc-backup svc-backup CreateVirtualMFADevice 2026-03-05T09:12:00Z",
        ],
        "bob enrolled carol's device from an MFA session; grace's failed attempts enrolled nothing"
    );
    let burst = of_rule(&all, "failure-burst");
    assert_eq!(burst.len(), 6, "{burst:?}");
    assert!(
        burst
            .iter()
            .all(|f| f.starts_with("grace grace EnableMFADevice 2026-03-05T01:0")),
        "{burst:?}"
    );
    assert_eq!(
        of_rule(&all, "new-source-ip"),
        [
            "alice alice ChangePassword 2026-03-03T15:20:00Z",
            "erin erin ChangePassword 2026-03-04T03:00:18Z"
        ],
        "erin's next calls from the same new address, and every actor's first call, are not flagged"
    );
    assert_eq!(
        of_rule(&all, "mfa-resync"),
        [
            "alice alice ResyncMFADevice 2026-03-04T09:30:05Z",
            "carol bob ResyncMFADevice 2026-03-05T11:02:44Z"
        ],
        "every resynchronisation is flagged, alice's own from the office with MFA included"
    );
    assert!(
        !all.iter()
            .any(|f| f.1 == "alice" && f.4.as_str() < "2026-03-03T15"),
        "prod's alice only manages her own credentials, with MFA"
    );
    assert!(
        !all.iter().any(|f| f.1 == "ivan"),
        "one refused password is not a burst"
    );
}

#[test]
fn the_tampered_copy_shows_as_a_new_address() {
    let run = scan(&[
        "sample-logs",
        "--account",
        "444455556666",
        "--user",
        "alice",
    ]);
    let rows = run.rows("findings.csv");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["source_ip"], "10.0.0.1");
    assert_eq!(
        rows[0]["explanation"],
        "first call by alice from 10.0.0.1 (before only from 192.0.2.44): ChangePassword"
    );
}

#[test]
fn thresholds_are_options() {
    let count = |args: &[&str], rule: &str| {
        of_rule(
            &findings(&scan(&[&["sample-logs"][..], args].concat())),
            rule,
        )
        .len()
    };
    assert_eq!(count(&["--burst-failures", "7"], "failure-burst"), 0);
    assert_eq!(
        count(&["--burst-minutes", "5"], "failure-burst"),
        0,
        "grace's six failures never fit five minutes"
    );
    assert_eq!(
        count(
            &["--burst-failures", "2", "--burst-minutes", "2"],
            "failure-burst"
        ),
        6
    );
    assert_eq!(count(&["--chain-minutes", "4"], "takeover-chain"), 0);
    assert_eq!(
        count(&["--chain-minutes", "5"], "takeover-chain"),
        2,
        "the device is created within five minutes, enabled after"
    );
}

#[test]
fn the_summary_counts_findings_per_rule_and_names_the_users() {
    let run = scan(&["sample-logs"]);
    for line in [
        "findings: 29",
        "  takeover-chain                    high    3",
        "  failure-burst                     medium  6",
        "  most flagged: grace (444455556666): 7, medium; erin (111122223333): 6, high;",
    ] {
        assert!(run.stdout.contains(line), "{line:?} not in\n{}", run.stdout);
    }
}

/// A record of `name` by IAM user `actor` (MFA session, from `ip`), as JSON.
fn call(
    id: &str,
    time: &str,
    actor: &str,
    name: &str,
    ip: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": actor, "accountId": "111122223333",
            "arn": format!("arn:aws:iam::111122223333:user/{actor}"), "accessKeyId": "ASIAEXAMPLEKEY000001",
            "sessionContext": {"attributes": {"mfaAuthenticated": "true", "creationDate": "2026-03-01T00:00:00Z"}}},
        "eventTime": time,
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "console.amazonaws.com",
        "requestParameters": params,
        "eventID": id,
        "recipientAccountId": "111122223333"
    })
}

/// Scans `records` written as one CloudTrail file.
fn scan_records(records: &[serde_json::Value], extra: &[&str]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp
        .path()
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("111122223333_CloudTrail_us-east-1_20260302T1000Z_rules.json"),
        serde_json::json!({ "Records": records }).to_string(),
    )
    .unwrap();
    let run = scan(&[&[tmp.path().to_str().unwrap()][..], extra].concat());
    // The dump goes with the temporary directory; the run keeps its own.
    drop(tmp);
    run
}

#[test]
fn a_self_service_reactivation_is_flagged_and_says_so() {
    let key = |id: &str, t: &str, status: &str| {
        call(
            id,
            t,
            "alice",
            "UpdateAccessKey",
            "192.0.2.44",
            serde_json::json!({"accessKeyId": "AKIAALICEKEY00000001", "status": status}),
        )
    };
    let run = scan_records(
        &[
            call(
                "warm-up",
                "2026-03-02T09:00:00Z",
                "alice",
                "ChangePassword",
                "192.0.2.44",
                serde_json::Value::Null,
            ),
            key("off", "2026-03-02T10:00:00Z", "Inactive"),
            key("on", "2026-03-02T11:00:00Z", "Active"),
        ],
        &[],
    );
    let rows: Vec<_> = run
        .rows("findings.csv")
        .into_iter()
        .filter(|r| r["rule"] == "access-key-reactivated")
        .collect();
    assert_eq!(rows.len(), 2, "{}", run.report("findings.csv"));
    assert_eq!(rows[1]["event_id"], "on");
    assert_eq!(rows[1]["severity"], "high");
    assert_eq!(
        rows[1]["explanation"],
        "alice's access key AKIA…0001 set Active again by alice (self-service, the key owner's own call, from an MFA session); it had been set Inactive by alice at 2026-03-02T10:00:00Z"
    );
    assert_eq!(
        rows[1]["response"],
        "test \"$(aws sts get-caller-identity --query Account --output text)\" = 111122223333 && aws iam update-access-key --user-name alice --access-key-id AKIAALICEKEY00000001 --status Inactive && aws iam list-access-keys --user-name alice"
    );
    assert_eq!(rows[1]["mitre"], "T1098.001 Additional Cloud Credentials");
}

#[test]
fn every_resynchronisation_is_flagged() {
    let records: Vec<_> = (0..6)
        .map(|i| {
            call(
                &format!("resync-{i}"),
                &format!("2026-03-02T10:0{i}:00Z"),
                "alice",
                "ResyncMFADevice",
                "192.0.2.44",
                serde_json::json!({"userName": "alice", "serialNumber": "arn:aws:iam::111122223333:mfa/alice"}),
            )
        })
        .collect();
    let run = scan_records(&records, &[]);
    let resyncs: Vec<String> = run
        .rows("findings.csv")
        .into_iter()
        .filter(|r| r["rule"] == "mfa-resync")
        .map(|r| r["event_id"].clone())
        .collect();
    assert_eq!(
        resyncs,
        (0..6).map(|i| format!("resync-{i}")).collect::<Vec<_>>()
    );
}

#[test]
fn the_root_password_change_is_roots_own() {
    let mut r = call(
        "root-pw",
        "2026-03-02T10:00:00Z",
        "x",
        "PasswordUpdated",
        "192.0.2.9",
        serde_json::Value::Null,
    );
    r["eventSource"] = "signin.amazonaws.com".into();
    r["userIdentity"] = serde_json::json!({"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"});
    let run = scan_records(&[r], &["--events", "signin.amazonaws.com:PasswordUpdated"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let events = run.rows("events.csv");
    assert_eq!(
        (
            events[0]["actor"].as_str(),
            events[0]["target_user"].as_str()
        ),
        ("root", "root")
    );
    let timeline = run.rows("timeline.csv");
    assert_eq!(timeline.len(), 1);
    assert_eq!(
        (
            timeline[0]["user"].as_str(),
            timeline[0]["role"].as_str(),
            timeline[0]["counterpart"].as_str()
        ),
        ("root", "self", "")
    );
    let findings = run.rows("findings.csv");
    assert_eq!(findings[0]["rule"], "root-credential-change");
}

#[test]
fn every_finding_of_the_sample_has_its_techniques_and_commands() {
    let run = scan(&["sample-logs"]);
    for f in run.rows("findings.csv") {
        assert!(f["mitre"].starts_with('T'), "{f:?}");
        assert!(
            f["response"].starts_with(
                "test \"$(aws sts get-caller-identity --query Account --output text)\" = "
            ) && f["response"].contains(" && aws "),
            "{f:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn hostile_names_in_the_commands_stay_one_argument() {
    let names = [
        "x'; rm -rf ~; '",
        "$(id)",
        "`id`",
        "a\nb; touch PWNED-newline",
        "x'; touch PWNED-quote; '",
        "$(touch PWNED-subst)",
    ];
    let records: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            call(
                &format!("hostile-{i}"),
                &format!("2026-03-02T10:0{i}:00Z"),
                "admin",
                "UpdateAccessKey",
                "192.0.2.44",
                serde_json::json!({"userName": n, "accessKeyId": format!("AKIAHOSTILE000000{i:03}"), "status": "Inactive"}),
            )
        })
        .collect();
    let run = scan_records(&records, &[]);
    let findings = run.rows("findings.csv");
    let work = tempfile::tempdir().unwrap();
    for (i, name) in names.iter().enumerate() {
        let f = findings
            .iter()
            .find(|f| {
                f["event_id"] == format!("hostile-{i}")
                    && f["rule"] == "credential-change-for-other-user"
            })
            .unwrap_or_else(|| panic!("{name:?}"));
        // Run the response in a real POSIX shell, with `aws` and `test` as functions that
        // only print their arguments: the name must come back as one whole argument, and
        // nothing else may run.
        let script = format!(
            "aws() {{ for a in \"$@\"; do printf '<%s>\\n' \"$a\"; done; }}\ntest() {{ return 0; }}\n{}\n",
            f["response"]
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(work.path())
            .env("HOME", work.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            printed.contains(&format!("<--user-name>\n<{name}>\n")),
            "{name:?}: {printed}"
        );
        assert_eq!(
            std::fs::read_dir(work.path()).unwrap().count(),
            0,
            "{name:?} ran something"
        );
    }
}

#[test]
fn a_chain_takes_the_password_changes_within_the_window_of_its_first_device() {
    let cp = |id: &str, t: &str| {
        call(
            id,
            t,
            "carol",
            "ChangePassword",
            "203.0.113.9",
            serde_json::Value::Null,
        )
    };
    let mut enable = call(
        "enable",
        "2026-03-02T10:45:00Z",
        "carol",
        "EnableMFADevice",
        "203.0.113.9",
        serde_json::json!({"userName": "carol", "serialNumber": "arn:aws:iam::111122223333:mfa/carol-x"}),
    );
    enable["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] = "false".into();
    let run = scan_records(
        &[
            cp("early", "2026-03-02T09:00:00Z"),
            cp("late", "2026-03-02T10:30:00Z"),
            enable,
        ],
        &[],
    );
    let chain: Vec<_> = run
        .rows("findings.csv")
        .into_iter()
        .filter(|r| r["rule"] == "takeover-chain")
        .collect();
    let ids: Vec<&str> = chain.iter().map(|r| r["event_id"].as_str()).collect();
    assert_eq!(
        ids,
        ["late", "enable"],
        "the 09:00 change is more than 60 minutes before the device"
    );
    assert_eq!(
        chain[0]["explanation"],
        "carol's password changed, then an MFA device set up within 60 minutes: ChangePassword 10:30:00Z -> EnableMFADevice 10:45:00Z"
    );
    assert_eq!(
        chain[0]["response"],
        "test \"$(aws sts get-caller-identity --query Account --output text)\" = 111122223333 && aws iam list-mfa-devices --user-name carol && aws iam deactivate-mfa-device --user-name carol --serial-number arn:aws:iam::111122223333:mfa/carol-x && aws iam delete-virtual-mfa-device --serial-number arn:aws:iam::111122223333:mfa/carol-x && aws iam update-login-profile --user-name carol --password-reset-required"
    );
    assert_eq!(
        chain[0]["mitre"],
        "T1098.005 Device Registration; T1556.006 Multi-Factor Authentication"
    );
}

#[test]
fn bursts_apart_are_two_bursts() {
    let fail = |i: usize, minute: usize| {
        let mut r = call(
            &format!("fail-{i}"),
            &format!("2026-03-02T1{}:{:02}:00Z", minute / 60, minute % 60),
            "mallory",
            "ChangePassword",
            "203.0.113.66",
            serde_json::Value::Null,
        );
        r["errorCode"] = "PasswordPolicyViolation".into();
        r
    };
    // Five failures a minute apart, an hour's pause, six more.
    let records: Vec<_> = (0..5)
        .map(|i| fail(i, i))
        .chain((5..11).map(|i| fail(i, 60 + i)))
        .collect();
    let run = scan_records(&records, &[]);
    let bursts: Vec<String> = run
        .rows("findings.csv")
        .into_iter()
        .filter(|r| r["rule"] == "failure-burst")
        .map(|r| r["explanation"].clone())
        .collect();
    assert_eq!(bursts.len(), 11);
    assert_eq!(
        bursts[0],
        "failed call 1 of 5 by mallory within 4 minutes (ChangePassword PasswordPolicyViolation)"
    );
    assert_eq!(
        bursts[5],
        "failed call 1 of 6 by mallory within 5 minutes (ChangePassword PasswordPolicyViolation)"
    );
}
