//! timesketch.jsonl: one line per reported event, as Timesketch imports it as is.
//!
//! Timesketch requires `message`, `datetime` (ISO 8601) and `timestamp_desc`; in JSON Lines
//! it also takes `timestamp` in microseconds. Fields are named as plaso names them for
//! CloudTrail (`data_type` `aws:cloudtrail:entry`, `event_name`, `event_source`,
//! `source_ip`, `user_identity_arn`, `username`, `access_key`, `account_identifier`), so
//! existing searches work; trailsift's own (`actor`, `target_user`, the findings in `tag`)
//! are added. Timesketch drops lines without a readable time or outside the years 1700-9999:
//! those events are left out here and counted instead. Values are cut at 32,000 bytes
//! (Timesketch cannot sort longer keyword fields).

use std::io::{BufWriter, Write};

use serde::Serialize;

use super::digest::{FileDigest, Hashing};
use crate::aggregate::Reported;
use crate::error::Error;
use crate::event::describe::action;
use crate::event::time;
use crate::outdir::OutputDir;
use crate::spill::{Decoder, Encoder, Merged, Spill};

pub const NAME: &str = "timesketch.jsonl";

/// The longest value written, in bytes.
const MAX_VALUE: usize = 32_000;

/// A rule that flagged the event at `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub seq: u64,
    pub rule: String,
}

impl Spill for Tag {
    fn weight(&self) -> usize {
        self.rule.capacity()
    }
    fn encode(&self, out: &mut Encoder) {
        out.u64(self.seq);
        out.str(&self.rule);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(Tag {
            seq: d.u64()?,
            rule: d.string()?,
        })
    }
}

pub fn tag_order(a: &Tag, b: &Tag) -> std::cmp::Ordering {
    (a.seq, &a.rule).cmp(&(b.seq, &b.rule))
}

#[derive(Serialize)]
struct Line<'a> {
    message: String,
    datetime: String,
    timestamp: i64,
    timestamp_desc: &'static str,
    data_type: &'static str,
    event_name: &'a str,
    event_source: &'a str,
    source_ip: &'a str,
    user_identity_arn: &'a str,
    username: &'a str,
    access_key: &'a str,
    account_identifier: &'a str,
    aws_region: &'a str,
    actor: &'a str,
    actor_type: &'a str,
    target_user: &'a str,
    user_agent: &'a str,
    error_code: &'a str,
    event_id: &'a str,
    mfa_authenticated: Option<bool>,
    tag: Vec<String>,
}

/// Cuts a value at [`MAX_VALUE`] bytes (on a character boundary), with a visible marker.
fn fit(s: &str) -> &str {
    if s.len() <= MAX_VALUE {
        return s;
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The readable line: who did what to whom, from where, and how it ended.
pub fn message(r: &Reported) -> String {
    let e = &r.event;
    let who = if e.actor.name.is_empty() {
        "an unknown caller"
    } else {
        &e.actor.name
    };
    let from = if e.source_ip.is_empty() {
        String::new()
    } else {
        format!(" from {}", e.source_ip)
    };
    let result = if e.failed() {
        format!("failed with {}", e.error_code)
    } else {
        "succeeded".to_owned()
    };
    format!("{who} {}{from}: {result}", action(e))
}

/// Writes the lines of `events` (report order) with their rules from `tags` (same order).
/// Returns the digest and how many events had no time Timesketch can read.
pub fn write(
    out: &mut OutputDir,
    mut events: Merged<Reported>,
    mut tags: Merged<Tag>,
) -> Result<((String, FileDigest), u64), Error> {
    let path = crate::discover::display_path(&out.staging().join(NAME));
    let error = |source| Error::Output {
        path: path.clone(),
        source,
    };
    let file = out.create(NAME)?;
    let mut w = Hashing::new(BufWriter::with_capacity(1 << 16, file));
    let mut tag = tags.pop()?;
    let mut untimed = 0u64;
    let mut line = Vec::new();
    while let Some(r) = events.pop()? {
        let mut rules = Vec::new();
        while tag.as_ref().is_some_and(|t| t.seq <= r.seq) {
            let t = tag.take().expect("checked");
            if t.seq == r.seq && !rules.contains(&t.rule) {
                rules.push(t.rule);
            }
            tag = tags.pop()?;
        }
        let e = &r.event;
        let Some(t) = e
            .time
            .filter(|t| (1700..=9999).contains(&chrono::Datelike::year(t)))
        else {
            untimed += 1;
            continue;
        };
        let l = Line {
            message: fit(&message(&r)).to_owned(),
            datetime: time::format(&t),
            timestamp: t.timestamp_micros(),
            timestamp_desc: "Event Time",
            data_type: "aws:cloudtrail:entry",
            event_name: fit(&e.name),
            event_source: fit(&e.source),
            source_ip: fit(&e.source_ip),
            user_identity_arn: fit(&e.actor.arn),
            username: fit(&e.actor.name),
            access_key: fit(&e.actor.access_key),
            account_identifier: fit(&e.account),
            aws_region: fit(&e.region),
            actor: fit(&e.actor.name),
            actor_type: fit(&e.actor.kind),
            target_user: fit(&e.target),
            user_agent: fit(&e.user_agent),
            error_code: fit(&e.error_code),
            event_id: fit(&e.event_id),
            mfa_authenticated: e.actor.mfa,
            tag: rules,
        };
        line.clear();
        serde_json::to_writer(&mut line, &l).expect("serialising to memory");
        line.push(b'\n');
        w.write_all(&line).map_err(error)?;
    }
    let (mut buffered, digest) = w.finish();
    buffered.flush().map_err(error)?;
    let file = buffered.into_inner().map_err(|e| error(e.into_error()))?;
    file.sync_all().map_err(error)?;
    Ok(((NAME.to_owned(), digest), untimed))
}
