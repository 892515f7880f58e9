//! One small file per subcommand; each only composes pipeline stages and prints.

mod apply;
mod blueprints;
mod init;
mod new;
mod plan;
mod render;
mod schema;
mod validate;

use clap::CommandFactory;

use crate::blueprint::catalog::Catalog;
use crate::cli::{Cli, Command, FleetArgs, SelectArgs};
use crate::error::Error;
pub use crate::error::ExitStatus;
use crate::output::{Printer, Verbosity};
use crate::pipeline::{self, PipelineError, Rendered};
use crate::select::Selection;

/// Run one command; print its error, if any, and decide the exit status.
pub fn run(cli: Cli) -> ExitStatus {
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    let p = Printer::new(verbosity);
    let status = match dispatch(&p, cli.command) {
        // The reader of stdout went away (`eksvend schema | head -1`): end quietly, as
        // ripgrep does, so that pipefail scripts do not fail.
        _ if p.stdout_closed() => ExitStatus::Success,
        Ok(status) => status,
        Err(e) => {
            report(&p, &e);
            e.exit_status()
        }
    };
    if std::env::var_os("EKSVEND_STAGE_COUNTS").is_some() {
        p.error(&crate::stats::summary());
    }
    status
}

fn dispatch(p: &Printer, command: Command) -> Result<ExitStatus, Error> {
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
            out,
        } => plan::run(
            p,
            &fleet,
            &select,
            &repos,
            &plan::Options {
                diff,
                format,
                detailed_exitcode,
                out,
            },
        ),
        Command::Apply {
            plan,
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
                expected_heads: None,
            };
            match plan {
                Some(plan) => apply::run_saved(p, &plan, opts),
                None => apply::run(p, &fleet, &select, &repos, &opts),
            }
        }
        Command::New(args) => new::run(p, &args),
        Command::Init { dir } => init::run(p, &dir),
        Command::Blueprints(cmd) => blueprints::run(p, cmd),
        Command::Schema { kind } => schema::run(p, kind.as_deref()),
        Command::Completions { shell } => {
            let mut buffer = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "eksvend", &mut buffer);
            p.raw(&buffer);
            Ok(ExitStatus::Success)
        }
        Command::Man => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buffer)
                .map_err(|source| Error::Print { source })?;
            p.raw(&buffer);
            Ok(ExitStatus::Success)
        }
    }
}

/// Load, validate, resolve, render and verify the selected accounts; print their warnings.
fn render_selected(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
) -> Result<(Vec<Rendered>, Catalog), Error> {
    let selection = Selection::parse(&s.only, s.shard.as_deref())?;
    let (inv, catalog) = pipeline::prepare(&f.fleet, &f.blueprints)?;
    let rendered = pipeline::render_inventory(&inv, &catalog, |spec| selection.matches(spec))?;
    let filtered = !s.only.is_empty() || s.shard.is_some();
    if rendered.is_empty() && filtered && !s.allow_empty && !inv.accounts.is_empty() {
        let mut parts: Vec<String> = s.only.iter().map(|o| format!("--only {o}")).collect();
        parts.extend(s.shard.iter().map(|sh| format!("--shard {sh}")));
        return Err(Error::EmptySelection {
            selection: parts.join(" "),
            fleet: inv.accounts.len(),
        });
    }
    print_warnings(p, &rendered);
    Ok((rendered, catalog))
}

/// Each distinct warning once, with the accounts it concerns: named when there are at most
/// three, counted otherwise (`-v` names every one).
fn print_warnings(p: &Printer, rendered: &[Rendered]) {
    let mut by_text: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::new();
    for r in rendered {
        for w in &r.spec.warnings {
            by_text
                .entry(w.as_str())
                .or_default()
                .push(r.spec.account.name.as_str());
        }
    }
    for (text, accounts) in by_text {
        let verbose = p.verbosity == crate::output::Verbosity::Verbose;
        let who = if accounts.len() <= 3 || verbose {
            accounts.join(", ")
        } else {
            format!("{} accounts (-v lists them)", accounts.len())
        };
        p.warn(&format!("{who}: {text}"));
    }
}

/// Print an error to stderr, the one place that words errors for a person.
fn report(p: &Printer, e: &Error) {
    match e {
        Error::Pipeline(PipelineError::Invalid(d)) => p.error(&d.render_with_source()),
        Error::Pipeline(other) => {
            for line in other.to_string().lines() {
                p.error(&format!("error: {line}"));
            }
            p.error("nothing was written");
        }
        other => p.error(&format!("error: {other}")),
    }
}
