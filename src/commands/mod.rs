//! One small file per subcommand; each only composes pipeline stages and prints.

mod apply;
mod render;
mod schema;
mod validate;

use std::process::ExitCode;

use crate::blueprint::catalog::Catalog;
use crate::cli::{Cli, Command};

/// How a run ended; decided once, turned into the process exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done.
    Success,
    /// Invalid input or a failure.
    Failure,
    /// Changes pending (plan with --detailed-exitcode).
    ChangesPending,
    /// Conflicts that need a person.
    Conflicts,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::ChangesPending => 2,
            ExitStatus::Conflicts => 3,
        })
    }
}

/// Run one command.
pub fn run(cli: Cli) -> ExitStatus {
    let catalog = match Catalog::builtin() {
        Ok(c) => c,
        Err(d) => {
            eprintln!("{d}");
            return ExitStatus::Failure;
        }
    };
    match cli.command {
        Command::Validate(f) => validate::run(&f.fleet, &catalog),
        Command::Render { fleet, out } => render::run(&fleet.fleet, &out, &catalog),
        Command::Apply { fleet, repos } => apply::run(&fleet.fleet, &repos, &catalog),
        Command::Schema { kind } => schema::run(kind.as_deref()),
    }
}

/// Print a pipeline error to stderr.
fn report(e: &crate::pipeline::PipelineError) {
    match e {
        crate::pipeline::PipelineError::Invalid(d) => eprintln!("{d}"),
        other => {
            for line in other.to_string().lines() {
                eprintln!("error: {line}");
            }
            eprintln!("nothing was written");
        }
    }
}
