//! Framing: decompressed bytes in, one byte slice per record out.
//!
//! A CloudTrail file may be `{"Records":[...]}`, lookup-events output (`{"Events":[...]}`), a bare
//! array, a single object, concatenated objects or JSON Lines, in any spelling, and it may be cut
//! off or damaged. The framer recognises the shape from the content, hands every object element
//! to a [`Sink`] as a byte slice (it never parses one), and says precisely what went wrong and
//! where when the bytes stop making sense.
//!
//! The framer is push-based and resumable: the reader feeds it a window of bytes with
//! [`Framer::feed`]; it returns how many leading bytes it no longer needs, so huge files stream
//! through a bounded buffer. A record larger than the limit is reported and skipped, not held.
//!
//! A state machine (`Core`) decides what every byte between values means. Inside a clean
//! records array it hands over to a bulk path (`bulk.rs`) that takes a whole run of records per
//! scan and gives anything unusual back, so that the two always agree (tests frame every input
//! both ways).

mod bulk;
mod lines;
mod recover;
pub mod structural;

pub use structural::Anchors;
use structural::{Nesting, Stop, check_brackets};

/// Where a record sat in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Container {
    /// An element of a top-level object's `Records` array (CloudTrail's own format).
    Records,
    /// An element of lookup-events output's `Events` array.
    Events,
    /// An element of a bare top-level array.
    Array,
    /// A top-level object: a single-record file, one of several concatenated objects, or a line
    /// of a JSON Lines file.
    Object,
}

/// One framed record: the bytes of a JSON object, not yet parsed.
#[derive(Debug, Clone, Copy)]
pub struct RecordBytes<'a> {
    /// Position of the record among all records of the file, from 0.
    pub index: u64,
    /// Offset of the record's first byte in the decompressed stream.
    pub offset: u64,
    pub bytes: &'a [u8],
    pub container: Container,
    /// The record holds a `\u` escape, which could spell anything: byte prefilters must let
    /// it through.
    pub escapes: bool,
    /// The record holds one of the [`Options::anchors`] patterns.
    pub anchored: bool,
}

/// Why a record could not be framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The data ended inside the record.
    CutOff,
    /// The brackets do not match (at the given stream offset).
    Malformed { at: u64 },
    /// The record is larger than the per-record limit (in bytes); it was skipped.
    TooLarge { limit: usize },
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::CutOff => write!(f, "record cut off (the data ends inside it)"),
            Damage::Malformed { at } => {
                write!(f, "malformed JSON (brackets do not match at byte {at})")
            }
            Damage::TooLarge { limit } => {
                write!(
                    f,
                    "record larger than the {} MiB limit, skipped",
                    limit >> 20
                )
            }
        }
    }
}

/// Whether the framer should go on after a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Told how far the framer's fast path is about to read (a stream offset), every few hundred
/// bytes, for work to be done alongside it (see [`Framer::feed_paced`]).
pub type Pace<'a, 'f> = &'a mut (dyn FnMut(u64) + 'f);

/// Receives what the framer finds, in file order.
pub trait Sink {
    /// A complete object element.
    fn record(&mut self, record: RecordBytes<'_>) -> Flow;
    /// A record (with its index and offset) that could not be framed.
    fn damaged(&mut self, index: u64, offset: u64, damage: Damage);
    /// A member of a records array that is not an object (skipped, not a record).
    fn non_object(&mut self, offset: u64);
}

/// How the data as a whole ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every value was complete (possibly none: an empty file).
    Complete,
    /// The first bytes are not JSON; the file holds no records.
    NotJson { offset: u64 },
    /// Something other than JSON follows the last complete value.
    TrailingData { offset: u64 },
    /// The data ended inside a value (outside any record, or after records were cut off).
    CutOff { offset: u64 },
    /// The brackets stopped matching outside any record, at this offset.
    Malformed { offset: u64 },
    /// The sink asked to stop.
    Stopped,
    /// JSON Lines with lines that are not JSON at all (not counted as records): how many, and
    /// where the first one starts.
    GarbageLines { offset: u64, lines: u64 },
}

