//! Discovery: the input paths in, a sorted stream of files to read out.
//!
//! Directories are walked recursively, following symbolic links (loops and dangling links are
//! reported, not fatal; a link to something the walk reaches by its own path is listed, not
//! followed, so that nothing is read twice). Every file found is listed, so the manifest can prove coverage; its path
//! says what it probably is: CloudTrail digest, Insights and Lake folders are not event logs and
//! are not read; files named like data are read and judged by their content; anything else is
//! read only if its first bytes are gzip or JSON.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::error::Error;
use crate::spill::{Decoder, Encoder, Merged, Sorter, Spill, SpillDir};

/// What a file's path says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// Named like data (`.json`, `.jsonl`, `.ndjson`, `.log`, `.gz`), named on the command line,
    /// or inside a `CloudTrail` folder: read it.
    Data,
    /// Under `CloudTrail-Digest/`: integrity digests.
    Digest,
    /// Under `CloudTrail-Insight/`: Insights events, not API calls.
    Insight,
    /// CloudTrail Lake query results.
    Lake,
    /// Any other name: read only if it starts like gzip or JSON.
    Other,
    /// Not a regular file (a socket, a FIFO, a device): listed, never opened.
    Special,
}

/// One file to account for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path as reports show it (invalid UTF-8 bytes written as `\xNN`).
    pub display: String,
    pub size: u64,
    pub kind: PathKind,
    /// The name promises JSON (`.json`, `.jsonl`, `.ndjson`, with or without `.gz`): content
    /// that is not JSON makes the file unreadable rather than skipped.
    pub json_named: bool,
}

/// A path the walk did not read: one that could not be walked (a loop, a dangling link, no
/// permission), or a symbolic link to a file or directory that the walk reads under its own
/// path (`skipped`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProblem {
    pub display: String,
    pub message: String,
    /// Not a problem: another way to something read elsewhere.
    pub skipped: bool,
}

/// Everything found under the inputs: the files as a stream sorted by path (held in an
/// external sort, so that millions of files take no more memory than a few thousand), and
/// the paths that could not be walked (sorted the same way).
pub struct Discovery {
    files: Merged<Found>,
    /// The last file given out, to skip a path found twice (under two overlapping roots).
    last: Option<PathBuf>,
    /// The sizes of every file found, added up (for the progress bar).
    pub bytes: u64,
    problems: Merged<WalkProblem>,
    last_problem: Option<WalkProblem>,
}

impl Discovery {
    /// Appends up to `n` more files, in path order, to `out`.
    pub fn next_files(&mut self, out: &mut Vec<InputFile>, n: usize) -> Result<(), Error> {
        let mut added = 0;
        while added < n {
            let Some(found) = self.files.pop()? else {
                break;
            };
            if self.last.as_ref() == Some(&found.file.path) {
                continue;
            }
            self.last = Some(found.file.path.clone());
            out.push(found.file);
            added += 1;
        }
        Ok(())
    }

    /// The next path that could not be walked, in path order (each once).
    pub fn next_problem(&mut self) -> Result<Option<WalkProblem>, Error> {
        while let Some(p) = self.problems.pop()? {
            if self.last_problem.as_ref() == Some(&p) {
                continue;
            }
            self.last_problem = Some(p.clone());
            return Ok(Some(p));
        }
        Ok(None)
    }
}

impl Spill for WalkProblem {
    fn weight(&self) -> usize {
        self.display.capacity() + self.message.capacity()
    }
    fn encode(&self, out: &mut Encoder) {
        out.str(&self.display);
        out.str(&self.message);
        out.bool(self.skipped);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        Some(WalkProblem {
            display: d.string()?,
            message: d.string()?,
            skipped: d.bool()?,
        })
    }
}

fn problem_order(a: &WalkProblem, b: &WalkProblem) -> std::cmp::Ordering {
    (&a.display, &a.message, a.skipped).cmp(&(&b.display, &b.message, b.skipped))
}

/// Whether there is anything at all to read under `roots` (stops at the first file).
pub fn any_file(roots: &[PathBuf]) -> bool {
    roots.iter().any(|root| {
        WalkDir::new(root)
            .follow_links(true)
            .into_iter()
            .any(|e| match e {
                Ok(e) => !e.file_type().is_dir(),
                // A path that cannot be walked is an input to report.
                Err(_) => true,
            })
    })
}

/// A file in the order of the walk.
struct Found {
    /// Position in the walk: of two finds of one path, the first is kept.
    seq: u64,
    file: InputFile,
}

