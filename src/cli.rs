//! The command line, as clap types. No logic: [`crate::config`] turns these into settings.

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::event::time::Timestamp;
use crate::filter::EventSpec;
use crate::report::Format;

/// Fast offline analysis of AWS CloudTrail archives: who touched IAM credentials and MFA.
#[derive(Debug, Parser)]
#[command(name = "trailsift", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a CloudTrail dump and write per-user timelines, findings and reports.
    ///
    /// Exit status: 0 every input was read; 3 reports were written but some inputs were
    /// unreadable or only partly read (see manifest.csv); with --verify, the higher of that
    /// and verify's (4: evidence that the archive is not intact); 1 fatal error; 2 usage
    /// error; 130, 143 and 129 interrupted by SIGINT (Ctrl-C), SIGTERM and SIGHUP.
    Scan(ScanArgs),
    /// Prove offline that a downloaded archive is intact: check every log file and digest
    /// against CloudTrail's signed, chained digest files.
    ///
    /// Exit status: 0 every log file is valid (or newer or older than the digests) and every
    /// digest valid (or the newest, unsigned); 4 evidence that the archive is not intact
    /// (modified, missing, unlisted or unverifiable files, digests that fail, lost digests);
    /// 3 nothing contradicts integrity but some of it could not be verified (no public keys,
    /// digests unreadable or signed by a key not given, logging off for a while, log files
    /// without any digest); 1 fatal error; 2 usage error; 130, 143 and 129 interrupted.
    Verify(VerifyArgs),
}

/// What authenticates the digests.
#[derive(Debug, Args, Default)]
pub struct KeyArgs {
    /// The saved output of `aws cloudtrail list-public-keys` (one per region; repeat).
    /// Without keys, hashes and chain links are still checked, signatures are not.
    #[arg(long = "public-keys", value_name = "FILE", help_heading = "Integrity")]
    pub public_keys: Vec<PathBuf>,

    /// A CSV `s3_object,signature` of digests' S3 metadata signatures (`aws s3api
    /// head-object`): the only way to authenticate the newest digest of a chain.
    #[arg(long, value_name = "FILE", help_heading = "Integrity")]
    pub signatures: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Directories (walked recursively) and files: the downloaded log files and digests,
    /// matched by their key from AWSLogs/ on wherever the copy lives.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Directory to write verify.csv, gaps.csv and run.json into (created if missing).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub keys: KeyArgs,

    /// Write into DIR even if it is not empty (earlier reports are replaced as a set).
    #[arg(long)]
    pub force: bool,

    /// Worker threads, at most 256 [default: all cores, at most 256].
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,

    /// Memory the external sorts may fill together before they write runs to disk (at least
    /// 1M).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_sort_memory)]
    pub sort_memory: usize,

    /// --sort-memory in bytes, without its floor (tests sort on disk with a few hundred).
    #[arg(long, value_name = "BYTES", hide = true, value_parser = parse_size)]
    pub sort_memory_unchecked: Option<usize>,

    /// No summary, no progress bar, no warnings (the exit status still tells).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Directories (walked recursively) and files to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Directory to write the reports into (created if missing).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// Write into DIR even if it is not empty (earlier reports are replaced).
    #[arg(long)]
    pub force: bool,

    /// Report these events instead of the five IAM credential events. Comma-separated or
    /// repeated; `source:Name` pins the event source (iam.amazonaws.com:ChangePassword).
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        conflicts_with = "all_events"
    )]
    pub events: Vec<EventSpec>,

    /// Report every API call in the archive.
    #[arg(long)]
    pub all_events: bool,

    /// Only events at or after this time (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_bound)]
    pub since: Option<Timestamp>,

    /// Only events before this time (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_bound)]
    pub until: Option<Timestamp>,

    /// Only this account (recipientAccountId, 12 digits); repeat for several.
    #[arg(long = "account", value_name = "ID", value_parser = parse_account)]
    pub accounts: Vec<String>,

    /// Only this region (awsRegion); repeat for several.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,

    /// Only events whose actor or target user is NAME; repeat for several.
    #[arg(long = "user", value_name = "NAME")]
    pub users: Vec<String>,

    /// Worker threads, at most 256 [default: all cores, at most 256].
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,

    /// Output formats, comma-separated or repeated: csv (the six reports), html (report.html:
    /// findings, a timeline by user and the tables in one self-contained page), xlsx
    /// (report.xlsx, the same tables with types kept), jsonl (events.jsonl, each event with
    /// its record), timesketch (timesketch.jsonl). Only the formats named are written.
    #[arg(
        long = "format",
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "csv,html"
    )]
    pub formats: Vec<Format>,

    /// Memory the external sorts of the results may fill together before they sort runs onto
    /// disk (in a hidden directory inside the output directory, removed at the end). Bytes, or
    /// with a K, M or G suffix; at least 1M. The reports do not depend on it.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_sort_memory)]
    pub sort_memory: usize,

    /// --sort-memory in bytes, without its floor (tests sort on disk with a few hundred).
    #[arg(long, value_name = "BYTES", hide = true, value_parser = parse_size)]
    pub sort_memory_unchecked: Option<usize>,

    /// Also check the archive's integrity in the same pass (as `trailsift verify` does):
    /// verify.csv, gaps.csv, and an integrity column in manifest.csv.
    #[arg(long, help_heading = "Integrity")]
    pub verify: bool,

    #[command(flatten)]
    pub keys: KeyArgs,

    /// Input files read per batch (tests use small batches to cross batch boundaries).
    #[arg(long, value_name = "N", default_value = "8192", hide = true)]
    pub file_batch: NonZeroUsize,

    /// No summary, no progress bar, no warnings (the exit status still tells).
    #[arg(long, short)]
    pub quiet: bool,

    /// takeover-chain: minutes after a password change in which a new MFA device counts.
    #[arg(
        long,
        value_name = "MINUTES",
        default_value = "60",
        help_heading = "Findings"
    )]
    pub chain_minutes: NonZeroU32,

    /// failure-burst: this many failed calls by one actor...
    #[arg(long, value_name = "N", default_value = "5", help_heading = "Findings")]
    pub burst_failures: NonZeroU32,

    /// failure-burst: ...within this many minutes.
    #[arg(
        long,
        value_name = "MINUTES",
        default_value = "10",
        help_heading = "Findings"
    )]
    pub burst_minutes: NonZeroU32,
}

