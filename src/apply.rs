//! Apply stage: write each account's plan into its repository as one commit, and push it.
//!
//! Repositories are independent: one failing or conflicting never stops or half-writes another.
//! Per repository the order is: (fetch) → plan on the branch head → write objects → move the
//! branch (compare-and-swap) → update the worktree → (push; on a rejection because the remote
//! moved: fetch, regenerate on the new head, push once more).

use std::path::Path;

use git2::Repository;
use rayon::prelude::*;

use crate::error::Error;
use crate::git::{self, lock::Lock, remote, CommitInfo};
use crate::pipeline::{PipelineError, Prepared, Rendered};
use crate::plan::{self, Action, Change, OnConflict, Plan};
use crate::resolve::ClusterSpec;

pub mod message;

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Commit on this branch instead of the Fleet's (started from the Fleet's branch).
    pub branch: Option<String>,
    /// What to do with conflicts.
    pub on_conflict: OnConflict,
    /// Fetch from the account's remote (clone when missing) and build on the remote head.
    pub fetch: bool,
    /// Push the result (implies `fetch`).
    pub push: bool,
    /// Parallel repositories (and so connections); 0 = one per core.
    pub jobs: usize,
    /// Applying a saved plan: account → the branch commit it was made on (`None`: no branch
    /// yet). A repository whose branch is elsewhere when apply is about to plan on it (after a
    /// fetch, say) is refused, and a rejected push is not retried on the remote's new head.
    pub expected_heads: Option<std::collections::BTreeMap<String, Option<String>>>,
    /// Render and plan every repository, even one whose rendering record says it already
    /// holds the current rendering (for `-v`, which lists each repository's kept edits).
    pub plan_all: bool,
}

/// What happened to one repository.
#[derive(Debug)]
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
    /// `--on-conflict markers`: nothing committed; the worktree holds the merge with markers.
    ConflictMarkers {
        /// The conflicting files.
        conflicts: Vec<Change>,
    },
    /// Nothing was written: an error.
    Failed {
        /// What went wrong.
        error: Error,
    },
}

/// The result for one account.
#[derive(Debug)]
pub struct RepoReport {
    /// WorkloadAccount name.
    pub account: String,
    /// The plan that was (or would have been) applied; after a fleet-wide apply, only its kept
    /// and merged changes (what the report lists), without contents.
    pub plan: Plan,
    /// How many files the plan writes or deletes (kept when the plan is reduced).
    pub files: usize,
    /// What happened.
    pub outcome: Outcome,
    /// Whether the branch was pushed.
    pub pushed: bool,
}

/// Apply every rendered account under `repos_dir/<account>/`, in parallel.
/// Fails only when the repositories directory cannot be locked.
pub fn apply_all(rendered: &[Rendered], repos_dir: &Path) -> Result<Vec<RepoReport>, Error> {
    apply_all_with(rendered, repos_dir, &ApplyOptions::default(), &|| {})
}

