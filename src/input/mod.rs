//! Reading: a file on disk in, its decompressed bytes pushed through the framer.
//!
//! The content decides, not the name: gzip is recognised by its magic bytes (every member of a
//! multi-member file is read), UTF-16 by its byte-order mark (transcoded to UTF-8). A file that
//! fits the per-thread buffer is decompressed in one call with libdeflate; anything else (too
//! big, multi-member beyond the buffer, damaged, UTF-16) streams through flate2 and a bounded
//! window, so no file is ever held whole and damaged data yields everything before the damage.
//! The bytes go to a [`Feed`] (the per-file driver, which frames them).

pub mod hash;
pub mod inflate;
pub mod members;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest as _, Sha256};

use hash::ContentHasher;
use inflate::{Inflater, is_gzip};
use members::Members;

/// Where the reader pushes decompressed bytes.
pub trait Feed {
    /// The whole decompressed content, at once.
    fn whole(&mut self, data: &[u8]);
    /// The whole content, whose hash the reader wants: a feed that frames it lets `hash`
    /// catch up as it goes ([`ContentHasher::reached`]), so that hashing and framing
    /// interleave. The reader hashes whatever is left afterwards.
    fn whole_hashing(&mut self, data: &[u8], hash: &mut ContentHasher<'_>) {
        let _ = hash;
        self.whole(data);
    }
    /// The next window of a stream, its first byte at stream offset `offset`; `eof` says no
    /// bytes follow. Returns how many leading bytes of the window are no longer needed.
    fn window(&mut self, data: &[u8], offset: u64, eof: bool) -> usize;
    /// Whether the rest of the stream is of no interest (the data stopped being JSON): the
    /// reader stops decompressing, so a gzip bomb of garbage costs nothing.
    fn finished(&self) -> bool {
        false
    }
    /// Whether the run was cancelled (a reader that hashes stops reading what the framer
    /// no longer wants).
    fn cancelled(&self) -> bool {
        false
    }
}

/// Memory limits of one reader (one per worker thread).
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Files up to this size on disk are read into memory in one go.
    pub max_compressed: usize,
    /// Decompressed data up to this size is framed from one buffer.
    pub max_whole: usize,
    /// Bytes read per step on the streaming path.
    pub chunk: usize,
}

impl ReadLimits {
    /// The limits trailsift runs with. They are fixed (not derived from the thread count) so
    /// that results never depend on the number of threads.
    pub const DEFAULT: ReadLimits = ReadLimits {
        max_compressed: 8 << 20,
        max_whole: 48 << 20,
        chunk: 1 << 20,
    };
}

/// How a file's bytes were encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Plain,
    Gzip,
    Utf16,
    GzipUtf16,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Plain => "plain",
            Encoding::Gzip => "gzip",
            Encoding::Utf16 => "utf-16",
            Encoding::GzipUtf16 => "gzip+utf-16",
        }
    }
}

/// Something that stopped the bytes of a file before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    /// The file could not be opened or read at all.
    Open(String),
    /// Reading failed part-way (after `after` decompressed bytes).
    Io { after: u64, message: String },
    /// The gzip stream is damaged or cut off after `after` decompressed bytes.
    Gzip { after: u64, message: String },
}

impl std::fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadProblem::Open(m) => write!(f, "cannot read: {m}"),
            ReadProblem::Io { after, message } => {
                write!(f, "read error after {after} bytes: {message}")
            }
            ReadProblem::Gzip { after, message } => {
                write!(
                    f,
                    "gzip data damaged after {after} decompressed bytes: {message}"
                )
            }
        }
    }
}

/// What reading a file produced (besides what it fed to the sink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReport {
    pub encoding: Encoding,
    /// Size on disk.
    pub bytes: u64,
    /// Decompressed bytes passed to the framer.
    pub decompressed: u64,
    pub problem: Option<ReadProblem>,
    /// The content's hash, when the reader was asked for it and read the content whole.
    pub content: Option<Content>,
    /// Why the content could not be hashed to its end although the framer had all it wanted
    /// (the bytes after the point where it stopped are damaged, or the run was cancelled).
    pub unhashed: Option<ReadProblem>,
}

