//! A file's content hash, computed a stretch at a time alongside the framer.
//!
//! `scan --verify` needs the SHA-256 of every file's decompressed bytes and frames the same
//! bytes. SHA-256 with the SHA extensions waits on the latency of its rounds and leaves most of
//! the processor idle; the framer's block loop keeps it busy with other instructions. Run one
//! after the other, the two cost the sum of their times; interleaved a few blocks at a time,
//! the processor runs part of them side by side.
//! The framer says how far it is about to read ([`crate::frame::Framer::feed_paced`]), the
//! hasher catches up to there, and the reader finishes whatever is left: the hash never depends
//! on where the framer went or stopped.

use sha2::{Digest as _, Sha256};

/// The hash catches up in whole stretches of this many bytes (two SHA-256 blocks); the framer
/// reports every 256 bytes. A stretch much longer no longer fits beside the framer's work in
/// the processor's window of instructions. Measured on the benchmark dump's files scanned and
/// hashed from memory (a 630 KB file, its largest 8 MB one): hashed before framing 612 us and
/// 8.85 ms; stretches of 128 bytes 600 us and 8.67 ms, 256 bytes 603 us and 8.74 ms, 512 bytes
/// 620 us and 8.92 ms; decompression and hash alone 571 us and 8.1 ms.
const STRETCH: usize = 128;

/// The SHA-256 of `content`, hashed in order, each byte once, as far as it has been asked.
pub struct ContentHasher<'a> {
    content: &'a [u8],
    done: usize,
    sha: Sha256,
}

impl<'a> ContentHasher<'a> {
    pub fn new(content: &'a [u8]) -> ContentHasher<'a> {
        ContentHasher {
            content,
            done: 0,
            sha: Sha256::new(),
        }
    }

    /// The framer is about to read up to stream offset `offset` (the content's byte index):
    /// hash up to there, in whole stretches. Offsets behind what is hashed, or past the end,
    /// are fine: nothing is hashed twice or out of order.
    pub fn reached(&mut self, offset: u64) {
        let to = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.content.len());
        let to = self.done + (to.saturating_sub(self.done) / STRETCH) * STRETCH;
        if to > self.done {
            self.sha.update(&self.content[self.done..to]);
            self.done = to;
        }
    }

    /// Hashes the rest: the SHA-256 of the whole content.
    pub fn finish(mut self) -> [u8; 32] {
        self.sha.update(&self.content[self.done..]);
        self.sha.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the framer reports, in whatever order, the hash is the content's.
        #[test]
        fn any_pace_gives_the_content_hash(
            content in proptest::collection::vec(any::<u8>(), 0..3000),
            offsets in proptest::collection::vec(0u64..4000, 0..40),
        ) {
            let mut h = ContentHasher::new(&content);
            for o in offsets {
                h.reached(o);
            }
            let expected: [u8; 32] = Sha256::digest(&content).into();
            prop_assert_eq!(h.finish(), expected);
        }
    }

    #[test]
    fn hashes_whole_stretches_as_far_as_reached() {
        let content = vec![7u8; 1000];
        let mut h = ContentHasher::new(&content);
        h.reached(127);
        assert_eq!(h.done, 0);
        h.reached(600);
        assert_eq!(h.done, 512);
        h.reached(100);
        assert_eq!(h.done, 512);
        h.reached(u64::MAX);
        assert_eq!(h.done, 896, "the last partial stretch waits for finish");
        assert_eq!(h.finish(), <[u8; 32]>::from(Sha256::digest(&content)));
    }
}
