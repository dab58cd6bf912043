//! One input file: read, frame, prefilter, decode and filter, then a verdict for the manifest.

use crate::discover::{InputFile, PathKind, starts_like_data};
use crate::event::decode::{ItemKind, decode};
use crate::event::fingerprint;
use crate::event::{Event, Origin};
use crate::filter::{Selection, is_mfa_link};
use crate::frame::{Damage, Ending, Flow, Framed, Framer, Options, RecordBytes, Shape, Sink};
use crate::input::{Feed, ReadLimits, ReadReport, Reader};
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

/// A successful `EnableMFADevice`: which user a device serial went to, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaLink {
    pub account: String,
    pub serial: String,
    pub user: String,
    pub time: Option<crate::event::time::Timestamp>,
}

/// A record that could not be read, for problems.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    pub record: Option<u64>,
    pub offset: Option<u64>,
    pub message: String,
}

/// Everything one file contributed.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: u32,
    pub kind: FileKind,
    pub status: Status,
    /// Layout and encoding, e.g. `records/gzip`.
    pub format: String,
    pub bytes: u64,
    pub records: u64,
    /// Records selected (before duplicates are removed).
    pub matched: u64,
    pub undecodable: u64,
    pub non_objects: u64,
    /// Why the file is partial, unreadable or skipped.
    pub error: String,
    /// Something worth knowing that is not an error (array members that are not objects).
    pub note: String,
    pub events: Vec<Event>,
    pub links: Vec<MfaLink>,
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
            non_objects: 0,
            error: String::new(),
            note: String::new(),
            events: Vec::new(),
            links: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// A per-thread worker: buffers and decoders reused for every file.
pub struct Worker<'s> {
    reader: Reader,
    selection: &'s Selection,
    prefilter: &'s Prefilter,
    shape: RecordShape,
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
        }
    }

    /// Reads one file (its index in the discovery list is `index`).
    pub fn scan(&mut self, index: u32, file: &InputFile) -> FileReport {
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
        self.read(report, file, |reader, feed| reader.read(&file.path, feed))
    }

    /// Reads a file's content from memory, exactly as [`Worker::scan`] reads it from disk (for
    /// fuzzing and tests).
    pub fn scan_bytes(&mut self, data: &[u8]) -> FileReport {
        let file = InputFile {
            path: "memory".into(),
            display: "memory".into(),
            size: data.len() as u64,
            kind: PathKind::Data,
            json_named: true,
        };
        let report = FileReport::empty(0, data.len() as u64);
        self.read(report, &file, |reader, feed| {
            reader.from_memory(data, data.len() as u64, feed)
        })
    }

    fn read(
        &mut self,
        mut report: FileReport,
        file: &InputFile,
        read: impl FnOnce(&mut Reader, &mut dyn Feed) -> ReadReport,
    ) -> FileReport {
        let mut sink = RecordSink {
            origin_file: report.file,
            selection: self.selection,
            prefilter: self.prefilter,
            shape: &self.shape,
            kind: None,
            report: &mut report,
        };
        let mut feed = FileFeed {
            framer: Framer::new(Options {
                anchors: self.prefilter.anchors(),
                ..Options::new(MAX_RECORD)
            }),
            sink: &mut sink,
        };
        let read = read(&mut self.reader, &mut feed);
        let framed = feed.framer.finish();
        let kind = sink.kind;
        conclude(&mut report, file, &read, &framed, kind);
        report
    }
}

/// Connects the reader to the framer.
struct FileFeed<'a, 'r, 's> {
    framer: Framer,
    sink: &'a mut RecordSink<'r, 's>,
}

impl Feed for FileFeed<'_, '_, '_> {
    fn whole(&mut self, data: &[u8]) {
        self.framer.feed(data, 0, true, self.sink);
    }

    fn window(&mut self, data: &[u8], offset: u64, eof: bool) -> usize {
        self.framer.feed(data, offset, eof, self.sink)
    }

    fn finished(&self) -> bool {
        self.framer.is_done()
    }
}

/// Receives the framed records of one file.
struct RecordSink<'r, 's> {
    origin_file: u32,
    selection: &'s Selection,
    prefilter: &'s Prefilter,
    shape: &'s RecordShape,
    /// What the content turned out to be, once a record has been decoded.
    kind: Option<ItemKind>,
    report: &'r mut FileReport,
}

impl RecordSink<'_, '_> {
    fn problem(&mut self, record: Option<u64>, offset: Option<u64>, message: String) {
        if self.report.problems.len() < MAX_PROBLEMS_PER_FILE {
            self.report.problems.push(RecordProblem {
                record,
                offset,
                message,
            });
        }
    }

