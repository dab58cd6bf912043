//! One input file: read, frame, prefilter, decode and filter, then a verdict for the manifest.
//!
//! A file is judged by all of its content, never by its first item: every item is either a
//! CloudTrail record (counted, and decoded when the prefilter says it may be selected) or
//! something else (a digest, an Insights event, unrelated JSON), which is counted and skipped
//! while the records around it are read. A file is `skipped` only when it holds no record at
//! all. The selected events leave the worker in small batches as they are found ([`Collect`]),
//! so a file holding a million of them costs no more memory than one holding ten.

use std::sync::Arc;

use crate::cancel::Cancel;
use crate::discover::{InputFile, PathKind, starts_like_data};
use crate::event::decode::{Found, NotRecord, decode};
use crate::event::fingerprint;
use crate::event::raw::{At, Noted};
use crate::event::{Event, MfaLink, Origin};
use crate::filter::{Selection, is_mfa_link};
use crate::frame::{Damage, Ending, Flow, Framed, Framer, Options, RecordBytes, Shape, Sink};
use crate::input::hash::ContentHasher;
use crate::input::{Feed, ReadLimits, ReadReport, Reader};
use crate::integrity::{self, Evidence, read::Role};
use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;

use crate::prefilter::Prefilter;

/// Records larger than this are reported and skipped (AWS caps its own at about 200 KB).
pub const MAX_RECORD: usize = 32 << 20;

/// Problems listed per file in problems.csv (the count is always exact).
pub const MAX_PROBLEMS_PER_FILE: usize = 100;

/// What a file is, for the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Log,
    Digest,
    Insight,
    Lake,
    Other,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Log => "log",
            FileKind::Digest => "digest",
            FileKind::Insight => "insight",
            FileKind::Lake => "lake",
            FileKind::Other => "other",
        }
    }
}

/// How completely a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok,
    /// Some records could not be read (damaged, cut off, undecodable); the others were.
    Partial,
    /// Nothing could be read.
    Unreadable,
    /// Not an event log; deliberately not read.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Partial => "partial",
            Status::Unreadable => "unreadable",
            Status::Skipped => "skipped",
        }
    }
}

/// What problems.csv says of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The record could not be read: it is not in the reports.
    Unreadable,
    /// The record was read leniently (a field repaired or of an unexpected type): it is in the
    /// reports.
    Lenient,
    /// A key appears twice in one object of the record (the last value is used): it is in the
    /// reports, and worth a look, since readers that take the first value see another record.
    DuplicateKey,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Lenient => "lenient",
            ProblemKind::DuplicateKey => "duplicate-key",
        }
    }

    pub const ALL: [ProblemKind; 3] = [
        ProblemKind::Unreadable,
        ProblemKind::Lenient,
        ProblemKind::DuplicateKey,
    ];
}

/// A record worth a row in problems.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    pub record: Option<u64>,
    pub offset: Option<u64>,
    pub kind: ProblemKind,
    pub message: String,
}

/// Items of a file that are not CloudTrail records, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NonRecords {
    pub digest: u64,
    pub insight: u64,
    pub other: u64,
}

impl NonRecords {
    pub fn total(&self) -> u64 {
        self.digest + self.insight + self.other
    }

    fn add(&mut self, kind: NotRecord) {
        match kind {
            NotRecord::Digest => self.digest += 1,
            NotRecord::Insight => self.insight += 1,
            NotRecord::Other => self.other += 1,
        }
    }

    /// `a digest, 2 Insights events, 1 other JSON`.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (n, kind) in [
            (self.digest, NotRecord::Digest),
            (self.insight, NotRecord::Insight),
            (self.other, NotRecord::Other),
        ] {
            if n > 0 {
                let name = kind.describe();
                let plural = if n == 1 || kind == NotRecord::Other {
                    ""
                } else {
                    "s"
                };
                parts.push(format!("{n} {name}{plural}"));
            }
        }
        parts.join(", ")
    }
}

/// Where a worker puts what it selects, as it goes: the collector in a scan, a vector in tests.
pub trait Collect {
    /// Takes (drains) a batch of selected events.
    fn events(&self, events: &mut Vec<Event>);
    /// Takes (drains) a batch of MFA enablements.
    fn links(&self, links: &mut Vec<MfaLink>);
}

/// Gathers everything in memory (tests, benchmarks, fuzzing).
#[derive(Debug, Default)]
pub struct Collected {
    pub events: std::cell::RefCell<Vec<Event>>,
    pub links: std::cell::RefCell<Vec<MfaLink>>,
}

