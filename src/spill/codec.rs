//! The byte form of items in sorted runs: LEB128 lengths and numbers, UTF-8 strings.
//!
//! The runs are temporary files this process writes and reads back; the form needs no
//! versioning, only to be compact and to fail cleanly (never panic) if a file was damaged.

use crate::event::Origin;
use crate::event::time::Timestamp;

/// An item an external sort can hold in memory or write to a run.
pub trait Spill: Sized {
    /// About how many bytes the item holds in memory (the struct and what it owns).
    fn weight(&self) -> usize;
    fn encode(&self, out: &mut Encoder);
    /// `None` when the bytes are not an item (a damaged run).
    fn decode(input: &mut Decoder<'_>) -> Option<Self>;
}

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub struct Encoder {
    pub(super) bytes: Vec<u8>,
}

impl Encoder {
    /// What was encoded so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn u64(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.bytes.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.bytes.push(n as u8);
    }

    pub fn u128(&mut self, n: u128) {
        self.bytes.extend_from_slice(&n.to_le_bytes());
    }

    pub fn bool(&mut self, b: bool) {
        self.bytes.push(u8::from(b));
    }

    /// `None`, `Some(false)` and `Some(true)` in one byte.
    pub fn opt_bool(&mut self, b: Option<bool>) {
        self.bytes.push(match b {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// Length-prefixed bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.bytes.extend_from_slice(b);
    }

    /// Where an event came from: its file's index and its record's position.
    pub fn origin(&mut self, o: Origin) {
        self.u64(u64::from(o.file));
        self.u64(o.record);
    }

    pub fn time(&mut self, t: Option<Timestamp>) {
        match t {
            None => self.bytes.push(0),
            Some(t) => {
                self.bytes.push(1);
                // Zig-zag, so that times before 1970 stay short.
                let secs = t.timestamp();
                self.u64(((secs << 1) ^ (secs >> 63)) as u64);
                self.u64(u64::from(t.timestamp_subsec_nanos()));
            }
        }
    }
}

/// Reads values back in the order they were encoded.
#[derive(Debug)]
pub struct Decoder<'a> {
    bytes: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { bytes }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    pub fn u64(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.u64()?.try_into().ok()
    }

    pub fn u128(&mut self) -> Option<u128> {
        let (head, rest) = self.bytes.split_first_chunk::<16>()?;
        self.bytes = rest;
        Some(u128::from_le_bytes(*head))
    }

    pub fn bool(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    pub fn opt_bool(&mut self) -> Option<Option<bool>> {
        match self.byte()? {
            0 => Some(None),
            1 => Some(Some(false)),
            2 => Some(Some(true)),
            _ => None,
        }
    }

    pub fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    /// Length-prefixed bytes.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u64()?).ok()?;
        if len > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Some(head)
    }

    pub fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    /// A string as an event's text field (inline when short).
    pub fn text(&mut self) -> Option<crate::event::Str> {
        self.str().map(crate::event::Str::from)
    }

    pub fn origin(&mut self) -> Option<Origin> {
        Some(Origin {
            file: self.u32()?,
            record: self.u64()?,
        })
    }

    pub fn time(&mut self) -> Option<Option<Timestamp>> {
        match self.byte()? {
            0 => Some(None),
            1 => {
                let z = self.u64()?;
                let secs = ((z >> 1) as i64) ^ -((z & 1) as i64);
                let nanos = self.u32()?;
                Some(Some(chrono::DateTime::from_timestamp(secs, nanos)?))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_written() {
        let times = [
            None,
            crate::event::time::parse("2026-03-02T10:04:05.250Z"),
            crate::event::time::parse("1901-01-01T00:00:00Z"),
        ];
        let mut e = Encoder::default();
        for n in [0, 1, 127, 128, 300, u64::MAX] {
            e.u64(n);
        }
        e.u128(u128::MAX - 5);
        e.bool(true);
        e.opt_bool(None);
        e.opt_bool(Some(false));
        e.str("");
        e.str("héllo, \"world\"");
        for t in times {
            e.time(t);
        }
        let mut d = Decoder::new(&e.bytes);
        for n in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(d.u64(), Some(n));
        }
        assert_eq!(d.u128(), Some(u128::MAX - 5));
        assert_eq!(d.bool(), Some(true));
        assert_eq!(d.opt_bool(), Some(None));
        assert_eq!(d.opt_bool(), Some(Some(false)));
        assert_eq!(d.str(), Some(""));
        assert_eq!(d.str(), Some("héllo, \"world\""));
        for t in times {
            assert_eq!(d.time(), Some(t));
        }
        assert!(d.is_empty());
    }

    #[test]
    fn damaged_bytes_decode_to_none_without_panicking() {
        for bytes in [
            &[0xff; 11][..],
            &[5, b'a'],
            &[2, 0xc3, 0x28],
            &[7],
            &[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0,
            ],
        ] {
            // An overlong number, a length past the end, invalid UTF-8, a bad tag byte.
            let mut d = Decoder::new(bytes);
            let _ = (d.str(), d.u64(), d.bool(), d.time(), d.u128());
            assert_eq!(Decoder::new(bytes).str(), None, "{bytes:?}");
        }
    }
}
