//! Settings of a scan, resolved, checked and typed once from the command line.

use std::path::PathBuf;

use crate::cli::ScanArgs;
use crate::filter::{EventSet, Selection};
use crate::findings::Settings;
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
        for path in &args.paths {
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
        let threads = args.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            |n| n.get(),
        );
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
            sort_memory: args.sort_memory,
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