/// The recognised layout of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// Nothing but whitespace.
    #[default]
    Empty,
    /// `{"Records":[...]}`.
    Records,
    /// `{"Events":[...]}` from `aws cloudtrail lookup-events`.
    Events,
    /// A bare array of records.
    Array,
    /// One object, or several concatenated.
    Objects,
    /// One JSON value per line.
    Lines,
    /// Not JSON.
    NotJson,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Empty => "empty",
            Shape::Records => "records",
            Shape::Events => "lookup-events",
            Shape::Array => "array",
            Shape::Objects => "objects",
            Shape::Lines => "json-lines",
            Shape::NotJson => "not-json",
        }
    }
}

/// How the framer works: the memory bound, and the prefilter's patterns.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// A record larger than this is skipped and reported.
    pub max_record: usize,
    /// Patterns that mark a record as a candidate (see [`RecordBytes::anchored`]).
    pub anchors: Anchors,
    /// Frame clean runs of a records array in bulk (see `bulk.rs`). Always on in scans; off, the
    /// framer takes every member through its state machine, which tests compare against.
    pub bulk: bool,
}

impl Options {
    /// Records up to `max_record` bytes, every record anchored.
    pub const fn new(max_record: usize) -> Options {
        Options {
            max_record,
            anchors: Anchors::ALL,
            bulk: true,
        }
    }
}

/// The result of framing one file.
#[derive(Debug, Clone)]
pub struct Framed {
    pub shape: Shape,
    pub ending: Ending,
    /// Records seen, damaged ones included.
    pub records: u64,
    /// Members of a records array that were not objects.
    pub non_objects: u64,
}

/// Bytes the framer looks at before choosing between JSON Lines and structural framing.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Splits a decompressed stream into records.
#[derive(Debug)]
pub struct Framer {
    mode: Mode,
    limits: Options,
    bom_checked: bool,
}

#[derive(Debug)]
enum Mode {
    /// Waiting for enough bytes to tell JSON Lines from other layouts.
    Sniffing,
    Structural(Core),
    Lines(lines::Lines),
}

impl Framer {
    pub fn new(limits: Options) -> Self {
        Framer {
            mode: Mode::Sniffing,
            limits,
            bom_checked: false,
        }
    }

    /// Frames what it can of `window`, whose first byte is at stream offset `offset`;
    /// `eof` says no bytes follow. Returns how many leading bytes of the window are no longer
    /// needed: the next call must pass the window starting after them.
    pub fn feed(&mut self, window: &[u8], offset: u64, eof: bool, sink: &mut dyn Sink) -> usize {
        self.feed_paced(window, offset, eof, sink, None)
    }

    /// [`Framer::feed`], telling `pace` how far the fast path through a records array is about
    /// to read, every 256 bytes. A caller that hashes the same bytes hashes a stretch there:
    /// SHA-256 waits on the latency of its rounds, and the processor fills part of the wait with
    /// the framing. Nothing else depends on it: the pace only says when, and the caller must
    /// still see to every byte itself.
    pub fn feed_paced(
        &mut self,
        window: &[u8],
        offset: u64,
        eof: bool,
        sink: &mut dyn Sink,
        pace: Option<Pace<'_, '_>>,
    ) -> usize {
        let mut skip = 0;
        if !self.bom_checked {
            if window.len() < 3 && !eof {
                return 0;
            }
            self.bom_checked = true;
            if window.starts_with(b"\xEF\xBB\xBF") {
                skip = 3;
            }
        }
        if let Mode::Sniffing = self.mode {
            let body = &window[skip..];
            if body.len() < SNIFF_BYTES && !eof {
                return skip;
            }
            self.mode = match lines::sniff(body) {
                lines::Sniff::Lines => Mode::Lines(lines::Lines::new(self.limits)),
                lines::Sniff::Structural => Mode::Structural(Core::new(self.limits)),
                lines::Sniff::Undecided => {
                    let mut core = Core::new(self.limits);
                    core.lines_fallback = true;
                    Mode::Structural(core)
                }
            };
        }
        let body = &window[skip..];
        let start = offset + skip as u64;
        let used = match &mut self.mode {
            Mode::Sniffing => unreachable!("decided above"),
            Mode::Structural(core) => {
                let used = core.feed(body, start, eof, sink, pace);
                match core.handoff.take() {
                    None => used,
                    Some(h) => {
                        // The data is JSON Lines after all: frame the rest line by line.
                        let mut lines = lines::Lines::resume(
                            self.limits,
                            h.at,
                            h.skipping,
                            core.records(),
                            core.non_objects(),
                            h.from_nothing,
                        );
                        let rel = (h.at.saturating_sub(start) as usize).min(body.len());
                        let more = lines.feed(&body[rel..], start + rel as u64, eof, sink);
                        self.mode = Mode::Lines(lines);
                        rel + more
                    }
                }
            }
            Mode::Lines(lines) => lines.feed(body, start, eof, sink),
        };
        skip + used
    }

