//! `eksvend apply`: render, then commit each selected account's repository.

use std::path::Path;

use super::{prepare_selected, render_selected, ExitStatus};
use crate::apply::{self, Outcome};
use crate::cli::{FleetArgs, SelectArgs};
use crate::error::Error;
use crate::output::Printer;
use crate::pipeline::Rendered;
use crate::saved_plan;

/// `apply PLAN`: check that nothing moved since the saved plan was made (every input's
/// digest, the eksvend version, each repository's branch head, worktree and the changes
/// apply would make), then apply it with the arguments it was made with. Refuses, writing
/// nothing, when anything moved.
pub(super) fn run_saved(
    p: &Printer,
    plan_path: &Path,
    mut opts: apply::ApplyOptions,
) -> Result<ExitStatus, Error> {
    let saved = saved_plan::read(plan_path)?;
    let a = &saved.arguments;
    let f = FleetArgs {
        fleet: a.fleet.clone(),
        blueprints: a.blueprints.clone(),
    };
    let s = SelectArgs {
        only: a.only.clone(),
        shard: a.shard.clone(),
        allow_empty: a.allow_empty,
    };
    let stale = |reasons| Error::StalePlan {
        path: plan_path.to_path_buf(),
        reasons,
    };
    let moved = saved_plan::moved_inputs(&saved, &super::plan::input_digests(&f));
    if !moved.is_empty() {
        return Err(stale(moved));
    }
    let (rendered, _) = render_selected(p, &f, &s)?;
    let now = super::plan::previews(&rendered, &a.repos)?;
    let moved = saved_plan::moved_repos(&saved, &now);
    if !moved.is_empty() {
        return Err(stale(moved));
    }
    opts.expected_heads = Some(
        saved
            .repos
            .iter()
            .map(|r| (r.account.clone(), r.head.clone()))
            .collect(),
    );
    apply_rendered(p, &f, &rendered, &a.repos, &opts)
}

pub(super) fn run(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
    repos: &Path,
    opts: &apply::ApplyOptions,
) -> Result<ExitStatus, Error> {
    check_branch(opts)?;
    let (prepared, _) = prepare_selected(p, f, s)?;
    let bar = p.progress(prepared.accounts.len(), "apply");
    let reports = apply::apply_prepared(&prepared, repos, opts, &|| bar.inc(1));
    bar.finish_and_clear();
    drop(prepared);
    Ok(report_all(p, f, &reports?, repos))
}

/// Apply rendered accounts and report each repository.
fn apply_rendered(
    p: &Printer,
    f: &FleetArgs,
    rendered: &[Rendered],
    repos: &Path,
    opts: &apply::ApplyOptions,
) -> Result<ExitStatus, Error> {
    check_branch(opts)?;
    let bar = p.progress(rendered.len(), "apply");
    let reports = apply::apply_all_with(rendered, repos, opts, &|| bar.inc(1));
    bar.finish_and_clear();
    Ok(report_all(p, f, &reports?, repos))
}

/// Refuse a `--branch` that is not a branch name or is eksvend's own.
fn check_branch(opts: &apply::ApplyOptions) -> Result<(), Error> {
    if let Some(b) = &opts.branch {
        crate::domain::GitRef::try_from(b.as_str()).map_err(|reason| Error::Branch {
            branch: b.clone(),
            reason,
        })?;
        if b == "eksvend/generated" || b.starts_with("eksvend/generated/") {
            return Err(Error::Branch {
                branch: b.clone(),
                reason: crate::domain::Invalid::new(format!("`{b}` is where eksvend keeps its own renderings (the merge bases); choose another branch name")),
            });
        }
    }
    Ok(())
}

/// Print each repository's outcome and the totals; the exit status they add up to.
fn report_all(
    p: &Printer,
    f: &FleetArgs,
    reports: &[apply::RepoReport],
    repos: &Path,
) -> ExitStatus {
    let mut counts = [0usize; 5];
    for r in reports {
        let path = repos.join(&r.account);
        let changed = r.files;
        match &r.outcome {
            Outcome::Created { commit } => {
                counts[0] += 1;
                p.info(&format!(
                    "created    {}  {changed} files  commit {}{}",
                    path.display(),
                    &commit[..12],
                    if r.pushed { "  pushed" } else { "" }
                ));
            }
            Outcome::Updated { commit } => {
                counts[1] += 1;
                p.info(&format!(
                    "updated    {}  {changed} files changed  commit {}{}",
                    path.display(),
                    &commit[..12],
                    if r.pushed { "  pushed" } else { "" }
                ));
            }
            Outcome::Unchanged => {
                counts[2] += 1;
                p.info(&format!(
                    "unchanged  {}{}",
                    path.display(),
                    if r.pushed { "  pushed" } else { "" }
                ));
            }
            Outcome::Conflict { conflicts } | Outcome::ConflictMarkers { conflicts } => {
                counts[3] += 1;
                let markers = matches!(r.outcome, Outcome::ConflictMarkers { .. });
                p.info(&format!(
                    "conflict   {}  {}",
                    path.display(),
                    if markers {
                        "nothing committed; conflict markers left in the worktree"
                    } else {
                        "nothing written"
                    }
                ));
                for c in conflicts {
                    p.error(&format!(
                        "  conflict: {}: {}: {}",
                        r.account, c.path, c.reason
                    ));
                    for h in &c.hunks {
                        for line in h.lines() {
                            p.error(&format!("    {line}"));
                        }
                    }
                }
                super::conflict_help(p, f, &r.account, &path, conflicts, markers);
            }
            Outcome::Failed { error } => {
                counts[4] += 1;
                p.info(&format!("failed     {}  nothing written", path.display()));
                p.error(&format!("error: {error}"));
            }
        }
        super::print_kept(p, &r.account, &r.plan.changes);
    }
    let [created, updated, unchanged, conflicts, failed] = counts;
    p.info(&format!("{created} created, {updated} updated, {unchanged} unchanged, {conflicts} conflict, {failed} failed"));
    // failures are counted per repository, not fatal to the others
    if failed > 0 {
        ExitStatus::Failure
    } else if conflicts > 0 {
        ExitStatus::Conflicts
    } else {
        ExitStatus::Success
    }
}
