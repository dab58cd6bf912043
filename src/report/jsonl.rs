//! events.jsonl: one JSON object per reported event, in report order: the events.csv fields
//! with their JSON types (times as ISO 8601 UTC or null, flags as booleans, counts as numbers),
//! plus `record`, the original CloudTrail record (with whitespace outside strings removed, so
//! that it stays on one line).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};

use serde::Serialize;

use super::digest::{FileDigest, Hashing};
use crate::aggregate::Reported;
use crate::error::Error;
use crate::event::time;
use crate::outdir::OutputDir;

pub const NAME: &str = "events.jsonl";

/// The JSON Lines export being written.
pub struct Writer {
    out: Hashing<BufWriter<File>>,
    path: String,
    line: Vec<u8>,
}

#[derive(Serialize)]
struct Line<'a> {
    event_time: Option<String>,
    event_name: &'a str,
    event_source: &'a str,
    account: &'a str,
    region: &'a str,
    actor: &'a str,
    actor_type: &'a str,
    actor_arn: &'a str,
    actor_key: &'a str,
    mfa_authenticated: Option<bool>,
    console_session: bool,
    target_user: &'a str,
    access_key_id: &'a str,
    key_status: &'a str,
    mfa_serial: &'a str,
    source_ip: &'a str,
    user_agent: &'a str,
    error_code: &'a str,
    error_message: &'a str,
    event_id: &'a str,
    request_id: &'a str,
    source_file: &'a str,
    source_record: u64,
    copies: u32,
    conflict: bool,
}

impl Writer {
    pub fn create(out: &mut OutputDir) -> Result<Writer, Error> {
        let file = out.create(NAME)?;
        Ok(Writer {
            out: Hashing::new(BufWriter::with_capacity(1 << 16, file)),
            path: crate::discover::display_path(&out.staging().join(NAME)),
            line: Vec::new(),
        })
    }

    pub fn event(&mut self, r: &Reported) -> Result<(), Error> {
        let e = &r.event;
        let line = Line {
            event_time: e.time.map(|t| time::format(&t)),
            event_name: &e.name,
            event_source: &e.source,
            account: &e.account,
            region: &e.region,
            actor: &e.actor.name,
            actor_type: &e.actor.kind,
            actor_arn: &e.actor.arn,
            actor_key: &e.actor.access_key,
            mfa_authenticated: e.actor.mfa,
            console_session: e.actor.console,
            target_user: &e.target,
            access_key_id: &e.access_key_id,
            key_status: &e.key_status,
            mfa_serial: &e.mfa_serial,
            source_ip: &e.source_ip,
            user_agent: &e.user_agent,
            error_code: &e.error_code,
            error_message: &e.error_message,
            event_id: &e.event_id,
            request_id: &e.request_id,
            source_file: &e.source_file,
            source_record: e.origin.record,
            copies: r.copies,
            conflict: r.conflict,
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &line).expect("serialising to memory");
        // Splice the record in before the closing brace.
        self.line.pop();
        self.line.extend_from_slice(b",\"record\":");
        match &e.record {
            Some(record) => self.line.extend_from_slice(minify(record).as_bytes()),
            None => self.line.extend_from_slice(b"null"),
        }
        self.line.extend_from_slice(b"}\n");
        self.out.write_all(&self.line).map_err(|e| self.error(e))
    }

    pub fn close(self) -> Result<(String, FileDigest), Error> {
        let path = self.path;
        let error = |source| Error::Output {
            path: path.clone(),
            source,
        };
        let (mut buffered, digest) = self.out.finish();
        buffered.flush().map_err(error)?;
        let file = buffered.into_inner().map_err(|e| error(e.into_error()))?;
        file.sync_all().map_err(error)?;
        Ok((NAME.to_owned(), digest))
    }

    fn error(&self, source: std::io::Error) -> Error {
        Error::Output {
            path: self.path.clone(),
            source,
        }
    }
}

/// JSON text without whitespace outside its strings (the rest byte for byte).
pub fn minify(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    let needs = b.iter().any(|c| c.is_ascii_whitespace());
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
        } else if c.is_ascii_whitespace() {
            out.push_str(&text[start..i]);
            start = i + 1;
        }
    }
    out.push_str(&text[start..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stay_on_one_line_and_strings_keep_their_spaces() {
        assert_eq!(
            minify("{ \"a\" : \"x y\\\" z\",\n \"b\": [1, 2] }"),
            "{\"a\":\"x y\\\" z\",\"b\":[1,2]}"
        );
        assert!(matches!(minify(r#"{"a":1}"#), Cow::Borrowed(_)));
    }
}
