//! The `trailsift` binary: parse the command line, run, map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;
use trailsift::cli::{Cli, Command};
use trailsift::config::Config;

/// Per-file warnings printed before pointing at the manifest.
const SHOWN_WARNINGS: usize = 20;

fn main() -> ExitCode {
    let Cli {
        command: Command::Scan(args),
    } = Cli::parse();
    let config = match Config::from_args(args) {
        Ok(c) => c,
        Err(message) => {
            use clap::CommandFactory;
            Cli::command()
                .error(clap::error::ErrorKind::ArgumentConflict, message)
                .exit();
        }
    };
    match trailsift::run(&config) {
        Ok(summary) => {
            if !config.quiet {
                for w in summary.warnings.iter().take(SHOWN_WARNINGS) {
                    eprintln!("trailsift: warning: {w}");
                }
                if summary.warnings.len() > SHOWN_WARNINGS {
                    eprintln!(
                        "trailsift: warning: … and {} more, see {}",
                        summary.warnings.len() - SHOWN_WARNINGS,
                        summary.manifest
                    );
                }
                println!("{summary}");
            }
            if summary.complete() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            }
        }
        Err(e) => {
            eprintln!("trailsift: error: {e}");
            ExitCode::from(1)
        }
    }
}
