//! The output directory of a run: one run at a time, nothing half-written ever in sight.
//!
//! - A run takes an exclusive lock on `DIR/.trailsift.lock` (released by the system however
//!   the process ends) and writes its pid, start time and command line into it; a second run
//!   into a locked directory is refused with those details.
//! - Everything a run writes goes first into its own staging directory,
//!   `DIR/.trailsift-run-XXXXXX` (reports, sort runs, workbook temporary files). A finished
//!   run moves its reports into place as a set: the previous run's record (`run.json`) and
//!   every report of the previous set are removed first, the new reports renamed in, the new
//!   `run.json` (which vouches for them with their hashes) last. Whatever stops a run before
//!   that, the previous set is left as it was, with its own `run.json`.
//! - An interrupted run removes its staging directory. A run killed outright leaves it (and
//!   the lock file) behind: both have names no report has, the next run removes them, and a
//!   directory holding nothing else counts as empty.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::error::Error;

/// The lock file.
pub const LOCK_NAME: &str = ".trailsift.lock";
/// The prefix of staging directories.
pub const STAGING_PREFIX: &str = ".trailsift-run-";
/// The prefix of the sort directories of earlier versions (left by killed runs).
const OLD_SORT_PREFIX: &str = ".trailsift-sort-";
/// Every file a run may put in place (removed when a new set replaces the old one).
pub const REPORT_NAMES: [&str; 13] = [
    "events.csv",
    "timeline.csv",
    "users.csv",
    "findings.csv",
    "problems.csv",
    "manifest.csv",
    "report.xlsx",
    "events.jsonl",
    "timesketch.jsonl",
    "report.html",
    "verify.csv",
    "gaps.csv",
    RUN_RECORD,
];
/// The run's own record, renamed into place last.
pub const RUN_RECORD: &str = "run.json";

/// Whether a directory entry is something a trailsift run leaves behind when it is killed.
pub fn is_leftover(name: &[u8]) -> bool {
    name == LOCK_NAME.as_bytes()
        || name.starts_with(STAGING_PREFIX.as_bytes())
        || name.starts_with(OLD_SORT_PREFIX.as_bytes())
        // Earlier versions' temporary reports: `.events.csv.tmp`.
        || (name.starts_with(b".") && name.ends_with(b".tmp"))
}

/// The output directory of a run, locked, with its staging directory.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    /// Held for the run; the lock goes with it.
    lock: Option<File>,
    staging: Option<tempfile::TempDir>,
    /// Files in the staging directory waiting to be put in place, by final name.
    pending: Vec<String>,
    syncs: Syncs,
}

/// Reports whose bytes are being synced on threads of their own (see [`Syncs::sync`]).
#[derive(Debug, Clone, Default)]
pub struct Syncs(Arc<Mutex<Vec<Syncing>>>);

/// One report's sync: running, or done where no thread could be had.
#[derive(Debug)]
struct Syncing {
    name: String,
    path: PathBuf,
    sync: Result<JoinHandle<std::io::Result<()>>, std::io::Result<()>>,
}

impl Syncs {
    /// Syncs a finished report's bytes to disk on a thread of its own, so that the run goes
    /// on meanwhile; [`OutputDir::commit`] waits for it (and fails on its error) before it
    /// renames anything.
    pub fn sync(&self, name: &str, path: &Path, file: File) {
        let file = Arc::new(file);
        let syncing = Arc::clone(&file);
        let sync = std::thread::Builder::new()
            .name("sync".to_owned())
            .spawn(move || syncing.sync_all())
            .map_err(|_| file.sync_all());
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Syncing {
                name: name.to_owned(),
                path: path.to_path_buf(),
                sync,
            });
    }

    /// Waits for every sync; the names of the reports synced, or the first error.
    fn wait(&self) -> Result<Vec<String>, Error> {
        let syncs = std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let mut synced = Vec::new();
        let mut failed = None;
        for s in syncs {
            let done = match s.sync {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(done) => done,
            };
            match done {
                Ok(()) => synced.push(s.name),
                Err(source) => {
                    failed.get_or_insert(Error::Output {
                        path: crate::discover::display_path(&s.path),
                        source,
                    });
                }
            }
        }
        failed.map_or(Ok(synced), Err)
    }
}

/// Who holds a lock, as its file says.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.take(4096).read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() {
        "a run that has not written its details yet".to_owned()
    } else {
        text.replace('\n', ", ")
    }
}

