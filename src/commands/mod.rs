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
use crate::pipeline::{self, PipelineError, Prepared, Rendered};
use crate::resolve::ClusterSpec;
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
            &repos_dir(repos, &fleet)?,
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
                // -v lists every kept edit: that needs each repository's plan
                plan_all: p.verbosity == Verbosity::Verbose,
            };
            match plan {
                Some(plan) => apply::run_saved(p, &plan, opts),
                None => apply::run(p, &fleet, &select, &repos_dir(repos, &fleet)?, &opts),
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
        Command::Man { dir } => man(p, dir.as_deref()),
    }
}

/// `--repos`, or by default `repos` beside the inventory (in the folder that holds the `-f`
/// file or folder: `-f fleet` → `repos`, `-f /srv/acme/fleet` → `/srv/acme/repos`). A path
/// that exists and is not a folder is refused in words.
fn repos_dir(
    repos: Option<std::path::PathBuf>,
    f: &FleetArgs,
) -> Result<std::path::PathBuf, Error> {
    let dir = repos.unwrap_or_else(|| {
        f.fleet
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join("repos")
    });
    if dir.exists() && !dir.is_dir() {
        return Err(Error::ReposNotADirectory { path: dir });
    }
    Ok(dir)
}

/// `eksvend man [DIR]`: one page per subcommand into `DIR/man1/`, or one page with
/// everything on stdout.
fn man(p: &Printer, dir: Option<&std::path::Path>) -> Result<ExitStatus, Error> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = dir {
        let section = dir.join("man1");
        fs_err::create_dir_all(&section).map_err(Error::fs(&section))?;
        clap_mangen::generate_to(cmd, &section).map_err(Error::fs(&section))?;
        p.info(&format!(
            "wrote the manual pages into {}: man -M {} eksvend-plan",
            section.display(),
            dir.display()
        ));
        return Ok(ExitStatus::Success);
    }
    let mut buffer = Vec::new();
    one_page(&cmd, &mut buffer).map_err(|source| Error::Print { source })?;
    p.raw(&buffer);
    Ok(ExitStatus::Success)
}

/// Each subcommand of `cmd` (nested ones too): its description, synopsis and options.
fn subcommands(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_display_name().unwrap_or(sub.get_name());
        let title = name.replace('-', " ").to_uppercase();
        out.extend_from_slice(format!(".SH \"{title}\"\n").as_bytes());
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            for para in about.to_string().split("\n\n") {
                out.extend_from_slice(b".PP\n");
                out.extend_from_slice(roff_text(para).as_bytes());
                out.push(b'\n');
            }
        }
        let page = clap_mangen::Man::new(sub.clone());
        page.render_synopsis_section(out)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(out)?;
        }
        subcommands(sub, out)?;
    }
    Ok(())
}

/// The whole manual as one page: the program's sections, then each subcommand (nested ones
/// too) with its description, synopsis and options, so that nothing refers to a page that
/// does not exist.
fn one_page(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    subcommands(cmd, out)?;
    man.render_version_section(out)
}

