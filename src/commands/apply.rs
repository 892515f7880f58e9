//! `eksvend apply`: render, then commit each account's repository.

use std::path::Path;

use super::{report, ExitStatus};
use crate::apply::{self, Outcome};
use crate::blueprint::catalog::Catalog;
use crate::pipeline;

pub(super) fn run(fleet: &Path, repos: &Path, catalog: &Catalog) -> ExitStatus {
    let rendered = match pipeline::render_fleet(fleet, catalog, |_| true) {
        Ok(r) => r,
        Err(e) => {
            report(&e);
            return ExitStatus::Failure;
        }
    };
    let reports = apply::apply_all(&rendered, repos);
    let (mut created, mut updated, mut unchanged, mut conflicts, mut failed) = (0, 0, 0, 0, 0);
    for r in &reports {
        let path = repos.join(&r.account);
        match &r.outcome {
            Outcome::Created { commit } => {
                created += 1;
                println!(
                    "created    {}  {} files  commit {}",
                    path.display(),
                    r.plan.writes.len(),
                    &commit[..12]
                );
            }
            Outcome::Updated { commit } => {
                updated += 1;
                println!(
                    "updated    {}  {} files changed  commit {}",
                    path.display(),
                    r.plan.writes.len() + r.plan.deletes.len(),
                    &commit[..12]
                );
            }
            Outcome::Unchanged => {
                unchanged += 1;
                println!("unchanged  {}", path.display());
            }
            Outcome::Conflict { conflicts: files } => {
                conflicts += 1;
                println!("conflict   {}  nothing written", path.display());
                for c in files {
                    eprintln!("  conflict: {}: {}: {}", r.account, c.path, c.reason);
                }
            }
            Outcome::Failed { message } => {
                failed += 1;
                println!("failed     {}  nothing written", path.display());
                eprintln!("error: {message}");
            }
        }
        for c in r.plan.changes.iter().filter(|c| {
            matches!(
                c.action,
                crate::plan::Action::KeepEdit | crate::plan::Action::KeepDropped
            )
        }) {
            eprintln!("  kept: {}: {}: {}", r.account, c.path, c.reason);
        }
    }
    println!("{created} created, {updated} updated, {unchanged} unchanged, {conflicts} conflict, {failed} failed");
    if failed > 0 {
        ExitStatus::Failure
    } else if conflicts > 0 {
        ExitStatus::Conflicts
    } else {
        ExitStatus::Success
    }
}
