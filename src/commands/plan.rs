//! `eksvend plan`: what apply would change, as text, unified diffs or JSON; writes nothing but
//! the saved plan `--out` asks for.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{prepare_selected, ExitStatus};
use crate::cli::{FleetArgs, Format, SelectArgs};
use crate::error::Error;
use crate::output::Printer;
use crate::pipeline::Rendered;
use crate::plan::Action;
use crate::preview::{self, FleetPlan, RepoPlan, Status};
use crate::saved_plan;

pub(super) struct Options {
    pub diff: bool,
    pub format: Format,
    pub detailed_exitcode: bool,
    pub out: Option<PathBuf>,
}

#[allow(
    clippy::many_single_char_names,
    reason = "p, f, s, o: printer and argument groups, as in every command"
)]
pub(super) fn run(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
    repos: &Path,
    o: &Options,
) -> Result<ExitStatus, Error> {
    // the inputs' digests are taken before they are read to render
    let inputs = o.out.as_ref().map(|_| input_digests(f));
    let (prepared, _) = prepare_selected(p, f, s)?;
    // each account is rendered, planned and dropped in turn: only what is printed or saved
    // is kept (file contents only for --diff, and for --out their digests' sake)
    let results: Vec<Result<RepoPlan, Error>> = prepared
        .accounts
        .par_iter()
        .map(|spec| {
            let r = prepared.render(spec)?;
            let mut plan = preview::preview(&r, &repos.join(&spec.account.name))?;
            if !o.diff {
                plan.before.clear();
                plan.after.clear();
            }
            if o.out.is_none() {
                plan.writes.clear();
            }
            Ok(plan)
        })
        .collect();
    // a repository apply would refuse is reported as apply reports it; the others are planned
    let mut plans = Vec::with_capacity(results.len());
    let mut refused = 0usize;
    for result in results {
        match result {
            Ok(plan) => plans.push(plan),
            Err(e) => {
                refused += 1;
                p.error(&format!("error: {e}"));
            }
        }
    }
    let fleet = FleetPlan::new(plans).with_warnings(prepared.accounts.iter());
    // a plan with refused repositories cannot be applied as made: nothing is saved
    if let (Some(out), Some(inputs), 0) = (&o.out, inputs, refused) {
        let arguments = saved_plan::Arguments {
            fleet: f.fleet.clone(),
            blueprints: f.blueprints.clone(),
            only: s.only.clone(),
            shard: s.shard.clone(),
            allow_empty: s.allow_empty,
            repos: repos.to_path_buf(),
        };
        saved_plan::write(out, &saved_plan::save(arguments, inputs, &fleet))?;
    }
    match o.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&fleet).map_err(|source| Error::Serialize {
                what: "the plan",
                source,
            })?;
            p.data(&json);
        }
        Format::Text => print_text(p, f, &fleet, o.diff, refused),
    }
    if let Some(out) = &o.out {
        p.info(&format!(
            "saved the plan to {0}; apply exactly it with `eksvend apply {0}`",
            out.display()
        ));
    }
    let any = |st: Status| fleet.repos.iter().any(|r| r.status == st);
    // the same precedence as apply: a refused repository (1) before conflicts (3)
    Ok(match (o.detailed_exitcode, any(Status::Conflict)) {
        _ if refused > 0 => ExitStatus::Failure,
        (_, true) => ExitStatus::Conflicts,
        (true, false) if any(Status::Create) || any(Status::Update) => ExitStatus::ChangesPending,
        _ => ExitStatus::Success,
    })
}

/// Each rendered account planned against its repository under `repos`; the first repository
/// (in inventory order) that cannot be read stops the plan.
pub(super) fn previews(rendered: &[Rendered], repos: &Path) -> Result<Vec<RepoPlan>, Error> {
    preview_each(rendered, repos).into_iter().collect()
}

/// Each account's plan, or why apply would refuse its repository.
fn preview_each(rendered: &[Rendered], repos: &Path) -> Vec<Result<RepoPlan, Error>> {
    rendered
        .par_iter()
        .map(|r| preview::preview(r, &repos.join(&r.spec.account.name)))
        .collect()
}

/// The digests of every input of a plan with these fleet arguments (the Fleet's own catalog
/// directories included when the inventory loads; when it does not, rendering reports why).
pub(super) fn input_digests(f: &FleetArgs) -> Vec<saved_plan::Input> {
    let dirs = match crate::fleet::load::load(&f.fleet) {
        Ok(inv) => crate::pipeline::catalog_dirs(&inv, &f.blueprints),
        Err(_) => f.blueprints.clone(),
    };
    saved_plan::inputs(&f.fleet, &dirs)
}

fn symbol(a: Action) -> (&'static str, u8) {
    match a {
        Action::Add => ("+", 32),
        Action::Modify | Action::Merge => ("~", 33),
        Action::Delete => ("-", 31),
        Action::KeepEdit | Action::KeepDropped => ("=", 36),
        Action::Conflict => ("!", 31),
    }
}

fn print_text(p: &Printer, f: &FleetArgs, fleet: &FleetPlan, diff: bool, refused: usize) {
    for r in &fleet.repos {
        let status = match r.status {
            Status::Create => p.paint(32, "create"),
            Status::Update => p.paint(33, "update"),
            Status::Unchanged => "unchanged".to_string(),
            Status::Conflict => p.paint(31, "conflict"),
        };
        p.data(&format!(
            "{status} {} ({}, {})",
            r.account, r.blueprint, r.repo
        ));
        if r.status == Status::Unchanged {
            continue;
        }
        for c in &r.files {
            if r.status == Status::Create
                && !diff
                && p.verbosity != crate::output::Verbosity::Verbose
            {
                continue;
            }
            let (sym, colour) = symbol(c.action);
            let reason = if c.reason.is_empty()
                || matches!(c.action, Action::Add | Action::Modify | Action::Delete)
            {
                String::new()
            } else {
                format!("  ({})", c.reason)
            };
            p.data(&format!("  {} {}{reason}", p.paint(colour, sym), c.path));
            if diff
                && c.path != crate::state::STATE_PATH
                && matches!(
                    c.action,
                    Action::Add | Action::Modify | Action::Delete | Action::Conflict
                )
            {
                for line in preview::unified_diff(r, &c.path).lines() {
                    let painted = match line.chars().next() {
                        Some('+') if !line.starts_with("+++") => p.paint(32, line),
                        Some('-') if !line.starts_with("---") => p.paint(31, line),
                        Some('@') => p.paint(36, line),
                        _ => line.to_string(),
                    };
                    p.data(&format!("    {painted}"));
                }
            }
        }
        if r.status == Status::Create && !diff && p.verbosity != crate::output::Verbosity::Verbose {
            p.data(&format!("  + {} files", r.files.len()));
        }
        if r.status == Status::Conflict {
            // the same next steps apply prints, before anyone runs it
            let conflicts: Vec<crate::plan::Change> = r
                .files
                .iter()
                .filter(|c| c.action == Action::Conflict)
                .cloned()
                .collect();
            super::conflict_help(p, f, &r.account, Path::new(&r.repo), &conflicts, false);
        }
    }
    let s = &fleet.summary;
    let n = |k: &str| s.get(k).copied().unwrap_or(0);
    let refused = if refused > 0 {
        format!(", {refused} refused (apply would fail on them)")
    } else {
        String::new()
    };
    p.info(&format!(
        "{} to create, {} to update, {} unchanged, {} conflict{refused}",
        n("create"),
        n("update"),
        n("unchanged"),
        n("conflict")
    ));
}
