//! Git with libgit2: open or create an account's repository, read its branch, commit a new tree.
//!
//! Order of writes: blobs and tree, then the commit, then the branch ref, then the worktree and
//! index. A crash at any point leaves the branch at the old or the new commit.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use git2::{
    IndexEntry, IndexTime, Oid, Repository, RepositoryInitOptions, Signature, Status, StatusOptions,
};

use crate::error::Error;
use crate::plan::{CurrentTree, Plan};
use crate::render::{RenderedFile, RenderedTree};

pub mod generated;
pub mod lock;
pub mod pack;
mod packfile;
pub mod record;
pub mod remote;
pub mod safety;
mod settled;
pub use settled::index_checksum;

/// The path a repository is named by in errors: its working tree, or the git directory of a
/// bare repository.
pub(crate) fn name_of(repo: &Repository) -> PathBuf {
    repo.workdir().unwrap_or(repo.path()).to_path_buf()
}

/// Open the repository at `path`, or create it with `branch` as its initial branch.
pub fn open_or_init(path: &Path, branch: &str) -> Result<Repository, Error> {
    if path.join(".git").exists() || path.join("HEAD").is_file() {
        return Repository::open(path).map_err(Error::git(path, "open the repository"));
    }
    let mut opts = RepositoryInitOptions::new();
    // no template: a vended repository needs no sample hooks, description or info/exclude
    opts.initial_head(branch)
        .mkpath(true)
        .external_template(false);
    if path.exists() {
        return Repository::init_opts(path, &opts)
            .map_err(Error::git(path, "create the repository"));
    }
    // A new repository is made beside its place and renamed into it, so that a run killed
    // while creating it leaves no half-made `.git` for the next run to trip over.
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".eksvend-init");
    let staging = path.with_file_name(name);
    let _ = fs_err::remove_dir_all(&staging); // what a killed run left (eksvend's own)
    Repository::init_opts(&staging, &opts).map_err(Error::git(path, "create the repository"))?;
    fs_err::rename(&staging, path).map_err(Error::fs(path))?;
    Repository::open(path).map_err(Error::git(path, "open the repository"))
}

/// The commit at the tip of `branch`; `None` when the branch does not exist (yet).
pub fn branch_tip<'r>(
    repo: &'r Repository,
    branch: &str,
) -> Result<Option<git2::Commit<'r>>, Error> {
    let failed = |source| Error::Git {
        repo: name_of(repo),
        action: "read the branch",
        source,
    };
    match repo.find_reference(&format!("refs/heads/{branch}")) {
        Ok(reference) => reference.peel_to_commit().map(Some).map_err(failed),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(failed(e)),
    }
}

/// Every file of a commit's tree: path → blob id (nothing for no commit).
pub fn tree_files(
    repo: &Repository,
    commit: Option<&git2::Commit<'_>>,
) -> Result<CurrentTree, Error> {
    let mut files = CurrentTree::new();
    if let Some(commit) = commit {
        let tree = commit
            .tree()
            .map_err(Error::git(&name_of(repo), "read the branch's tree"))?;
        collect_files(repo, &tree, "", &mut files)
            .map_err(Error::git(&name_of(repo), "read the branch's tree"))?;
    }
    Ok(files)
}

fn collect_files(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    prefix: &str,
    files: &mut CurrentTree,
) -> Result<(), git2::Error> {
    for entry in tree {
        // eksvend writes only UTF-8 paths: an entry whose name is not UTF-8 (and everything
        // under it) is a person's, never planned over, so it is left out.
        let Ok(name) = entry.name() else { continue };
        match entry.kind() {
            Some(git2::ObjectType::Blob) => {
                files.insert(format!("{prefix}{name}"), entry.id().to_string());
            }
            Some(git2::ObjectType::Tree) => {
                let subtree = repo.find_tree(entry.id())?;
                collect_files(repo, &subtree, &format!("{prefix}{name}/"), files)?;
            }
            _ => {} // a submodule (a commit) is not a file
        }
    }
    Ok(())
}