    /// Whether the framer has stopped for good (the data stopped being JSON, or the sink asked
    /// it to): nothing more needs to be fed.
    pub fn is_done(&self) -> bool {
        match &self.mode {
            Mode::Structural(core) => core.ending().is_some(),
            Mode::Lines(lines) => lines.is_done(),
            Mode::Sniffing => false,
        }
    }

    /// What the framer made of the data. Call after the last `feed` (with `eof`).
    pub fn finish(self) -> Framed {
        match self.mode {
            Mode::Sniffing => Framed {
                shape: Shape::Empty,
                ending: Ending::Complete,
                records: 0,
                non_objects: 0,
            },
            Mode::Structural(core) => core.finish(),
            Mode::Lines(lines) => lines.finish(),
        }
    }
}

/// Structural framing of one stream (or of one line, in JSON Lines mode).
#[derive(Debug)]
pub(crate) struct Core {
    state: State,
    nest: Nesting,
    limits: Options,
    /// Next byte to look at (stream offset).
    pos: u64,
    shape: Shape,
    values: u64,
    records: u64,
    non_objects: u64,
    ending: Option<Ending>,
    ended_in_record: bool,
    /// The fast path's batch of spans (kept for its allocation).
    spans: Vec<structural::Span>,
    /// Hand over to line framing at the first failure between top-level values (the sniff
    /// could not tell JSON Lines with a long first line from a single-value file).
    pub(crate) lines_fallback: bool,
    /// Set when it does: where line framing takes over.
    pub(crate) handoff: Option<Handoff>,
}

/// Where line framing takes over from structural framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Handoff {
    pub(crate) at: u64,
    /// `at` is inside a broken line: skip to its end.
    pub(crate) skipping: bool,
    /// No JSON value had been found before.
    pub(crate) from_nothing: bool,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Between top-level values.
    Top,
    /// Inside a top-level object that has not shown a records array (yet).
    Object {
        start: u64,
        too_large: bool,
    },
    /// Inside a top-level object after its records array closed.
    Remainder,
    /// Inside a records array at nesting `depth`, between members.
    Gap {
        container: Container,
        depth: u32,
    },
    /// Inside an object member of a records array.
    Element {
        container: Container,
        depth: u32,
        start: u64,
        too_large: bool,
    },
    /// An object member closed at `end`; it is a record once a `,` or `]` follows. (A record
    /// that lost a `}` closes on the brackets of what follows it; this is where that shows.)
    Closing {
        container: Container,
        depth: u32,
        start: u64,
        end: u64,
        too_large: bool,
    },
    /// Inside a member that is an array (not a record).
    ArrayMember {
        container: Container,
        depth: u32,
    },
    /// Inside a member that is a string (not a record).
    StringMember {
        container: Container,
        depth: u32,
        escaped: bool,
    },
    Done,
}

impl Core {
    pub(crate) fn new(limits: Options) -> Self {
        Core {
            state: State::Top,
            nest: Nesting::with_anchors(limits.anchors),
            limits,
            pos: 0,
            shape: Shape::Empty,
            values: 0,
            records: 0,
            non_objects: 0,
            ending: None,
            ended_in_record: false,
            spans: Vec::new(),
            lines_fallback: false,
            handoff: None,
        }
    }

    /// Stops structural framing: line framing takes over at `at`.
    fn hand_off(&mut self, at: u64, skipping: bool) {
        self.handoff = Some(Handoff {
            at,
            skipping,
            from_nothing: self.values == 0 && self.records == 0,
        });
        self.state = State::Done;
    }

    /// Whether a failure between or inside top-level objects hands over to line framing.
    fn falls_back(&self) -> bool {
        self.lines_fallback && matches!(self.shape, Shape::Empty | Shape::Objects)
    }

    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    pub(crate) fn finish(self) -> Framed {
        Framed {
            shape: self.shape,
            ending: self.ending.unwrap_or(Ending::Complete),
            records: self.records,
            non_objects: self.non_objects,
        }
    }

