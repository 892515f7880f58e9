//! What `apply` would do to each repository, computed without writing anything: the data
//! behind `eksvend plan` (text, unified diffs, JSON) and its exit code.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::git;
use crate::pipeline::Rendered;
use crate::plan::{self, Action, Change, Plan};
use crate::resolve::ClusterSpec;

/// Version of the JSON document `eksvend plan --format json` prints.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// A repository's status in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// The repository or its branch does not exist yet.
    Create,
    /// Files would change.
    Update,
    /// Nothing would change.
    Unchanged,
    /// A person must resolve conflicts first.
    Conflict,
}

impl Status {
    /// The status's name, as in JSON and in the summary.
    pub fn key(self) -> &'static str {
        match self {
            Status::Create => "create",
            Status::Update => "update",
            Status::Unchanged => "unchanged",
            Status::Conflict => "conflict",
        }
    }
}

/// The plan for one repository.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoPlan {
    /// WorkloadAccount name.
    pub account: String,
    /// Repository path.
    pub repo: String,
    /// Branch.
    pub branch: String,
    /// `name@version` of the blueprint.
    pub blueprint: String,
    /// What would happen.
    pub status: Status,
    /// File changes (unchanged files are not listed).
    pub files: Vec<Change>,
    /// Content before, for diffs (not in JSON).
    #[serde(skip)]
    pub before: BTreeMap<String, String>,
    /// Content after, for diffs (not in JSON).
    #[serde(skip)]
    pub after: BTreeMap<String, String>,
    /// The branch's commit the plan was made on (`None`: no repository or no branch yet).
    #[serde(skip)]
    pub head: Option<String>,
    /// What apply would write (path → content, the state file included) and delete (not in
    /// JSON; a saved plan records their digests).
    #[serde(skip)]
    pub writes: BTreeMap<String, String>,
    /// Paths apply would delete.
    #[serde(skip)]
    pub deletes: Vec<String>,
}

/// The whole plan, as `--format json` prints it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetPlan {
    /// Format version (`1`).
    pub format_version: u32,
    /// Counts by status.
    pub summary: BTreeMap<String, usize>,
    /// One entry per selected account, in inventory order.
    pub repos: Vec<RepoPlan>,
    /// The warnings the text output prints on stderr, each once with the accounts it concerns.
    pub warnings: Vec<Warning>,
}

/// A warning about the selected accounts (`--format json`'s `warnings[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// What the warning says.
    pub message: String,
    /// The WorkloadAccounts it concerns, in inventory order.
    pub accounts: Vec<String>,
}

/// Each distinct warning of `rendered` once, with the accounts it concerns, sorted by message.
pub fn warnings<'a>(specs: impl IntoIterator<Item = &'a ClusterSpec>) -> Vec<Warning> {
    let mut by_text: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for spec in specs {
        for w in &spec.warnings {
            by_text
                .entry(w.as_str())
                .or_default()
                .push(spec.account.name.clone());
        }
    }
    by_text
        .into_iter()
        .map(|(message, accounts)| Warning {
            message: message.to_string(),
            accounts,
        })
        .collect()
}

impl FleetPlan {
    /// Assemble and count.
    pub fn new(repos: Vec<RepoPlan>) -> FleetPlan {
        let mut summary: BTreeMap<String, usize> = [
            Status::Create,
            Status::Update,
            Status::Unchanged,
            Status::Conflict,
        ]
        .iter()
        .map(|s| (s.key().to_string(), 0))
        .collect();
        for r in &repos {
            *summary.entry(r.status.key().to_string()).or_default() += 1;
        }
        FleetPlan {
            format_version: PLAN_FORMAT_VERSION,
            summary,
            repos,
            warnings: Vec::new(),
        }
    }

    /// The plan with the warnings of the accounts it was made for.
    #[must_use]
    pub fn with_warnings<'a>(
        mut self,
        specs: impl IntoIterator<Item = &'a ClusterSpec>,
    ) -> FleetPlan {
        self.warnings = warnings(specs);
        self
    }
}

/// Plan one account against `repo_path` without creating or changing anything.
pub fn preview(r: &Rendered, repo_path: &Path) -> Result<RepoPlan, Error> {
    let branch = &r.spec.git.branch;
    let repo = if repo_path.exists() {
        Some(
            git2::Repository::open(repo_path)
                .map_err(Error::git(repo_path, "open the repository"))?,
        )
    } else {
        None
    };
    let (tip, current, previous) = match &repo {
        Some(repo) => {
            // apply refuses a dirty repository or one mid-merge: so does plan (exit 1)
            git::check_clean(repo)?;
            let tip = git::branch_tip(repo, branch)?;
            let current = git::tree_files(repo, tip.as_ref())?;
            let previous = git::recorded_state(repo, tip.as_ref(), repo_path)?;
            (tip, current, previous)
        }
        None => (None, plan::CurrentTree::new(), None),
    };
    let mut plan: Plan = plan::plan(&r.tree, &current, previous.as_ref(), &|id| {
        repo.as_ref().and_then(|repo| git::read_blob(repo, id))
    });
    if let Some(repo) = &repo {
        // the same symlink, submodule and untracked-file conflicts apply finds
        git::safety::guard(repo, tip.as_ref(), &mut plan);
    }
    let status = if plan.has_conflicts() {
        Status::Conflict
    } else if tip.is_none() {
        Status::Create
    } else if plan.changes_tree() {
        Status::Update
    } else {
        Status::Unchanged
    };
    let mut before = BTreeMap::new();
    let mut after = BTreeMap::new();
    for c in &plan.changes {
        let old = match &repo {
            Some(repo) => git::read_file(repo, tip.as_ref(), &c.path)?,
            None => None,
        };
        if let Some(old) = old {
            // only shown in diffs: a file that is not UTF-8 shows with replacement characters
            before.insert(c.path.clone(), String::from_utf8_lossy(&old).into_owned());
        }
        if matches!(
            c.action,
            Action::Add | Action::Modify | Action::Merge | Action::Conflict
        ) {
            if let Some(f) = r.tree.files.get(&c.path) {
                after.insert(c.path.clone(), f.content.clone());
            }
        }
    }
    Ok(RepoPlan {
        account: r.spec.account.name.clone(),
        repo: repo_path.display().to_string(),
        branch: branch.clone(),
        blueprint: r.spec.blueprint.id.clone(),
        status,
        head: tip.as_ref().map(|c| c.id().to_string()),
        writes: plan.writes,
        deletes: plan.deletes,
        files: plan.changes,
        before,
        after,
    })
}

/// A unified diff of one file of a plan (empty when nothing to show).
pub fn unified_diff(plan: &RepoPlan, path: &str) -> String {
    let old = plan.before.get(path).map_or("", String::as_str);
    let new = plan.after.get(path).map_or("", String::as_str);
    let old_name = if plan.before.contains_key(path) {
        format!("a/{path}")
    } else {
        "/dev/null".into()
    };
    let new_name = if plan.after.contains_key(path) {
        format!("b/{path}")
    } else {
        "/dev/null".into()
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_keys_are_the_json_names() {
        for status in [
            Status::Create,
            Status::Update,
            Status::Unchanged,
            Status::Conflict,
        ] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::from(status.key())
            );
        }
    }
}