/// A file's content in a commit; `None` when there is no commit or no file at `path`.
pub fn read_file(
    repo: &Repository,
    commit: Option<&git2::Commit<'_>>,
    path: &str,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(commit) = commit else {
        return Ok(None);
    };
    let failed = |source| Error::Git {
        repo: name_of(repo),
        action: "read a file of the branch",
        source,
    };
    let tree = commit.tree().map_err(failed)?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(entry) => entry,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(failed(e)),
    };
    if entry.kind() != Some(git2::ObjectType::Blob) {
        return Ok(None); // a directory (or submodule) stands there: no file
    }
    let blob = repo.find_blob(entry.id()).map_err(failed)?;
    Ok(Some(blob.content().to_vec()))
}

/// Refuse a repository with uncommitted changes to tracked files or an operation in progress,
/// after finishing an interrupted update (see [`record`]). Untracked files are a person's own
/// and are left alone.
pub fn ensure_clean(repo: &Repository) -> Result<(), Error> {
    check_state(repo)?;
    if repo.is_bare() {
        return Ok(());
    }
    finish_interrupted_update(repo)?;
    check_worktree(repo, Refresh::Write)
}

/// What [`ensure_clean`] would say, without changing anything (for `plan`): a repository
/// whose interrupted update the next apply finishes counts as clean.
pub fn check_clean(repo: &Repository) -> Result<(), Error> {
    check_state(repo)?;
    if repo.is_bare() || record::read(repo).is_some() {
        return Ok(());
    }
    check_worktree(repo, Refresh::InMemory)
}

/// True when nothing is pending in the repository: no operation in progress, no interrupted
/// update to finish, no uncommitted change to a tracked file (from stat data where git would
/// trust it, else from a status scan). `index_is_head`: the caller knows the index file is one
/// that held HEAD's tree (its checksum is the one recorded then).
pub fn check_settled(repo: &Repository, index_is_head: bool) -> bool {
    check_state(repo).is_ok()
        && (repo.is_bare()
            || (record::read(repo).is_none()
                && (settled::stat_clean(repo, index_is_head)
                    || check_worktree(repo, Refresh::Write).is_ok())))
}

fn check_state(repo: &Repository) -> Result<(), Error> {
    if repo.state() == git2::RepositoryState::Clean {
        return Ok(());
    }
    Err(Error::InProgress {
        repo: name_of(repo),
        state: repo.state(),
    })
}

/// Whether a status check may write the index's refreshed stat data back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refresh {
    /// Apply: as `git status` does, when some entry needed it.
    Write,
    /// Plan: never writes to a repository.
    InMemory,
}

fn check_worktree(repo: &Repository, refresh: Refresh) -> Result<(), Error> {
    let name = name_of(repo);
    let mut opts = StatusOptions::new();
    // An entry whose file was written in the same clock tick as the index is "racily clean":
    // status hashes its file on every run until the index holds newer stat data. Written back
    // (only when some entry needed it), the next run compares stat data alone.
    opts.include_untracked(false)
        .include_ignored(false)
        .update_index(refresh == Refresh::Write);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(Error::git(&name, "read the working tree status"))?;
    // A path that is not UTF-8 is still a person's change: it counts, shown lossily.
    let dirty: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != Status::CURRENT)
        .map(|s| String::from_utf8_lossy(s.path_bytes()).into_owned())
        .collect();
    if dirty.is_empty() {
        Ok(())
    } else {
        Err(Error::Dirty {
            repo: name,
            paths: dirty,
        })
    }
}

/// A run killed while updating a checked-out branch left its record: the branch is at the old
/// or the new commit, the worktree and index anywhere between. Bring the paths the update
/// changed to the branch — each only while it still holds the old content, the new content or
/// nothing, so that a person's edit made after the kill is never overwritten (it then shows as
/// an uncommitted change) — and forget the record.
fn finish_interrupted_update(repo: &Repository) -> Result<(), Error> {
    let Some(update) = record::read(repo) else {
        return Ok(());
    };
    let at = repo
        .find_reference(&update.branch)
        .ok()
        .and_then(|r| r.target());
    let ours = at.is_some_and(|at| at == update.new || Some(at) == update.old);
    if ours && repo.workdir().is_some() && head_is(repo, &update.branch) {
        let finish = || -> Result<(), git2::Error> {
            let paths = unfinished_paths(repo, &update)?;
            if !paths.is_empty() {
                let mut co = git2::build::CheckoutBuilder::new();
                co.force().disable_pathspec_match(true);
                for p in &paths {
                    co.path(p);
                }
                repo.checkout_head(Some(&mut co))?;
            }
            refresh_index(repo)
        };
        finish().map_err(Error::git(&name_of(repo), "finish an interrupted update"))?;
    }
    record::remove(repo);
    Ok(())
}

