//! The detection rules on the sample's stories: every rule fires where it should and only there.

use std::collections::BTreeSet;

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
