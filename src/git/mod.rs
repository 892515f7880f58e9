//! Git with libgit2: open or create an account's repository, read its branch, commit a new tree.
//!
//! Order of writes: blobs and tree, then the commit, then the branch ref, then the worktree and
//! index. A crash at any point leaves the branch at the old or the new commit.

use std::path::Path;

use git2::{
    IndexEntry, IndexTime, Oid, Repository, RepositoryInitOptions, Signature, Status, StatusOptions,
};

use crate::plan::{CurrentTree, Plan};

pub mod lock;
pub mod remote;

/// A git operation that failed, with the repository it concerns.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// libgit2 failed.
    #[error("{repo}: {action}: {source}")]
    Git {
        /// Repository path.
        repo: String,
        /// What eksvend was doing.
        action: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The working tree has changes eksvend must not touch.
    #[error("{repo}: the working tree has uncommitted changes ({paths}); commit or stash them, then run eksvend again")]
    Dirty {
        /// Repository path.
        repo: String,
        /// Some of the changed paths.
        paths: String,
    },
    /// A merge, rebase or similar operation is in progress.
    #[error("{repo}: a {state} is in progress; finish or abort it, then run eksvend again")]
    InProgress {
        /// Repository path.
        repo: String,
        /// The operation.
        state: String,
    },
}

fn ctx<'a>(repo: &'a Path, action: &'static str) -> impl FnOnce(git2::Error) -> GitError + 'a {
    move |source| GitError::Git {
        repo: repo.display().to_string(),
        action,
        source,
    }
}

/// Open the repository at `path`, or create it with `branch` as its initial branch.
pub fn open_or_init(path: &Path, branch: &str) -> Result<Repository, GitError> {
    if path.join(".git").exists() || path.join("HEAD").is_file() {
        return Repository::open(path).map_err(ctx(path, "open the repository"));
    }
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head(branch).mkpath(true);
    Repository::init_opts(path, &opts).map_err(ctx(path, "create the repository"))
}

/// The commit at the tip of `branch`, if the branch exists.
pub fn branch_tip<'r>(repo: &'r Repository, branch: &str) -> Option<git2::Commit<'r>> {
    repo.find_reference(&format!("refs/heads/{branch}"))
        .ok()?
        .peel_to_commit()
        .ok()
}

/// Every file of a commit's tree: path → blob id.
pub fn tree_files(commit: Option<&git2::Commit<'_>>) -> CurrentTree {
    let mut files = CurrentTree::new();
    if let Some(tree) = commit.and_then(|c| c.tree().ok()) {
        let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                files.insert(
                    format!("{dir}{}", entry.name().unwrap_or("")),
                    entry.id().to_string(),
                );
            }
            git2::TreeWalkResult::Ok
        });
    }
    files
}

/// Read a file's content from a commit.
pub fn read_file(
    repo: &Repository,
    commit: Option<&git2::Commit<'_>>,
    path: &str,
) -> Option<String> {
    let entry = commit?.tree().ok()?.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    String::from_utf8(blob.content().to_vec()).ok()
}

/// Refuse a repository with uncommitted changes to tracked files or an operation in progress.
/// Untracked files are a person's own and are left alone.
pub fn ensure_clean(repo: &Repository) -> Result<(), GitError> {
    let name = repo.workdir().unwrap_or(repo.path()).display().to_string();
    if repo.state() != git2::RepositoryState::Clean {
        return Err(GitError::InProgress {
            repo: name,
            state: format!("{:?}", repo.state()).to_lowercase(),
        });
    }
    if repo.is_bare() {
        return Ok(());
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(false).include_ignored(false);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(|source| GitError::Git {
            repo: name.clone(),
            action: "read the working tree status",
            source,
        })?;
    let dirty: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != Status::CURRENT)
        .filter_map(|s| s.path().ok().map(str::to_string))
        .collect();
    if !dirty.is_empty() && finish_interrupted_update(repo).unwrap_or(false) {
        return Ok(());
    }
    if dirty.is_empty() {
        Ok(())
    } else {
        let mut paths = dirty.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        if dirty.len() > 5 {
            paths.push_str(&format!(" and {} more", dirty.len() - 5));
        }
        Err(GitError::Dirty { repo: name, paths })
    }
}

