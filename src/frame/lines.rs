//! JSON Lines: one value per line, each framed on its own so a broken line costs only itself.

use memchr::memchr;

use super::structural::check_brackets;
use super::{Core, Damage, Ending, Framed, Limits, SNIFF_BYTES, Shape, Sink};

/// Whether the first lines of `body` look like JSON Lines: at least two non-empty lines, each
/// starting with `{`, and among them a line that is exactly one complete object.
///
/// Pretty-printed JSON fails the test (its second line starts with a key), and so does a
/// compact single-line file (there is no second line).
pub(crate) fn looks_like_lines(body: &[u8]) -> bool {
    let mut lines = 0;
    let mut complete = 0;
    let mut rest = &body[..body.len().min(SNIFF_BYTES)];
    while lines < 3 && !rest.is_empty() {
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
        if line[0] != b'{' {
            return false;
        }
        lines += 1;
        if whole && check_brackets(line).is_ok() {
            complete += 1;
        }
    }
    lines >= 2 && complete >= 1
}

/// Line-by-line framing state.
#[derive(Debug)]
pub(crate) struct Lines {
    core: Core,
    limits: Limits,
    /// Stream offset of the next line start.
    pos: u64,
    /// Inside a line that was too long; its remainder is skipped.
    skipping: bool,
    records: u64,
    non_objects: u64,
    /// The first line that ended badly outside a record (a cut-off array, trailing bytes).
    first_damage: Option<Ending>,
}

impl Lines {
    pub(crate) fn new(limits: Limits) -> Self {
        Lines {
            core: Core::new(limits),
            limits,
            pos: 0,
            skipping: false,
            records: 0,
            non_objects: 0,
            first_damage: None,
        }
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
            if at >= window.len() {
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
        let lead = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let body = line[lead..].trim_ascii_end();
        if body.is_empty() {
            return true;
        }
        let start = offset + lead as u64;
        self.core.restart(self.records, self.non_objects);
        self.core.feed(body, start, true, sink);
        let ending = self.core.ending().cloned();
        self.records = self.core.records();
        self.non_objects = self.core.non_objects();
        match ending {
            Some(Ending::Stopped) => return false,
            Some(Ending::NotJson { .. }) => {
                sink.damaged(self.records, start, Damage::NotJsonLine);
                self.records += 1;
            }
            Some(
                ending @ (Ending::TrailingData { .. }
                | Ending::CutOff { .. }
                | Ending::Malformed { .. }),
            ) => {
                self.first_damage.get_or_insert(ending);
            }
            Some(Ending::Complete) | None => {}
        }
        true
    }

    pub(crate) fn finish(self) -> Framed {
        Framed {
            shape: Shape::Lines,
            ending: self.first_damage.unwrap_or(Ending::Complete),
            records: self.records,
            non_objects: self.non_objects,
        }
    }
}