impl Collect for Collected {
    fn events(&self, events: &mut Vec<Event>) {
        self.events.borrow_mut().append(events);
    }
    fn links(&self, links: &mut Vec<MfaLink>) {
        self.links.borrow_mut().append(links);
    }
}

/// Selected events leave a worker in batches of this many.
const EVENT_BATCH: usize = 256;

/// Everything one file contributed.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: u32,
    pub kind: FileKind,
    pub status: Status,
    /// Layout and encoding, e.g. `records/gzip`.
    pub format: String,
    pub bytes: u64,
    /// CloudTrail records in the file, damaged ones included.
    pub records: u64,
    /// Records selected (before duplicates are removed).
    pub matched: u64,
    pub undecodable: u64,
    /// Selected records read leniently (a field repaired or retyped).
    pub lenient: u64,
    /// Selected records with a key that appears twice.
    pub duplicate_keys: u64,
    /// Array members that are not objects.
    pub non_objects: u64,
    /// Items that are JSON objects but not CloudTrail records.
    pub non_records: NonRecords,
    /// Why the file is partial, unreadable or skipped.
    pub error: String,
    /// Something worth knowing that is not an error (items skipped, records read leniently).
    pub note: String,
    /// The first problems of each kind (at most [`MAX_PROBLEMS_PER_FILE`] in all).
    pub problems: Vec<RecordProblem>,
}

impl FileReport {
    /// The report of a file before it is read.
    pub fn empty(file: u32, bytes: u64) -> FileReport {
        FileReport {
            file,
            kind: FileKind::Log,
            status: Status::Ok,
            format: String::new(),
            bytes,
            records: 0,
            matched: 0,
            undecodable: 0,
            lenient: 0,
            duplicate_keys: 0,
            non_objects: 0,
            non_records: NonRecords::default(),
            error: String::new(),
            note: String::new(),
            problems: Vec::new(),
        }
    }

    /// How many records of `kind` problems.csv accounts for (listed or counted).
    pub fn problem_count(&self, kind: ProblemKind) -> u64 {
        match kind {
            ProblemKind::Unreadable => self.undecodable,
            ProblemKind::Lenient => self.lenient,
            ProblemKind::DuplicateKey => self.duplicate_keys,
        }
    }
}

/// A per-thread worker: buffers and decoders reused for every file.
pub struct Worker<'s> {
    reader: Reader,
    selection: &'s Selection,
    prefilter: &'s Prefilter,
    shape: RecordShape,
    keep_records: bool,
    cancel: Cancel,
    /// What reading the last file found (kept for its hash).
    last_read: Option<ReadReport>,
}

impl<'s> Worker<'s> {
    pub fn new(selection: &'s Selection, prefilter: &'s Prefilter) -> Self {
        Self::with_limits(selection, prefilter, ReadLimits::DEFAULT)
    }

    /// A worker with other buffer limits (tests use tiny ones to force the streaming path).
    pub fn with_limits(
        selection: &'s Selection,
        prefilter: &'s Prefilter,
        limits: ReadLimits,
    ) -> Self {
        Worker {
            reader: Reader::new(limits),
            selection,
            prefilter,
            shape: RecordShape::new(),
            keep_records: false,
            cancel: Cancel::new(),
            last_read: None,
        }
    }

    /// Stops reading a large file part-way once `cancel` is set.
    pub fn cancelled_by(mut self, cancel: Cancel) -> Self {
        self.cancel = cancel;
        self
    }

    /// Keeps each selected record's JSON text in its event (for the JSON Lines export).
    pub fn keeping_records(mut self, keep: bool) -> Self {
        self.keep_records = keep;
        self
    }

    /// Hashes every file's content as it is read (for `scan --verify`).
    pub fn hashing(self, on: bool) -> Self {
        Worker {
            reader: self.reader.hashing(on),
            ..self
        }
    }

    /// Reads one file (its index in the discovery list is `index`); the selected events go
    /// to `out` as they are found.
    pub fn scan(&mut self, index: u32, file: &InputFile, out: &dyn Collect) -> FileReport {
        self.scan_with(index, file, out, None)
    }