/// The paths an interrupted update changed that still hold its old content, its new content or
/// nothing in the worktree (never a path under a symlink).
fn unfinished_paths(
    repo: &Repository,
    update: &record::Update,
) -> Result<Vec<String>, git2::Error> {
    let Some(dir) = repo.workdir() else {
        return Ok(Vec::new());
    };
    let tree_of = |id: Option<Oid>| -> Result<Option<git2::Tree<'_>>, git2::Error> {
        id.map(|id| repo.find_commit(id).and_then(|c| c.tree()))
            .transpose()
    };
    let old = tree_of(update.old)?;
    let new = tree_of(Some(update.new))?;
    let diff = repo.diff_tree_to_tree(old.as_ref(), new.as_ref(), None)?;
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        let Some(path) = delta.new_file().path().or(delta.old_file().path()) else {
            continue;
        };
        let path = path.to_string_lossy().into_owned();
        if safety::leaves_repository(dir, &path) {
            continue;
        }
        let known = [delta.old_file().id(), delta.new_file().id()];
        let untouched = match std::fs::symlink_metadata(dir.join(&path)) {
            Err(_) => true,
            Ok(meta) if meta.is_file() => std::fs::read(dir.join(&path))
                .ok()
                .and_then(|bytes| Oid::hash_object(git2::ObjectType::Blob, &bytes).ok())
                .is_some_and(|id| known.contains(&id)),
            Ok(_) => false,
        };
        if untouched {
            paths.push(path);
        }
    }
    Ok(paths)
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
    /// Commit even when the tree does not change (the trailers of the newest eksvend commit
    /// are stale); ignored by the generator branch.
    pub allow_empty: bool,
}

/// Apply `plan` on top of `parent` as one commit on `info.branch`. Returns the new commit, or
/// `None` when the resulting tree equals the parent's (unless `info.allow_empty`). The branch
/// moves only if it still points where it pointed when the plan was made (compare-and-swap).
/// `publish` runs once, after every new object is written and before the branch moves (or
/// before returning `None`), with the new commit: it makes the objects durable and moves the
/// generator branch.
pub fn commit_plan(
    repo: &Repository,
    parent: Option<&git2::Commit<'_>>,
    plan: &Plan,
    rendered: &RenderedTree,
    info: &CommitInfo<'_>,
    publish: &dyn Fn(Option<Oid>) -> Result<(), Error>,
) -> Result<Option<Oid>, Error> {
    let path = name_of(repo);
    let base = match parent {
        Some(c) => Some(
            c.tree()
                .map_err(Error::git(&path, "read the branch's tree"))?,
        ),
        None => None,
    };
    let (tree_id, written) = build_tree(repo, base.as_ref(), plan, rendered)
        .map_err(Error::git(&path, "write the tree"))?;
    if !info.allow_empty && base.as_ref().is_some_and(|b| b.id() == tree_id) {
        publish(None)?;
        return Ok(None);
    }
    let tree = repo
        .find_tree(tree_id)
        .map_err(Error::git(&path, "read the new tree"))?;
    let sig = signature(info).map_err(Error::git(&path, "make the commit signature"))?;
    let parents: Vec<&git2::Commit<'_>> = parent.into_iter().collect();
    let commit = repo
        .commit(None, &sig, &sig, info.message, &tree, &parents)
        .map_err(Error::git(&path, "write the commit"))?;
    publish(Some(commit))?;
    let refname = format!("refs/heads/{}", info.branch);
    let checked_out = repo.workdir().is_some() && !repo.is_bare() && head_is(repo, &refname);
    let update = record::Update {
        branch: refname.clone(),
        old: parent.map(git2::Commit::id),
        new: commit,
    };
    if checked_out {
        record::write(repo, &update).map_err(Error::fs(repo.path()))?;
    }
    if let Err(e) = move_branch(repo, info.branch, commit, "eksvend: apply") {
        record::remove(repo);
        return Err(Error::git(&path, "move the branch")(e));
    }
    if checked_out {
        if let Err(e) = update_worktree(repo, &refname, Some((plan, &written))) {
            roll_back(repo, &update, plan);
            return Err(e);
        }
        record::remove(repo);
    }
    Ok(Some(commit))
}

