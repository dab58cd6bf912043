//! Settings of a scan, resolved, checked and typed once from the command line.

use std::path::PathBuf;

use crate::cli::{KeyArgs, ScanArgs, VerifyArgs};
use crate::filter::{EventSet, Selection};
use crate::findings::Settings;
use crate::integrity::keys::{Keys, Signatures};
use crate::known;
use crate::report::Formats;
use crate::terminal::escape;

/// Everything a scan needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
    pub selection: Selection,
    pub threads: usize,
    pub quiet: bool,
    pub findings: Settings,
    /// Bytes each external sort of the results holds before it writes a run to disk.
    pub sort_memory: usize,
    /// Input files read per batch (largest first within a batch).
    pub file_batch: usize,
    pub formats: Formats,
    /// The command line, for `run.json`.
    pub command: Vec<String>,
    /// The events were named with `--events` (a name that matches nothing is then worth a
    /// warning).
    pub events_named: bool,
    /// Things worth saying before the run starts (an unknown-looking region).
    pub warnings: Vec<String>,
    /// Check integrity in the same pass (`--verify`).
    pub integrity: Option<Integrity>,
}

/// What authenticates the digests.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    pub keys: Keys,
    pub signatures: Signatures,
}

impl Integrity {
    /// Reads the keys and signatures files; a file of the wrong shape is a usage error.
    pub fn from_args(args: &KeyArgs) -> Result<Integrity, String> {
        let mut keys = Keys::default();
        for path in &args.public_keys {
            keys.load(path).map_err(|m| escape(&m).into_owned())?;
        }
        let signatures = match &args.signatures {
            Some(path) => Signatures::load(path).map_err(|m| escape(&m).into_owned())?,
            None => Signatures::default(),
        };
        Ok(Integrity { keys, signatures })
    }
}

/// Everything `trailsift verify` needs to know.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
    pub threads: usize,
    pub quiet: bool,
    pub sort_memory: usize,
    pub integrity: Integrity,
    pub command: Vec<String>,
}

/// Checks that every PATH exists and is a file or a directory: a pipe, socket or device named
/// on the command line (`<(zcat ...)`, `/dev/stdin`) would be skipped like one found in a dump,
/// and the run would report nothing from it.
fn paths_exist(paths: &[PathBuf]) -> Result<(), String> {
    for path in paths {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            return Err(format!(
                "cannot read PATH {}: not a regular file or directory (a pipe, socket or device); \
                 save its content to a file and give that",
                escape(&crate::discover::display_path(path))
            ));
        }
        if let Err(e) = std::fs::symlink_metadata(path) {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "no such file or directory".to_owned()
            } else {
                e.to_string()
            };
            return Err(format!(
                "cannot read PATH {}: {why}",
                escape(&crate::discover::display_path(path))
            ));
        }
    }
    Ok(())
}

/// The threads asked for, or one per core (at most [`crate::cli::MAX_THREADS`]).
fn threads(n: Option<std::num::NonZeroUsize>) -> usize {
    n.map_or_else(
        || {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(crate::cli::MAX_THREADS)
        },
        |n| n.get(),
    )
}

impl VerifyConfig {
    pub fn from_args(args: VerifyArgs, command: Vec<String>) -> Result<VerifyConfig, String> {
        paths_exist(&args.paths)?;
        Ok(VerifyConfig {
            integrity: Integrity::from_args(&args.keys)?,
            paths: args.paths,
            out: args.out,
            force: args.force,
            threads: threads(args.threads),
            quiet: args.quiet,
            sort_memory: args.sort_memory_unchecked.unwrap_or(args.sort_memory),
            command,
        })
    }
}

impl Config {
    /// Resolves the arguments; an inconsistent combination, or a path that does not exist,
    /// is a usage error (the message).
    pub fn from_args(args: ScanArgs, command: Vec<String>) -> Result<Config, String> {
        if let (Some(since), Some(until)) = (args.since, args.until)
            && since >= until
        {
            return Err(format!(
                "--since ({since}) must be before --until ({until})"
            ));
        }
        paths_exist(&args.paths)?;
        if !args.verify && (!args.keys.public_keys.is_empty() || args.keys.signatures.is_some()) {
            return Err("--public-keys and --signatures go with --verify".into());
        }
        let integrity = if args.verify {
            Some(Integrity::from_args(&args.keys)?)
        } else {
            None
        };
        let mut warnings = Vec::new();
        for region in &args.regions {
            if !known::REGIONS.contains(&region.as_str()) {
                let hint = known::suggest(region, known::REGIONS)
                    .map(|k| format!("; did you mean {k}?"))
                    .unwrap_or_default();
                warnings.push(format!(
                    "--region {} is not a region trailsift knows{hint}",
                    escape(region)
                ));
            }
        }
        let events_named = !args.events.is_empty();
        let events = if args.all_events {
            EventSet::All
        } else if args.events.is_empty() {
            EventSet::default_set()
        } else {
            EventSet::Only(args.events)
        };
        let threads = threads(args.threads);
        Ok(Config {
            paths: args.paths,
            out: args.out,
            force: args.force,
            selection: Selection {
                events,
                since: args.since,
                until: args.until,
                accounts: args.accounts,
                regions: args.regions,
                users: args.users,
            },
            threads,
            quiet: args.quiet,
            sort_memory: args.sort_memory_unchecked.unwrap_or(args.sort_memory),
            file_batch: args.file_batch.get(),
            findings: Settings {
                chain_window: chrono::Duration::minutes(args.chain_minutes.get().into()),
                burst_failures: args.burst_failures.get() as usize,
                burst_window: chrono::Duration::minutes(args.burst_minutes.get().into()),
            },
            formats: Formats::of(&args.formats),
            command,
            events_named,
            warnings,
            integrity,
        })
    }

    /// A configuration for library callers and tests: these paths, this output, defaults
    /// elsewhere.
    pub fn new(paths: Vec<PathBuf>, out: PathBuf, selection: Selection) -> Config {
        Config {
            paths,
            out,
            force: false,
            selection,
            threads: 2,
            quiet: true,
            findings: Settings::default(),
            sort_memory: 64 << 20,
            file_batch: 8192,
            formats: Formats {
                csv: true,
                ..Formats::default()
            },
            command: vec!["trailsift".into()],
            events_named: false,
            warnings: Vec::new(),
            integrity: None,
        }
    }

    /// The event names that get a count column in users.csv and a line in the summary (for
    /// all events: the names seen, in order).
    pub fn event_names<'e>(&self, seen: impl Iterator<Item = &'e str>) -> Vec<String> {
        match self.selection.events.names() {
            Some(names) => names.into_iter().map(str::to_owned).collect(),
            None => {
                // A few hundred names among millions of events: deduplicate, then sort.
                let distinct: std::collections::BTreeSet<&str> = seen.collect();
                distinct.into_iter().map(str::to_owned).collect()
            }
        }
    }
}
