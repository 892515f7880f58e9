//! One small file per subcommand; each only composes pipeline stages and prints.

mod apply;
mod blueprints;
mod render;
mod schema;
mod validate;

use std::process::ExitCode;

use crate::blueprint::catalog::Catalog;
use crate::cli::{Cli, Command, FleetArgs};

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
    match cli.command {
        Command::Validate(f) => with_catalog(&f, |c| validate::run(&f.fleet, c)),
        Command::Render { fleet, out } => {
            with_catalog(&fleet, |c| render::run(&fleet.fleet, &out, c))
        }
        Command::Apply { fleet, repos } => {
            with_catalog(&fleet, |c| apply::run(&fleet.fleet, &repos, c))
        }
        Command::Blueprints(cmd) => blueprints::run(cmd),
        Command::Schema { kind } => schema::run(kind.as_deref()),
    }
}

/// Build the catalog for an inventory (built-in, `--blueprints`, the Fleet's directories).
fn with_catalog(f: &FleetArgs, then: impl FnOnce(&Catalog) -> ExitStatus) -> ExitStatus {
    match crate::pipeline::catalog_for(&f.fleet, &f.blueprints) {
        Ok(c) => then(&c),
        Err(e) => {
            report(&e);
            ExitStatus::Failure
        }
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
