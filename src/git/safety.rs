//! Writes never leave the repository: every path eksvend would write or delete is checked, on
//! the branch and in the worktree, before anything is written.
//!
//! A managed path, or one of its folders, that is a symbolic link, a submodule, a nested
//! repository or a file where a folder must go is a conflict that no `--on-conflict` policy
//! settles; so is an untracked file (never in git, so never recoverable) where eksvend would
//! write.

use std::path::Path;

use git2::Repository;

use crate::plan::{Action, Plan};

/// Mark every hazardous path of `plan` as a conflict and drop its writes (call after
/// [`Plan::resolve`], so that `overwrite` never settles one).
pub fn guard(repo: &Repository, tip: Option<&git2::Commit<'_>>, plan: &mut Plan) {
    let tree = tip.and_then(|c| c.tree().ok());
    let workdir = repo.workdir().filter(|_| !repo.is_bare());
    let mut paths: Vec<String> = plan.writes.keys().cloned().collect();
    paths.extend(plan.markers.keys().cloned());
    paths.extend(plan.deletes.iter().cloned());
    paths.sort();
    paths.dedup();
    for path in paths {
        let tracked = tree
            .as_ref()
            .is_some_and(|t| t.get_path(Path::new(&path)).is_ok());
        let reason = tree
            .as_ref()
            .and_then(|t| in_tree(t, &path))
            .or_else(|| workdir.and_then(|dir| on_disk(dir, &path, tracked)));
        if let Some(reason) = reason {
            refuse(plan, &path, &reason);
        }
    }
}

/// True when a folder of `path` in the worktree is a symlink, a nested repository or not a
/// folder: nothing beside `path` may be touched.
pub fn leaves_repository(dir: &Path, path: &str) -> bool {
    let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
    !folder.is_empty() && on_disk(dir, &format!("{folder}/x"), true).is_some()
}

/// Make `path` a conflict for `reason`, with nothing written or deleted there.
fn refuse(plan: &mut Plan, path: &str, reason: &str) {
    plan.writes.remove(path);
    plan.markers.remove(path);
    plan.theirs.remove(path);
    plan.deletes.retain(|p| p != path);
    match plan.changes.iter_mut().find(|c| c.path == path) {
        Some(c) => {
            c.action = Action::Conflict;
            c.reason = reason.to_string();
            c.hunks.clear();
        }
        None => plan.changes.push(crate::plan::Change {
            path: path.to_string(),
            action: Action::Conflict,
            reason: reason.to_string(),
            hunks: Vec::new(),
        }),
    }
}

/// Each folder of `path`, then `path` itself: (prefix, is the last).
fn prefixes(path: &str) -> impl Iterator<Item = (&str, bool)> {
    path.match_indices('/')
        .map(move |(i, _)| (&path[..i], false))
        .chain(std::iter::once((path, true)))
}

/// What stands in the way on the branch: a symlink or submodule at `path` or a folder of it,
/// a file where a folder must go, or a folder where the file goes.
fn in_tree(tree: &git2::Tree<'_>, path: &str) -> Option<String> {
    for (prefix, last) in prefixes(path) {
        let Ok(entry) = tree.get_path(Path::new(prefix)) else {
            return None; // nothing there, nor below
        };
        let mode = entry.filemode();
        if mode == 0o120_000 {
            return Some(format!(
                "`{prefix}` is a symbolic link on the branch; eksvend never writes through one"
            ));
        }
        if mode == 0o160_000 {
            return Some(format!(
                "`{prefix}` is a submodule on the branch; eksvend never writes into one"
            ));
        }
        let is_tree = entry.kind() == Some(git2::ObjectType::Tree);
        if !last && !is_tree {
            return Some(format!(
                "`{prefix}` is a file on the branch where eksvend needs a folder"
            ));
        }
        if last && is_tree {
            return Some(format!(
                "`{prefix}` is a folder on the branch where eksvend writes a file"
            ));
        }
    }
    None
}

/// What stands in the way in the worktree: a symlink, a nested repository or a file at a
/// folder of `path`; a symlink or folder at `path`; an untracked file at `path`.
fn on_disk(dir: &Path, path: &str, tracked: bool) -> Option<String> {
    for (prefix, last) in prefixes(path) {
        let full = dir.join(prefix);
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            return None; // nothing there, nor below
        };
        if meta.file_type().is_symlink() {
            return Some(format!("`{prefix}` is a symbolic link in the working tree; eksvend never writes through one"));
        }
        if !last && !meta.is_dir() {
            return Some(format!(
                "`{prefix}` is a file in the working tree where eksvend needs a folder"
            ));
        }
        if !last && std::fs::symlink_metadata(full.join(".git")).is_ok() {
            return Some(format!(
                "`{prefix}` is a nested git repository; eksvend never writes into one"
            ));
        }
        if last && meta.is_dir() {
            return Some(format!(
                "`{prefix}` is a folder in the working tree where eksvend writes a file"
            ));
        }
        if last && !tracked {
            return Some(
                "an untracked file of the same name exists in the working tree".to_string(),
            );
        }
    }
    None
}