/// Text for a roff paragraph: backslashes escaped, no line starting with a control character.
fn roff_text(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.replace('\\', "\\e");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Load, validate, resolve, render and verify the selected accounts; print their warnings.
fn render_selected(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
) -> Result<(Vec<Rendered>, Catalog), Error> {
    let (prepared, catalog) = prepare_selected(p, f, s)?;
    Ok((prepared.render_all()?, catalog))
}

/// Load, validate, resolve and check the selected accounts, ready to render; print their
/// warnings.
fn prepare_selected(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
) -> Result<(Prepared, Catalog), Error> {
    let selection = Selection::parse(&s.only, s.shard.as_deref())?;
    let (inv, catalog) = pipeline::prepare(&f.fleet, &f.blueprints)?;
    let prepared = pipeline::prepare_accounts(&inv, &catalog, |spec| selection.matches(spec))?;
    let filtered = !s.only.is_empty() || s.shard.is_some();
    if prepared.accounts.is_empty() && filtered && !s.allow_empty && !inv.accounts.is_empty() {
        let mut parts: Vec<String> = s.only.iter().map(|o| format!("--only {o}")).collect();
        parts.extend(s.shard.iter().map(|sh| format!("--shard {sh}")));
        return Err(Error::EmptySelection {
            selection: parts.join(" "),
            fleet: inv.accounts.len(),
        });
    }
    print_warnings(p, prepared.accounts.iter());
    Ok((prepared, catalog))
}

/// Each distinct warning once, with the accounts it concerns: named when there are at most
/// three, counted otherwise (`-v` names every one).
fn print_warnings<'a>(p: &Printer, specs: impl IntoIterator<Item = &'a ClusterSpec>) {
    let verbose = p.verbosity == crate::output::Verbosity::Verbose;
    for w in crate::preview::warnings(specs) {
        let who = if w.accounts.len() <= 3 || verbose {
            w.accounts.join(", ")
        } else {
            format!("{} accounts (-v lists them)", w.accounts.len())
        };
        p.warn(&format!("{who}: {}", w.message));
    }
}

/// People's edits that an apply kept or merged: information, not warnings. One line per
/// repository (`kept 2 edits, merged 1 (-v lists them)`); with `-v` one line per file.
pub(crate) fn print_kept(p: &Printer, account: &str, changes: &[crate::plan::Change]) {
    use crate::plan::Action;
    let kept: Vec<&crate::plan::Change> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::KeepEdit | Action::KeepDropped))
        .collect();
    let merged: Vec<&crate::plan::Change> = changes
        .iter()
        .filter(|c| c.action == Action::Merge)
        .collect();
    if kept.is_empty() && merged.is_empty() {
        return;
    }
    if p.verbosity == crate::output::Verbosity::Verbose {
        for c in kept.iter().chain(&merged) {
            let what = if c.action == Action::Merge {
                "merged"
            } else {
                "kept  "
            };
            p.info(&format!("  {what} {account}: {}: {}", c.path, c.reason));
        }
        return;
    }
    let mut parts = Vec::new();
    if !kept.is_empty() {
        parts.push(format!(
            "kept {} edited file{}",
            kept.len(),
            if kept.len() == 1 { "" } else { "s" }
        ));
    }
    if !merged.is_empty() {
        parts.push(format!(
            "merged {} edited file{}",
            merged.len(),
            if merged.len() == 1 { "" } else { "s" }
        ));
    }
    p.info(&format!(
        "  {account}: {} (-v lists them)",
        parts.join(", ")
    ));
}

/// After a repository's conflicts: the commands that resolve them.
pub(crate) fn conflict_help(
    p: &Printer,
    f: &FleetArgs,
    account: &str,
    repo: &std::path::Path,
    conflicts: &[crate::plan::Change],
    markers: bool,
) {
    let repo = repo.display();
    if markers {
        p.error(&format!(
            "  to resolve: edit the files with conflict markers in {repo}, then"
        ));
        p.error(&format!(
            "    git -C {repo} add -A && git -C {repo} commit -m \"Resolve eksvend conflicts\""
        ));
        p.error("  and run apply again (it records the current trailers)");
        return;
    }
    let apply = format!(
        "eksvend apply -f {} --only account={account}",
        f.fleet.display()
    );
    let files: Vec<&str> = conflicts.iter().map(|c| c.path.as_str()).collect();
    let what = if files.len() == 1 {
        files[0].to_string()
    } else {
        format!("{} files", files.len())
    };
    p.error(&format!("  to resolve {what}, one of:"));
    p.error(&format!(
        "    {apply} --on-conflict keep        # keep the version in the repository"
    ));
    p.error(&format!(
        "    {apply} --on-conflict overwrite   # take the new rendering"
    ));
    p.error(&format!(
        "    {apply} --on-conflict markers     # merge by hand: conflict markers in {repo}; edit, commit, apply again"
    ));
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