impl ReadReport {
    /// Whether the content was read to its end.
    pub fn whole(&self) -> bool {
        self.problem.is_none() && self.unhashed.is_none()
    }
}

/// What a file's content hashes to, as CloudTrail's digests hash it: the SHA-256 of the first
/// gzip member's decompressed bytes (of the whole file, for a file that is not gzip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Content {
    pub sha256: [u8; 32],
    /// Bytes follow the first gzip member (more members, or anything else).
    pub more_than_one_member: bool,
}

/// A per-thread reader with reusable buffers.
pub struct Reader {
    inflater: Inflater,
    compressed: Vec<u8>,
    plain: Vec<u8>,
    limits: ReadLimits,
    /// Hash every file's content ([`Content`]).
    hash: bool,
}

impl Reader {
    pub fn new(limits: ReadLimits) -> Self {
        Reader {
            inflater: Inflater::new(),
            compressed: Vec::new(),
            plain: Vec::new(),
            limits,
            hash: false,
        }
    }

    /// Hashes each file's content as it is read.
    pub fn hashing(mut self, hash: bool) -> Self {
        self.hash = hash;
        self
    }

    /// Reads `path` and pushes its decompressed bytes through `framer` into `sink`.
    pub fn read(&mut self, path: &Path, feed: &mut dyn Feed) -> ReadReport {
        let (mut file, size) = match open_regular(path) {
            Ok(f) => f,
            Err(e) => return open_failure(0, e),
        };
        if size as usize > self.limits.max_compressed {
            return self.stream_file(file, size, feed);
        }
        let n = match read_into(&mut file, &mut self.compressed, size as usize + 1) {
            Ok(n) => n,
            Err(e) => return open_failure(size, e),
        };
        let data = std::mem::take(&mut self.compressed);
        let report = self.from_memory(&data[..n], n as u64, feed);
        self.compressed = data;
        report
    }

    /// Reads bytes already in memory (a whole file's content).
    pub fn from_memory(&mut self, data: &[u8], size: u64, feed: &mut dyn Feed) -> ReadReport {
        if is_gzip(data) {
            if let Some(whole) = self
                .inflater
                .whole(data, &mut self.plain, self.limits.max_whole)
                && !is_utf16(&self.plain[..whole.written])
            {
                let content =
                    whole_content(feed, &self.plain[..whole.written], whole.first, self.hash).map(
                        |sha256| Content {
                            sha256,
                            more_than_one_member: whole.members > 1,
                        },
                    );
                return ReadReport {
                    encoding: Encoding::Gzip,
                    bytes: size,
                    decompressed: whole.written as u64,
                    problem: None,
                    content,
                    unhashed: None,
                };
            }
            let mut gz = Members::new(data, self.hash);
            return self.stream_members(&mut gz, size, feed);
        }
        if is_utf16(data) {
            let mut hashed = Hashed::new(data, self.hash);
            let mut report = self.stream(&mut hashed, Encoding::Plain, size, feed);
            report.content = hashed.content().filter(|_| report.whole());
            return report;
        }
        let content = whole_content(feed, data, data.len(), self.hash).map(|sha256| Content {
            sha256,
            more_than_one_member: false,
        });
        ReadReport {
            encoding: Encoding::Plain,
            bytes: size,
            decompressed: data.len() as u64,
            problem: None,
            content,
            unhashed: None,
        }
    }

    /// Streams every member of a gzip stream, hashing the first when asked.
    fn stream_members<R: io::BufRead>(
        &mut self,
        gz: &mut Members<R>,
        size: u64,
        feed: &mut dyn Feed,
    ) -> ReadReport {
        let mut report = self.stream(&mut *gz, Encoding::Gzip, size, feed);
        if self.hash && report.whole() {
            report.content = gz.first_sha256().map(|sha256| Content {
                sha256,
                more_than_one_member: gz.more_than_one(),
            });
        }
        report
    }

