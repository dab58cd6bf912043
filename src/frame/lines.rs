//! JSON Lines: one value per line, each framed on its own so a broken line costs only itself.

use memchr::memchr;

use super::structural::{Nesting, Stop, check_brackets};
use super::{Core, Damage, Ending, Framed, Options, SNIFF_BYTES, Shape, Sink};

/// What the first bytes of a stream say about its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// JSON Lines.
    Lines,
    /// Something else: pretty-printed JSON, an array, several lines of text.
    Structural,
    /// Fewer than two complete lines in the window: a compact single-value file, or JSON
    /// Lines whose first line is longer than the window. Framed structurally, falling back to
    /// lines at the first failure between top-level values.
    Undecided,
}

/// Whether the first lines of `body` look like JSON Lines: at least two of the first lines
/// start with `{`, and two of them (or the very first line) are exactly one object each.
///
/// Pretty-printed JSON fails the test (its lines start with keys), and so does a compact
/// single-line file, with or without garbage after it (only one line starts with `{`). Broken
/// lines among good ones do not change the verdict. When the window holds fewer than two
/// complete lines, it cannot tell.
pub(crate) fn sniff(body: &[u8]) -> Sniff {
    if looks_like_lines(body) {
        return Sniff::Lines;
    }
    // Two complete lines with something on them are enough to decide.
    let window = &body[..body.len().min(SNIFF_BYTES)];
    let mut complete = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', window) {
        if !window[start..end].trim_ascii().is_empty() {
            complete += 1;
            if complete == 2 {
                return Sniff::Structural;
            }
        }
        start = end + 1;
    }
    Sniff::Undecided
}

fn looks_like_lines(body: &[u8]) -> bool {
    // The first eight lines with something on them: whether each starts with `{` and is
    // whole. Whether a line is exactly one object is a full bracket check, byte by byte: it is
    // asked only when the answer can matter (a file of one line, the usual compact file,
    // never needs it).
    let mut braced: [(&[u8], bool); 8] = [(&[], false); 8];
    let mut n_braced = 0;
    let mut first_braced = false;
    let mut lines = 0;
    let mut rest = &body[..body.len().min(SNIFF_BYTES)];
    while lines < 8 && !rest.is_empty() {
        let (line, next, whole) = match memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..], true),
            // The last line may be cut by the sniff window: it still counts as a line start.
            None => (rest, &rest[rest.len()..], rest.len() == body.len()),
        };
        rest = next;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if line[0] != b'{' {
            continue;
        }
        first_braced |= lines == 1;
        braced[n_braced] = (line, whole);
        n_braced += 1;
    }
    if n_braced < 2 {
        return false;
    }
    let one = |&(line, whole): &(&[u8], bool)| whole && is_one_object(line);
    if first_braced && one(&braced[0]) {
        return true;
    }
    let from = usize::from(first_braced);
    braced[from..n_braced]
        .iter()
        .filter(|l| one(l))
        .take(2)
        .count()
        == 2
}

/// Whether a line is exactly one object: its first `{` closes at its last byte.
fn is_one_object(line: &[u8]) -> bool {
    let mut nest = Nesting::new();
    nest.open();
    line.ends_with(b"}")
        && nest.run(line, 1, 0, None) == Stop::Closed(line.len())
        && check_brackets(line).is_ok()
}

/// Line-by-line framing state.
#[derive(Debug)]
pub(crate) struct Lines {
    core: Core,
    limits: Options,
    /// Stream offset of the next line start.
    pos: u64,
    /// Inside a line that was too long; its remainder is skipped.
    skipping: bool,
    records: u64,
    non_objects: u64,
    /// The first line that ended badly outside a record (a cut-off array, trailing bytes).
    first_damage: Option<Ending>,
    /// Lines that are not JSON at all (not records), and where the first one starts.
    garbage: u64,
    first_garbage: u64,
    /// Binary data instead of lines: nothing more is read.
    done: bool,
    /// Started after structural framing found no JSON value at all: if no line is JSON
    /// either, the stream is not JSON.
    from_nothing: bool,
}

impl Lines {
    pub(crate) fn new(limits: Options) -> Self {
        Lines {
            core: Core::new(limits),
            limits,
            pos: 0,
            skipping: false,
            records: 0,
            non_objects: 0,
            first_damage: None,
            garbage: 0,
            first_garbage: 0,
            done: false,
            from_nothing: false,
        }
    }

