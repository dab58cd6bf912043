//! report.html, parsed: the lanes and their marks, the links between the events of a finding,
//! the findings with their commands, the caps, and hostile values kept as text.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use scraper::{Html, Selector};

use super::harness::{rows, scan};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn page(run: &super::harness::Run) -> Html {
    Html::parse_document(&run.report("report.html"))
}

fn text(e: scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

#[test]
fn the_sample_page_draws_every_user_and_every_finding() {
    let run = scan(&["sample-logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = page(&run);

    // One lane per user of users.csv (15: under the caps), flagged first.
    let users = rows(&run.report("users.csv"));
    let lanes: Vec<_> = doc.select(&sel("#timeline svg.lane")).collect();
    assert_eq!(lanes.len(), users.len());
    let flagged: Vec<bool> = lanes
        .iter()
        .map(|l| l.attr("data-flagged") == Some("1"))
        .collect();
    let first_unflagged = flagged.iter().position(|f| !f).unwrap_or(flagged.len());
    assert!(flagged[first_unflagged..].iter().all(|f| !f), "{flagged:?}");
    assert_eq!(lanes[0].attr("data-user"), Some("grace"));

    // Every timed line of timeline.csv is a mark in its user's lane, with its event name.
    let mut expected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in rows(&run.report("timeline.csv")) {
        if !r["event_time"].is_empty() {
            expected
                .entry((r["account"].clone(), r["user"].clone()))
                .or_default()
                .push(r["event_name"].clone());
        }
    }
    for lane in &lanes {
        let key = (
            lane.attr("data-account").unwrap().to_owned(),
            lane.attr("data-user").unwrap().to_owned(),
        );
        let mut names: Vec<String> = lane
            .select(&sel("g.m"))
            .map(|m| m.attr("data-n").unwrap().to_owned())
            .collect();
        let mut want = expected.remove(&key).unwrap_or_default();
        names.sort();
        want.sort();
        assert_eq!(names, want, "{key:?}");
        // Each mark has its detail as a tooltip.
        assert!(
            lane.select(&sel("g.m > title"))
                .all(|t| text(t).starts_with("2026-03-"))
        );
    }
    assert!(expected.is_empty(), "users without a lane: {expected:?}");

    // erin's takeover chain: ChangePassword -> CreateVirtualMFADevice -> EnableMFADevice,
    // joined by one line in her lane, in that order.
    let erin = lanes
        .iter()
        .find(|l| l.attr("data-user") == Some("erin"))
        .unwrap();
    let link = erin
        .select(&sel("polyline.link"))
        .next()
        .expect("a link in erin's lane");
    let times: Vec<i64> = link
        .attr("data-ts")
        .unwrap()
        .split(' ')
        .map(|t| t.parse().unwrap())
        .collect();
    let at = |name: &str| -> i64 {
        erin.select(&sel("g.m"))
            .find(|m| m.attr("data-n") == Some(name) && m.attr("data-sev") == Some("high"))
            .and_then(|m| m.attr("data-t"))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        times,
        [
            at("ChangePassword"),
            at("CreateVirtualMFADevice"),
            at("EnableMFADevice")
        ]
    );
    assert_eq!(link.attr("points").unwrap().split(' ').count(), 3);

    // Every finding of findings.csv, by severity then time, with its ATT&CK techniques and
    // the commands of the CSV, one line each.
    let csv = rows(&run.report("findings.csv"));
    let articles: Vec<_> = doc.select(&sel("#findings article.finding")).collect();
    assert_eq!(articles.len(), csv.len());
    let rank = |s: &str| {
        ["high", "medium", "low"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let severities: Vec<usize> = articles
        .iter()
        .map(|a| rank(a.attr("data-sev").unwrap()))
        .collect();
    assert!(
        severities.windows(2).all(|w| w[0] <= w[1]),
        "{severities:?}"
    );
    let mut commands: Vec<String> = articles
        .iter()
        .map(|a| text(a.select(&sel("pre")).next().expect("commands")).replace("\n  ", " "))
        .collect();
    let mut want: Vec<String> = csv.iter().map(|r| r["response"].clone()).collect();
    commands.sort();
    want.sort();
    assert_eq!(commands, want);
    for a in &articles {
        let pre = a.select(&sel("pre")).next().unwrap();
        let button = a.select(&sel("button.copy")).next().expect("a copy button");
        assert_eq!(button.attr("data-for"), pre.attr("id"));
        assert!(text(*a).contains("ATT&CK T1"), "{}", text(*a));
        assert!(
            a.select(&sel("a")).next().is_none(),
            "commands are text, never links"
        );
    }

    // The header: coverage, the time range, the five events explained.
    let header = text(doc.select(&sel("header")).next().unwrap());
    assert!(header.contains("125 files"), "{header}");
    assert!(
        header.contains("from 2026-03-02T08:55:12Z to 2026-03-05T11:02:44Z"),
        "{header}"
    );
    assert!(
        header.contains("Every input was read completely."),
        "{header}"
    );
    assert_eq!(doc.select(&sel("#events-explained article")).count(), 6);
    // Nothing is fetched: no source, no link out of the page, no style import.
    for e in doc.select(&sel("*")) {
        assert!(e.attr("src").is_none(), "{:?}", e.value());
        assert!(
            e.attr("href").is_none_or(|h| h.starts_with('#')),
            "{:?}",
            e.value()
        );
    }
    let html = run.report("report.html");
    assert!(!html.contains("url(") && !html.contains("@import"));
}

/// Writes gzipped CloudTrail files of `records` (JSON texts), `per_file` per file.
fn dump(root: &Path, records: &[String], per_file: usize) {
    let dir = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/04");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, chunk) in records.chunks(per_file).enumerate() {
        let file = std::fs::File::create(dir.join(format!(
            "111122223333_CloudTrail_us-east-1_20260304T{:04}Z_{i:016}.json.gz",
            i % 2400
        )))
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        write!(gz, r#"{{"Records":[{}]}}"#, chunk.join(",")).unwrap();
        gz.finish().unwrap();
    }
}

fn record(
    n: usize,
    name: &str,
    actor: &str,
    target: &str,
    ip: &str,
    agent: &str,
    id: &str,
) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap();
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDA{n:016}","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","accessKeyId":"ASIA{n:016}","userName":{actor},"sessionContext":{{"attributes":{{"creationDate":"2026-03-04T00:00:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2026-03-04T{h:02}:{m:02}:{s:02}Z","eventSource":"iam.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":{ip},"userAgent":{agent},"requestParameters":{{"userName":{target},"accessKeyId":"AKIA{n:016}","status":"Inactive","serialNumber":"arn:aws:iam::111122223333:mfa/x"}},"responseElements":null,"requestID":"{n:08}-1111-2222-3333-444455556666","eventID":{id},"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}}"#,
        actor = quoted(actor),
        target = quoted(target),
        ip = quoted(ip),
        agent = quoted(agent),
        id = quoted(id),
        h = (n / 3600) % 24,
        m = (n / 60) % 60,
        s = n % 60,
    )
}

#[test]
fn hostile_values_are_text_never_markup() {
    let tmp = tempfile::tempdir().unwrap();
    let actor = r#""><img src=x onerror=alert(1)>"#;
    let target = "<script>alert(1)</script>";
    let ip = "' onmouseover='alert(1)";
    let agent = "</title><svg onload=alert(1)>";
    let id = "\"></g><foreignObject><iframe src=javascript:alert(1)>";
    let records: Vec<String> = (0..3)
        .map(|n| {
            record(
                n,
                ["EnableMFADevice", "UpdateAccessKey", "ChangePassword"][n],
                actor,
                target,
                ip,
                agent,
                &format!("{id}{n}"),
            )
        })
        .collect();
    dump(&tmp.path().join("dump"), &records, 3);
    // A file whose name is hostile and whose content is cut off: it is listed in the header.
    let cut = tmp.path().join("dump/<img src=x onerror=alert(2)>.json");
    std::fs::write(&cut, &records[0][..200]).unwrap();
    let run = scan(&[tmp.path().join("dump").to_str().unwrap()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let html = run.report("report.html");
    let doc = Html::parse_document(&html);
    assert_eq!(
        doc.select(&sel("script")).count(),
        1,
        "only the page's own script"
    );
    // And only it may run: the policy names it by its hash.
    let policy = doc
        .select(&sel(r#"meta[http-equiv="Content-Security-Policy"]"#))
        .next()
        .and_then(|m| m.attr("content"))
        .expect("a content security policy");
    let script: String = doc.select(&sel("script")).next().map(text).unwrap();
    let hash = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&script))
    };
    assert!(
        policy.contains(&format!("script-src 'sha256-{hash}';")),
        "{policy}"
    );
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    for tag in [
        "img",
        "iframe",
        "foreignObject",
        "foreignobject",
        "title script",
        "svg svg:not(.lane-label)",
        "svg.lane-label svg",
    ] {
        assert_eq!(doc.select(&sel(tag)).count(), 0, "{tag}");
    }
    for e in doc.select(&sel("*")) {
        for (name, _) in e.value().attrs() {
            assert!(
                !name.starts_with("on"),
                "an event handler attribute: {name}"
            );
        }
    }
    let all = text(doc.root_element());
    for hostile in [actor, target, ip, "<img src=x onerror=alert(2)>.json"] {
        assert!(all.contains(hostile), "{hostile} is not shown as text");
    }
    // The commands quote the hostile name as one argument.
    let pre: Vec<String> = doc.select(&sel("#findings pre")).map(text).collect();
    assert!(
        pre.iter()
            .any(|p| p.contains("--user-name '<script>alert(1)</script>'")),
        "{pre:?}"
    );
    // The tooltips and data attributes hold the values, escaped.
    let lane = doc
        .select(&sel("svg.lane"))
        .find(|l| l.attr("data-user") == Some(target))
        .expect("the hostile user's lane");
    assert!(lane.select(&sel("title")).any(|t| text(t).contains(ip)));
    assert!(!html.contains("<img") && !html.contains("<iframe"));
}

#[test]
fn caps_bound_the_page_and_are_stated() {
    // 3,000 calls by 7 admins on 997 users' keys: 3,000 findings, 1,004 users.
    let tmp = tempfile::tempdir().unwrap();
    let records: Vec<String> = (0..3000)
        .map(|n| {
            record(
                n,
                "UpdateAccessKey",
                &format!("admin-{}", n % 7),
                &format!("user-{}", n % 997),
                &format!("198.51.100.{}", n % 250),
                &"A".repeat(5000),
                &format!("{n:08}-aaaa-bbbb-cccc-ddddeeeeffff"),
            )
        })
        .collect();
    dump(&tmp.path().join("dump"), &records, 100);
    let root = tmp.path().join("dump");
    let run = scan(&[root.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = run.report("report.html");
    assert!(html.len() < 10 << 20, "{} bytes", html.len());
    let doc = Html::parse_document(&html);
    assert_eq!(doc.select(&sel("#findings article.finding")).count(), 500);
    let findings = rows(&run.report("findings.csv")).len();
    let said = text(doc.select(&sel("#findings")).next().unwrap()).replace(',', "");
    assert!(said.contains(&format!("The 500 most important of {findings} findings")));
    let lanes: Vec<_> = doc.select(&sel("svg.lane")).collect();
    assert_eq!(lanes.len(), 60);
    assert_eq!(
        lanes
            .iter()
            .filter(|l| l.attr("data-flagged") == Some("1"))
            .count(),
        40
    );
    // The admins' lanes are the busiest (~430 calls each): sampled to at most 400 marks,
    // besides the events of the findings listed, which are always drawn.
    for l in &lanes {
        let sampled = l.select(&sel("g.m[data-sev='']")).count();
        assert!(sampled <= 400, "{sampled}");
    }
    let admin = lanes
        .iter()
        .find(|l| l.attr("data-user") == Some("admin-0"))
        .expect("admin-0's lane");
    // 249 of its 429 calls are events of listed findings, and the 180 others fit the cap:
    // all drawn (the sampling of a busier lane is tested in gather.rs).
    assert_eq!(admin.select(&sel("g.m")).count(), 429);
    assert!(!text(*admin).contains("drawn (an even sample)"));
    assert_eq!(doc.select(&sel("#users-table tbody tr")).count(), 1000);
    assert!(
        text(doc.select(&sel("#users")).next().unwrap()).contains("The first 1000 of 1,004 users")
    );
    assert_eq!(doc.select(&sel("#events-table tbody tr")).count(), 1000);
    // A 5,000-character user agent is cut in the page.
    assert!(!html.contains(&"A".repeat(300)));
}

#[test]
fn the_page_is_the_same_for_any_thread_count_and_only_written_when_asked() {
    let one = scan(&["sample-logs", "--threads", "1"]);
    let eight = scan(&["sample-logs", "-j", "8"]);
    assert_eq!(one.report("report.html"), eight.report("report.html"));
    let csv = scan(&["sample-logs", "--format", "csv"]);
    assert!(!csv.out.join("report.html").exists());
    let record: serde_json::Value = serde_json::from_str(&one.report("run.json")).unwrap();
    assert!(
        record["reports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "report.html"),
        "{record}"
    );
}