/// An eksvend run killed after moving the branch but before (or while) updating the worktree
/// leaves the index and worktree at the previous commit, or between the two. Recognise exactly
/// that — HEAD is an eksvend commit and every file that differs holds the content of HEAD or of
/// its parent — and finish the checkout. Anything else (a person's change) stays dirty.
fn finish_interrupted_update(repo: &Repository) -> Result<bool, git2::Error> {
    let head = repo.head()?.peel_to_commit()?;
    if !head
        .message()
        .unwrap_or_default()
        .contains("\nEksvend-Version: ")
        || head.parent_count() != 1
    {
        return Ok(false);
    }
    let (new_tree, old_tree) = (head.tree()?, head.parent(0)?.tree()?);
    let Some(workdir) = repo.workdir() else {
        return Ok(false);
    };
    let blob_at =
        |tree: &git2::Tree<'_>, path: &str| tree.get_path(Path::new(path)).ok().map(|e| e.id());
    let mut opts = StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    for entry in repo.statuses(Some(&mut opts))?.iter() {
        let Ok(path) = entry.path() else {
            return Ok(false);
        };
        let on_disk = workdir.join(path);
        let disk = if on_disk.is_file() {
            Some(Oid::hash_file(git2::ObjectType::Blob, &on_disk)?)
        } else {
            None
        };
        let (new, old) = (blob_at(&new_tree, path), blob_at(&old_tree, path));
        let untracked_elsewhere =
            entry.status() == Status::WT_NEW && new.is_none() && old.is_none();
        if untracked_elsewhere {
            continue; // a person's own untracked file: checkout leaves it alone
        }
        if disk != new && disk != old {
            return Ok(false);
        }
    }
    let mut co = git2::build::CheckoutBuilder::new();
    co.force();
    repo.checkout_head(Some(&mut co))?;
    refresh_index(repo)?;
    Ok(true)
}

/// What a commit says about itself.
pub struct CommitInfo<'a> {
    /// Branch to commit on.
    pub branch: &'a str,
    /// Author name.
    pub author_name: &'a str,
    /// Author e-mail.
    pub author_email: &'a str,
    /// Full message with trailers.
    pub message: &'a str,
}

/// Apply `plan` on top of `parent` as one commit on `info.branch`. Returns the new commit, or
/// `None` when the resulting tree equals the parent's. The branch moves only if it still points
/// where it pointed when the plan was made (compare-and-swap).
pub fn commit_plan(
    repo: &Repository,
    parent: Option<&git2::Commit<'_>>,
    plan: &Plan,
    info: &CommitInfo<'_>,
) -> Result<Option<Oid>, GitError> {
    let path = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    let base = match parent {
        Some(c) => Some(c.tree().map_err(ctx(&path, "read the branch's tree"))?),
        None => None,
    };
    let tree_id = build_tree(repo, base.as_ref(), plan).map_err(ctx(&path, "write the tree"))?;
    if base.as_ref().is_some_and(|b| b.id() == tree_id) {
        return Ok(None);
    }
    let tree = repo
        .find_tree(tree_id)
        .map_err(ctx(&path, "read the new tree"))?;
    let sig = signature(info).map_err(ctx(&path, "make the commit signature"))?;
    let parents: Vec<&git2::Commit<'_>> = parent.into_iter().collect();
    let commit = repo
        .commit(None, &sig, &sig, info.message, &tree, &parents)
        .map_err(ctx(&path, "write the commit"))?;
    move_branch(repo, info.branch, commit, "eksvend: apply")
        .map_err(ctx(&path, "move the branch"))?;
    update_worktree(repo, &format!("refs/heads/{}", info.branch), Some(plan))
        .map_err(ctx(&path, "update the working tree"))?;
    Ok(Some(commit))
}

/// Point `branch` at `target`: create it, or move it from the value it has now (atomic).
pub fn move_branch(
    repo: &Repository,
    branch: &str,
    target: Oid,
    message: &str,
) -> Result<(), git2::Error> {
    let refname = format!("refs/heads/{branch}");
    match repo.find_reference(&refname).ok().and_then(|r| r.target()) {
        Some(old) if old == target => Ok(()),
        Some(old) => repo
            .reference_matching(&refname, target, true, old, message)
            .map(|_| ()),
        None => repo.reference(&refname, target, false, message).map(|_| ()),
    }
}

