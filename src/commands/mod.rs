//! One small file per subcommand; each only composes pipeline stages and prints.

mod apply;
mod blueprints;
mod init;
mod new;
mod plan;
mod render;
mod schema;
mod validate;

use std::process::ExitCode;

use clap::CommandFactory;

use crate::blueprint::catalog::Catalog;
use crate::cli::{Cli, Command, FleetArgs, SelectArgs};
use crate::output::{Printer, Verbosity};
use crate::pipeline::{self, PipelineError, Rendered};
use crate::select::Selection;

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
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    let p = Printer::new(verbosity);
    let status = run_command(&p, cli.command);
    if std::env::var_os("EKSVEND_STAGE_COUNTS").is_some() {
        p.error(&crate::stats::summary());
    }
    status
}

fn run_command(p: &Printer, command: Command) -> ExitStatus {
    match command {
        Command::Validate(f) => validate::run(p, &f),
        Command::Render { fleet, select, out } => render::run(p, &fleet, &select, &out),
        Command::Plan {
            fleet,
            select,
            repos,
            diff,
            format,
            detailed_exitcode,
        } => plan::run(
            p,
            &fleet,
            &select,
            &repos,
            &plan::Options {
                diff,
                format,
                detailed_exitcode,
            },
        ),
        Command::Apply {
            fleet,
            select,
            repos,
            branch,
            on_conflict,
            fetch,
            push,
            jobs,
        } => {
            let opts = crate::apply::ApplyOptions {
                branch,
                on_conflict: match on_conflict {
                    crate::cli::ConflictPolicy::Fail => crate::plan::OnConflict::Fail,
                    crate::cli::ConflictPolicy::Keep => crate::plan::OnConflict::Keep,
                    crate::cli::ConflictPolicy::Overwrite => crate::plan::OnConflict::Overwrite,
                    crate::cli::ConflictPolicy::Markers => crate::plan::OnConflict::Markers,
                },
                fetch: fetch || push,
                push,
                jobs,
            };
            apply::run(p, &fleet, &select, &repos, &opts)
        }
        Command::New(args) => new::run(p, &args),
        Command::Init { dir } => init::run(p, &dir),
        Command::Blueprints(cmd) => blueprints::run(p, cmd),
        Command::Schema { kind } => schema::run(p, kind.as_deref()),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "eksvend",
                &mut std::io::stdout(),
            );
            ExitStatus::Success
        }
        Command::Man => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitStatus::Success,
                Err(e) => {
                    p.error(&format!("error: {e}"));
                    ExitStatus::Failure
                }
            }
        }
    }
}

/// Load, validate, resolve, render and verify the selected accounts; print errors.
fn render_selected(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
) -> Result<(Vec<Rendered>, Catalog), ExitStatus> {
    let selection = Selection::parse(&s.only, s.shard.as_deref()).map_err(|e| {
        p.error(&format!("error: {e}"));
        ExitStatus::Failure
    })?;
    let (inv, catalog) = pipeline::prepare(&f.fleet, &f.blueprints).map_err(|e| report(p, &e))?;
    let rendered = pipeline::render_inventory(&inv, &catalog, |spec| selection.matches(spec))
        .map_err(|e| report(p, &e))?;
    for r in &rendered {
        for w in &r.spec.warnings {
            p.warn(&format!("{}: {w}", r.spec.account.name));
        }
    }
    Ok((rendered, catalog))
}

/// Print a pipeline error to stderr; the exit status for it.
fn report(p: &Printer, e: &PipelineError) -> ExitStatus {
    match e {
        PipelineError::Invalid(d) => p.error(&d.render_with_source()),
        other => {
            for line in other.to_string().lines() {
                p.error(&format!("error: {line}"));
            }
            p.error("nothing was written");
        }
    }
    ExitStatus::Failure
}