/// [`apply_all`] with options, calling `done` after each repository (for progress bars).
/// Fails only when the repositories directory cannot be locked (another run holds it).
pub fn apply_all_with(
    rendered: &[Rendered],
    repos_dir: &Path,
    opts: &ApplyOptions,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<RepoReport>, Error> {
    let lock = Lock::acquire(repos_dir)?;
    let run = || {
        rendered
            .par_iter()
            .map(|r| {
                let path = repos_dir.join(&r.spec.account.name);
                if lock.recovered {
                    let branch = opts.branch.as_deref().unwrap_or(&r.spec.git.branch);
                    git::lock::remove_stale_git_locks(&path, &[branch, &r.spec.git.branch]);
                }
                let report = apply_one(r, &path, opts);
                done();
                report
            })
            .collect()
    };
    let reports = match rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    Ok(durable(repos_dir, reports))
}

/// Rendered trees [`apply_prepared`] keeps between its two passes, in bytes of file content;
/// an account beyond it is rendered again when its turn comes (memory stays bounded however
/// large the fleet). A tree's file content is about half of what it holds in memory; 8 MiB
/// (~90 trees of the bench fleet) kept the first vend of 1,000 accounts as fast as 32 MiB did
/// and 40 MiB smaller.
const KEEP_RENDERED_BYTES: usize = 8 << 20;

/// The environment variable that lowers apply's bound on the trees kept between its passes
/// (8 MiB) to a number of bytes — for tests only, so that small fleets take the render-again
/// path of large ones.
pub const KEEP_RENDERED_VAR: &str = "EKSVEND_KEEP_RENDERED_BYTES";

fn keep_rendered_bytes() -> usize {
    std::env::var(KEEP_RENDERED_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(KEEP_RENDERED_BYTES, |n: usize| n.min(KEEP_RENDERED_BYTES))
}

/// Apply every prepared account under `repos_dir/<account>/`, in parallel.
///
/// First pass: an account whose repository records that its branch tip holds the rendering of
/// the account's current digest (and is settled, with nothing to fetch or push) is reported
/// unchanged without rendering; every other account is rendered and verified. A render or
/// verify error stops the run before any repository is written (every error at once). Second
/// pass: each rendered account is planned and committed, and only its report (the number of
/// files and the kept and merged changes, no contents) is kept; trees beyond 8 MiB of file
/// content are rendered again rather than held. Fails when the repositories directory cannot be locked or an account
/// does not render.
pub fn apply_prepared(
    prepared: &Prepared,
    repos_dir: &Path,
    opts: &ApplyOptions,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<RepoReport>, Error> {
    // Without a repositories folder there is nothing to lock yet, and a render error must
    // leave nothing behind: the lock (which creates the folder) is then taken after rendering.
    let early = if repos_dir.exists() {
        Some(Lock::acquire(repos_dir)?)
    } else {
        None
    };
    let recovered = early.as_ref().is_some_and(|l| l.recovered);
    let kept = std::sync::atomic::AtomicUsize::new(0);
    let keep = keep_rendered_bytes();
    let first = || -> Vec<Result<Pass, PipelineError>> {
        prepared
            .accounts
            .par_iter()
            .map(|spec| {
                let digest = prepared.digest(spec);
                let path = repos_dir.join(&spec.account.name);
                // after a killed run (a stale lock) every repository goes the full way
                if early.is_some() && !recovered && already_applied(spec, &digest, &path, opts) {
                    done();
                    return Ok(Pass::Unchanged);
                }
                let r = prepared.render(spec)?;
                let bytes: usize = r.tree.files.values().map(|f| f.content.len()).sum();
                let total = kept.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
                Ok(if total + bytes <= keep {
                    Pass::Rendered(Box::new(r), digest)
                } else {
                    Pass::Again(digest)
                })
            })
            .collect()
    };
    let second = |passes: Vec<Pass>, lock: &Lock| -> Vec<RepoReport> {
        passes
            .into_par_iter()
            .zip(prepared.accounts.par_iter())
            .map(|(pass, spec)| {
                let path = repos_dir.join(&spec.account.name);
                let report = match pass {
                    Pass::Unchanged => {
                        return RepoReport {
                            account: spec.account.name.clone(),
                            plan: Plan::default(),
                            files: 0,
                            outcome: Outcome::Unchanged,
                            pushed: false,
                        }
                    }
                    Pass::Rendered(r, digest) => apply_recorded(&r, &digest, &path, opts, lock),
                    Pass::Again(digest) => match prepared.render_again(spec) {
                        Ok(r) => apply_recorded(&r, &digest, &path, opts, lock),
                        Err(e) => RepoReport {
                            account: spec.account.name.clone(),
                            plan: Plan::default(),
                            files: 0,
                            outcome: Outcome::Failed { error: e.into() },
                            pushed: false,
                        },
                    },
                };
                done();
                report.without_contents()
            })
            .collect()
    };
    let run = || -> Result<Vec<RepoReport>, Error> {
        let mut passes = Vec::with_capacity(prepared.accounts.len());
        let mut render_errors = Vec::new();
        let mut verify_errors = Vec::new();
        for result in first() {
            match result {
                Ok(pass) => passes.push(pass),
                Err(PipelineError::Render(e)) => render_errors.extend(e),
                Err(PipelineError::Verify(e)) => verify_errors.extend(e),
                Err(other) => return Err(other.into()),
            }
        }
        if !render_errors.is_empty() {
            return Err(PipelineError::Render(render_errors).into());
        }
        if !verify_errors.is_empty() {
            return Err(PipelineError::Verify(verify_errors).into());
        }
        let lock = match &early {
            Some(lock) => lock,
            None => &Lock::acquire(repos_dir)?,
        };
        Ok(durable(repos_dir, second(passes, lock)))
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

/// The reports, once what they report is on disk: when the flush fails, every commit is
/// reported as possibly lost (the repositories are sound; the next run re-applies).
fn durable(repos_dir: &Path, mut reports: Vec<RepoReport>) -> Vec<RepoReport> {
    if let Err(e) = git::pack::sync_filesystem(repos_dir) {
        for r in &mut reports {
            if matches!(r.outcome, Outcome::Created { .. } | Outcome::Updated { .. }) {
                r.outcome = Outcome::Failed {
                    error: Error::fs(repos_dir)(std::io::Error::new(
                        e.kind(),
                        format!("committed, but not flushed to disk ({e}); run apply again"),
                    )),
                };
            }
        }
    }
    reports
}

/// An account after [`apply_prepared`]'s first pass.
enum Pass {
    /// The repository already holds its rendering.
    Unchanged,
    /// Rendered (and verified), with its digest.
    Rendered(Box<Rendered>, String),
    /// Renders and verifies (its tree was not kept); rendered again to apply.
    Again(String),
}

/// [`apply_one`], then the rendering record when the branch holds the rendering of `digest`.
fn apply_recorded(
    r: &Rendered,
    digest: &str,
    path: &Path,
    opts: &ApplyOptions,
    lock: &Lock,
) -> RepoReport {
    let branch = opts.branch.as_deref().unwrap_or(&r.spec.git.branch);
    if lock.recovered {
        git::lock::remove_stale_git_locks(path, &[branch, &r.spec.git.branch]);
    }
    let report = apply_one(r, path, opts);
    let holds_rendering = matches!(
        report.outcome,
        Outcome::Created { .. } | Outcome::Updated { .. } | Outcome::Unchanged
    );
    if holds_rendering {
        // only a cache: when it cannot be written, the next run renders
        if let Ok(repo) = Repository::open(path) {
            if let Ok(Some(tip)) = git::branch_tip(&repo, branch) {
                let refname = format!("refs/heads/{branch}");
                // a checked-out branch's index was just brought to its tree
                let index = checked_out_index(&repo, &refname);
                let _ = git::record::write_rendered(
                    &repo,
                    &git::record::Rendered {
                        branch: refname,
                        tip: tip.id(),
                        digest: digest.to_string(),
                        index,
                    },
                );
            }
        }
    }
    report
}

impl RepoReport {
    /// The report as a fleet-wide apply keeps it until it prints: the number of files, and of
    /// the plan only the kept and merged changes it lists (no contents, no other paths: a first
    /// vend of 5,000 repositories would otherwise hold 200,000 paths).
    fn without_contents(mut self) -> RepoReport {
        let plan = std::mem::take(&mut self.plan);
        self.plan.changes = plan
            .changes
            .into_iter()
            .filter(|c| {
                matches!(
                    c.action,
                    crate::plan::Action::KeepEdit
                        | crate::plan::Action::KeepDropped
                        | crate::plan::Action::Merge
                )
            })
            .collect();
        self
    }
}

/// True when applying `spec` to the repository at `path` could only report it unchanged: no
/// fetch or push, no saved plan; the rendering record says the branch tip (still where it is)
/// holds the rendering of `digest`; no operation, update record or uncommitted change is
/// pending. Anything else, or any doubt, goes the full way.
fn already_applied(spec: &ClusterSpec, digest: &str, path: &Path, opts: &ApplyOptions) -> bool {
    if opts.fetch
        || opts.push
        || opts.plan_all
        || opts.expected_heads.is_some()
        || !path.join(".git").is_dir()
    {
        return false;
    }
    let Ok(repo) = Repository::open(path) else {
        return false;
    };
    let branch = opts.branch.as_deref().unwrap_or(&spec.git.branch);
    let Some(record) = git::record::read_rendered(&repo) else {
        return false;
    };
    let refname = format!("refs/heads/{branch}");
    // the ref's target alone: the commit itself is not read
    let Ok(tip) = repo.refname_to_id(&refname) else {
        return false;
    };
    if record.branch != refname || record.tip != tip || record.digest != digest {
        return false;
    }
    let index = checked_out_index(&repo, &refname);
    let index_is_head = index.is_some() && index == record.index;
    if !git::check_settled(&repo, index_is_head) {
        return false;
    }
    if !index_is_head && index.is_some() && checked_out_index(&repo, &refname) == index {
        // settled by reading the trees, and the index file is the one that was read: record
        // it, so that the next run need not read them (only a cache, like the whole record)
        let _ = git::record::write_rendered(&repo, &git::record::Rendered { index, ..record });
    }
    true
}

/// The index file's checksum when HEAD is `refname` (the branch is checked out).
fn checked_out_index(repo: &Repository, refname: &str) -> Option<String> {
    let head = repo.find_reference("HEAD").ok()?;
    if head.symbolic_target().ok().flatten() == Some(refname) {
        git::index_checksum(repo)
    } else {
        None
    }
}

/// Plan and commit (and push) one account's repository.
pub fn apply_one(r: &Rendered, repo_path: &Path, opts: &ApplyOptions) -> RepoReport {
    let account = r.spec.account.name.clone();
    let existed = repo_path.exists();
    let result = try_apply(r, repo_path, opts);
    if result.is_err() && !existed {
        // a repository this run created and could not fill is removed, not left empty
        let _ = fs_err::remove_dir_all(repo_path);
    }
    match result {
        Ok((plan, outcome, pushed)) => RepoReport {
            account,
            files: plan.writes.len() + plan.deletes.len(),
            plan,
            outcome,
            pushed,
        },
        Err(error) => RepoReport {
            account,
            plan: Plan::default(),
            files: 0,
            outcome: Outcome::Failed { error },
            pushed: false,
        },
    }
}

fn try_apply(
    r: &Rendered,
    repo_path: &Path,
    opts: &ApplyOptions,
) -> Result<(Plan, Outcome, bool), Error> {
    let fleet_branch = r.spec.git.branch.as_str();
    let branch = opts.branch.as_deref().unwrap_or(fleet_branch);
    let remote_url = r
        .spec
        .git
        .remote
        .as_deref()
        .filter(|_| opts.fetch || opts.push);
    let repo = git::open_or_init(repo_path, fleet_branch)?;
    git::ensure_clean(&repo)?;
    if let Some(url) = remote_url {
        remote::ensure_remote(&repo, url).map_err(Error::git(repo_path, "set the remote"))?;
    }
    let odb = repo
        .odb()
        .map_err(Error::git(repo_path, "open the object database"))?;
    let batch = git::pack::ObjectBatch::start(&odb, repo_path)?;
    let (mut plan, mut outcome) = commit_once(
        r,
        &repo,
        &batch,
        repo_path,
        branch,
        fleet_branch,
        remote_url.is_some(),
        opts,
    )?;
    if !opts.push
        || matches!(
            outcome,
            Outcome::Conflict { .. } | Outcome::ConflictMarkers { .. }
        )
    {
        return Ok((plan, outcome, false));
    }
    let generated = git::generated::name(branch);
    let pushed_refs = [branch, generated.as_str()];
    for attempt in 0..2 {
        if !pushed_refs.iter().any(|b| ahead_of_remote(&repo, b)) {
            return Ok((plan, outcome, false));
        }
        match remote::push(&repo, &pushed_refs) {
            Ok(()) => {
                for b in pushed_refs {
                    if let Some(pushed) = tip(&repo, b) {
                        // Only a record of what the remote holds: if it cannot be written, the
                        // next run fetches it anyway.
                        let _ = repo.reference(
                            &format!("refs/remotes/{}/{b}", remote::REMOTE),
                            pushed,
                            true,
                            "eksvend: pushed",
                        );
                    }
                }
                return Ok((plan, outcome, true));
            }
            Err(source) if source.is_rejected() && opts.expected_heads.is_some() => {
                // a saved plan was made on the old head: rebuilding on the new one is another plan
                return Err(Error::Push {
                    repo: repo_path.to_path_buf(),
                    source,
                });
            }
            Err(e) if e.is_rejected() && attempt == 0 => {
                // The remote moved: drop our unpushed commit, rebuild on the new head.
                let remote_tip = tip(&repo, &format!("../remotes/{}/{branch}", remote::REMOTE));
                let base = remote_tip.or_else(|| tip(&repo, fleet_branch));
                if let Some(base) = base {
                    git::fast_forward(&repo, branch, base)?;
                }
                (plan, outcome) = commit_once(
                    r,
                    &repo,
                    &batch,
                    repo_path,
                    branch,
                    fleet_branch,
                    true,
                    opts,
                )?;
                if matches!(
                    outcome,
                    Outcome::Conflict { .. } | Outcome::ConflictMarkers { .. }
                ) {
                    return Ok((plan, outcome, false));
                }
            }
            Err(source) if source.is_rejected() => {
                return Err(Error::PushRejectedTwice {
                    repo: repo_path.to_path_buf(),
                    source,
                });
            }
            Err(source) => {
                return Err(Error::Push {
                    repo: repo_path.to_path_buf(),
                    source,
                })
            }
        }
    }
    Ok((plan, outcome, false))
}

/// Fetch (when asked), settle the branch's base, plan and commit once.
#[allow(clippy::too_many_arguments)]
fn commit_once(
    r: &Rendered,
    repo: &Repository,
    batch: &git::pack::ObjectBatch<'_>,
    repo_path: &Path,
    branch: &str,
    fleet_branch: &str,
    fetch: bool,
    opts: &ApplyOptions,
) -> Result<(Plan, Outcome), Error> {
    if fetch {
        let mut branches = vec![fleet_branch];
        if branch != fleet_branch {
            branches.push(branch);
        }
        // the generator branches come along: they hold the merge bases
        let generated: Vec<String> = branches.iter().map(|b| git::generated::name(b)).collect();
        let wanted: Vec<&str> = branches
            .iter()
            .copied()
            .chain(generated.iter().map(String::as_str))
            .collect();
        remote::fetch(repo, &wanted).map_err(|source| Error::Fetch {
            repo: repo_path.to_path_buf(),
            source,
        })?;
        for b in &branches {
            sync_with_remote(repo, repo_path, b)?;
        }
    }
    if branch != fleet_branch && git::branch_tip(repo, branch)?.is_none() {
        if let Some(start) = tip(repo, fleet_branch) {
            git::move_branch(
                repo,
                branch,
                start,
                &format!("eksvend: branch from {fleet_branch}"),
            )
            .map_err(Error::git(repo_path, "create the branch"))?;
        }
    }
    let parent = git::branch_tip(repo, branch)?;
    if let Some(expected) = opts
        .expected_heads
        .as_ref()
        .and_then(|heads| heads.get(&r.spec.account.name))
    {
        let now = parent.as_ref().map(|c| c.id().to_string());
        if &now != expected {
            let show = |h: &Option<String>| h.clone().unwrap_or_else(|| "no commit".to_string());
            return Err(Error::MovedSincePlan {
                repo: repo_path.to_path_buf(),
                branch: branch.to_string(),
                planned: show(expected),
                now: show(&now),
            });
        }
    }
    let current = git::tree_files(repo, parent.as_ref())?;
    let previous = git::recorded_state(repo, parent.as_ref(), repo_path)?;
    let mut plan = plan::plan(&r.tree, &current, previous.as_ref(), &|id| {
        git::read_blob(repo, id)
    });
    plan.resolve(opts.on_conflict);
    git::safety::guard(repo, parent.as_ref(), &mut plan);
    git::remove_temporary_files(repo, r.tree.files.keys());
    let last = message::last_eksvend_commit(parent.as_ref());
    let message = message::commit_message(r, previous.as_ref(), last.as_ref(), &plan);
    let info = CommitInfo {
        branch,
        author_name: &r.spec.git.author_name,
        author_email: &r.spec.git.author_email,
        message: &message,
        allow_empty: message::needs_trailer_commit(&plan, last.as_ref(), r),
    };
    let conflicts: Vec<Change> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Conflict)
        .cloned()
        .collect();
    if !conflicts.is_empty() && opts.on_conflict != OnConflict::Markers {
        return Ok((plan, Outcome::Conflict { conflicts }));
    }
    // The pure rendering becomes the next merge base before anything refers to it.
    let generated = git::generated::prepare(repo, &r.tree, fleet_branch, &info)?;
    let publish = |commit: Option<git2::Oid>| -> Result<(), Error> {
        let tips: Vec<git2::Oid> = generated.new_commit().into_iter().chain(commit).collect();
        batch.flush(repo, &tips, &r.tree)?;
        generated.publish(repo)
    };
    if !conflicts.is_empty() {
        publish(None)?;
        let mut writes = plan.writes.clone();
        writes.extend(plan.markers.clone());
        git::write_worktree(repo, &writes, &plan.deletes)?;
        return Ok((plan, Outcome::ConflictMarkers { conflicts }));
    }
    let commit = git::commit_plan(repo, parent.as_ref(), &plan, &r.tree, &info, &publish)?;
    let outcome = match (commit, parent.is_some()) {
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

/// After a fetch: fast-forward the local branch to the remote one (or create it). A local
/// branch with commits the remote lacks is left for a person, unless the remote lacks nothing.
fn sync_with_remote(repo: &Repository, repo_path: &Path, branch: &str) -> Result<(), Error> {
    let Some(remote_tip) = tip(repo, &format!("../remotes/{}/{branch}", remote::REMOTE)) else {
        return Ok(());
    };
    let Some(local) = tip(repo, branch) else {
        return git::fast_forward(repo, branch, remote_tip);
    };
    let descends = |a, b| {
        repo.graph_descendant_of(a, b)
            .map_err(Error::git(repo_path, "compare the branch with the remote"))
    };
    if local == remote_tip || descends(local, remote_tip)? {
        return Ok(());
    }
    if descends(remote_tip, local)? {
        return git::fast_forward(repo, branch, remote_tip);
    }
    Err(Error::Diverged {
        repo: repo_path.to_path_buf(),
        branch: branch.to_string(),
        remote: remote::REMOTE,
    })
}

/// `refs/heads/<name>` (or `refs/remotes/…` via `../remotes/…`) as an object id.
fn tip(repo: &Repository, name: &str) -> Option<git2::Oid> {
    let refname = match name.strip_prefix("../") {
        Some(rest) => format!("refs/{rest}"),
        None => format!("refs/heads/{name}"),
    };
    repo.find_reference(&refname).ok()?.target()
}

/// True when the local branch has commits the remote-tracking branch lacks (or it has none).
fn ahead_of_remote(repo: &Repository, branch: &str) -> bool {
    match (
        tip(repo, branch),
        tip(repo, &format!("../remotes/{}/{branch}", remote::REMOTE)),
    ) {
        (Some(local), Some(remote)) => local != remote,
        (Some(_), None) => true,
        _ => false,
    }
}