    /// [`Worker::scan`], and the file's evidence for the integrity check when `evidence` is
    /// given: a log file's hash (the worker must be [`Worker::hashing`]), a digest's content.
    pub fn scan_with(
        &mut self,
        index: u32,
        file: &InputFile,
        out: &dyn Collect,
        evidence: Option<&Evidence<'_>>,
    ) -> FileReport {
        let report = self.scan_file(index, file, out);
        if let Some(evidence) = evidence {
            match integrity::read::role(file) {
                Role::Log { key, name } => evidence.add_log(match self.last_read.take() {
                    Some(read) => integrity::read::found_log(&read, &file.display, key, name),
                    // Not read for events (not data at all): hashed all the same.
                    None => integrity::read::read_log(
                        &mut self.reader,
                        &file.path,
                        &file.display,
                        key,
                        name,
                    ),
                }),
                // Digests are not read for events: read them now. So are other files whose
                // content turned out to be a digest's.
                role @ Role::Digest { .. } => {
                    if let Some(d) = integrity::read::read_digest(&mut self.reader, file, &role) {
                        evidence.add_digest(d);
                    }
                }
                role @ Role::Unknown if report.kind == FileKind::Digest => {
                    if let Some(d) = integrity::read::read_digest(&mut self.reader, file, &role) {
                        evidence.add_digest(d);
                    }
                }
                Role::Unknown | Role::Other => {}
            }
        }
        self.last_read = None;
        report
    }

    fn scan_file(&mut self, index: u32, file: &InputFile, out: &dyn Collect) -> FileReport {
        let mut report = FileReport::empty(index, file.size);
        let skip = |report: &mut FileReport, kind, why: &str| {
            report.kind = kind;
            report.status = Status::Skipped;
            report.error = why.to_owned();
        };
        match file.kind {
            PathKind::Digest => {
                skip(
                    &mut report,
                    FileKind::Digest,
                    "CloudTrail digest file (integrity data, not events)",
                );
                return report;
            }
            PathKind::Insight => {
                skip(
                    &mut report,
                    FileKind::Insight,
                    "CloudTrail Insights file (not API calls)",
                );
                return report;
            }
            PathKind::Lake => {
                skip(
                    &mut report,
                    FileKind::Lake,
                    "CloudTrail Lake query result (not a log file)",
                );
                return report;
            }
            PathKind::Other => match starts_like_data(&file.path) {
                Ok(true) => {}
                Ok(false) => {
                    skip(
                        &mut report,
                        FileKind::Other,
                        "not a log file (neither gzip nor JSON)",
                    );
                    return report;
                }
                Err(e) => {
                    report.kind = FileKind::Other;
                    report.status = Status::Unreadable;
                    report.error = format!("cannot read: {e}");
                    return report;
                }
            },
            PathKind::Special => {
                skip(
                    &mut report,
                    FileKind::Other,
                    "not a regular file (a socket, FIFO or device)",
                );
                return report;
            }
            PathKind::Data => {}
        }
        let path: Arc<str> = Arc::from(file.display.as_str());
        self.read(report, file, path, out, |reader, feed| {
            reader.read(&file.path, feed)
        })
    }

    /// Reads a file's content from memory, exactly as [`Worker::scan`] reads it from disk (for
    /// fuzzing and tests).
    pub fn scan_bytes(&mut self, data: &[u8], out: &dyn Collect) -> FileReport {
        let file = InputFile {
            path: "memory".into(),
            display: "memory".into(),
            size: data.len() as u64,
            kind: PathKind::Data,
            json_named: true,
        };
        let report = FileReport::empty(0, data.len() as u64);
        self.read(report, &file, Arc::from("memory"), out, |reader, feed| {
            reader.from_memory(data, data.len() as u64, feed)
        })
    }

    fn read(
        &mut self,
        mut report: FileReport,
        file: &InputFile,
        path: Arc<str>,
        out: &dyn Collect,
        read: impl FnOnce(&mut Reader, &mut dyn Feed) -> ReadReport,
    ) -> FileReport {
        let mut sink = RecordSink {
            origin_file: report.file,
            path,
            selection: self.selection,
            prefilter: self.prefilter,
            shape: &self.shape,
            keep_records: self.keep_records,
            confirmed: false,
            report: &mut report,
            out,
            events: Vec::new(),
            links: Vec::new(),
        };
        let mut feed = FileFeed {
            framer: Framer::new(Options {
                anchors: self.prefilter.anchors(),
                ..Options::new(MAX_RECORD)
            }),
            sink: &mut sink,
            cancel: &self.cancel,
        };
        let read = read(&mut self.reader, &mut feed);
        let framed = feed.framer.finish();
        sink.flush();
        conclude(&mut report, file, &read, &framed);
        self.last_read = Some(read);
        report
    }
}

