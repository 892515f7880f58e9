//! The generator branch `eksvend/generated/<branch>`: a history of eksvend's pure renderings,
//! the merge base of every regeneration of `<branch>`.
//!
//! The state file on `<branch>` names, by blob id, what eksvend generated last; those blobs are
//! reachable from the generator branch (written before `<branch>` moves, pushed and fetched with
//! it), so they survive merges, `--on-conflict keep`, resolved markers, `git gc` and `git clone`.

use git2::{Oid, Repository};

use super::{add_blob, name_of, signature, CommitInfo};
use crate::error::Error;
use crate::render::RenderedTree;

/// The generator branch of `branch` (a branch name, without `refs/heads/`).
pub fn name(branch: &str) -> String {
    format!("eksvend/generated/{branch}")
}

/// The generator branch's next tip: its objects written, the branch not moved yet.
#[derive(Debug)]
pub struct Pending {
    branch: String,
    target: Oid,
    fresh: bool,
}

impl Pending {
    /// The commit [`prepare`] wrote, if it wrote one.
    pub fn new_commit(&self) -> Option<Oid> {
        self.fresh.then_some(self.target)
    }

    /// Move the generator branch to the new tip (after its objects are on disk).
    pub fn publish(&self, repo: &Repository) -> Result<(), Error> {
        super::move_branch(repo, &self.branch, self.target, "eksvend: generated")
            .map_err(Error::git(&name_of(repo), "move the generator branch"))
    }
}

/// Write `tree` (the pure rendering, state file included) as the next tip of the generator
/// branch of `info.branch`; [`Pending::publish`] moves the branch there. Its parents are every
/// tip it must keep reachable: the local generator branch, the remote's (after a fetch) and,
/// for a branch's first rendering, the generator branch of `start` (the branch it started
/// from). No commit when the tip already holds `tree`.
pub fn prepare(
    repo: &Repository,
    tree: &RenderedTree,
    start: &str,
    info: &CommitInfo<'_>,
) -> Result<Pending, Error> {
    let path = name_of(repo);
    let gen = name(info.branch);
    let local = tip(repo, &format!("refs/heads/{gen}"));
    let remote = tip(
        repo,
        &format!("refs/remotes/{}/{gen}", super::remote::REMOTE),
    );
    let from_start = local
        .is_none()
        .then(|| tip(repo, &format!("refs/heads/{}", name(start))))
        .flatten();
    let parents = heads(repo, &[local, remote, from_start]);
    let tree_id = build(repo, tree).map_err(Error::git(&path, "write the generated tree"))?;
    let mut fresh = false;
    let target = match parents.as_slice() {
        [only]
            if repo
                .find_commit(*only)
                .is_ok_and(|c| c.tree_id() == tree_id) =>
        {
            *only
        }
        _ => {
            let parents: Vec<git2::Commit<'_>> = parents
                .iter()
                .filter_map(|id| repo.find_commit(*id).ok())
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let sig = signature(info).map_err(Error::git(&path, "make the commit signature"))?;
            let tree = repo
                .find_tree(tree_id)
                .map_err(Error::git(&path, "read the generated tree"))?;
            fresh = true;
            repo.commit(None, &sig, &sig, info.message, &tree, &parents)
                .map_err(Error::git(&path, "write the generated commit"))?
        }
    };
    Ok(Pending {
        branch: gen,
        target,
        fresh,
    })
}

fn tip(repo: &Repository, refname: &str) -> Option<Oid> {
    repo.find_reference(refname).ok()?.target()
}

/// The distinct tips of `candidates` that no other candidate descends from.
fn heads(repo: &Repository, candidates: &[Option<Oid>]) -> Vec<Oid> {
    let mut tips: Vec<Oid> = Vec::new();
    for id in candidates.iter().flatten() {
        if !tips.contains(id) {
            tips.push(*id);
        }
    }
    tips.iter()
        .copied()
        .filter(|&a| {
            !tips
                .iter()
                .any(|&b| b != a && repo.graph_descendant_of(b, a).unwrap_or(false))
        })
        .collect()
}

/// The tree of a rendering, built in an in-memory index.
fn build(repo: &Repository, tree: &RenderedTree) -> Result<Oid, git2::Error> {
    let mut index = git2::Index::new()?;
    for (path, file) in &tree.files {
        let known = Some(file.blob_id());
        add_blob(
            repo,
            &mut index,
            path,
            file.content.as_bytes(),
            known,
            0o100_644,
        )?;
    }
    index.write_tree_to(repo)
}
