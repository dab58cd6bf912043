//! The swimlane timeline as inline SVG: one lane per user, x the time in UTC with ticks that
//! suit the range, one mark per event (coloured by event name, shaped by role, hollow when
//! the call failed), the events of one finding joined by a line.
//!
//! The page's script can zoom to a time window and hide lanes or event names: it moves the
//! marks by their `data-t` (seconds since the epoch) and redraws the ticks with the same
//! steps as [`ticks`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, TimeZone, Timelike, Utc};
use maud::{Markup, html};

use super::gather::{Lane, Listed, count};
use crate::aggregate::timeline::Role;
use crate::event::time::Timestamp;
use crate::findings::Severity;

/// The drawing's width, its label column, and a lane's height (SVG units).
pub const WIDTH: f64 = 1000.0;
pub const PLOT_LEFT: f64 = 240.0;
pub const PLOT_RIGHT: f64 = 985.0;
pub const LANE_HEIGHT: f64 = 34.0;

/// Colours for event names, in the order of the legend (readable on light and dark).
const PALETTE: [&str; 12] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#393b79", "#637939",
];

/// The colour of each event name (names beyond the palette share the last colour).
pub fn colours(names: &BTreeSet<String>) -> BTreeMap<String, &'static str> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), PALETTE[i.min(PALETTE.len() - 1)]))
        .collect()
}

/// The time range drawn: the marks' range, a little wider.
pub fn range(lanes: &[Lane]) -> Option<(Timestamp, Timestamp)> {
    let times = lanes.iter().flat_map(|l| l.marks.iter().map(|m| m.time));
    let (lo, hi) = times.fold(None, |acc: Option<(Timestamp, Timestamp)>, t| {
        Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
    })?;
    let span = (hi - lo).max(Duration::minutes(30));
    let pad = span / 40;
    let mid = lo + (hi - lo) / 2;
    if hi == lo {
        return Some((
            mid - Duration::minutes(15) - pad,
            mid + Duration::minutes(15) + pad,
        ));
    }
    Some((lo - pad, hi + pad))
}

/// x of a time.
pub fn x_of(t: Timestamp, (from, to): (Timestamp, Timestamp)) -> f64 {
    let span = (to - from).num_milliseconds().max(1) as f64;
    PLOT_LEFT + (t - from).num_milliseconds() as f64 / span * (PLOT_RIGHT - PLOT_LEFT)
}

/// Tick steps in seconds; 0 stands for calendar months (the number of months in `.1`).
const STEPS: [(i64, u32); 19] = [
    (60, 0),
    (120, 0),
    (300, 0),
    (600, 0),
    (900, 0),
    (1800, 0),
    (3600, 0),
    (7200, 0),
    (10800, 0),
    (21600, 0),
    (43200, 0),
    (86400, 0),
    (172_800, 0),
    (604_800, 0),
    (1_209_600, 0),
    (0, 1),
    (0, 3),
    (0, 6),
    (0, 12),
];

/// At most this many ticks.
const MAX_TICKS: i64 = 8;

/// The ticks of a range and their labels.
pub fn ticks((from, to): (Timestamp, Timestamp)) -> Vec<(Timestamp, String)> {
    let span = (to - from).num_seconds().max(1);
    let step = STEPS
        .iter()
        .find(|(s, months)| {
            let s = if *months > 0 {
                i64::from(*months) * 30 * 86400
            } else {
                *s
            };
            span / s < MAX_TICKS
        })
        .copied()
        .unwrap_or((0, 12));
    let mut out = Vec::new();
    match step {
        (0, months) => {
            let mut y = from.year();
            let mut m = from.month0();
            m -= m % months;
            while let Some(t) = Utc.with_ymd_and_hms(y, m + 1, 1, 0, 0, 0).single() {
                if t > to {
                    break;
                }
                if t >= from {
                    let label = if months >= 12 {
                        t.format("%Y").to_string()
                    } else {
                        t.format("%Y-%m").to_string()
                    };
                    out.push((t, label));
                }
                m += months;
                if m >= 12 {
                    y += (m / 12) as i32;
                    m %= 12;
                }
            }
        }
        (s, _) => {
            let first = (from.timestamp() + s - 1).div_euclid(s) * s;
            let mut t = first;
            while t <= to.timestamp() {
                if let Some(at) = Utc.timestamp_opt(t, 0).single() {
                    let label = if s >= 86400 {
                        at.format("%Y-%m-%d").to_string()
                    } else if at.hour() == 0 && at.minute() == 0 || out.is_empty() {
                        at.format("%m-%d %H:%M").to_string()
                    } else {
                        at.format("%H:%M").to_string()
                    };
                    out.push((at, label));
                }
                t += s;
            }
        }
    }
    out
}

