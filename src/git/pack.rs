//! Objects of one apply written as one pack, made durable before any ref points at them.
//!
//! libgit2 writes each object as a loose file (a fan-out directory, a temporary file and a
//! rename per object: ~60 files per first commit). While an [`ObjectBatch`] is open, the
//! repository's object database writes into memory instead (libgit2's mempack backend, at a
//! priority above the loose and pack backends); [`ObjectBatch::flush`] writes the objects the
//! new commits add as a single pack with its index (`src/git/packfile.rs`), as `git` does for a
//! fetch, and syncs both files to disk (git's default `core.fsync` covers exactly packs and
//! their indexes) before the caller moves a branch to them. Reads see the objects before and
//! after the flush.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::Path;

use fs_err::os::unix::fs::OpenOptionsExt as _;
use git2::{Mempack, Odb, Oid, Repository, Tree};

use super::packfile::{self, Object};
use crate::error::Error;
use crate::render::RenderedTree;

/// The priority of the in-memory backend: above every on-disk backend (loose 1, packed 2).
const MEMPACK_PRIORITY: i32 = 1000;

/// An open batch: new objects of the repository go to memory until [`ObjectBatch::flush`].
pub struct ObjectBatch<'o> {
    odb: &'o Odb<'o>,
    mempack: Mempack<'o>,
}

impl<'o> ObjectBatch<'o> {
    /// Send the new objects of `repo`, whose object database is `odb`, to memory.
    pub fn start(odb: &'o Odb<'o>, repo_path: &Path) -> Result<ObjectBatch<'o>, Error> {
        let mempack = odb
            .add_new_mempack_backend(MEMPACK_PRIORITY)
            .map_err(Error::git(repo_path, "open the object batch"))?;
        Ok(ObjectBatch { odb, mempack })
    }

    /// Write the objects the new commits `tips` add to what the repository's refs already
    /// reach as one pack and index, synced to disk (nothing when they add nothing). The batch
    /// is then emptied (and open for more). A blob that is a file of `rendered` is taken from
    /// it; every other object is read from the object database.
    pub fn flush(
        &self,
        repo: &Repository,
        tips: &[Oid],
        rendered: &RenderedTree,
    ) -> Result<(), Error> {
        let path = super::name_of(repo);
        // tips already reachable from a ref (nothing new) write no pack
        let ids = new_objects(repo, tips).map_err(Error::git(&path, "pack the new objects"))?;
        if !ids.is_empty() {
            let files: HashMap<Oid, &[u8]> = rendered
                .files
                .values()
                .map(|f| (f.blob_id(), f.content.as_bytes()))
                .collect();
            let mut read = Vec::new();
            for id in ids.iter().filter(|id| !files.contains_key(id)) {
                read.push(
                    self.odb
                        .read(*id)
                        .map_err(Error::git(&path, "pack the new objects"))?,
                );
            }
            let objects: Vec<Object<'_>> = read
                .iter()
                .map(|o| Object {
                    id: o.id(),
                    kind: o.kind(),
                    data: o.data(),
                })
                .chain(ids.iter().filter_map(|id| {
                    files.get(id).map(|data| Object {
                        id: *id,
                        kind: git2::ObjectType::Blob,
                        data,
                    })
                }))
                .collect();
            let packed = packfile::encode(&objects);
            drop(objects);
            drop(read);
            write_pack(repo, &packed).map_err(Error::fs(repo.path()))?;
            // the pack backend looks for new packs on a miss; the batch's objects are read
            // from the pack once the mempack is emptied
            self.odb
                .refresh()
                .map_err(Error::git(&path, "read the new pack"))?;
        }
        self.mempack
            .reset()
            .map_err(Error::git(&path, "empty the object batch"))
    }
}