/// Writing the worktree failed: put the branch back where it was and the worktree with it (it
/// was clean), so that neither moved. What cannot be undone stays recorded for the next run.
fn roll_back(repo: &Repository, update: &record::Update, plan: &Plan) {
    let moved_back = match update.old {
        Some(old) => repo
            .reference_matching(&update.branch, old, true, update.new, "eksvend: roll back")
            .map(|_| ()),
        None => repo
            .find_reference(&update.branch)
            .and_then(|mut r| r.delete()),
    };
    let Some(dir) = repo.workdir() else { return };
    let old_tree = update
        .old
        .and_then(|id| repo.find_commit(id).ok())
        .and_then(|c| c.tree().ok());
    for path in plan.writes.keys() {
        let tracked = old_tree
            .as_ref()
            .is_some_and(|t| t.get_path(Path::new(path)).is_ok());
        if !tracked {
            let _ = std::fs::remove_file(dir.join(path));
        }
        let _ = std::fs::remove_file(temporary(&dir.join(path)));
    }
    let restored = match (&moved_back, update.old) {
        (Ok(()), Some(_)) => {
            let mut co = git2::build::CheckoutBuilder::new();
            co.force();
            repo.checkout_head(Some(&mut co))
                .and_then(|()| refresh_index(repo))
        }
        (Ok(()), None) => Ok(()),
        (Err(_), _) => return,
    };
    if restored.is_ok() {
        record::remove(repo);
    }
}

/// True when HEAD is the symbolic ref `refname`.
fn head_is(repo: &Repository, refname: &str) -> bool {
    repo.find_reference("HEAD")
        .ok()
        .is_some_and(|h| matches!(h.symbolic_target(), Ok(Some(t)) if t == refname))
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
pub fn fast_forward(repo: &Repository, branch: &str, target: Oid) -> Result<(), Error> {
    move_branch(repo, branch, target, "eksvend: fast-forward to the remote").map_err(
        Error::git(&name_of(repo), "fast-forward the branch to the remote"),
    )?;
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
) -> Result<(), Error> {
    let Some(dir) = repo.workdir() else {
        return Err(Error::Bare {
            repo: name_of(repo),
        });
    };
    for (path, content) in writes {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            fs_err::create_dir_all(parent).map_err(Error::fs(parent))?;
        }
        fs_err::write(&p, content).map_err(Error::fs(&p))?;
    }
    for path in deletes {
        // already gone is fine; the markers the person resolves are what matters
        let _ = fs_err::remove_file(dir.join(path));
    }
    Ok(())
}

/// The blob id and file mode the new tree holds for each path a plan writes.
type Written = std::collections::BTreeMap<String, (Oid, u32)>;

/// The branch's tree with the plan's writes and deletes, built in an in-memory index (so that
/// no object is written that the new commit does not reference), and the entry of every
/// written path (for the worktree's index). A write that holds `rendered`'s content for its
/// path has that file's blob id.
fn build_tree(
    repo: &Repository,
    base: Option<&git2::Tree<'_>>,
    plan: &Plan,
    rendered: &RenderedTree,
) -> Result<(Oid, Written), git2::Error> {
    let mut index = git2::Index::new()?;
    if let Some(tree) = base {
        index.read_tree(tree)?;
    }
    let mut written = Written::new();
    for (file, content) in &plan.writes {
        // a person's `chmod +x` of a generated file is theirs to keep
        let mode = index.get_path(Path::new(file), 0).map_or(0o100_644, |e| {
            if e.mode == 0o100_755 {
                e.mode
            } else {
                0o100_644
            }
        });
        let known = rendered
            .files
            .get(file)
            .filter(|f| f.content == *content)
            .map(RenderedFile::blob_id);
        let id = add_blob(repo, &mut index, file, content.as_bytes(), known, mode)?;
        written.insert(file.clone(), (id, mode));
    }
    for file in &plan.deletes {
        index.remove_path(Path::new(file))?;
    }
    Ok((index.write_tree_to(repo)?, written))
}

