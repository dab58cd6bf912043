//! The page itself: header, findings, timeline, the events explained, the tables.

use std::collections::{BTreeMap, BTreeSet};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::gather::{self, Listed, count, cut, thousands};
use super::{Page, guide, lanes};
use crate::aggregate::timeline::Role;
use crate::event::time::{self, Timestamp};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Nothing may be fetched: no network, even if something slipped through the escaping.
/// Nothing is fetched, and the only script that runs is the page's own, named by its hash:
/// were a value from the logs ever to reach the page as markup, its script would not run.
fn policy() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SCRIPT));
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
         img-src data:; base-uri 'none'; form-action 'none'"
    )
}

fn when(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "(no time)".to_owned(), |t| time::format(&t))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

/// The page's sections, in order.
const SECTIONS: [fn(&Page) -> Markup; 6] = [header, findings, timeline, explained, users, events];

/// Hands the page to `out` a piece at a time: what comes before the sections, each section,
/// what comes after. Each piece is rendered, handed on and dropped before the next, so that
/// the page (megabytes for a busy archive) is never whole in memory, and the memory of one
/// piece serves the next instead of fresh pages.
pub fn render_to<E>(page: &Page, out: &mut impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    let head = html! {
        (DOCTYPE)
        head {
            meta charset="utf-8";
            meta http-equiv="Content-Security-Policy" content=(policy());
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="generator" content={ "trailsift " (page.version) };
            title { "trailsift report" }
            style { (PreEscaped(STYLE)) }
        }
    };
    // `html lang="en" { head {..} body {..} }`, its elements opened and closed by hand around
    // the pieces.
    let (doctype, head) = head.0.split_at(DOCTYPE.0.len());
    out(doctype)?;
    out(r#"<html lang="en">"#)?;
    out(head)?;
    out("<body>")?;
    for section in SECTIONS {
        out(&section(page).0)?;
    }
    let tail = html! {
        footer.note {
            p {
                "Written by trailsift " (page.version) " (" (page.commit) "). The page holds nothing that depends on the run rather than on its inputs: the start and end of the run are in run.json, beside it, with the hash of every report."
            }
        }
        script { (PreEscaped(SCRIPT)) }
    };
    out(&tail.0)?;
    out("</body></html>")
}

fn header(page: &Page) -> Markup {
    let c = &page.coverage;
    let e = &page.events;
    let incomplete = c.partial + c.unreadable;
    html! {
        header {
            h1 { "trailsift report" }
            nav.sections aria-label="sections" {
                a href="#findings" { "findings" }
                a href="#swimlanes" { "timeline by user" }
                a href="#events-explained" { "the five events" }
                a href="#users" { "users" }
                a href="#events" { "events" }
            }
            dl.facts {
                dt { "inputs" }
                dd { @for (i, p) in page.inputs.iter().enumerate() { @if i > 0 { ", " } code { (cut(p)) } } }
                dt { "command" }
                dd { code { (page.command.join(" ")) } span.note { " (the options that decide the reports; run.json has the whole line)" } }
                dt { "selected" }
                dd { (page.selection) }
                dt { "files" }
                dd {
                    (count(c.files, "file", "files")) ", " (mib(c.bytes)) ", " (count(c.records, "record", "records")) ": "
                    (thousands(c.ok)) " read completely, " (thousands(c.partial)) " partly, "
                    (thousands(c.unreadable)) " unreadable, " (thousands(c.skipped)) " skipped (not event logs)"
                }
                dt { "events" }
                dd {
                    (count(c.reported, "event", "events")) " reported"
                    @if c.duplicates > 0 { " (" (thousands(c.duplicates)) " repeated deliveries merged)" }
                    @if c.conflicts > 0 { "; " (thousands(c.conflicts)) " eventID" @if c.conflicts != 1 { "s" } " with conflicting content" }
                    @if let (Some(from), Some(to)) = (e.from, e.to) { ", from " (time::format(&from)) " to " (time::format(&to)) }
                    @if e.untimed > 0 { "; " (thousands(e.untimed)) " without a readable time" }
                }
                dt { "users" }
                dd { (thousands(page.total_users)) }
                dt { "findings" }
                dd {
                    (thousands(page.findings.total))
                    @for (s, n) in &page.findings.per_severity { " · " span.sev.(s.as_str()) { (s.as_str()) } " " (thousands(*n)) }
                }
                dt { "version" }
                dd { "trailsift " (page.version) " (" (page.commit) ")" }
                @if let Some(integrity) = &page.integrity {
                    dt { "integrity" }
                    dd { pre { (integrity) } }
                }
            }
            @if incomplete > 0 {
                h2 id="incomplete" { "Inputs not read completely (" (thousands(incomplete)) ")" }
                p.note { "Every readable record of these files was still read. The first " (gather::MAX_INCOMPLETE) " are listed; manifest.csv and problems.csv have them all." }
                div.scroll {
                    table {
                        thead { tr { th { "file" } th { "status" } th { "reason" } } }
                        tbody {
                            @for i in &page.inputs_incomplete.incomplete {
                                tr { td { code { (cut(&i.path)) } } td { (i.status) } td { (cut(&i.reason)) } }
                            }
                        }
                    }
                }
                @if page.inputs_incomplete.more > 0 { p.note { "… and " (thousands(page.inputs_incomplete.more)) " more." } }
            } @else {
                p { "Every input was read completely." }
            }
        }
    }
}

fn findings(page: &Page) -> Markup {
    let listed = page.findings.listed();
    html! {
        section id="findings" {
            h2 { "Findings" }
            @if page.findings.total == 0 {
                p { "No rule flagged anything." }
            } @else {
                table.rules {
                    thead { tr { th { "rule" } th { "severity" } th { "findings" } } }
                    tbody {
                        @for (id, s, n) in page.per_rule.iter().filter(|r| r.2 > 0) {
                            tr { td { code { (id) } } td { span.sev.(s.as_str()) { (s.as_str()) } } td { (thousands(*n as u64)) } }
                        }
                    }
                }
                p.note {
                    @if page.findings.total as usize > listed.len() {
                        "The " (listed.len()) " most important of " (thousands(page.findings.total)) " findings, by severity then time (findings.csv has them all). "
                    } @else {
                        "By severity, then time. "
                    }
                    "The commands are built from the logs' own values, each quoted for a POSIX shell; they need the credentials of the account named in their first line, which checks that the credentials in use are that account's. trailsift never runs them."
                }
                @for (i, f) in listed.iter().enumerate() {
                    (finding(i, f))
                }
            }
        }
    }
}

fn finding(i: usize, f: &Listed) -> Markup {
    let sev = f.severity.as_str();
    html! {
        article.finding.(sev) data-sev=(sev) data-seq=(f.seq) {
            h3 { code { (f.rule) } " " span.sev.(sev) { (sev) } " · " (cut(&f.user)) " (" (f.account) ")" }
            p.facts {
                (when(f.time)) " · " (f.event_name) " " span.muted { (cut(&f.event_id)) }
                " · actor " (cut(&f.actor)) @if !f.source_ip.is_empty() { " from " (cut(&f.source_ip)) }
                " · ATT&CK " (f.mitre)
            }
            p.explanation { (gather::cut_to(&f.explanation, 2000)) }
            @match &f.commands {
                Some(lines) => {
                    div.commands {
                        pre id={ "cmd-" (i) } { (lines.join("\n  ")) }
                        button.copy type="button" data-for={ "cmd-" (i) } aria-label="copy the commands" { "copy" }
                    }
                }
                None => { p.note { "The commands are too long to show here: findings.csv has them (response)." } }
            }
        }
    }
}

fn timeline(page: &Page) -> Markup {
    let names: BTreeSet<String> = page
        .events
        .names
        .keys()
        .filter(|n| !n.is_empty())
        .cloned()
        .chain(
            page.lanes
                .iter()
                .flat_map(|l| l.marks.iter().map(|m| m.name.clone())),
        )
        .collect();
    let colours = lanes::colours(&names);
    let listed = page.findings.listed();
    let mut by_seq: BTreeMap<u64, Vec<&Listed>> = BTreeMap::new();
    for f in &listed {
        by_seq.entry(f.seq).or_default().push(f);
    }
    let flagged = page.lanes.iter().filter(|l| l.flagged.is_some()).count();
    html! {
        section id="swimlanes" {
            h2 { "Timeline by user" }
            @match lanes::range(&page.lanes) {
                None => { p { "No event with a time to draw." } }
                Some(range) => {
                    p.note {
                        "One lane per user (account, name): " (flagged) " flagged users first (at most " (gather::MAX_FLAGGED_LANES) ", most findings first), then the "
                        (page.lanes.len() - flagged) " busiest others (at most " (gather::MAX_OTHER_LANES) "), of " (thousands(page.total_users)) " users; timeline.csv has everyone. "
                        "A lane draws at most " (gather::MAX_MARKS) " events (an even sample of a busier one; the events of the findings listed are always drawn). Times are UTC."
                    }
                    div.controls role="group" aria-label="timeline controls" {
                        label { "user " select id="lane-user" {
                            option value="" { "all users" }
                            @for (i, l) in page.lanes.iter().enumerate() {
                                option value={ "lane-" (i) } { (cut(&l.user)) " (" (l.account) ")" }
                            }
                        } }
                        label { "show " select id="lane-severity" {
                            option value="" { "every event" }
                            option value="high" { "findings: high" }
                            option value="medium" { "findings: medium or higher" }
                            option value="low" { "findings: any" }
                        } }
                        label { "from " input id="zoom-from" type="text" size="16" placeholder="YYYY-MM-DDTHH:MM"; }
                        label { "to " input id="zoom-to" type="text" size="16" placeholder="YYYY-MM-DDTHH:MM"; }
                        button id="zoom-apply" type="button" { "zoom" }
                        button id="zoom-reset" type="button" { "whole range" }
                        span id="zoom-message" role="status" {}
                    }
                    fieldset.controls.names {
                        legend { "events" }
                        @for (name, colour) in &colours {
                            label { input.name-filter type="checkbox" value=(name) checked; " " span.swatch style={ "background:" (colour) } {} (cut(name)) }
                        }
                    }
                    p.note.legend {
                        (lanes::role_key(Role::Actor)) " actor (on someone else, or no one) "
                        (lanes::role_key(Role::Target)) " target (someone else changed the user's credentials) "
                        (lanes::role_key(Role::SelfService)) " self · hollow: the call failed · ringed: a finding (its severity's colour) · dashed line: the events of one finding's story, in order"
                    }
                    div id="timeline" data-t0=(range.0.timestamp()) data-t1=(range.1.timestamp()) {
                        (lanes::axis(range))
                        @for (i, l) in page.lanes.iter().enumerate() {
                            (lanes::lane(l, i, range, &colours, &by_seq))
                        }
                    }
                    p id="tip" aria-live="polite" {}
                }
            }
        }
    }
}

fn explained(page: &Page) -> Markup {
    html! {
        section id="events-explained" {
            h2 { "The five events, and what this archive says about them" }
            p.note { "In the commands, U is the user name, K the access key id and S the MFA device's serial number (its ARN)." }
            div.guide {
                @for e in &guide::EVENTS {
                    article {
                        h3 { code { (e.name) } " · " (thousands(page.events.names.get(e.name).copied().unwrap_or(0))) " reported" }
                        p { (e.what) }
                        p { strong { "Why it matters. " } (e.why) }
                        p { strong { "Remediate." } }
                        ul {
                            @for (advice, commands) in e.remediate {
                                li {
                                    (advice) "."
                                    @for c in *commands {
                                        // Broken between words only, never at a command's hyphens.
                                        code { @for (i, w) in c.split(' ').enumerate() { @if i > 0 { " " } span { (w) } } }
                                    }
                                }
                            }
                        }
                        @for k in e.checks { (check(page, *k)) }
                    }
                }
                article {
                    h3 { "Every event" }
                    (check(page, gather::CheckKind::RootCredentialChange))
                    p { (guide::LOGGING) }
                }
            }
        }
    }
}

fn check(page: &Page, kind: gather::CheckKind) -> Markup {
    let found = page.events.checks.get(&kind);
    html! {
        p.check {
            strong { "In this archive: " }
            @match found {
                None => { "no " (guide::describe(kind)) "." }
                Some(c) => {
                    (count(c.events, "event", "events")) " — " (guide::describe(kind)) ": "
                    @for (i, (account, user)) in c.users.iter().enumerate() {
                        @if i > 0 { ", " }
                        (cut(user)) " (" (account) ")"
                    }
                    @if c.more_users { ", and others (timeline.csv)" }
                    "."
                }
            }
        }
    }
}

fn users(page: &Page) -> Markup {
    html! {
        section id="users" {
            h2 { "Users" }
            p.note {
                @if page.total_users as usize > page.users.len() {
                    "The first " (page.users.len()) " of " (thousands(page.total_users)) " users: flagged first, then the busiest (users.csv has everyone). "
                }
                "Values longer than " (gather::MAX_VALUE) " characters are cut."
            }
            input.filter type="search" data-table="users-table" placeholder="filter users" aria-label="filter users";
            div.scroll {
                table id="users-table" {
                    thead { tr { th { "account" } th { "user" } th { "findings" } th { "events" } th { "as actor" } th { "as target" } th { "failed" } th { "first seen" } th { "last seen" } th { "sources" } } }
                    tbody {
                        @for u in &page.users {
                            tr {
                                td.nw { (u.account) } td { (cut(&u.user)) }
                                td.nw { @if let Some(w) = u.worst { (u.findings) " " span.sev.(w.as_str()) { (w.as_str()) } } @else { "0" } }
                                td.nw { (u.lines) } td.nw { (u.as_actor) } td.nw { (u.as_target) } td.nw { (u.failures) }
                                td.nw { (when(u.first_seen)) } td.nw { (when(u.last_seen)) }
                                td { (u.sources.iter().map(|s| cut(s)).collect::<Vec<_>>().join(", ")) @if u.source_count > u.sources.len() as u64 { " (" (u.source_count) " in all)" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn events(page: &Page) -> Markup {
    let e = &page.events;
    html! {
        section id="events" {
            h2 { "Events" }
            p.note {
                @if e.total as usize > e.first.len() {
                    "The first " (e.first.len()) " of " (thousands(e.total)) " events, in time order (events.csv has them all)."
                } @else {
                    "In time order."
                }
                " Values longer than " (gather::MAX_VALUE) " characters are cut."
            }
            input.filter type="search" data-table="events-table" placeholder="filter events" aria-label="filter events";
            div.scroll {
                table id="events-table" {
                    thead { tr { th { "time" } th { "event" } th { "account" } th { "actor" } th { "target" } th { "source" } th { "what it did" } } }
                    tbody {
                        @for r in &e.first {
                            tr.failed[!r.error_code.is_empty()] {
                                td.nw { (when(r.time)) } td { (cut(&r.name)) } td.nw { (r.account) } td { (cut(&r.actor)) } td { (cut(&r.target)) }
                                td { (cut(&r.source_ip)) } td { (cut(&r.detail)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pieces_make_one_whole_document() {
        let page = Page {
            version: "1.2.3".to_owned(),
            commit: "abc".to_owned(),
            command: vec!["trailsift".to_owned(), "scan".to_owned()],
            inputs: vec!["<dump>".to_owned()],
            selection: "the default events".to_owned(),
            coverage: super::super::Coverage::default(),
            inputs_incomplete: gather::Inputs::default(),
            events: gather::Events::default(),
            findings: gather::Findings::default(),
            per_rule: Vec::new(),
            lanes: Vec::new(),
            users: Vec::new(),
            total_users: 0,
            integrity: None,
        };
        let mut pieces = Vec::new();
        render_to(&page, &mut |piece: &str| {
            pieces.push(piece.to_owned());
            Ok::<(), ()>(())
        })
        .unwrap();
        let text = pieces.concat();
        assert!(pieces.len() > SECTIONS.len(), "{}", pieces.len());
        assert!(
            text.starts_with(r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">"#),
            "{}",
            &text[..80]
        );
        assert!(text.ends_with("</script></body></html>"));
        for tag in [
            "<html", "</html>", "<head>", "</head>", "<body>", "</body>", "<footer",
        ] {
            assert_eq!(text.matches(tag).count(), 1, "{tag}");
        }
        // The value from the inputs is escaped in whichever piece it lands.
        assert!(text.contains("&lt;dump&gt;") && !text.contains("<dump>"));
        // A writer that fails stops the page at that piece.
        let mut handed = 0;
        let stopped = render_to(&page, &mut |_: &str| {
            handed += 1;
            if handed == 3 {
                Err("disk full")
            } else {
                Ok(())
            }
        });
        assert_eq!((stopped, handed), (Err("disk full"), 3));
    }
}
