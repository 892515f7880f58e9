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

/// An eksvend run killed after moving the branch but before updating the worktree leaves the
/// index and worktree at the previous commit. Recognise exactly that (index and worktree equal
/// the parent of an eksvend commit at HEAD) and finish the checkout. Anything else stays dirty.
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
    let parent_tree = head.parent(0)?.tree_id();
    let mut index = repo.index()?;
    let mut opts = StatusOptions::new();
    opts.include_untracked(false);
    let worktree_clean = repo.statuses(Some(&mut opts))?.iter().all(|s| {
        !s.status().intersects(
            Status::WT_MODIFIED | Status::WT_DELETED | Status::WT_TYPECHANGE | Status::WT_RENAMED,
        )
    });
    if !worktree_clean || index.write_tree()? != parent_tree {
        return Ok(false);
    }
    let mut co = git2::build::CheckoutBuilder::new();
    co.force();
    repo.checkout_head(Some(&mut co))?;
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
    update_worktree(repo, &format!("refs/heads/{}", info.branch))
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
    update_worktree(repo, &format!("refs/heads/{branch}"))
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
fn update_worktree(repo: &Repository, refname: &str) -> Result<(), git2::Error> {
    if repo.is_bare() {
        return Ok(());
    }
    let head_is_branch = repo
        .find_reference("HEAD")
        .ok()
        .map(|h| matches!(h.symbolic_target(), Ok(Some(t)) if t == refname))
        .unwrap_or(false);
    if !head_is_branch {
        return Ok(());
    }
    let mut opts = git2::build::CheckoutBuilder::new();
    opts.force();
    repo.checkout_head(Some(&mut opts))
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