    /// Takes over from structural framing at stream offset `at` (numbering records on from
    /// `records`); `skipping` when `at` is inside a broken line, whose rest is skipped.
    pub(crate) fn resume(
        limits: Options,
        at: u64,
        skipping: bool,
        records: u64,
        non_objects: u64,
        from_nothing: bool,
    ) -> Self {
        let mut lines = Lines::new(limits);
        lines.pos = at;
        lines.skipping = skipping;
        lines.records = records;
        lines.non_objects = non_objects;
        lines.from_nothing = from_nothing;
        lines
    }

    /// Whether the stream turned out to be binary, not lines: nothing more is needed.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    pub(crate) fn feed(
        &mut self,
        window: &[u8],
        base: u64,
        eof: bool,
        sink: &mut dyn Sink,
    ) -> usize {
        if self.pos < base {
            self.pos = base;
        }
        loop {
            let at = (self.pos - base) as usize;
            if self.done || at >= window.len() {
                return window.len();
            }
            match memchr(b'\n', &window[at..]) {
                Some(n) if n > self.limits.max_record && !self.skipping => {
                    sink.damaged(
                        self.records,
                        self.pos,
                        Damage::TooLarge {
                            limit: self.limits.max_record,
                        },
                    );
                    self.records += 1;
                    self.pos += n as u64 + 1;
                }
                Some(n) => {
                    if !self.line(&window[at..at + n], self.pos, sink) {
                        return window.len();
                    }
                    self.pos += n as u64 + 1;
                    self.skipping = false;
                }
                None if eof => {
                    self.line(&window[at..], self.pos, sink);
                    self.pos = base + window.len() as u64;
                    return window.len();
                }
                None if self.skipping => {
                    self.pos = base + window.len() as u64;
                    return window.len();
                }
                None if window.len() - at > self.limits.max_record
                    && window[at..].trim_ascii_start().first() != Some(&b'{')
                    && window[at..window.len().min(at + 4096)].contains(&0) =>
                {
                    // A line longer than any record, of binary data: a gzip bomb of zeros,
                    // not lines. Nothing more is read.
                    if self.garbage == 0 {
                        self.first_garbage = self.pos;
                    }
                    self.garbage += 1;
                    self.done = true;
                    self.pos = base + window.len() as u64;
                    return window.len();
                }
                None if window.len() - at > self.limits.max_record => {
                    sink.damaged(
                        self.records,
                        self.pos,
                        Damage::TooLarge {
                            limit: self.limits.max_record,
                        },
                    );
                    self.records += 1;
                    self.skipping = true;
                    self.pos = base + window.len() as u64;
                    return window.len();
                }
                None => return at,
            }
        }
    }

    /// Frames one line; false when the sink asked to stop.
    fn line(&mut self, line: &[u8], offset: u64, sink: &mut dyn Sink) -> bool {
        if self.skipping {
            return true;
        }
        let mut lead = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
        // A byte-order mark at the start of a line (files concatenated with `cat`).
        if line[lead..].starts_with(b"\xEF\xBB\xBF") {
            lead += 3;
        }
        let body = line[lead..].trim_ascii_end();
        if body.is_empty() {
            return true;
        }
        let start = offset + lead as u64;
        self.core.restart(self.records, self.non_objects);
        self.core.feed(body, start, true, sink, None);
        let ending = self.core.ending().cloned();
        self.records = self.core.records();
        self.non_objects = self.core.non_objects();
        match ending {
            Some(Ending::Stopped) => return false,
            Some(Ending::NotJson { .. }) => {
                if self.garbage == 0 {
                    self.first_garbage = start;
                }
                self.garbage += 1;
            }
            // A line that broke inside its record was reported as a damaged record.
            Some(Ending::CutOff { .. } | Ending::Malformed { .. })
                if self.core.ended_in_record() => {}
            Some(
                ending @ (Ending::TrailingData { .. }
                | Ending::CutOff { .. }
                | Ending::Malformed { .. }
                | Ending::GarbageLines { .. }),
            ) => {
                self.first_damage.get_or_insert(ending);
            }
            Some(Ending::Complete) | None => {}
        }
        true
    }

    pub(crate) fn finish(self) -> Framed {
        if self.from_nothing
            && self.records == 0
            && self.non_objects == 0
            && self.first_damage.is_none()
        {
            return Framed {
                shape: Shape::NotJson,
                ending: Ending::NotJson {
                    offset: self.first_garbage,
                },
                records: 0,
                non_objects: 0,
            };
        }
        let garbage = (self.garbage > 0).then_some(Ending::GarbageLines {
            offset: self.first_garbage,
            lines: self.garbage,
        });
        Framed {
            shape: Shape::Lines,
            ending: self.first_damage.or(garbage).unwrap_or(Ending::Complete),
            records: self.records,
            non_objects: self.non_objects,
        }
    }
}
