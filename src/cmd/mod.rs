//! The commands, one module each, and the dispatch the binary calls: parse the command line,
//! run, print what is worth printing (escaped for the terminal, quiet on a closed pipe), and
//! map the outcome to an exit status.

pub mod scan;
pub mod verify;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cancel::Cancel;
use crate::cli::{Cli, Command};
use crate::config::{Config, VerifyConfig};
use crate::frame::structural::Nesting;
use crate::report::run_record::COMMIT;
use crate::terminal::{self, escape};

/// The version line: the release, the commit and the vector instructions in use.
pub fn long_version() -> String {
    format!(
        "{} (commit {COMMIT}, {} framing)",
        env!("CARGO_PKG_VERSION"),
        Nesting::simd_level()
    )
}

/// Everything `main` does.
pub fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // The version is known at run time (the vector instructions); clap keeps it for the run.
    let version: &'static str = Box::leak(long_version().into_boxed_str());
    let matches = Cli::command()
        .version(version)
        .long_version(version)
        .get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Scan(args) => {
            let config = match Config::from_args(args, argv) {
                Ok(c) => c,
                Err(message) => Cli::command()
                    .error(clap::error::ErrorKind::ValueValidation, message)
                    .exit(),
            };
            scan_main(&config)
        }
        Command::Verify(args) => {
            let config = match VerifyConfig::from_args(args, argv) {
                Ok(c) => c,
                Err(message) => Cli::command()
                    .error(clap::error::ErrorKind::ValueValidation, message)
                    .exit(),
            };
            verify_main(&config)
        }
    }
}

fn verify_main(config: &VerifyConfig) -> ExitCode {
    let mut out = terminal::stdout();
    let mut err = terminal::stderr();
    let cancel = match Cancel::on_signals() {
        Ok(c) => c,
        Err(e) => {
            err.line(&format!("trailsift: error: cannot handle signals: {e}"));
            return ExitCode::from(1);
        }
    };
    match verify::run(config, &cancel) {
        Ok(summary) => {
            if !config.quiet {
                out.line(&summary.to_string());
                summary_lost(&out, &mut err);
            }
            ExitCode::from(summary.exit_status())
        }
        Err(e) => fail(&e, &mut err),
    }
}

/// Says on stderr that the summary could not be written to stdout, unless stdout was a pipe
/// whose reader had read enough. The reports are written either way, so the exit status stays.
fn summary_lost(
    out: &terminal::Quiet<std::io::Stdout>,
    err: &mut terminal::Quiet<std::io::Stderr>,
) {
    if let Some(e) = out.failure() {
        err.line(&format!(
            "trailsift: warning: the summary could not be written to standard output ({e}); \
             the reports are complete"
        ));
    }
}

/// Says why a run failed and gives its exit status.
fn fail(e: &crate::error::Error, err: &mut terminal::Quiet<std::io::Stderr>) -> ExitCode {
    let message = escape(&e.to_string()).into_owned();
    match e.exit_status() {
        // A usage error, found once the inputs were looked at.
        2 => err.line(&format!("error: {message}")),
        _ => err.line(&format!("trailsift: error: {message}")),
    }
    ExitCode::from(e.exit_status())
}

/// Per-input warnings printed before pointing at the manifest.
const SHOWN_WARNINGS: usize = 20;

fn scan_main(config: &Config) -> ExitCode {
    let mut out = terminal::stdout();
    let mut err = terminal::stderr();
    if !config.quiet {
        for w in &config.warnings {
            err.line(&format!("trailsift: warning: {w}"));
        }
    }
    let cancel = match Cancel::on_signals() {
        Ok(c) => c,
        Err(e) => {
            err.line(&format!("trailsift: error: cannot handle signals: {e}"));
            return ExitCode::from(1);
        }
    };
    match scan::run(config, &cancel) {
        Ok(summary) => {
            if !config.quiet {
                for w in summary.warnings.iter().take(SHOWN_WARNINGS) {
                    err.line(&format!("trailsift: warning: {}", escape(w)));
                }
                if summary.warning_count > SHOWN_WARNINGS {
                    err.line(&format!(
                        "trailsift: warning: … and {} more, see {}",
                        summary.warning_count - SHOWN_WARNINGS,
                        escape(&summary.manifest)
                    ));
                }
                for note in &summary.notes {
                    err.line(&format!("trailsift: warning: {note}"));
                }
                out.line(&summary.to_string());
                summary_lost(&out, &mut err);
            }
            ExitCode::from(summary.exit_status())
        }
        Err(e) => fail(&e, &mut err),
    }
}