    /// Starts over on a new stream (the next JSON Lines line), keeping the allocations and
    /// numbering records on from `records`.
    pub(crate) fn restart(&mut self, records: u64, non_objects: u64) {
        self.nest.reset();
        self.state = State::Top;
        self.pos = 0;
        self.shape = Shape::Empty;
        self.values = 0;
        self.records = records;
        self.non_objects = non_objects;
        self.ending = None;
        self.ended_in_record = false;
    }

    pub(crate) fn non_objects(&self) -> u64 {
        self.non_objects
    }

    pub(crate) fn ending(&self) -> Option<&Ending> {
        self.ending.as_ref()
    }

    fn end(&mut self, ending: Ending) {
        self.ended_in_record = matches!(
            self.state,
            State::Object { .. } | State::Element { .. } | State::Closing { .. }
        );
        self.ending = Some(ending);
        self.state = State::Done;
    }

    /// Whether the data ended (or broke) inside a record, which was then reported as damaged.
    pub(crate) fn ended_in_record(&self) -> bool {
        self.ended_in_record
    }

    fn damaged(&mut self, sink: &mut dyn Sink, offset: u64, damage: Damage) {
        sink.damaged(self.records, offset, damage);
        self.records += 1;
    }

    /// Frames `window` (stream offset `base`); returns the number of leading bytes released.
    /// `pace` is told how far the bulk path is about to read ([`Framer::feed_paced`]).
    pub(crate) fn feed(
        &mut self,
        window: &[u8],
        base: u64,
        eof: bool,
        sink: &mut dyn Sink,
        mut pace: Option<Pace<'_, '_>>,
    ) -> usize {
        if self.pos < base {
            self.pos = base;
        }
        let end = base + window.len() as u64;
        loop {
            let at = (self.pos - base) as usize;
            match self.state {
                State::Done => return window.len(),
                State::Top => {
                    let Some(i) = skip_ws(window, at) else {
                        self.pos = end;
                        if eof {
                            self.end(Ending::Complete);
                        }
                        return window.len();
                    };
                    self.pos = base + i as u64;
                    // A byte-order mark between values (files concatenated with `cat`).
                    if window[i] == 0xEF {
                        let rest = &window[i..];
                        if rest.len() < 3 && !eof && b"\xEF\xBB\xBF".starts_with(rest) {
                            return self.release(base, window.len());
                        }
                        if rest.starts_with(b"\xEF\xBB\xBF") {
                            self.pos += 3;
                            continue;
                        }
                    }
                    let textual = || !window[i..window.len().min(i + 1024)].contains(&0);
                    match window[i] {
                        b'{' => {
                            self.nest.reset();
                            self.nest.open();
                            self.state = State::Object {
                                start: self.pos,
                                too_large: false,
                            };
                            self.pos += 1;
                        }
                        b'[' => {
                            self.nest.reset();
                            self.nest.open();
                            self.set_shape(Shape::Array);
                            self.state = State::Gap {
                                container: Container::Array,
                                depth: 1,
                            };
                            self.pos += 1;
                        }
                        _ if self.falls_back() && textual() => self.hand_off(self.pos, false),
                        _ if self.values == 0 => {
                            self.shape = Shape::NotJson;
                            self.end(Ending::NotJson { offset: self.pos });
                        }
                        _ => self.end(Ending::TrailingData { offset: self.pos }),
                    }
                }
                State::Object { start, too_large } => match self.nest.run(window, at, 0, Some(1)) {
                    Stop::Closed(e) if window[e - 1] == b'}' => {
                        self.pos = base + e as u64;
                        self.values += 1;
                        self.set_shape(Shape::Objects);
                        self.state = State::Top;
                        if !too_large {
                            let s = (start - base) as usize;
                            self.emit(sink, &window[s..e], start, Container::Object);
                        }
                    }
                    Stop::Closed(e) => {
                        self.pos = base + e as u64 - 1;
                        if !too_large {
                            self.damaged(sink, start, Damage::Malformed { at: self.pos });
                        }
                        if self.falls_back() {
                            self.hand_off(start + 1, true);
                            continue;
                        }
                        self.values += 1;
                        self.end(Ending::Malformed { offset: self.pos });
                    }
                    Stop::Opened(o) => {
                        self.pos = base + o as u64 + 1;
                        if let Some(container) = records_key_before(window, o) {
                            self.set_shape(match container {
                                Container::Events => Shape::Events,
                                _ => Shape::Records,
                            });
                            self.state = State::Gap {
                                container,
                                depth: 2,
                            };
                        }
                    }
                    Stop::NeedMore => {
                        self.pos = end;
                        if eof {
                            if !too_large {
                                self.damaged(sink, start, Damage::CutOff);
                            }
                            if self.falls_back() && !too_large {
                                self.hand_off(start + 1, true);
                                continue;
                            }
                            self.end(Ending::CutOff { offset: start });
                        } else if !too_large && (end - start) as usize > self.limits.max_record {
                            self.damaged(
                                sink,
                                start,
                                Damage::TooLarge {
                                    limit: self.limits.max_record,
                                },
                            );
                            if self.falls_back() {
                                self.hand_off(end, true);
                                continue;
                            }
                            self.state = State::Object {
                                start,
                                too_large: true,
                            };
                        }
                    }
                },
                State::Remainder => match self.nest.run(window, at, 0, Some(1)) {
                    Stop::Closed(e) if window[e - 1] == b'}' => {
                        self.pos = base + e as u64;
                        self.values += 1;
                        self.state = State::Top;
                    }
                    Stop::Closed(e) => {
                        self.pos = base + e as u64 - 1;
                        self.end(Ending::Malformed { offset: self.pos });
                    }
                    Stop::Opened(o) => {
                        self.pos = base + o as u64 + 1;
                        if let Some(container) = records_key_before(window, o) {
                            self.state = State::Gap {
                                container,
                                depth: 2,
                            };
                        }
                    }
                    Stop::NeedMore => {
                        self.pos = end;
                        if eof {
                            self.end(Ending::CutOff { offset: end });
                        }
                    }
                },
                State::Gap { container, depth } => {
                    let Some(i) = skip_ws_commas(window, at) else {
                        self.pos = end;
                        if eof {
                            self.end(Ending::CutOff { offset: end });
                        }
                        return window.len();
                    };
                    self.pos = base + i as u64;
                    match window[i] {
                        b'{' if self.limits.bulk
                            && self.bulk(
                                window,
                                base,
                                at,
                                container,
                                depth,
                                sink,
                                pace.as_deref_mut(),
                            ) => {}
                        b'{' => {
                            self.nest.open();
                            self.nest.take_flags();
                            self.state = State::Element {
                                container,
                                depth,
                                start: self.pos,
                                too_large: false,
                            };
                            self.pos += 1;
                        }
                        b']' => {
                            self.nest.close();
                            self.pos += 1;
                            if depth == 1 {
                                self.values += 1;
                                self.state = State::Top;
                            } else {
                                self.state = State::Remainder;
                            }
                        }
                        b'[' => {
                            self.nest.open();
                            self.state = State::ArrayMember { container, depth };
                            self.pos += 1;
                        }
                        b'"' => {
                            self.state = State::StringMember {
                                container,
                                depth,
                                escaped: false,
                            };
                            self.pos += 1;
                        }
                        b'}' => {
                            // A `}` where a member should be: the array was never closed.
                            self.end(Ending::Malformed { offset: self.pos });
                        }
                        _ => {
                            // A number, a literal or garbage: one token, up to the next separator.
                            match window[i..].iter().position(|&b| {
                                matches!(b, b',' | b']' | b'}' | b'{' | b'[' | b'"')
                                    || b.is_ascii_whitespace()
                            }) {
                                Some(n) => {
                                    self.pos += n as u64;
                                    self.non_objects += 1;
                                    sink.non_object(base + i as u64);
                                }
                                None if eof => {
                                    self.pos = end;
                                    self.end(Ending::CutOff {
                                        offset: base + i as u64,
                                    });
                                }
                                None => return self.release(base, window.len()),
                            }
                        }
                    }
                }
                State::Element {
                    container,
                    depth,
                    start,
                    too_large,
                } => {
                    match self.nest.run(window, at, depth, None) {
                        Stop::Closed(e) if window[e - 1] == b'}' => {
                            self.pos = base + e as u64;
                            self.state = State::Closing {
                                container,
                                depth,
                                start,
                                end: self.pos,
                                too_large,
                            };
                        }
                        Stop::Closed(e) => {
                            // The record's brackets do not match: a `]` closed it, or one stood
                            // in for a missing `}` and the record swallowed its neighbours.
                            self.pos = base + e as u64 - 1;
                            self.recover(
                                window,
                                base,
                                start,
                                too_large,
                                Damage::Malformed { at: self.pos },
                                container,
                                depth,
                                sink,
                            );
                        }
                        Stop::NeedMore => {
                            self.pos = end;
                            if eof {
                                self.recover(
                                    window,
                                    base,
                                    start,
                                    too_large,
                                    Damage::CutOff,
                                    container,
                                    depth,
                                    sink,
                                );
                            } else if !too_large && (end - start) as usize > self.limits.max_record
                            {
                                self.damaged(
                                    sink,
                                    start,
                                    Damage::TooLarge {
                                        limit: self.limits.max_record,
                                    },
                                );
                                self.state = State::Element {
                                    container,
                                    depth,
                                    start,
                                    too_large: true,
                                };
                            }
                        }
                        Stop::Opened(_) => unreachable!("no watch depth"),
                    }
                }
                State::Closing {
                    container,
                    depth,
                    start,
                    end: close,
                    too_large,
                } => {
                    let record = ((start - base) as usize, (close - base) as usize);
                    let record = |window| span(window, record);
                    match skip_ws(window, at) {
                        Some(i) if matches!(window[i], b',' | b']') => {
                            self.pos = base + i as u64;
                            self.state = State::Gap { container, depth };
                            if !too_large {
                                self.emit(sink, record(window), start, container);
                            }
                        }
                        Some(i) => {
                            self.pos = base + i as u64;
                            self.recover(
                                window,
                                base,
                                start,
                                too_large,
                                Damage::Malformed { at: self.pos },
                                container,
                                depth,
                                sink,
                            );
                        }
                        None if !eof => {
                            self.pos = end;
                        }
                        // The data ends right after the record: whether it is whole or swallowed
                        // what followed it, only a full bracket check can tell.
                        None => {
                            match check_brackets(if too_large { b"{}" } else { record(window) }) {
                                Ok(()) => {
                                    self.pos = end;
                                    self.state = State::Gap { container, depth };
                                    if !too_large {
                                        self.emit(sink, record(window), start, container);
                                    }
                                }
                                Err(i) => {
                                    self.pos = start + i as u64;
                                    self.recover(
                                        window,
                                        base,
                                        start,
                                        too_large,
                                        Damage::Malformed { at: self.pos },
                                        container,
                                        depth,
                                        sink,
                                    );
                                }
                            }
                        }
                    }
                }
                State::ArrayMember { container, depth } => {
                    match self.nest.run(window, at, depth, None) {
                        Stop::Closed(e) if window[e - 1] == b']' => {
                            self.pos = base + e as u64;
                            self.non_objects += 1;
                            sink.non_object(self.pos);
                            self.state = State::Gap { container, depth };
                        }
                        Stop::Closed(e) => {
                            self.pos = base + e as u64 - 1;
                            self.end(Ending::Malformed { offset: self.pos });
                        }
                        Stop::NeedMore => {
                            self.pos = end;
                            if eof {
                                self.end(Ending::CutOff { offset: end });
                            }
                        }
                        Stop::Opened(_) => unreachable!("no watch depth"),
                    }
                }
                State::StringMember {
                    container,
                    depth,
                    escaped,
                } => match string_end(window, at, escaped) {
                    Ok(e) => {
                        self.pos = base + e as u64;
                        self.non_objects += 1;
                        sink.non_object(self.pos);
                        self.state = State::Gap { container, depth };
                    }
                    Err(escaped) => {
                        self.pos = end;
                        self.state = State::StringMember {
                            container,
                            depth,
                            escaped,
                        };
                        if eof {
                            self.end(Ending::CutOff { offset: end });
                        }
                    }
                },
            }
            if self.pos >= end && !matches!(self.state, State::Done) && !eof {
                return self.release(base, window.len());
            }
        }
    }

