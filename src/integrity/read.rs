//! The read phase: what a file is for the check (by its path, and for a stray digest by its
//! content), and its hash and content.

use std::path::Path;

use super::digest::{self, looks_like_digest};
use super::names::{self, DigestName, LogName, key_of};
use super::{FoundDigest, FoundLog, Unhashed};
use crate::discover::{InputFile, PathKind};
use crate::input::{Feed, ReadProblem, ReadReport, Reader};

/// The largest digest read (CloudTrail's are a few hundred KiB at most).
const MAX_DIGEST: usize = 64 << 20;
/// Files of other names this small are looked at in case they are digests moved elsewhere.
const STRAY_DIGEST: u64 = 4 << 20;

/// What a file is for the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Log {
        key: String,
        name: LogName,
    },
    Digest {
        key: Option<String>,
        name: Option<DigestName>,
    },
    /// Perhaps a digest found where digests are not kept (judged by its content).
    Unknown,
    /// Not part of the check (a socket, an Insights or Lake file).
    Other,
}

/// What the path of a file says it is.
pub fn role(file: &InputFile) -> Role {
    if file.kind == PathKind::Special {
        return Role::Other;
    }
    let key = key_of(&file.path);
    if let Some(k) = &key {
        if let Some(name) = names::log_name(k) {
            return Role::Log {
                key: k.clone(),
                name,
            };
        }
        if let Some(name) = names::digest_name(k) {
            return Role::Digest {
                key: key.clone(),
                name: Some(name),
            };
        }
    }
    if file.kind == PathKind::Digest {
        return Role::Digest { key, name: None };
    }
    if matches!(file.kind, PathKind::Insight | PathKind::Lake) || file.size > STRAY_DIGEST {
        return Role::Other;
    }
    Role::Unknown
}

/// Throws the bytes away (a log file is only hashed).
struct Discard;

impl Feed for Discard {
    fn whole(&mut self, _: &[u8]) {}
    fn window(&mut self, data: &[u8], _: u64, _: bool) -> usize {
        data.len()
    }
}

/// Keeps the bytes, up to a limit.
struct Keep(Vec<u8>, bool);

impl Feed for Keep {
    fn whole(&mut self, data: &[u8]) {
        self.take(data);
    }
    fn window(&mut self, data: &[u8], _: u64, _: bool) -> usize {
        self.take(data);
        data.len()
    }
    fn finished(&self) -> bool {
        self.1
    }
}

impl Keep {
    fn take(&mut self, data: &[u8]) {
        let room = MAX_DIGEST.saturating_sub(self.0.len());
        self.0.extend_from_slice(&data[..data.len().min(room)]);
        if data.len() > room {
            self.1 = true;
        }
    }
}

/// Hashes a log file (the reader must hash).
pub fn read_log(
    reader: &mut Reader,
    path: &Path,
    display: &str,
    key: String,
    name: LogName,
) -> FoundLog {
    let report = reader.read(path, &mut Discard);
    found_log(&report, display, key, name)
}

/// What a read says of a log file (its reader must hash).
pub fn found_log(report: &ReadReport, display: &str, key: String, name: LogName) -> FoundLog {
    let sha256 = match (&report.problem, &report.unhashed, report.content) {
        (None, None, Some(c)) => Ok(c.sha256),
        (Some(p), _, _) | (None, Some(p), _) => Err(match p {
            ReadProblem::Gzip { .. } => Unhashed::Damaged(p.to_string()),
            ReadProblem::Open(_) | ReadProblem::Io { .. } => Unhashed::Unread(p.to_string()),
        }),
        (None, None, None) => Err(Unhashed::Unread("not hashed".into())),
    };
    FoundLog {
        path: display.to_owned(),
        key,
        name,
        sha256,
        more_than_one_member: report.content.is_some_and(|c| c.more_than_one_member),
    }
}

/// Reads and parses a digest (or a file that may be one: `None` when it is not).
pub fn read_digest(reader: &mut Reader, file: &InputFile, role: &Role) -> Option<FoundDigest> {
    let mut keep = Keep(Vec::new(), false);
    let report = reader.read(&file.path, &mut keep);
    let (key, name) = match role {
        Role::Digest { key, name } => (key.clone(), name.clone()),
        _ => {
            if report.problem.is_some() || !looks_like_digest(&keep.0) {
                return None;
            }
            (key_of(&file.path), None)
        }
    };
    let doc = if let Some(p) = &report.problem {
        Err(format!("cannot be read: {p}"))
    } else if keep.1 {
        Err("larger than any digest".into())
    } else if report.content.is_some_and(|c| c.more_than_one_member) {
        Err("bytes follow the first gzip member".into())
    } else {
        digest::parse(&keep.0)
    };
    Some(FoundDigest {
        path: file.display.clone(),
        key,
        name,
        sha256: report.content.map(|c| c.sha256),
        doc,
    })
}