/// Write `content` as a blob and stage it at `path` (a regular file of `mode`) in `index`.
/// `known`: the content's blob id, already hashed; a blob the repository already holds (in
/// the open object batch or on disk) is not hashed or written again.
fn add_blob(
    repo: &Repository,
    index: &mut git2::Index,
    path: &str,
    content: &[u8],
    known: Option<Oid>,
    mode: u32,
) -> Result<Oid, git2::Error> {
    let id = match known {
        Some(id) if repo.odb()?.exists(id) => id,
        _ => repo.blob(content)?,
    };
    index.add(&entry(
        path,
        id,
        mode,
        u32::try_from(content.len()).unwrap_or(u32::MAX),
    ))?;
    Ok(id)
}

/// An index entry for `path` without stat data.
fn entry(path: &str, id: Oid, mode: u32, file_size: u32) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size,
        id,
        flags: u16::try_from(path.len().min(0xfff)).unwrap_or(0xfff),
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// When `refname` is checked out, bring the index and worktree to its tree (tracked files only;
/// the tree was verified clean before). With the plan just committed (and the entries it
/// wrote), only the plan's paths are touched, each file written once; without, a checkout.
fn update_worktree(
    repo: &Repository,
    refname: &str,
    plan: Option<(&Plan, &Written)>,
) -> Result<(), Error> {
    let Some(workdir) = repo.workdir().filter(|_| !repo.is_bare()) else {
        return Ok(());
    };
    if !head_is(repo, refname) {
        return Ok(());
    }
    let Some((plan, written)) = plan else {
        let mut opts = git2::build::CheckoutBuilder::new();
        opts.force();
        return repo
            .checkout_head(Some(&mut opts))
            .and_then(|()| refresh_index(repo))
            .map_err(Error::git(&name_of(repo), "update the working tree"));
    };
    let name = name_of(repo);
    let failed = |e| Error::git(&name, "update the index")(e);
    let mut index = repo.index().map_err(failed)?;
    // Each changed file is replaced atomically (temporary file + rename), so a crash leaves
    // every file at its old or its new content; its index entry gets the stat data of the
    // file just written and the blob id the commit holds, so nothing is read back or hashed.
    for (path, content) in &plan.writes {
        let file = workdir.join(path);
        write_atomically(&file, content.as_bytes()).map_err(Error::fs(&file))?;
        let Some(&(id, mode)) = written.get(path) else {
            continue;
        };
        let meta = std::fs::symlink_metadata(&file).map_err(Error::fs(&file))?;
        index
            .add(&stat_entry(path, id, mode, &meta))
            .map_err(failed)?;
    }
    for path in &plan.deletes {
        // already gone is fine
        let _ = fs_err::remove_file(workdir.join(path));
        remove_empty_parents(workdir, path);
        index.remove_path(Path::new(path)).map_err(failed)?;
    }
    index.write().map_err(failed)
}

/// An index entry for a file just written with `id`'s content: the stat data `git status`
/// compares, and marked up to date (libgit2 then does not re-hash it as racily clean).
fn stat_entry(path: &str, id: Oid, mode: u32, meta: &std::fs::Metadata) -> IndexEntry {
    use std::os::unix::fs::MetadataExt;
    // the index stores 32-bit fields; git truncates the same way
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let time = |secs: i64, nanos: i64| IndexTime::new(secs as i32, nanos as u32);
    #[allow(clippy::cast_possible_truncation)]
    let mut e = entry(path, id, mode, meta.size() as u32);
    e.ctime = time(meta.ctime(), meta.ctime_nsec());
    e.mtime = time(meta.mtime(), meta.mtime_nsec());
    #[allow(clippy::cast_possible_truncation)]
    {
        e.dev = meta.dev() as u32;
        e.ino = meta.ino() as u32;
    }
    e.uid = meta.uid();
    e.gid = meta.gid();
    e.flags_extended = UPTODATE;
    e
}

/// libgit2's in-memory `GIT_INDEX_ENTRY_UPTODATE` flag (never written to disk).
const UPTODATE: u16 = 1 << 2;