/// An AWS account id: twelve digits.
fn parse_account(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "'{}' is not an AWS account id (twelve digits, like 111122223333)",
            crate::terminal::escape(s)
        ))
    }
}

/// The most worker threads a run takes. The work-stealing pool's bookkeeping grows with the
/// square of the thread count: on two cores, 800 threads take 1.4 s over the bundled sample and
/// 3,200 take 37 s, all of it threads looking for work. Far more than any machine's cores.
pub const MAX_THREADS: usize = 256;

/// A thread count: from one to [`MAX_THREADS`].
fn parse_threads(s: &str) -> Result<NonZeroUsize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("the number of threads must be at least 1".to_owned()),
        Ok(n) if n > MAX_THREADS => Err(format!(
            "the number of threads must be at most {MAX_THREADS} (more only slows the run)"
        )),
        Ok(n) => Ok(NonZeroUsize::new(n).expect("not zero")),
        Err(_) => Err(format!(
            "'{}' is not a number of threads",
            crate::terminal::escape(s)
        )),
    }
}

/// A time bound: RFC 3339, or a date meaning midnight UTC.
fn parse_bound(s: &str) -> Result<Timestamp, String> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            format!(
                "'{}' is not a time (expected RFC 3339 like 2026-03-02T10:00:00Z, or YYYY-MM-DD)",
                crate::terminal::escape(s)
            )
        })
}

/// A size in bytes: `4096`, `512K`, `32M`, `1G` (powers of 1024).
/// The least `--sort-memory`: below it the sorts would write a run to disk every few events
/// (a run per event at a few hundred bytes), and a scan of an hour's work would take days.
pub const MIN_SORT_MEMORY: usize = 1 << 20;

fn parse_sort_memory(s: &str) -> Result<usize, String> {
    let size = parse_size(s)?;
    if size < MIN_SORT_MEMORY {
        return Err(format!(
            "'{}' is less than the sorts need, 1M (sizes are in bytes unless K, M or G follows)",
            crate::terminal::escape(s)
        ));
    }
    Ok(size)
}

fn parse_size(s: &str) -> Result<usize, String> {
    let text = s.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => {
            return Err(format!(
                "'{}': the unit must be K, M or G",
                crate::terminal::escape(s)
            ));
        }
    };
    digits
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| {
            format!(
                "'{}' is not a size (bytes, or a number with K, M or G)",
                crate::terminal::escape(s)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bounds_accept_dates_and_rfc3339() {
        assert_eq!(
            parse_bound("2026-03-02").map(|t| t.to_rfc3339()),
            Ok("2026-03-02T00:00:00+00:00".into())
        );
        assert_eq!(
            parse_bound("2026-03-02T10:00:00+02:00").map(|t| t.to_rfc3339()),
            Ok("2026-03-02T08:00:00+00:00".into())
        );
        assert!(parse_bound("yesterday").is_err());
    }

    #[test]
    fn accounts_and_threads_are_checked() {
        assert_eq!(parse_account("012345678901"), Ok("012345678901".into()));
        assert!(parse_account("abc").is_err());
        assert!(parse_account("1234567890123").is_err());
        assert!(parse_threads("0").unwrap_err().contains("at least 1"));
        assert!(parse_threads("257").unwrap_err().contains("at most 256"));
        assert_eq!(parse_threads("256").map(NonZeroUsize::get), Ok(256));
        assert_eq!(parse_threads("4").map(NonZeroUsize::get), Ok(4));
    }

    #[test]
    fn the_sorts_get_at_least_a_mebibyte() {
        assert_eq!(parse_sort_memory("1M"), Ok(1 << 20));
        assert_eq!(parse_sort_memory("64m"), Ok(64 << 20));
        // 64 meant as megabytes is 64 bytes: refused, not a scan that never ends.
        let refused = parse_sort_memory("64").unwrap_err();
        assert!(
            refused.contains("'64' is less than the sorts need, 1M"),
            "{refused}"
        );
        assert!(parse_sort_memory("1023K").is_err());
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("32M"), Ok(32 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1").is_err());
    }
}
