//! Apply stage: write each account's plan into its repository as one commit.
//!
//! Repositories are independent: one failing or conflicting never stops or half-writes another.

use std::path::Path;

use rayon::prelude::*;

use crate::git::{self, CommitInfo};
use crate::pipeline::Rendered;
use crate::plan::{self, Action, Change, Plan};
use crate::state::{State, STATE_PATH};

/// What happened to one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The repository (or its branch) was created with a first commit.
    Created {
        /// The new commit.
        commit: String,
    },
    /// A new commit was added.
    Updated {
        /// The new commit.
        commit: String,
    },
    /// Nothing changed; no commit.
    Unchanged,
    /// Nothing was written: these files need a person.
    Conflict {
        /// The conflicting files.
        conflicts: Vec<Change>,
    },
    /// Nothing was written: an error.
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// The result for one account.
#[derive(Debug, Clone)]
pub struct RepoReport {
    /// WorkloadAccount name.
    pub account: String,
    /// The plan that was (or would have been) applied.
    pub plan: Plan,
    /// What happened.
    pub outcome: Outcome,
}

/// Apply every rendered account under `repos_dir/<account>/`, in parallel.
pub fn apply_all(rendered: &[Rendered], repos_dir: &Path) -> Vec<RepoReport> {
    apply_all_with(rendered, repos_dir, &|| {})
}

/// [`apply_all`], calling `done` after each repository (for progress bars).
pub fn apply_all_with(
    rendered: &[Rendered],
    repos_dir: &Path,
    done: &(dyn Fn() + Sync),
) -> Vec<RepoReport> {
    rendered
        .par_iter()
        .map(|r| {
            let report = apply_one(r, &repos_dir.join(&r.spec.account.name));
            done();
            report
        })
        .collect()
}

/// Plan and commit one account's repository.
pub fn apply_one(r: &Rendered, repo_path: &Path) -> RepoReport {
    let account = r.spec.account.name.clone();
    match try_apply(r, repo_path) {
        Ok((plan, outcome)) => RepoReport {
            account,
            plan,
            outcome,
        },
        Err(message) => RepoReport {
            account,
            plan: Plan::default(),
            outcome: Outcome::Failed { message },
        },
    }
}

fn try_apply(r: &Rendered, repo_path: &Path) -> Result<(Plan, Outcome), String> {
    let branch = &r.spec.git.branch;
    let repo = git::open_or_init(repo_path, branch).map_err(|e| e.to_string())?;
    git::ensure_clean(&repo).map_err(|e| e.to_string())?;
    let tip = git::branch_tip(&repo, branch);
    let current = git::tree_files(tip.as_ref());
    let previous = git::read_file(&repo, tip.as_ref(), STATE_PATH)
        .map(|text| {
            State::parse(&text).map_err(|e| format!("{}: {STATE_PATH}: {e}", repo_path.display()))
        })
        .transpose()?;
    let mut plan = plan::plan(&r.tree, &current, previous.as_ref());
    mark_untracked_collisions(&mut plan, repo.workdir());
    if plan.has_conflicts() {
        let conflicts = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Conflict)
            .cloned()
            .collect();
        return Ok((plan, Outcome::Conflict { conflicts }));
    }
    let message = commit_message(r);
    let info = CommitInfo {
        branch,
        author_name: &r.spec.git.author_name,
        author_email: &r.spec.git.author_email,
        message: &message,
    };
    let commit = git::commit_plan(&repo, &plan, &info).map_err(|e| e.to_string())?;
    let outcome = match (commit, tip.is_some()) {
        (None, _) => Outcome::Unchanged,
        (Some(c), false) => Outcome::Created {
            commit: c.to_string(),
        },
        (Some(c), true) => Outcome::Updated {
            commit: c.to_string(),
        },
    };
    Ok((plan, outcome))
}

/// A file eksvend would add where an untracked file of a person's already stands is a conflict.
fn mark_untracked_collisions(plan: &mut Plan, workdir: Option<&Path>) {
    let Some(dir) = workdir else { return };
    for change in &mut plan.changes {
        if change.action == Action::Add && dir.join(&change.path).exists() {
            change.action = Action::Conflict;
            change.reason = "an untracked file of the same name exists in the working tree".into();
            plan.writes.remove(&change.path);
        }
    }
}

/// The commit message, with trailers a pipeline can read with `git log`.
pub fn commit_message(r: &Rendered) -> String {
    format!(
        "eksvend: render {account} from {bp}\n\nRendered by eksvend from the fleet inventory for account {account}\n({id}, cluster {cluster}).\n\nEksvend-Blueprint: {bp}\nEksvend-Inventory-Digest: {digest}\nEksvend-Version: {version}\n",
        account = r.spec.account.name,
        id = r.spec.account.id,
        cluster = r.spec.cluster.name,
        bp = r.spec.blueprint.id,
        digest = r.spec.inventory_digest,
        version = env!("CARGO_PKG_VERSION"),
    )
}
