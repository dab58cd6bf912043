//! What reaches the terminal: log content and file names made harmless, and output that a
//! closed pipe ends quietly.
//!
//! Log fields and file names are attacker-controlled. Printed raw, an ESC sequence in a user
//! name can clear the screen or set the window title, a CR can overwrite a line, U+202E can
//! reverse the text after it. [`escape`] writes every C0 and C1 control character, DEL, and
//! the bidirectional overrides and isolates visibly (`\x1b`, `\u{202e}`): never dropped, so
//! the analyst still sees that the user exists and that its name is odd. The reports keep the
//! data verbatim.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether a character must not reach a terminal as it is.
fn unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Other invisible direction marks.
        | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// The text with every character that could act on a terminal written as an escape:
/// `\x1b` for control characters, `\u{202e}` for direction overrides (the way the reports
/// show bytes of file names that are not UTF-8, `\xe9`).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if (c as u32) < 0x100 && unsafe_char(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A writer for stdout or stderr that goes quiet once the reader has gone (a closed pipe):
/// the run goes on and ends with the status it would have had, never a panic.
pub struct Quiet<W: Write> {
    inner: W,
    closed: bool,
    /// Why the output stopped, when it was not a closed pipe (a full disk, say): worth a word
    /// on the other stream.
    failure: Option<io::Error>,
}

impl<W: Write> Quiet<W> {
    pub fn new(inner: W) -> Quiet<W> {
        Quiet {
            inner,
            closed: false,
            failure: None,
        }
    }

    /// Writes a line; errors end this output for the rest of the run.
    pub fn line(&mut self, text: &str) {
        if self.closed {
            return;
        }
        let result = self
            .inner
            .write_all(text.as_bytes())
            .and_then(|()| self.inner.write_all(b"\n"))
            .and_then(|()| self.inner.flush());
        if let Err(e) = result {
            self.closed = true;
            if e.kind() != io::ErrorKind::BrokenPipe {
                self.failure = Some(e);
            }
        }
    }

    /// The error that stopped this output, unless it was a closed pipe (which is how a reader
    /// such as `head` says it has read enough).
    pub fn failure(&self) -> Option<&io::Error> {
        self.failure.as_ref()
    }
}

/// Standard output, quiet when closed.
pub fn stdout() -> Quiet<io::Stdout> {
    Quiet::new(io::stdout())
}

/// Standard error, quiet when closed.
pub fn stderr() -> Quiet<io::Stderr> {
    Quiet::new(io::stderr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_direction_characters_are_written_visibly() {
        assert_eq!(
            escape("\u{1b}[2J\u{1b}[Hall clear"),
            "\\x1b[2J\\x1b[Hall clear"
        );
        assert_eq!(
            escape("a\u{7}b\rc\u{9b}d\u{7f}"),
            "a\\x07b\\x0dc\\x9bd\\x7f"
        );
        assert_eq!(escape("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(escape("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(escape("plain café ✓"), "plain café ✓");
        assert!(matches!(escape("alice"), Cow::Borrowed(_)));
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let e = escape(&c.to_string()).into_owned();
            assert!(!e.chars().any(unsafe_char), "{c:?} -> {e:?}");
        }
    }

    #[test]
    fn a_closed_pipe_ends_the_output_quietly() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut q = Quiet::new(Closed);
        q.line("first");
        q.line("second");
        assert!(q.closed);
        assert!(q.failure().is_none());
    }

    #[test]
    fn an_output_that_fails_otherwise_keeps_the_reason() {
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                self.0 += 1;
                Err(io::Error::from(io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut q = Quiet::new(Full(0));
        q.line("first");
        q.line("second");
        assert_eq!(
            q.inner.0, 1,
            "nothing more is tried after the first failure"
        );
        assert_eq!(
            q.failure().map(io::Error::kind),
            Some(io::ErrorKind::StorageFull)
        );
    }
}