/// Connects the reader to the framer.
struct FileFeed<'a, 'r, 's> {
    framer: Framer,
    sink: &'a mut RecordSink<'r, 's>,
    cancel: &'a Cancel,
}

impl Feed for FileFeed<'_, '_, '_> {
    fn whole(&mut self, data: &[u8]) {
        self.framer.feed(data, 0, true, self.sink);
    }

    fn whole_hashing(&mut self, data: &[u8], hash: &mut ContentHasher<'_>) {
        let mut pace = |offset| hash.reached(offset);
        self.framer
            .feed_paced(data, 0, true, self.sink, Some(&mut pace));
    }

    fn window(&mut self, data: &[u8], offset: u64, eof: bool) -> usize {
        self.framer.feed(data, offset, eof, self.sink)
    }

    fn finished(&self) -> bool {
        self.framer.is_done() || self.cancel.is_set()
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_set()
    }
}

/// Receives the framed items of one file.
struct RecordSink<'r, 's> {
    origin_file: u32,
    path: Arc<str>,
    selection: &'s Selection,
    prefilter: &'s Prefilter,
    shape: &'s RecordShape,
    keep_records: bool,
    /// A CloudTrail record has been seen: from now on an item that carries the keys of one is
    /// taken for one without decoding (unless the prefilter wants it decoded).
    confirmed: bool,
    report: &'r mut FileReport,
    out: &'r dyn Collect,
    /// Selected events and MFA links not yet handed to `out`.
    events: Vec<Event>,
    links: Vec<MfaLink>,
}

impl RecordSink<'_, '_> {
    fn problem(
        &mut self,
        record: Option<u64>,
        offset: Option<u64>,
        kind: ProblemKind,
        message: String,
    ) {
        if self.report.problems.len() < MAX_PROBLEMS_PER_FILE {
            self.report.problems.push(RecordProblem {
                record,
                offset,
                kind,
                message,
            });
        }
    }

    fn flush(&mut self) {
        if !self.events.is_empty() {
            self.out.events(&mut self.events);
        }
        if !self.links.is_empty() {
            self.out.links(&mut self.links);
        }
    }

    /// Decodes an item: its records are counted and the selected ones kept; anything else in
    /// it is counted by kind.
    fn decode(&mut self, r: &RecordBytes<'_>) {
        let selection = self.selection;
        let links = selection.needs_mfa_links();
        let keep_records = self.keep_records;
        let origin_file = self.origin_file;
        // A record's position is its item's (`.Records[N]`); a wrapper holding several
        // (a whole file met as one item) numbers them on from there.
        let first_index = r.index;
        let mut found_records = 0u64;
        let mut notes: Vec<(u64, ProblemKind, String)> = Vec::new();
        let mut broken: Vec<String> = Vec::new();
        let report = &mut *self.report;
        let (events, mfa_links, path) = (&mut self.events, &mut self.links, &self.path);
        let mut confirmed = false;
        let result = decode(r.bytes, &mut |found| match found {
            Found::Record { raw, text, repairs } => {
                let index = first_index + found_records;
                found_records += 1;
                confirmed = true;
                let source = raw.event_source.or_empty();
                let name = raw.event_name.or_empty();
                let selected = selection.events.selects(source, name);
                let link = links && is_mfa_link(source, name) && raw.error_code.get().is_none();
                if !selected && !link {
                    return;
                }
                let mut event = Event::from_raw(
                    raw,
                    Origin {
                        file: origin_file,
                        record: index,
                    },
                );
                if link && !event.mfa_serial.is_empty() {
                    mfa_links.push(MfaLink {
                        account: event.account.clone(),
                        serial: event.mfa_serial.clone(),
                        user: event.target.clone(),
                        time: event.time,
                    });
                }
                if selected && selection.keeps(&event) {
                    let (print, duplicates) = fingerprint::of_record(text);
                    event.fingerprint = print;
                    event.source_file = Arc::clone(path);
                    if keep_records {
                        event.record = Some(text.into());
                    }
                    let mut lenient: Vec<String> = repairs.iter().map(|r| r.to_string()).collect();
                    raw.notes(&At::ROOT, &mut lenient);
                    if !lenient.is_empty() {
                        notes.push((index, ProblemKind::Lenient, lenient.join("; ")));
                    }
                    if !duplicates.is_empty() {
                        let keys: Vec<String> =
                            duplicates.iter().map(|k| format!("`{k}`")).collect();
                        notes.push((
                            index,
                            ProblemKind::DuplicateKey,
                            format!(
                                "key {} appears twice in one object (the last value is used): a possible sign of tampering",
                                keys.join(", ")
                            ),
                        ));
                    }
                    report.matched += 1;
                    events.push(event);
                }
            }
            Found::NotRecord(kind) => report.non_records.add(kind),
            Found::Broken(e) => {
                found_records += 1;
                broken.push(e.to_string());
            }
        });
        if confirmed {
            self.confirmed = true;
        }
        match result {
            Ok(()) => {
                self.report.records += found_records;
                for message in broken {
                    self.report.undecodable += 1;
                    self.problem(
                        Some(first_index),
                        Some(r.offset),
                        ProblemKind::Unreadable,
                        message,
                    );
                }
            }
            Err(e) => {
                self.report.records += 1;
                self.report.undecodable += 1;
                self.problem(
                    Some(first_index),
                    Some(r.offset),
                    ProblemKind::Unreadable,
                    e.to_string(),
                );
            }
        }
        for (index, kind, message) in notes {
            match kind {
                ProblemKind::Lenient => self.report.lenient += 1,
                ProblemKind::DuplicateKey => self.report.duplicate_keys += 1,
                ProblemKind::Unreadable => {}
            }
            self.problem(Some(index), Some(r.offset), kind, message);
        }
        if self.events.len() >= EVENT_BATCH || self.links.len() >= EVENT_BATCH {
            self.flush();
        }
    }
}