/// Byte order of the paths, as the manifest lists them; then the order found.
fn path_order(a: &Found, b: &Found) -> std::cmp::Ordering {
    a.file
        .path
        .as_os_str()
        .as_encoded_bytes()
        .cmp(b.file.path.as_os_str().as_encoded_bytes())
        .then(a.seq.cmp(&b.seq))
}

impl Spill for Found {
    fn weight(&self) -> usize {
        self.file.path.as_os_str().len() + self.file.display.capacity()
    }

    fn encode(&self, out: &mut Encoder) {
        let f = &self.file;
        out.u64(self.seq);
        out.bytes(f.path.as_os_str().as_encoded_bytes());
        out.str(&f.display);
        out.u64(f.size);
        out.u64(f.kind as u64);
        out.bool(f.json_named);
    }

    fn decode(d: &mut Decoder<'_>) -> Option<Found> {
        let seq = d.u64()?;
        let path = path_from_bytes(d.bytes()?)?;
        let display = d.string()?;
        let size = d.u64()?;
        let kind = match d.u64()? {
            0 => PathKind::Data,
            1 => PathKind::Digest,
            2 => PathKind::Insight,
            3 => PathKind::Lake,
            4 => PathKind::Other,
            5 => PathKind::Special,
            _ => return None,
        };
        Some(Found {
            seq,
            file: InputFile {
                path,
                display,
                size,
                kind,
                json_named: d.bool()?,
            },
        })
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

/// How many regular files have their sizes read at once (in parallel).
const SIZE_BATCH: usize = 4096;

/// The files of `regular` (emptied) with their sizes, read in parallel.
fn with_sizes(regular: &mut Vec<(u64, PathBuf, bool)>) -> Vec<Found> {
    std::mem::take(regular)
        .into_par_iter()
        .map(|(seq, path, named)| {
            // Links are followed, as in the walk: the size is the target's.
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            Found {
                seq,
                file: input_file(path, size, named),
            }
        })
        .collect()
}

/// Walks `roots` (the sizes of the files are read on the current rayon pool), leaving out the
/// directory `exclude` (the run's own output, when it lies below an input). A root that is a
/// file is read whatever its name.
pub fn discover(
    roots: &[PathBuf],
    dir: &SpillDir,
    exclude: Option<&Path>,
) -> Result<Discovery, Error> {
    let mut files = Sorter::new(dir, path_order);
    let mut problems = Sorter::new(dir, problem_order);
    let exclude = exclude.and_then(|p| file_id(&std::fs::metadata(p).ok()?));
    let excluded = |e: &walkdir::DirEntry| {
        e.file_type().is_dir()
            && exclude.is_some()
            && e.metadata().ok().and_then(|m| file_id(&m)) == exclude
    };
    let mut bytes = 0u64;
    let mut seq = 0u64;
    // Regular files, and whether each was named on the command line: their sizes take a
    // system call each, made in parallel a batch at a time.
    let mut regular: Vec<(u64, PathBuf, bool)> = Vec::new();
    let mut add = |found: Found, files: &mut Sorter<'_, Found>| {
        bytes += found.file.size;
        files.push(found)
    };
    let walked: Vec<Root<'_>> = distinct_roots(roots)
        .into_iter()
        .map(|given| Root {
            given,
            real: std::fs::canonicalize(given).ok().filter(|r| r.is_dir()),
        })
        .collect();
    for root in &walked {
        let mut walk = WalkDir::new(root.given)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| !excluded(e));
        while let Some(entry) = walk.next() {
            seq += 1;
            if let Ok(e) = &entry
                && e.depth() > 0
                && e.path_is_symlink()
                && let Some(there) = read_elsewhere(e.path(), &walked, exclude)
            {
                let what = if e.file_type().is_dir() {
                    walk.skip_current_dir();
                    "directory"
                } else {
                    "file"
                };
                problems.push(WalkProblem {
                    display: display_path(e.path()),
                    message: format!(
                        "symbolic link to the {what} {}, read under that path",
                        display_path(&there)
                    ),
                    skipped: true,
                })?;
                continue;
            }
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let named = e.depth() == 0;
                    regular.push((seq, e.into_path(), named));
                    if regular.len() == SIZE_BATCH {
                        for found in with_sizes(&mut regular) {
                            add(found, &mut files)?;
                        }
                    }
                }
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    let mut file = input_file(e.path().to_path_buf(), 0, false);
                    file.kind = PathKind::Special;
                    add(Found { seq, file }, &mut files)?;
                }
                Err(err) => {
                    let path = err
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| root.given.clone());
                    let message = match (err.loop_ancestor(), err.io_error()) {
                        (Some(ancestor), _) => {
                            format!("symbolic link loop back to {}", display_path(ancestor))
                        }
                        (None, Some(io))
                            if io.kind() == std::io::ErrorKind::NotFound && path.is_symlink() =>
                        {
                            "dangling symbolic link".to_owned()
                        }
                        (None, Some(io)) => crate::input::long_path(
                            &path,
                            std::io::Error::new(io.kind(), io.to_string()),
                        )
                        .to_string(),
                        (None, None) => err.to_string(),
                    };
                    problems.push(WalkProblem {
                        display: display_path(&path),
                        message,
                        skipped: false,
                    })?;
                }
            }
        }
    }
    for found in with_sizes(&mut regular) {
        add(found, &mut files)?;
    }
    Ok(Discovery {
        files: files.finish()?,
        last: None,
        bytes,
        problems: problems.finish()?,
        last_problem: None,
    })
}

