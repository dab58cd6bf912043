//! Finding the next intact record after damage inside a records array.
//!
//! When a record's brackets stop matching, or the data ends inside a record whose neighbours were
//! fine, the records after it may still be intact (a record truncated in the middle of a file, a
//! stray byte). This module looks for the next place where framing can safely resume: an object
//! that starts a member of an array, frames cleanly, is followed by `,` or `]`, and has a key that
//! every CloudTrail record (or lookup-events element) carries. The key test keeps nested objects
//! of the damaged record (`userIdentity`, `resources[0]`) from being mistaken for records.

use memchr::memmem;

use super::structural::{Nesting, Stop, check_brackets};

/// Keys of which a resynchronisation point must contain at least one.
const RECORD_MARKERS: [&[u8]; 4] = [
    b"\"eventVersion\"",
    b"\"eventTime\"",
    b"\"eventName\"",
    b"\"CloudTrailEvent\"",
];

/// Index of the `{` where the next intact record starts, searching `buf[from..]`.
pub(crate) fn next_record(buf: &[u8], from: usize) -> Option<usize> {
    let mut nest = Nesting::new();
    let mut at = from;
    while let Some(i) = memchr::memchr(b'{', &buf[at.min(buf.len())..]) {
        let open = at + i;
        at = open + 1;
        let before = buf[..open].iter().rposition(|b| !b.is_ascii_whitespace());
        if !matches!(before.map(|j| buf[j]), Some(b',' | b'[')) {
            continue;
        }
        nest.reset();
        nest.open();
        let Stop::Closed(end) = nest.run(buf, open + 1, 0, None) else {
            continue;
        };
        if check_brackets(&buf[open..end]).is_err() {
            continue;
        }
        let after = buf[end..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|j| buf[end + j]);
        if !matches!(after, Some(b',' | b']')) {
            continue;
        }
        let body = &buf[open..end];
        if RECORD_MARKERS
            .iter()
            .any(|key| memmem::find(body, key).is_some())
        {
            return Some(open);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_nested_objects_of_the_damaged_record() {
        let buf = br#"{"Records":[{"eventName":"A","userIdentity":{"type":"x"},"resources":[{"ARN":"r"},{"ARN":"s"}],{"eventName":"B"}]}"#;
        let from = 13;
        let found = next_record(buf, from).unwrap();
        assert!(buf[found..].starts_with(br#"{"eventName":"B"}"#));
    }

    #[test]
    fn finds_nothing_when_no_record_follows() {
        let buf = br#"{"Records":[{"eventName":"A","userIdentity":{"type":"x"}"#;
        assert_eq!(next_record(buf, 13), None);
    }
}