/// Remove the directories above a deleted file that it leaves empty (as a checkout does).
fn remove_empty_parents(workdir: &Path, path: &str) {
    let mut dir = Path::new(path).parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
        if std::fs::remove_dir(workdir.join(d)).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// The index as `git` expects it after a checkout: HEAD's tree, with fresh stat data for every
/// tracked file (checkout skips files that already match, and would leave their entries stale).
fn refresh_index(repo: &Repository) -> Result<(), git2::Error> {
    let tree = repo.head()?.peel_to_tree()?;
    let mut blobs = std::collections::HashMap::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        blobs.insert(
            format!("{dir}{}", entry.name().unwrap_or_default()),
            entry.id(),
        );
        git2::TreeWalkResult::Ok
    })?;
    let workdir = repo.workdir().map(Path::to_path_buf);
    let mut index = repo.index()?;
    index.read_tree(&tree)?;
    // only entries whose file holds the committed content are refreshed: a file a person
    // changed stays an unstaged change, never staged on their behalf
    let mut unchanged_only = |path: &Path, _: &[u8]| -> i32 {
        let committed = blobs.get(path.to_string_lossy().as_ref());
        let on_disk = workdir
            .as_ref()
            .and_then(|w| std::fs::read(w.join(path)).ok())
            .and_then(|bytes| Oid::hash_object(git2::ObjectType::Blob, &bytes).ok());
        i32::from(committed.is_none() || committed != on_disk.as_ref())
    };
    index.update_all(["*"].iter(), Some(&mut unchanged_only))?;
    index.write()
}

/// Replace `path` with `content` through a temporary file beside it and a rename.
fn write_atomically(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let Some(name) = path.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}: not a file path", path.display()),
        ));
    };
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    let tmp = temporary(&path.with_file_name(name));
    fs_err::write(&tmp, content)?;
    // the replacement keeps the file's mode (an executable generated file stays executable)
    if let Some(meta) = std::fs::symlink_metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)
    {
        fs_err::set_permissions(&tmp, meta.permissions())?;
    }
    fs_err::rename(&tmp, path)
}

/// The temporary file [`write_atomically`] writes beside `path`.
fn temporary(path: &Path) -> PathBuf {
    let mut tmp_name = OsString::from(".");
    tmp_name.push(path.file_name().unwrap_or_default());
    tmp_name.push(".eksvend-tmp");
    path.with_file_name(tmp_name)
}

/// Remove the temporary files a killed run left beside `paths` (managed paths that passed
/// [`safety::guard`]): only regular files, never through a symlink.
pub fn remove_temporary_files<'a>(repo: &Repository, paths: impl Iterator<Item = &'a String>) {
    let Some(dir) = repo.workdir().filter(|_| !repo.is_bare()) else {
        return;
    };
    for path in paths {
        if safety::leaves_repository(dir, path) {
            continue;
        }
        let tmp = temporary(&dir.join(path));
        if std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.file_type().is_file()) {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

pub(crate) fn signature(info: &CommitInfo<'_>) -> Result<Signature<'static>, git2::Error> {
    match std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        Some(t) => Signature::new(info.author_name, info.author_email, &git2::Time::new(t, 0)),
        None => Signature::now(info.author_name, info.author_email),
    }
}
/// The state recorded on a branch (`None` before the first vend, or with no commit);
/// `repo_path` names the repository in errors.
pub fn recorded_state(
    repo: &git2::Repository,
    tip: Option<&git2::Commit<'_>>,
    repo_path: &Path,
) -> Result<Option<crate::state::State>, Error> {
    let Some(bytes) = read_file(repo, tip, crate::state::STATE_PATH)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
        repo: repo_path.to_path_buf(),
        path: crate::state::STATE_PATH.to_string(),
    })?;
    crate::state::State::parse(&text)
        .map(Some)
        .map_err(|source| Error::State {
            repo: repo_path.to_path_buf(),
            path: crate::state::STATE_PATH,
            source,
        })
}

/// Run the git CLI in `dir` for a test; panics with its stderr unless it succeeds, else its
/// stdout.
#[cfg(test)]
fn git_cli<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the git CLI runs");
    assert!(
        out.status.success(),
        "git {:?}: {}",
        args.iter().map(AsRef::as_ref).collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