    fn stream_file(&mut self, file: File, size: u64, feed: &mut dyn Feed) -> ReadReport {
        let mut buffered = io::BufReader::with_capacity(self.limits.chunk, file);
        let head = match io::BufRead::fill_buf(&mut buffered) {
            Ok(h) => h,
            Err(e) => return open_failure(size, e),
        };
        if is_gzip(head) {
            let mut gz = Members::new(buffered, self.hash);
            self.stream_members(&mut gz, size, feed)
        } else {
            let mut hashed = Hashed::new(buffered, self.hash);
            let mut report = self.stream(&mut hashed, Encoding::Plain, size, feed);
            report.content = hashed.content().filter(|_| report.whole());
            report
        }
    }

    /// Streams a decompressed source through a bounded window, transcoding UTF-16 on the way.
    fn stream(
        &mut self,
        mut source: impl Read,
        encoding: Encoding,
        size: u64,
        feed: &mut dyn Feed,
    ) -> ReadReport {
        // Peek at the first bytes to spot a UTF-16 byte-order mark.
        let mut head = [0u8; 3];
        let mut got = 0;
        let mut early_error = None;
        while got < head.len() {
            match source.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    early_error = Some(e);
                    break;
                }
            }
        }
        if early_error.is_none() && got == 2 && is_utf16(&head) {
            // A byte-order mark and nothing else: an empty file. (The transcoder would pass
            // the mark through as if it were content.)
            return self.pump(io::empty(), Encoding::Utf16, size, feed, None);
        }
        let chained = io::Read::chain(&head[..got], source);
        if early_error.is_none() && is_utf16(&head[..got]) {
            let utf8 = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .build(chained);
            let encoding = if encoding == Encoding::Gzip {
                Encoding::GzipUtf16
            } else {
                Encoding::Utf16
            };
            return self.pump(utf8, encoding, size, feed, None);
        }
        self.pump(chained, encoding, size, feed, early_error)
    }

    /// The streaming loop: fill the window, let the framer take what it can, keep the rest.
    fn pump(
        &mut self,
        mut source: impl Read,
        encoding: Encoding,
        size: u64,
        feed: &mut dyn Feed,
        early_error: Option<io::Error>,
    ) -> ReadReport {
        let hash = self.hash;
        let mut unhashed = None;
        let window = &mut self.plain;
        let chunk = self.limits.chunk;
        let mut filled = 0usize;
        let mut offset = 0u64;
        let mut total = 0u64;
        let mut problem = early_error.map(|e| classify(e, 0, encoding));
        let mut eof = problem.is_some();
        loop {
            if !eof {
                if window.len() < filled + chunk {
                    window.resize(filled + chunk, 0);
                }
                match source.read(&mut window[filled..filled + chunk]) {
                    Ok(0) => eof = true,
                    Ok(n) => {
                        filled += n;
                        total += n as u64;
                        if filled < chunk && !eof {
                            // Keep reading until a chunk's worth is buffered: fewer, larger
                            // framer calls.
                            continue;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        problem = Some(classify(e, total, encoding));
                        eof = true;
                    }
                }
            }
            let used = feed.window(&window[..filled], offset, eof);
            if eof {
                break;
            }
            if feed.finished() {
                // Say so to the framer, which has already recorded why it stopped.
                feed.window(&window[used..filled], offset + used as u64, true);
                if hash {
                    // The hash is of the whole content: read the rest.
                    unhashed = drain(&mut source, &mut window[..chunk], total, encoding, feed);
                }
                break;
            }
            window.copy_within(used..filled, 0);
            filled -= used;
            offset += used as u64;
        }
        ReadReport {
            encoding,
            bytes: size,
            decompressed: total,
            problem,
            content: None,
            unhashed,
        }
    }
}

/// Gives a whole content to `feed`; when `hash` is asked for, returns the SHA-256 of its first
/// `hashed` bytes (the first gzip member), computed alongside the feed's framing.
fn whole_content(feed: &mut dyn Feed, data: &[u8], hashed: usize, hash: bool) -> Option<[u8; 32]> {
    if !hash {
        feed.whole(data);
        return None;
    }
    let mut hasher = ContentHasher::new(&data[..hashed]);
    feed.whole_hashing(data, &mut hasher);
    Some(hasher.finish())
}