/// A directory walked: the path as given, and its real path (`None` if it has none).
struct Root<'a> {
    given: &'a PathBuf,
    real: Option<PathBuf>,
}

/// Where the walk reads what the symbolic link `link` leads to, when it reads it by a path of
/// its own: the target lies inside a directory being walked, and every directory from that
/// one down to the target can be listed (else the link may be the only way in) and is not
/// the run's output. Returns that path as the walk spells it.
fn read_elsewhere(
    link: &Path,
    walked: &[Root<'_>],
    exclude: Option<(u64, u64)>,
) -> Option<PathBuf> {
    let target = std::fs::canonicalize(link).ok()?;
    walked.iter().find_map(|root| {
        let real = root.real.as_ref()?;
        let inside = target.strip_prefix(real).ok()?;
        if inside.as_os_str().is_empty() {
            // The walked directory itself: a loop, which the walk reports.
            return None;
        }
        let mut dir = real.clone();
        let listable = |dir: &Path| {
            std::fs::read_dir(dir).is_ok()
                && (exclude.is_none()
                    || std::fs::metadata(dir).ok().and_then(|m| file_id(&m)) != exclude)
        };
        if !listable(&dir) {
            return None;
        }
        let mut parts = inside.components().peekable();
        while let Some(part) = parts.next() {
            dir.push(part);
            // The last part is the target: a file is opened, a directory listed, as they
            // would be through the link.
            if parts.peek().is_some() && !listable(&dir) {
                return None;
            }
        }
        Some(root.given.join(inside))
    })
}

/// The roots worth walking: a directory given twice in different spellings (`dump` and
/// `/home/me/dump`, `./dump/../dump`) is walked once, as first given, and a directory inside
/// another root directory is left to that one's walk. Paths that are spelled alike are
/// already found once; these would be read twice, their records counted twice and every
/// event taken for a repeated delivery.
fn distinct_roots(roots: &[PathBuf]) -> Vec<&PathBuf> {
    let real: Vec<Option<PathBuf>> = roots
        .iter()
        .map(|r| std::fs::canonicalize(r).ok().filter(|_| r.is_dir()))
        .collect();
    roots
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            let Some(me) = &real[i] else { return true };
            !real.iter().enumerate().any(|(j, other)| {
                other.as_ref().is_some_and(|other| {
                    j != i && ((other == me && j < i) || (other != me && me.starts_with(other)))
                })
            })
        })
        .map(|(_, r)| r)
        .collect()
}

/// A file's identity on its device.
#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn input_file(path: PathBuf, size: u64, named_on_command_line: bool) -> InputFile {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (mut digest, mut insight, mut lake, mut trail) = (false, false, false, false);
    for c in path.components() {
        match c.as_os_str().as_encoded_bytes() {
            b"CloudTrail-Digest" => digest = true,
            b"CloudTrail-Insight" => insight = true,
            b"CloudTrail-Lake" => lake = true,
            b"CloudTrail" => trail = true,
            _ => {}
        }
    }
    let json_named = [
        ".json",
        ".jsonl",
        ".ndjson",
        ".json.gz",
        ".jsonl.gz",
        ".ndjson.gz",
    ]
    .iter()
    .any(|s| name.ends_with(s));
    let data_named = json_named || [".log", ".gz", ".log.gz"].iter().any(|s| name.ends_with(s));
    let lake_named =
        name == "result_sign.json" || (name.starts_with("result_") && name.ends_with(".csv.gz"));
    let kind = if digest {
        PathKind::Digest
    } else if insight {
        PathKind::Insight
    } else if lake || lake_named {
        PathKind::Lake
    } else if data_named || named_on_command_line || trail {
        PathKind::Data
    } else {
        PathKind::Other
    };
    InputFile {
        display: display_path(&path),
        path,
        size,
        kind,
        json_named,
    }
}