    /// How many leading bytes of the window (at `base`, `len` long) are no longer needed.
    fn release(&self, base: u64, len: usize) -> usize {
        let keep_from = match self.state {
            State::Object {
                start,
                too_large: false,
            }
            | State::Element {
                start,
                too_large: false,
                ..
            }
            | State::Closing {
                start,
                too_large: false,
                ..
            } => start,
            _ => self.pos,
        };
        ((keep_from.saturating_sub(base)) as usize).min(len)
    }

    /// Hands a complete record to the sink, unless it is over the size limit: the limit applies
    /// whether or not the record happened to arrive in one window, so results never depend on
    /// how the data was chunked.
    fn emit(&mut self, sink: &mut dyn Sink, bytes: &[u8], offset: u64, container: Container) {
        if bytes.len() > self.limits.max_record {
            self.damaged(
                sink,
                offset,
                Damage::TooLarge {
                    limit: self.limits.max_record,
                },
            );
            return;
        }
        let flags = self.nest.take_flags();
        self.emit_flagged(sink, bytes, offset, container, flags);
    }

    /// Hands a record within the size limit to the sink, with the flags seen in it.
    fn emit_flagged(
        &mut self,
        sink: &mut dyn Sink,
        bytes: &[u8],
        offset: u64,
        container: Container,
        flags: structural::Flags,
    ) {
        let record = RecordBytes {
            index: self.records,
            offset,
            bytes,
            container,
            escapes: flags.escapes,
            anchored: flags.anchored,
        };
        self.records += 1;
        if sink.record(record) == Flow::Stop {
            self.end(Ending::Stopped);
        }
    }

