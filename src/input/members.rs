//! Streaming gzip, member by member: every member is read (multi-member files hold records in
//! all of them), the first member's decompressed bytes are hashed when asked (CloudTrail's
//! digests hash a log file's content, which is its first and only member), and whether
//! anything follows the first member is remembered (the AWS CLI treats that as an invalid
//! file since May 2026).

use std::io::{self, BufRead, Read};

use flate2::bufread::GzDecoder;
use sha2::{Digest as _, Sha256};

/// Reads every gzip member of `R` in turn.
pub struct Members<R: BufRead> {
    current: Option<GzDecoder<R>>,
    /// Members started so far.
    members: u32,
    hasher: Option<Sha256>,
    /// Decompressed bytes of the first member.
    first_len: u64,
}

impl<R: BufRead> Members<R> {
    pub fn new(input: R, hash: bool) -> Members<R> {
        Members {
            current: Some(GzDecoder::new(input)),
            members: 1,
            hasher: hash.then(Sha256::new),
            first_len: 0,
        }
    }

    /// Whether a second member (or other bytes after the first) was met.
    pub fn more_than_one(&self) -> bool {
        self.members > 1
    }

    /// The SHA-256 of the first member's decompressed bytes (when hashing), once read.
    pub fn first_sha256(&self) -> Option<[u8; 32]> {
        self.hasher.as_ref().map(|h| h.clone().finalize().into())
    }

    pub fn first_len(&self) -> u64 {
        self.first_len
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 {
                if self.members == 1 {
                    self.first_len += n as u64;
                    if let Some(h) = self.hasher.as_mut() {
                        h.update(&buf[..n]);
                    }
                }
                return Ok(n);
            }
            // The member ended: anything after it is the next member (or garbage, which the
            // next decoder reports).
            let mut input = self.current.take().expect("checked").into_inner();
            if input.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.members += 1;
            self.current = Some(GzDecoder::new(input));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn every_member_is_read_and_only_the_first_hashed() {
        let mut data = gz(b"first ");
        data.extend(gz(b"second"));
        let mut m = Members::new(&data[..], true);
        let mut out = String::new();
        m.read_to_string(&mut out).unwrap();
        assert_eq!(out, "first second");
        assert!(m.more_than_one());
        assert_eq!(m.first_len(), 6);
        assert_eq!(m.first_sha256(), Some(Sha256::digest(b"first ").into()));
        let one = gz(b"only");
        let mut m = Members::new(&one[..], true);
        m.read_to_end(&mut Vec::new()).unwrap();
        assert!(!m.more_than_one());
        let mut trailing = gz(b"x");
        trailing.extend_from_slice(b"garbage");
        let mut m = Members::new(&trailing[..], false);
        assert!(m.read_to_end(&mut Vec::new()).is_err());
        assert!(m.more_than_one());
    }
}