/// Whether a file of kind `Other` starts like gzip or JSON (after an optional byte-order mark
/// and whitespace), judged from its first bytes.
pub fn starts_like_data(path: &Path) -> std::io::Result<bool> {
    let mut head = [0u8; 512];
    let (mut file, _) = crate::input::open_regular(path)?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    let head = &head[..n];
    if head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
    {
        return Ok(true);
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    Ok(matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    ))
}

/// A path for reports: UTF-8 as is, any other byte as `\xNN`, so two different paths never
/// print the same.
pub fn display_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_path() {
        let kind = |p: &str| input_file(PathBuf::from(p), 0, false).kind;
        assert_eq!(
            kind("d/AWSLogs/1/CloudTrail/us-east-1/2026/03/02/1_CloudTrail_us-east-1_x.json.gz"),
            PathKind::Data
        );
        assert_eq!(
            kind(
                "d/AWSLogs/1/CloudTrail-Digest/us-east-1/2026/03/02/1_CloudTrail-Digest_x.json.gz"
            ),
            PathKind::Digest
        );
        assert_eq!(
            kind("d/AWSLogs/1/CloudTrail-Insight/us-east-1/2026/03/02/x.json.gz"),
            PathKind::Insight
        );
        assert_eq!(kind("exports/q1/result_1.csv.gz"), PathKind::Lake);
        assert_eq!(kind("exports/q1/result_sign.json"), PathKind::Lake);
        assert_eq!(kind("notes/readme.txt"), PathKind::Other);
        assert_eq!(kind("export/events.ndjson"), PathKind::Data);
        assert_eq!(
            input_file(PathBuf::from("readme.txt"), 0, true).kind,
            PathKind::Data
        );
        assert!(input_file(PathBuf::from("a/x.jsonl.gz"), 0, false).json_named);
        assert!(!input_file(PathBuf::from("a/x.log"), 0, false).json_named);
    }

    #[test]
    fn a_directory_is_walked_once_however_it_is_spelled() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        std::fs::create_dir_all(a.join("b")).unwrap();
        std::fs::write(a.join("b/x.json"), "{}").unwrap();
        let roots: Vec<PathBuf> = [
            a.join("b"),
            a.clone(),
            a.join("b/.."),
            a.join("./b/x.json"),
            tmp.path().join("missing"),
            a.clone(),
        ]
        .into();
        // b lies inside a; a/b/.. and the second a are a again; a file root, and a root
        // that cannot be read (the walk reports it), stay.
        assert_eq!(distinct_roots(&roots), [&roots[1], &roots[3], &roots[4]]);
    }

    #[cfg(unix)]
    #[test]
    fn links_to_what_the_walk_reads_anyway_are_listed_not_followed() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let (a, other) = (tmp.path().join("a"), tmp.path().join("other"));
        std::fs::create_dir_all(a.join("b/c")).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(a.join("b/c/x.json"), "{}").unwrap();
        std::fs::write(other.join("y.json"), "{}").unwrap();
        symlink("b", a.join("to_b")).unwrap();
        symlink(a.join("b/c/x.json"), a.join("to_x.json")).unwrap();
        symlink("../b/c", a.join("b/to_c")).unwrap();
        // Outside the walk: the link is the way in, and it is followed.
        symlink(&other, a.join("to_other")).unwrap();
        let spill = SpillDir::new(tmp.path(), 1 << 20);
        let mut found = discover(std::slice::from_ref(&a), &spill, None).unwrap();
        let mut files = Vec::new();
        found.next_files(&mut files, 100).unwrap();
        let shown = |p: &Path| display_path(p);
        let files: Vec<String> = files.iter().map(|f| f.display.clone()).collect();
        assert_eq!(
            files,
            [
                shown(&a.join("b/c/x.json")),
                shown(&a.join("to_other/y.json"))
            ]
        );
        let mut problems = Vec::new();
        while let Some(p) = found.next_problem().unwrap() {
            assert!(p.skipped, "{p:?}");
            problems.push((p.display, p.message));
        }
        let link = |from: &str, what: &str, to: &str| {
            (
                shown(&a.join(from)),
                format!(
                    "symbolic link to the {what} {}, read under that path",
                    shown(&a.join(to))
                ),
            )
        };
        assert_eq!(
            problems,
            [
                link("b/to_c", "directory", "b/c"),
                link("to_b", "directory", "b"),
                link("to_x.json", "file", "b/c/x.json"),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn odd_bytes_in_paths_are_escaped() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"dir/caf\xe9.json"));
        assert_eq!(display_path(p), "dir/caf\\xe9.json");
    }
}