    fn set_shape(&mut self, shape: Shape) {
        if self.shape == Shape::Empty {
            self.shape = shape;
        }
    }

    /// A record of a records array is damaged: report it, then find the next record that frames
    /// cleanly (see [`recover`]) and go on from there, or end.
    #[allow(clippy::too_many_arguments)]
    fn recover(
        &mut self,
        window: &[u8],
        base: u64,
        start: u64,
        too_large: bool,
        damage: Damage,
        container: Container,
        depth: u32,
        sink: &mut dyn Sink,
    ) {
        let cut_off = damage == Damage::CutOff;
        if !too_large {
            self.damaged(sink, start, damage);
        }
        let from = if too_large { self.pos } else { start + 1 };
        let from_idx = (from.saturating_sub(base) as usize).min(window.len());
        match recover::next_record(window, from_idx) {
            Some(r) => {
                self.nest.reset();
                if depth == 2 {
                    self.nest.open();
                }
                self.nest.open();
                self.pos = base + r as u64;
                self.state = State::Gap { container, depth };
            }
            None if cut_off => self.end(Ending::CutOff { offset: start }),
            None => self.end(Ending::Malformed { offset: self.pos }),
        }
    }
}

/// `window[from..to]`.
fn span(window: &[u8], (from, to): (usize, usize)) -> &[u8] {
    &window[from..to]
}

