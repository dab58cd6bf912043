//! SHA-256 of every report, computed as it is written (for `run.json`).

use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest as _, Sha256};

/// A file's size and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest {
    pub bytes: u64,
    pub sha256: [u8; 32],
}

impl FileDigest {
    /// The hash in lowercase hex.
    pub fn hex(&self) -> String {
        hex(&self.sha256)
    }

    /// Hashes a file already written (the workbook, written by its own crate).
    pub fn of_file(path: &Path) -> io::Result<FileDigest> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            match file.read(&mut buf)? {
                0 => break,
                n => {
                    hasher.update(&buf[..n]);
                    bytes += n as u64;
                }
            }
        }
        Ok(FileDigest {
            bytes,
            sha256: hasher.finalize().into(),
        })
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A writer that hashes what goes through it.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer (flush it yourself) and the digest of everything written.
    pub fn finish(self) -> (W, FileDigest) {
        (
            self.inner,
            FileDigest {
                bytes: self.bytes,
                sha256: self.hasher.finalize().into(),
            },
        )
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_what_is_written() {
        let mut h = Hashing::new(Vec::new());
        h.write_all(b"abc").unwrap();
        let (out, d) = h.finish();
        assert_eq!(out, b"abc");
        assert_eq!(d.bytes, 3);
        assert_eq!(
            d.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