/// Move `branch` to `target` and, when it is checked out, the worktree with it (the worktree
/// was verified clean).
pub fn fast_forward(repo: &Repository, branch: &str, target: Oid) -> Result<(), git2::Error> {
    move_branch(repo, branch, target, "eksvend: fast-forward to the remote")?;
    update_worktree(repo, &format!("refs/heads/{branch}"), None)
}

/// A blob's content.
pub fn read_blob(repo: &Repository, id: &str) -> Option<Vec<u8>> {
    let oid = Oid::from_str(id).ok()?;
    repo.find_blob(oid).ok().map(|b| b.content().to_vec())
}

/// Write files into the worktree without committing (for `--on-conflict markers`).
pub fn write_worktree(
    repo: &Repository,
    writes: &std::collections::BTreeMap<String, String>,
    deletes: &[String],
) -> Result<(), String> {
    let dir = repo
        .workdir()
        .ok_or_else(|| "a bare repository has no working tree for conflict markers".to_string())?;
    for (path, content) in writes {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        std::fs::write(&p, content).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    for path in deletes {
        let _ = std::fs::remove_file(dir.join(path));
    }
    Ok(())
}

/// The branch's tree with the plan's writes and deletes, built in an in-memory index (so that
/// no object is written that the new commit does not reference).
fn build_tree(
    repo: &Repository,
    base: Option<&git2::Tree<'_>>,
    plan: &Plan,
) -> Result<Oid, git2::Error> {
    let mut index = git2::Index::new()?;
    if let Some(tree) = base {
        index.read_tree(tree)?;
    }
    for (file, content) in &plan.writes {
        let id = repo.blob(content.as_bytes())?;
        index.add(&IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100_644,
            uid: 0,
            gid: 0,
            file_size: u32::try_from(content.len()).unwrap_or(u32::MAX),
            id,
            flags: u16::try_from(file.len().min(0xfff)).unwrap_or(0xfff),
            flags_extended: 0,
            path: file.as_bytes().to_vec(),
        })?;
    }
    for file in &plan.deletes {
        index.remove_path(Path::new(file))?;
    }
    index.write_tree_to(repo)
}

/// When `refname` is checked out, bring the index and worktree to its tree (tracked files only;
/// the tree was verified clean before).
fn update_worktree(
    repo: &Repository,
    refname: &str,
    plan: Option<&Plan>,
) -> Result<(), git2::Error> {
    let Some(workdir) = repo.workdir().filter(|_| !repo.is_bare()) else {
        return Ok(());
    };
    let head_is_branch = repo
        .find_reference("HEAD")
        .ok()
        .is_some_and(|h| matches!(h.symbolic_target(), Ok(Some(t)) if t == refname));
    if !head_is_branch {
        return Ok(());
    }
    // Each changed file is replaced atomically (temporary file + rename), so a crash leaves
    // every file at its old or its new content; the checkout then brings the index along.
    if let Some(plan) = plan {
        for (path, content) in &plan.writes {
            write_atomically(&workdir.join(path), content.as_bytes())
                .map_err(|e| git2::Error::from_str(&format!("{path}: {e}")))?;
        }
        for path in &plan.deletes {
            let _ = std::fs::remove_file(workdir.join(path));
        }
    }
    let mut opts = git2::build::CheckoutBuilder::new();
    opts.force();
    repo.checkout_head(Some(&mut opts))?;
    refresh_index(repo)
}

/// The index as `git` expects it after a checkout: HEAD's tree, with fresh stat data for every
/// tracked file (checkout skips files that already match, and would leave their entries stale).
fn refresh_index(repo: &Repository) -> Result<(), git2::Error> {
    let tree = repo.head()?.peel_to_tree()?;
    let mut index = repo.index()?;
    index.read_tree(&tree)?;
    index.update_all(["*"].iter(), None)?;
    index.write()
}

fn write_atomically(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.eksvend-tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path)
}

fn signature(info: &CommitInfo<'_>) -> Result<Signature<'static>, git2::Error> {
    match std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(t) => Signature::new(info.author_name, info.author_email, &git2::Time::new(t, 0)),
        None => Signature::now(info.author_name, info.author_email),
    }
}