impl Sink for RecordSink<'_, '_> {
    fn record(&mut self, r: RecordBytes<'_>) -> Flow {
        // Most items are records that need no decoding: their bytes say what they are.
        let plainly = !r.escapes
            && if self.confirmed {
                self.shape.likely(r.bytes)
            } else {
                self.shape.plain(r.bytes)
            };
        if !plainly {
            self.decode(&r);
            return Flow::Continue;
        }
        self.confirmed = true;
        if self.prefilter.accepts(r.bytes, r.escapes, r.anchored) {
            self.decode(&r);
        } else {
            self.report.records += 1;
        }
        Flow::Continue
    }

    fn damaged(&mut self, index: u64, offset: u64, damage: Damage) {
        self.report.records += 1;
        self.report.undecodable += 1;
        self.problem(
            Some(index),
            Some(offset),
            ProblemKind::Unreadable,
            damage.to_string(),
        );
    }

    fn non_object(&mut self, _offset: u64) {
        self.report.non_objects += 1;
    }
}

/// Tells a plain CloudTrail record (not a digest, an Insights event, a wrapper or a whole file)
/// from its bytes, so that most files are classified without decoding anything.
pub struct RecordShape {
    version: Finder<'static>,
    other: AhoCorasick,
    keys: AhoCorasick,
}

/// A record's first key, as CloudTrail writes it, is found within this many bytes.
const FIRST_KEY_WITHIN: usize = 64;

impl RecordShape {
    fn new() -> RecordShape {
        let markers = [
            "Insight",
            "\"digestStartTime\"",
            "\"logFiles\"",
            "\"CloudTrailEvent\"",
            "\"detail\"",
            "\"Records\"",
            "\"Events\"",
        ];
        let keys = [
            "\"eventVersion\"",
            "\"eventName\"",
            "\"eventTime\"",
            "\"eventSource\"",
            "\"eventID\"",
            "\"userIdentity\"",
        ];
        RecordShape {
            version: Finder::new(b"\"eventVersion\"").into_owned(),
            other: AhoCorasick::new(markers).expect("fixed patterns build"),
            keys: AhoCorasick::new(keys).expect("fixed patterns build"),
        }
    }

    /// Whether the bytes are plainly a record: an `eventVersion` key and none of the markers of
    /// the other kinds of item.
    fn plain(&self, bytes: &[u8]) -> bool {
        self.version.find(bytes).is_some() && !self.other.is_match(bytes)
    }

    /// Whether an item of a file already known to hold records carries a record's keys (the
    /// first key as CloudTrail writes it, else any key every record has). An item without
    /// them is decoded to learn what it is.
    fn likely(&self, bytes: &[u8]) -> bool {
        // As CloudTrail writes a record, it opens with that key: no search needed.
        if bytes.starts_with(b"{\"eventVersion\"") {
            return true;
        }
        let head = &bytes[..bytes.len().min(FIRST_KEY_WITHIN)];
        self.version.find(head).is_some() || self.keys.is_match(bytes)
    }
}