impl OutputDir {
    /// Creates `dir` if needed and locks it. A directory holding anything but the leftovers of
    /// killed runs is refused unless `force`. `command` and `started` go into the lock file.
    pub fn open(dir: &Path, force: bool, command: &str, started: &str) -> Result<OutputDir, Error> {
        let shown = crate::discover::display_path(dir);
        let output_error = |source| Error::Output {
            path: shown.clone(),
            source,
        };
        if fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
            return Err(output_error(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "it exists and is not a directory",
            )));
        }
        fs::create_dir_all(dir).map_err(output_error)?;
        let lock_path = dir.join(LOCK_NAME);
        let lock = loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
                .map_err(|source| Error::Output {
                    path: crate::discover::display_path(&lock_path),
                    source,
                })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Busy {
                        dir: shown,
                        holder: holder(&mut file),
                    });
                }
                Err(std::fs::TryLockError::Error(source)) => return Err(output_error(source)),
            }
            // The previous holder may have removed the file between our open and our lock:
            // then this lock is on a file nobody else will see. Take the one at the path.
            if same_file(&file, &lock_path) {
                break file;
            }
        };
        let mut dir_out = OutputDir {
            dir: dir.to_path_buf(),
            lock: Some(lock),
            staging: None,
            pending: Vec::new(),
            syncs: Syncs::default(),
        };
        dir_out.write_holder(command, started);
        // Leftovers of killed runs (never of a live one: that one holds the lock).
        let mut other = Vec::new();
        for entry in fs::read_dir(dir).map_err(output_error)? {
            let entry = entry.map_err(output_error)?;
            let name = entry.file_name();
            let name = name.as_encoded_bytes();
            if name == LOCK_NAME.as_bytes() {
                continue;
            }
            if is_leftover(name) {
                let path = entry.path();
                let _ = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
            } else {
                other.push(entry.file_name());
            }
        }
        if !force && !other.is_empty() {
            return Err(Error::OutputNotEmpty(shown));
        }
        let staging = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(dir)
            .map_err(output_error)?;
        dir_out.staging = Some(staging);
        Ok(dir_out)
    }

    fn write_holder(&mut self, command: &str, started: &str) {
        if let Some(lock) = self.lock.as_mut() {
            let text = format!(
                "pid {}\nstarted {started}\ncommand {command}\n",
                std::process::id()
            );
            let _ = lock.set_len(0);
            let _ = lock.rewind();
            let _ = lock.write_all(text.as_bytes());
            let _ = lock.flush();
        }
    }

    /// The directory the reports end up in.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The run's staging directory (sort runs and temporary files go here too).
    pub fn staging(&self) -> &Path {
        self.staging.as_ref().expect("open until committed").path()
    }

    /// Where the report `name` is written before it is put in place; the report is then
    /// part of the set [`OutputDir::commit`] puts in place.
    pub fn stage(&mut self, name: &str) -> PathBuf {
        if !self.pending.iter().any(|p| p == name) {
            self.pending.push(name.to_owned());
        }
        self.staging().join(name)
    }

    /// Where the reports written on other threads hand their files to be synced.
    pub fn syncs(&self) -> Syncs {
        self.syncs.clone()
    }

    /// Creates the staged file of report `name`.
    pub fn create(&mut self, name: &str) -> Result<File, Error> {
        let path = self.stage(name);
        File::create(&path).map_err(|source| Error::Output {
            path: crate::discover::display_path(&path),
            source,
        })
    }

    /// Replaces the previous set of reports with the staged ones (`run.json` last).
    /// Returns the paths put in place, in order.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, Error> {
        let error = |path: &Path, source| Error::Output {
            path: crate::discover::display_path(path),
            source,
        };
        // Every new report's bytes are on disk before anything is removed or renamed: after a
        // crash, a report in place is whole, and a report that cannot be synced leaves the
        // previous set as it was. The tables synced themselves as they closed, on threads of
        // their own; the others (the page, the workbook, the record) are synced here.
        let synced = self.syncs.wait()?;
        let mut names = std::mem::take(&mut self.pending);
        names.sort_by_key(|n| (n == RUN_RECORD, REPORT_NAMES.iter().position(|r| r == n)));
        for name in names.iter().filter(|n| !synced.contains(n)) {
            let from = self.staging().join(name);
            File::open(&from)
                .and_then(|f| f.sync_all())
                .map_err(|e| error(&from, e))?;
        }
        // The previous set goes first, its record before its reports: a set without a
        // record is never taken for a current one.
        for name in std::iter::once(RUN_RECORD).chain(REPORT_NAMES) {
            let path = self.dir.join(name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(error(&path, e)),
            }
        }
        let mut placed = Vec::new();
        for name in names {
            let from = self.staging().join(&name);
            let to = self.dir.join(&name);
            fs::rename(&from, &to).map_err(|e| error(&to, e))?;
            placed.push(to);
        }
        // Syncing the directory makes the renames durable before the run reports success.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(placed)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        // No sync is left running on a file about to go.
        let _ = self.syncs.wait();
        // The staging directory goes (whatever is left in it); then the lock file, while it
        // is still held, so that no other run can be holding it.
        drop(self.staging.take());
        if self.lock.is_some() {
            let _ = fs::remove_file(self.dir.join(LOCK_NAME));
        }
        drop(self.lock.take());
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, _: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn reports_synced_on_their_own_threads_are_waited_for_and_put_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut dir = OutputDir::open(&out, false, "c", "t").unwrap();
        let syncs = dir.syncs();
        let mut file = dir.create("events.csv").unwrap();
        file.write_all(b"a,b\r\n").unwrap();
        let path = dir.staging().join("events.csv");
        syncs.sync("events.csv", &path, file);
        fs::write(dir.stage(RUN_RECORD), "{}").unwrap();
        // The commit takes the sync's result: it is the only one it does not do itself.
        assert_eq!(syncs.wait().unwrap(), ["events.csv"]);
        syncs.sync("events.csv", &path, File::open(&path).unwrap());
        let placed = dir.commit().unwrap();
        assert_eq!(placed, [out.join("events.csv"), out.join(RUN_RECORD)]);
        assert_eq!(
            fs::read_to_string(out.join("events.csv")).unwrap(),
            "a,b\r\n"
        );
        assert!(syncs.wait().unwrap().is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_report_that_cannot_be_synced_fails_the_commit_and_leaves_the_previous_set() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut first = OutputDir::open(&out, false, "c", "t").unwrap();
        fs::write(first.stage("events.csv"), "old").unwrap();
        fs::write(first.stage(RUN_RECORD), "{\"old\":1}").unwrap();
        first.commit().unwrap();

        let mut second = OutputDir::open(&out, true, "c", "t").unwrap();
        fs::write(second.stage("events.csv"), "new").unwrap();
        fs::write(second.stage(RUN_RECORD), "{}").unwrap();
        // Linux refuses to sync /dev/null (EINVAL): a stand-in for a disk that fails.
        let null = Path::new("/dev/null");
        second
            .syncs()
            .sync("events.csv", null, File::create(null).unwrap());
        let Err(e) = second.commit() else {
            panic!("a failed sync must fail the commit");
        };
        assert!(e.to_string().starts_with("cannot write /dev/null: "), "{e}");
        assert_eq!(fs::read_to_string(out.join("events.csv")).unwrap(), "old");
        assert_eq!(
            fs::read_to_string(out.join(RUN_RECORD)).unwrap(),
            "{\"old\":1}"
        );
        assert_eq!(names(&out), ["events.csv", RUN_RECORD]);
    }

    #[test]
    fn a_file_where_the_directory_should_be_is_named_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::write(&out, "mine").unwrap();
        let Err(e) = OutputDir::open(&out, true, "c", "t") else {
            panic!("a file is no output directory");
        };
        assert_eq!(
            e.to_string(),
            format!(
                "cannot write {}: it exists and is not a directory",
                crate::discover::display_path(&out)
            )
        );
        assert_eq!(fs::read_to_string(&out).unwrap(), "mine");
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first =
            OutputDir::open(&out, false, "trailsift scan a", "2026-12-02T10:00:00Z").unwrap();
        let second = OutputDir::open(&out, true, "trailsift scan b", "2026-12-02T10:00:01Z");
        match second {
            Err(Error::Busy { holder, .. }) => {
                assert!(
                    holder.contains(&format!("pid {}", std::process::id())),
                    "{holder}"
                );
                assert!(holder.contains("trailsift scan a"), "{holder}");
            }
            other => panic!("{other:?}"),
        }
        drop(first);
        assert!(names(&out).is_empty(), "{:?}", names(&out));
        OutputDir::open(&out, false, "c", "t").unwrap();
    }

    #[test]
    fn leftovers_of_killed_runs_are_removed_and_do_not_count() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        fs::create_dir(out.join(".trailsift-run-abc123")).unwrap();
        fs::write(out.join(".trailsift-run-abc123/events.csv"), "x").unwrap();
        fs::create_dir(out.join(".trailsift-sort-old")).unwrap();
        fs::write(out.join(".events.csv.tmp"), "x").unwrap();
        fs::write(out.join(LOCK_NAME), "pid 1").unwrap();
        let dir = OutputDir::open(out, false, "c", "t").unwrap();
        let left = names(out);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.iter().any(|n| n == LOCK_NAME));
        assert!(
            left.iter()
                .any(|n| n.starts_with(STAGING_PREFIX) && n != ".trailsift-run-abc123")
        );
        drop(dir);
        fs::write(out.join("notes.txt"), "mine").unwrap();
        assert!(matches!(
            OutputDir::open(out, false, "c", "t"),
            Err(Error::OutputNotEmpty(_))
        ));
    }

    #[test]
    fn a_new_set_replaces_the_whole_previous_one() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        for name in ["events.csv", "report.xlsx", "run.json", "notes.txt"] {
            fs::write(out.join(name), "old").unwrap();
        }
        let mut dir = OutputDir::open(out, true, "c", "t").unwrap();
        for name in ["run.json", "events.csv"] {
            dir.create(name).unwrap().write_all(b"new").unwrap();
        }
        let placed = dir.commit().unwrap();
        let placed: Vec<_> = placed
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(placed, ["events.csv", "run.json"]);
        assert_eq!(names(out), ["events.csv", "notes.txt", "run.json"]);
        assert_eq!(fs::read_to_string(out.join("events.csv")).unwrap(), "new");
    }
}