/// The axis: ticks and their labels, UTC.
pub fn axis(range: (Timestamp, Timestamp)) -> Markup {
    html! {
        svg.axis viewBox={ "0 0 " (WIDTH) " 30" } role="img" aria-label="time axis (UTC)" {
            text.axis-title x="4" y="20" { "time (UTC)" }
            g.ticks {
                @for (t, label) in ticks(range) {
                    @let x = x_of(t, range);
                    line x1=(fmt(x)) x2=(fmt(x)) y1="22" y2="30" {}
                    text x=(fmt(x)) y="16" text-anchor="middle" { (label) }
                }
            }
        }
    }
}

/// A number for an attribute, with at most one decimal.
pub fn fmt(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// A mark's shape for a role, centred on 0,0.
fn shape(role: Role) -> Markup {
    match role {
        Role::Actor => html! { circle r="5" {} },
        Role::Target => html! { rect x="-4.5" y="-4.5" width="9" height="9" {} },
        Role::SelfService => html! { path d="M0,-6 L5.5,4 L-5.5,4 Z" {} },
    }
}

/// The legend's shapes.
pub fn role_key(role: Role) -> Markup {
    html! {
        svg.key viewBox="-8 -8 16 16" width="16" height="16" aria-hidden="true" { (shape(role)) }
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
    }
}

/// One lane.
pub fn lane(
    lane: &Lane,
    index: usize,
    range: (Timestamp, Timestamp),
    colours: &BTreeMap<String, &'static str>,
    findings: &BTreeMap<u64, Vec<&Listed>>,
) -> Markup {
    let y = LANE_HEIGHT / 2.0;
    // The findings' events in this lane, and the stories with two or more of them here.
    let mut stories: BTreeMap<u64, Vec<(u32, f64, i64)>> = BTreeMap::new();
    for m in &lane.marks {
        for f in findings.get(&m.seq).into_iter().flatten() {
            if let Some(story) = f.story {
                let point = (f.position, x_of(m.time, range), m.time.timestamp());
                let points = stories.entry(story).or_default();
                if !points.contains(&point) {
                    points.push(point);
                }
            }
        }
    }
    for points in stories.values_mut() {
        points.sort_by_key(|p| (p.0, p.2));
    }
    let title = format!("{} ({})", lane.user, lane.account);
    let shown = lane.marks.len();
    let mut note = count(lane.events, "event", "events");
    if shown as u64 + lane.untimed < lane.events {
        note.push_str(&format!(", {shown} drawn (an even sample)"));
    }
    if lane.untimed > 0 {
        note.push_str(&format!(", {} without a time", lane.untimed));
    }
    if let Some((n, worst)) = lane.flagged {
        note.push_str(&format!(
            " · {} ({})",
            count(n as u64, "finding", "findings"),
            worst.as_str()
        ));
    }
    html! {
        svg.lane id={ "lane-" (index) } viewBox={ "0 0 " (WIDTH) " " (LANE_HEIGHT) }
            role="group" aria-label=(title)
            data-account=(lane.account) data-user=(lane.user)
            data-flagged=(if lane.flagged.is_some() { "1" } else { "0" }) {
            rect.lane-bg x="0" y="0" width=(WIDTH) height=(LANE_HEIGHT) {}
            // A nested svg clips a long name or note at the plot's edge; the title has them whole.
            svg.lane-label x="0" y="0" width=(fmt(PLOT_LEFT - 8.0)) height=(LANE_HEIGHT) {
                title { (super::gather::cut(&lane.user)) " (" (lane.account) "): " (note) }
                text.lane-user x="4" y="14" { (super::gather::cut(&lane.user)) }
                text.lane-note x="4" y="28" { (lane.account) " · " (note) }
            }
            line.lane-rule x1=(PLOT_LEFT) x2=(PLOT_RIGHT) y1=(fmt(y)) y2=(fmt(y)) {}
            @for (story, points) in &stories {
                @if points.len() > 1 {
                    polyline.link data-story=(story)
                        data-ts=(points.iter().map(|p| p.2.to_string()).collect::<Vec<_>>().join(" "))
                        points=(points.iter().map(|p| format!("{},{}", fmt(p.1), fmt(y))).collect::<Vec<_>>().join(" ")) {}
                }
            }
            @for m in &lane.marks {
                @let x = x_of(m.time, range);
                @let listed = findings.get(&m.seq);
                @let worst = listed.and_then(|fs| fs.iter().map(|f| f.severity).min());
                g.m.failed[m.failed] tabindex="0"
                    transform={ "translate(" (fmt(x)) "," (fmt(y)) ")" }
                    data-t=(m.time.timestamp()) data-n=(m.name) data-seq=(m.seq)
                    data-sev=(worst.map_or("", |s| s.as_str()))
                    style={ "--c:" (colours.get(&m.name).copied().unwrap_or(PALETTE[PALETTE.len() - 1])) } {
                    @if let Some(s) = worst {
                        circle.ring.(severity_class(s)) r="9" {}
                    }
                    (shape(m.role))
                    title { (m.tip) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        crate::event::time::parse(s).unwrap()
    }

    #[test]
    fn ticks_suit_the_range() {
        let labels =
            |a, b| -> Vec<String> { ticks((t(a), t(b))).into_iter().map(|(_, l)| l).collect() };
        assert_eq!(
            labels("2026-03-04T10:01:00Z", "2026-03-04T10:31:00Z"),
            ["03-04 10:05", "10:10", "10:15", "10:20", "10:25", "10:30"]
        );
        assert_eq!(
            labels("2026-03-02T00:00:00Z", "2026-03-05T20:00:00Z"),
            [
                "03-02 00:00",
                "12:00",
                "03-03 00:00",
                "12:00",
                "03-04 00:00",
                "12:00",
                "03-05 00:00",
                "12:00"
            ]
        );
        assert_eq!(
            labels("2025-11-20T00:00:00Z", "2026-04-10T00:00:00Z"),
            ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
        );
        assert_eq!(
            labels("2019-05-01T00:00:00Z", "2026-04-10T00:00:00Z"),
            ["2020", "2021", "2022", "2023", "2024", "2025", "2026"]
        );
        for (a, b) in [
            ("2026-03-04T10:00:00Z", "2026-03-04T10:00:30Z"),
            ("2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z"),
        ] {
            let n = ticks((t(a), t(b))).len() as i64;
            assert!((0..=MAX_TICKS).contains(&n), "{a}..{b}: {n}");
        }
    }

    #[test]
    fn times_map_into_the_plot() {
        let r = (t("2026-03-04T00:00:00Z"), t("2026-03-05T00:00:00Z"));
        assert_eq!(x_of(r.0, r), PLOT_LEFT);
        assert_eq!(x_of(r.1, r), PLOT_RIGHT);
        assert_eq!(fmt(x_of(t("2026-03-04T12:00:00Z"), r)), "612.5");
    }
}