/// The commits `tips` and every tree and blob they reach that their parents do not hold at the
/// same path, each once: commits as `git rev-list tips --not --all` lists them (refs move only
/// after a flush, so every ref points at a commit whose objects are on disk), then, for each,
/// the trees and blobs its diff against its parents adds. An object that a ref reaches
/// elsewhere (a file moved, or reverted to an older content) is packed again: a pack may repeat
/// objects, and `git gc` keeps one copy.
fn new_objects(repo: &Repository, tips: &[Oid]) -> Result<Vec<Oid>, git2::Error> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    let mut walk = repo.revwalk()?;
    for tip in tips {
        walk.push(*tip)?;
    }
    walk.hide_glob("refs/*")?;
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for commit in walk {
        let commit = repo.find_commit(commit?)?;
        ids.push(commit.id());
        let bases = commit
            .parents()
            .map(|p| p.tree())
            .collect::<Result<Vec<_>, _>>()?;
        let tree = commit.tree()?;
        if !bases.iter().any(|b| b.id() == tree.id()) {
            new_tree(repo, &tree, &bases, &mut seen, &mut ids)?;
        }
    }
    Ok(ids)
}

/// `tree` (known to be new) and what it holds that no tree of `bases` (the same directory in
/// the parents) holds under the same name.
fn new_tree(
    repo: &Repository,
    tree: &Tree<'_>,
    bases: &[Tree<'_>],
    seen: &mut HashSet<Oid>,
    ids: &mut Vec<Oid>,
) -> Result<(), git2::Error> {
    if !seen.insert(tree.id()) {
        return Ok(());
    }
    ids.push(tree.id());
    for entry in tree {
        let name = entry.name_bytes();
        // the id of the entry of the same name and kind in a base
        let in_base = |b: &Tree<'_>| {
            b.get_name_bytes(name)
                .filter(|e| e.kind() == entry.kind())
                .map(|e| e.id())
        };
        if bases.iter().any(|b| in_base(b) == Some(entry.id())) {
            continue;
        }
        match entry.kind() {
            Some(git2::ObjectType::Blob) if seen.insert(entry.id()) => ids.push(entry.id()),
            Some(git2::ObjectType::Tree) => {
                let sub_bases = bases
                    .iter()
                    .filter_map(|b| in_base(b).map(|id| repo.find_tree(id)))
                    .collect::<Result<Vec<_>, _>>()?;
                new_tree(repo, &repo.find_tree(entry.id())?, &sub_bases, seen, ids)?;
            }
            _ => {} // a submodule's commit lives in its own repository
        }
    }
    Ok(())
}

/// Write `packed` as `objects/pack/pack-<checksum>.pack` and `.idx` (read-only, as git leaves
/// them), each through a temporary file that is synced before its rename; the index last, as
/// git does, since it is what makes the pack visible; then the directory, so that the names
/// survive a power loss too. A pack of that name already there holds the same objects.
fn write_pack(repo: &Repository, packed: &packfile::Packed) -> std::io::Result<()> {
    let dir = repo.path().join("objects").join("pack");
    fs_err::create_dir_all(&dir)?;
    let name = packed.name();
    for (ext, bytes) in [("pack", &packed.bytes), ("idx", &packed.index)] {
        let target = dir.join(format!("pack-{name}.{ext}"));
        if target.exists() {
            continue;
        }
        let temporary = dir.join(format!("tmp_pack-{name}.{ext}"));
        let _ = fs_err::remove_file(&temporary); // what a killed run left (eksvend's own)
        let mut file = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs_err::rename(&temporary, &target)?;
    }
    fs_err::File::open(&dir)?.sync_all()
}

