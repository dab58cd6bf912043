//! Settings of a run, resolved and typed once from the command line.

use std::path::PathBuf;

use crate::cli::ScanArgs;
use crate::filter::{EventSet, Selection};
use crate::findings::Settings;

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
}

impl Config {
    /// Resolves the arguments; an inconsistent combination is a usage error (the message).
    pub fn from_args(args: ScanArgs) -> Result<Config, String> {
        if let (Some(since), Some(until)) = (args.since, args.until)
            && since >= until
        {
            return Err(format!(
                "--since ({since}) must be before --until ({until})"
            ));
        }
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
        })
    }

    /// The event names that get a count column in users.csv and a line in the summary (for
    /// all events: the names seen, in order).
    pub fn event_names<'e>(&self, seen: impl Iterator<Item = &'e str>) -> Vec<String> {
        match self.selection.events.names() {
            Some(names) => names.into_iter().map(str::to_owned).collect(),
            None => {
                // A few hundred names among millions of events: deduplicate, then sort.
                let distinct: std::collections::HashSet<&str> = seen.collect();
                let mut names: Vec<String> = distinct.into_iter().map(str::to_owned).collect();
                names.sort_unstable();
                names
            }
        }
    }
}