/// Reads a source to its end (for its hash), unless the run is cancelled: why it could not.
fn drain(
    source: &mut impl Read,
    buf: &mut [u8],
    mut total: u64,
    encoding: Encoding,
    feed: &dyn Feed,
) -> Option<ReadProblem> {
    loop {
        if feed.cancelled() {
            return Some(ReadProblem::Io {
                after: total,
                message: "the run was cancelled".into(),
            });
        }
        match source.read(buf) {
            Ok(0) => return None,
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Some(classify(e, total, encoding)),
        }
    }
}

/// A plain source, hashed as it is read (when asked).
struct Hashed<R> {
    inner: R,
    hasher: Option<Sha256>,
}

impl<R: Read> Hashed<R> {
    fn new(inner: R, hash: bool) -> Hashed<R> {
        Hashed {
            inner,
            hasher: hash.then(Sha256::new),
        }
    }

    fn content(&self) -> Option<Content> {
        self.hasher.as_ref().map(|h| Content {
            sha256: h.clone().finalize().into(),
            more_than_one_member: false,
        })
    }
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

fn classify(e: io::Error, after: u64, encoding: Encoding) -> ReadProblem {
    let gz = matches!(encoding, Encoding::Gzip | Encoding::GzipUtf16);
    let message = match e.kind() {
        io::ErrorKind::UnexpectedEof if gz => "truncated (the gzip stream ends early)".to_string(),
        _ if gz && after > 0 && e.to_string().contains("invalid gzip header") => {
            "data after the last gzip member is not gzip".to_string()
        }
        _ if gz => format!("corrupt gzip data ({e})"),
        _ => e.to_string(),
    };
    if gz && e.kind() != io::ErrorKind::PermissionDenied {
        ReadProblem::Gzip { after, message }
    } else {
        ReadProblem::Io { after, message }
    }
}

/// Reads a whole file into `buf`, which keeps its length (its high-water mark) between files
/// so it is zeroed only when it grows; `expect` is the size to make room for. Returns the number
/// of bytes read. (`File::read_to_end` would ask the file system for the size again.)
fn read_into(file: &mut File, buf: &mut Vec<u8>, expect: usize) -> io::Result<usize> {
    if buf.len() < expect {
        buf.resize(expect, 0);
    }
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize(n * 2, 0);
        }
        match file.read(&mut buf[n..]) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Opens a file for reading without ever blocking, and only if it is (still) a regular file:
/// a path replaced by a FIFO, a socket or a device after the walk is refused with a reason,
/// not waited on. Returns the file and its size.
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading blocks until a writer comes; non-blocking, it does not.
        // (Reads of a regular file ignore the flag.)
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path).map_err(|e| long_path(path, e))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "not a regular file any more ({}): changed after the walk, not read",
            file_type_name(&meta.file_type())
        )));
    }
    Ok((file, meta.len()))
}

/// What kind of file something that is not a regular file is.
pub fn file_type_name(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// The longest path the system opens in one call (Linux's PATH_MAX).
pub const PATH_MAX: usize = 4096;

/// Says plainly that a path is too long for the system, when that is why it failed.
pub fn long_path(path: &Path, e: io::Error) -> io::Error {
    let long = path.as_os_str().len() >= PATH_MAX;
    #[cfg(unix)]
    let too_long = e.raw_os_error() == Some(rustix::io::Errno::NAMETOOLONG.raw_os_error());
    #[cfg(not(unix))]
    let too_long = false;
    if long || too_long {
        io::Error::other(format!(
            "the path is {} bytes long, more than the system opens ({PATH_MAX}); move or link \
             the dump to a shorter path to read it",
            path.as_os_str().len()
        ))
    } else {
        e
    }
}

fn open_failure(size: u64, e: io::Error) -> ReadReport {
    ReadReport {
        encoding: Encoding::Plain,
        bytes: size,
        decompressed: 0,
        problem: Some(ReadProblem::Open(e.to_string())),
        content: None,
        unhashed: None,
    }
}

/// Whether bytes start with a UTF-16 byte-order mark.
fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

#[cfg(test)]
mod tests;