/// Flush everything written under `dir` to disk (Linux `syncfs`: the whole filesystem, once,
/// rather than every ref, index and worktree file one by one): called before apply reports
/// what it committed, so a reported commit survives a power loss. Packs are already synced
/// before a ref points at them, so a crash before this leaves each branch at a commit whose
/// objects are on disk.
pub fn sync_filesystem(dir: &Path) -> std::io::Result<()> {
    let handle = fs_err::File::open(dir)?;
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(handle.file()).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        drop(handle);
        rustix::fs::sync();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_written_in_a_batch_land_in_one_pack_and_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        let batch = ObjectBatch::start(&odb, dir.path()).unwrap();
        let ids: Vec<_> = (0..5)
            .map(|i| {
                // alike and large enough that a delta search would deltify them
                let text = format!("file {i}\n{}", "the same line in every file\n".repeat(80));
                repo.blob(text.as_bytes()).unwrap()
            })
            .collect();
        let mut index = git2::Index::new().unwrap();
        for (i, id) in ids.iter().enumerate() {
            index
                .add(&super::super::entry(
                    &format!("d/f{i}"),
                    *id,
                    0o100_644,
                    2247,
                ))
                .unwrap();
        }
        let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
        let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(0, 0)).unwrap();
        let commit = repo.commit(None, &sig, &sig, "m", &tree, &[]).unwrap();
        let loose = |repo: &Repository| {
            walkdir::WalkDir::new(repo.path().join("objects"))
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .filter(|e| !e.path().starts_with(repo.path().join("objects/pack")))
                .count()
        };
        assert!(repo.find_blob(ids[0]).is_ok(), "readable before the flush");
        batch
            .flush(&repo, &[commit], &RenderedTree::default())
            .unwrap();
        assert_eq!(loose(&repo), 0, "no loose object was written");
        let packs: Vec<_> = std::fs::read_dir(repo.path().join("objects/pack"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(packs.len(), 2, "one pack and its index: {packs:?}");
        // a fresh handle (no mempack) reads every object from the pack
        let reopened = Repository::open(dir.path()).unwrap();
        for id in &ids {
            assert!(reopened.find_blob(*id).is_ok());
        }
        assert!(reopened.find_commit(commit).is_ok());
        // objects are stored whole: `git verify-pack -v` lists no delta chain
        let idx = packs.iter().find(|p| p.ends_with(".idx")).unwrap();
        let idx = repo.path().join("objects/pack").join(idx);
        let listing = super::super::git_cli(
            dir.path(),
            &["verify-pack".as_ref(), "-v".as_ref(), idx.as_os_str()],
        );
        assert!(listing.contains("non delta: 8 objects"), "{listing}");
        assert!(!listing.contains("chain length"), "{listing}");
        // no new commit, no pack; nor for a commit a ref already reaches
        batch.flush(&repo, &[], &RenderedTree::default()).unwrap();
        repo.reference("refs/heads/main", commit, true, "t")
            .unwrap();
        batch
            .flush(&repo, &[commit], &RenderedTree::default())
            .unwrap();
        assert_eq!(
            std::fs::read_dir(repo.path().join("objects/pack"))
                .unwrap()
                .count(),
            2
        );
    }

    #[test]
    fn a_commit_packs_only_what_its_parent_does_not_hold_at_the_same_path() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        let batch = ObjectBatch::start(&odb, dir.path()).unwrap();
        let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(0, 0)).unwrap();
        let commit = |files: &[(&str, &str)], parents: &[&git2::Commit<'_>]| {
            let mut index = git2::Index::new().unwrap();
            for (path, text) in files {
                let id = repo.blob(text.as_bytes()).unwrap();
                index
                    .add(&super::super::entry(path, id, 0o100_644, 1))
                    .unwrap();
            }
            let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
            repo.commit(None, &sig, &sig, "m", &tree, parents).unwrap()
        };
        let first = commit(&[("a/x", "x\n"), ("a/y", "y\n"), ("b/z", "z\n")], &[]);
        batch
            .flush(&repo, &[first], &RenderedTree::default())
            .unwrap();
        repo.reference("refs/heads/main", first, true, "t").unwrap();
        let parent = repo.find_commit(first).unwrap();
        // a/y changes; a/x moves to b/x (its blob is packed again under the new path)
        let second = commit(
            &[("a/y", "Y\n"), ("b/x", "x\n"), ("b/z", "z\n")],
            &[&parent],
        );
        let ids = new_objects(&repo, &[second]).unwrap();
        let tree = |c: Oid, p: &str| {
            let t = repo.find_commit(c).unwrap().tree().unwrap();
            if p.is_empty() {
                t.id()
            } else {
                t.get_path(Path::new(p)).unwrap().id()
            }
        };
        let mut expected = vec![
            second,
            tree(second, ""),
            tree(second, "a"),
            tree(second, "a/y"),
            tree(second, "b"),
            tree(second, "b/x"),
        ];
        let mut got = ids.clone();
        expected.sort();
        got.sort();
        assert_eq!(
            got, expected,
            "b/z and the first commit's trees are not packed"
        );
        batch
            .flush(&repo, &[second], &RenderedTree::default())
            .unwrap();
        repo.reference("refs/heads/main", second, true, "t")
            .unwrap();
        super::super::git_cli(dir.path(), &["fsck", "--strict", "--no-dangling"]);
    }
}