/// First non-whitespace index at or after `at`.
fn skip_ws(buf: &[u8], at: usize) -> Option<usize> {
    buf[at.min(buf.len())..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| at + i)
}

/// First index at or after `at` that is neither whitespace nor a comma.
fn skip_ws_commas(buf: &[u8], at: usize) -> Option<usize> {
    buf[at.min(buf.len())..]
        .iter()
        .position(|&b| !(b.is_ascii_whitespace() || b == b','))
        .map(|i| at + i)
}

/// Index just after the closing quote of a string whose body starts at `at`, or the escape
/// state at the end of the buffer.
fn string_end(buf: &[u8], mut at: usize, mut escaped: bool) -> Result<usize, bool> {
    if escaped {
        if at >= buf.len() {
            return Err(true);
        }
        at += 1;
        escaped = false;
    }
    while at < buf.len() {
        match memchr::memchr2(b'"', b'\\', &buf[at..]) {
            None => return Err(escaped),
            Some(i) if buf[at + i] == b'"' => return Ok(at + i + 1),
            Some(i) => {
                if at + i + 1 >= buf.len() {
                    return Err(true);
                }
                at += i + 2;
            }
        }
    }
    Err(escaped)
}

/// If the `[` at `open` is the value of a `"Records"` or `"Events"` key, which container it is.
fn records_key_before(buf: &[u8], open: usize) -> Option<Container> {
    if buf[open] != b'[' {
        return None;
    }
    let before = &buf[..open];
    let colon = before.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if before[colon] != b':' {
        return None;
    }
    let quote = before[..colon]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())?;
    let key_end = &before[..=quote];
    for (key, container) in [
        (&b"\"Records\""[..], Container::Records),
        (&b"\"Events\""[..], Container::Events),
    ] {
        if key_end.ends_with(key) {
            let opening = key_end.len() - key.len();
            // The key's opening quote must itself be unescaped.
            if opening == 0 || key_end[opening - 1] != b'\\' {
                return Some(container);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