    /// Decodes a record and keeps what the selection wants. Returns what the item was.
    fn decode(&mut self, r: &RecordBytes<'_>) -> Option<ItemKind> {
        let origin = Origin {
            file: self.origin_file,
            record: r.index,
        };
        let selection = self.selection;
        let links = selection.needs_mfa_links();
        let report = &mut *self.report;
        let result = decode(r.bytes, &mut |raw, text| {
            let source = raw.event_source.or_empty();
            let name = raw.event_name.or_empty();
            let selected = selection.events.selects(source, name);
            let link = links && is_mfa_link(source, name) && raw.error_code.get().is_none();
            if !selected && !link {
                return;
            }
            let mut event = Event::from_raw(raw, origin);
            if link && !event.mfa_serial.is_empty() {
                report.links.push(MfaLink {
                    account: event.account.clone(),
                    serial: event.mfa_serial.clone(),
                    user: event.target.clone(),
                    time: event.time,
                });
            }
            if selected && selection.keeps(&event) {
                event.fingerprint = fingerprint::of_record(text);
                report.matched += 1;
                report.events.push(event);
            }
        });
        match result {
            Ok(kind) => Some(kind),
            Err(e) => {
                self.report.undecodable += 1;
                self.problem(Some(r.index), Some(r.offset), e.to_string());
                None
            }
        }
    }
}

impl Sink for RecordSink<'_, '_> {
    fn record(&mut self, r: RecordBytes<'_>) -> Flow {
        self.report.records += 1;
        if self.kind.is_none() {
            // Until one record has been seen, the file might be a digest or other JSON. A plain
            // record says so in its bytes; anything else is decoded to find out.
            if !r.escapes && self.shape.plain(r.bytes) {
                self.kind = Some(ItemKind::Records(1));
                return self.record_seen(r);
            }
            let kind = self.decode(&r);
            if let Some(kind) = kind {
                self.kind = Some(kind);
                if !matches!(kind, ItemKind::Records(_)) {
                    return Flow::Stop;
                }
            }
            return Flow::Continue;
        }
        self.record_seen(r)
    }

    fn damaged(&mut self, index: u64, offset: u64, damage: Damage) {
        self.report.records += 1;
        self.report.undecodable += 1;
        self.problem(Some(index), Some(offset), damage.to_string());
    }

    fn non_object(&mut self, _offset: u64) {
        self.report.non_objects += 1;
    }
}

impl RecordSink<'_, '_> {
    /// A record of a file known to hold CloudTrail records: decoded if it is a candidate.
    fn record_seen(&mut self, r: RecordBytes<'_>) -> Flow {
        if self.prefilter.accepts(r.bytes, r.escapes, r.anchored) {
            self.decode(&r);
        }
        Flow::Continue
    }
}

/// Tells a plain CloudTrail record (not a digest, an Insights event, a wrapper or a whole file)
/// from its bytes, so that most files are classified without decoding anything.
pub struct RecordShape {
    version: Finder<'static>,
    other: AhoCorasick,
}

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
        RecordShape {
            version: Finder::new(b"\"eventVersion\"").into_owned(),
            other: AhoCorasick::new(markers).expect("fixed patterns build"),
        }
    }

    /// Whether the bytes are plainly a record: an `eventVersion` key and none of the markers of
    /// the other kinds of item.
    fn plain(&self, bytes: &[u8]) -> bool {
        self.version.find(bytes).is_some() && !self.other.is_match(bytes)
    }
}

/// Sets kind, status, format and error from what reading and framing found.
fn conclude(
    report: &mut FileReport,
    file: &InputFile,
    read: &ReadReport,
    framed: &Framed,
    kind: Option<ItemKind>,
) {
    report.bytes = read.bytes;
    report.format = format!("{}/{}", framed.shape.as_str(), read.encoding.as_str());
    let not_events = match kind {
        Some(ItemKind::Digest) => Some((
            FileKind::Digest,
            "CloudTrail digest file (integrity data, not events)",
        )),
        Some(ItemKind::Insight) => Some((
            FileKind::Insight,
            "CloudTrail Insights events (not API calls)",
        )),
        Some(ItemKind::Other) => Some((FileKind::Other, "JSON, but not CloudTrail records")),
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
            .first()
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
    if framed.non_objects > 0 {
        report.note = format!(
            "{} array members that are not objects were skipped (not records)",
            framed.non_objects
        );
    }
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