/// Sets kind, status, format, error and note from what reading and framing found.
fn conclude(report: &mut FileReport, file: &InputFile, read: &ReadReport, framed: &Framed) {
    report.bytes = read.bytes;
    report.format = format!("{}/{}", framed.shape.as_str(), read.encoding.as_str());
    let skipped = report.non_records;
    let nothing_else = report.records == 0 && read.problem.is_none();
    let not_events = match () {
        // Items, none of them a record: the file is what its items are.
        _ if nothing_else && skipped.total() > 0 => Some(if skipped.digest == skipped.total() {
            (
                FileKind::Digest,
                "CloudTrail digest file (integrity data, not events)",
            )
        } else if skipped.insight == skipped.total() {
            (
                FileKind::Insight,
                "CloudTrail Insights events (not API calls)",
            )
        } else {
            (FileKind::Other, "JSON, but not CloudTrail records")
        }),
        // Text that is not JSON at all, in a file whose name does not promise JSON (a `.log`
        // of syslog lines, a `.gz` of CSV): not a log file, not a damaged one.
        _ if framed.ending == (Ending::NotJson { offset: 0 })
            && read.problem.is_none()
            && !file.json_named =>
        {
            Some((FileKind::Other, "not JSON"))
        }
        _ => None,
    };
    if let Some((kind, why)) = not_events {
        report.kind = kind;
        report.status = Status::Skipped;
        report.error = why.to_owned();
        report.records = 0;
        report.undecodable = 0;
        report.problems.clear();
        return;
    }
    let mut reasons: Vec<String> = Vec::new();
    if let Some(problem) = &read.problem {
        reasons.push(problem.to_string());
    }
    match &framed.ending {
        Ending::Complete | Ending::Stopped => {}
        // A read error explains the rest: the framer only saw the data end early.
        Ending::NotJson { .. } | Ending::CutOff { .. } if read.problem.is_some() => {}
        Ending::NotJson { offset } => reasons.push(format!("not JSON (at byte {offset})")),
        Ending::GarbageLines { offset, lines } => {
            let noun = if *lines == 1 { "line is" } else { "lines are" };
            reasons.push(format!(
                "{lines} {noun} not JSON (the first at byte {offset})"
            ))
        }
        Ending::TrailingData { offset } => {
            reasons.push(format!("data after the end of the JSON, at byte {offset}"))
        }
        Ending::CutOff { offset } => reasons.push(format!(
            "JSON cut off (the data ends inside the value that starts at byte {offset})"
        )),
        Ending::Malformed { offset } => reasons.push(format!("malformed JSON at byte {offset}")),
    }
    if report.undecodable > 0 {
        let first = report
            .problems
            .iter()
            .find(|p| p.kind == ProblemKind::Unreadable)
            .and_then(|p| p.record)
            .map(|r| format!(", first #{r}"))
            .unwrap_or_default();
        let noun = if report.undecodable == 1 {
            "record"
        } else {
            "records"
        };
        reasons.push(format!(
            "{} {noun} could not be read{first} (see problems.csv)",
            report.undecodable
        ));
    }
    let mut notes: Vec<String> = Vec::new();
    if framed.non_objects > 0 {
        notes.push(format!(
            "{} array members that are not objects were skipped (not records)",
            framed.non_objects
        ));
    }
    if skipped.total() > 0 {
        let noun = if skipped.total() == 1 {
            "item is not a CloudTrail record"
        } else {
            "items are not CloudTrail records"
        };
        notes.push(format!(
            "{} {noun}, skipped ({})",
            skipped.total(),
            skipped.describe()
        ));
    }
    if report.lenient > 0 {
        let noun = if report.lenient == 1 {
            "record was"
        } else {
            "records were"
        };
        notes.push(format!(
            "{} selected {noun} read leniently (see problems.csv)",
            report.lenient
        ));
    }
    if report.duplicate_keys > 0 {
        let noun = if report.duplicate_keys == 1 {
            "record has"
        } else {
            "records have"
        };
        notes.push(format!(
            "{} selected {noun} a key that appears twice (see problems.csv)",
            report.duplicate_keys
        ));
    }
    report.note = notes.join("; ");
    // Something was made of the file: a record, or at least CloudTrail structure.
    let recognised = report.records > report.undecodable
        || !matches!(framed.shape, Shape::Empty | Shape::NotJson);
    report.status = match (reasons.is_empty(), recognised) {
        (true, _) => Status::Ok,
        (false, true) => Status::Partial,
        (false, false) => Status::Unreadable,
    };
    report.error = reasons.join("; ");
}
