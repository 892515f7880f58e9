//! Objects of one apply written as one pack, made durable before any ref points at them.
//!
//! libgit2 writes each object as a loose file (a fan-out directory, a temporary file and a
//! rename per object: ~60 files per first commit). While an [`ObjectBatch`] is open, the
//! repository's object database writes into memory instead (libgit2's mempack backend, at a
//! priority above the loose and pack backends); [`ObjectBatch::flush`] writes everything as a
//! single pack with its index, as `git` does for a fetch, and syncs both files to disk
//! (git's default `core.fsync` covers exactly packs and their indexes) before the caller moves
//! a branch to them. Reads see the objects before and after the flush.

use std::path::Path;

use git2::{Buf, Mempack, Odb, Oid, Repository};

use crate::error::Error;

/// The priority of the in-memory backend: above every on-disk backend (loose 1, packed 2).
const MEMPACK_PRIORITY: i32 = 1000;

/// An open batch: new objects of the repository go to memory until [`ObjectBatch::flush`].
pub struct ObjectBatch<'o> {
    odb: &'o Odb<'o>,
    mempack: Mempack<'o>,
}

impl<'o> ObjectBatch<'o> {
    /// Send the new objects of `repo`, whose object database is `odb`, to memory.
    pub fn start(
        repo: &Repository,
        odb: &'o Odb<'o>,
        repo_path: &Path,
    ) -> Result<ObjectBatch<'o>, Error> {
        whole_objects(repo).map_err(Error::git(repo_path, "configure the object batch"))?;
        let mempack = odb
            .add_new_mempack_backend(MEMPACK_PRIORITY)
            .map_err(Error::git(repo_path, "open the object batch"))?;
        Ok(ObjectBatch { odb, mempack })
    }

    /// Write the objects the new commits `tips` add to what the repository's refs already
    /// reach as one pack and index, synced to disk (nothing when `tips` is empty). The batch
    /// is then emptied (and open for more).
    pub fn flush(&self, repo: &Repository, tips: &[Oid]) -> Result<(), Error> {
        let path = super::name_of(repo);
        if !tips.is_empty() {
            let buf = new_objects(repo, tips).map_err(Error::git(&path, "pack the new objects"))?;
            let mut writer = self
                .odb
                .packwriter()
                .map_err(Error::git(&path, "write the pack"))?;
            std::io::Write::write_all(&mut writer, &buf).map_err(Error::fs(&path))?;
            writer
                .commit()
                .map_err(Error::git(&path, "write the pack"))?;
            drop(writer);
            sync_pack(repo, &buf).map_err(Error::fs(repo.path()))?;
        }
        self.mempack
            .reset()
            .map_err(Error::git(&path, "empty the object batch"))
    }
}

/// eksvend's own pack settings, read by this handle only (never `.git/config`).
const PACK_CONFIG: &str = "eksvend-pack.config";

/// Make this repository handle's packs store objects whole: a vended commit's objects are a
/// few kilobytes each, and the delta search (a window of 10 per object) was an eighth of a first
/// apply's CPU. libgit2 1.9 reads its big-file threshold (objects above it get no delta) from
/// `pack.deltaCacheSize`, so 0 there turns the search off; `pack.bigFileThreshold` is set too,
/// for a libgit2 that reads the documented key. The settings live in `.git/eksvend-pack.config`,
/// added as the highest level of this handle's configuration: git and other handles never
/// read it.
fn whole_objects(repo: &Repository) -> Result<(), git2::Error> {
    let file = repo.path().join(PACK_CONFIG);
    if !file.is_file() {
        std::fs::write(
            &file,
            "# eksvend's settings for the packs it writes; only eksvend reads this file\n[pack]\n\tdeltaCacheSize = 0\n\tbigFileThreshold = 1\n",
        )
        .map_err(|e| git2::Error::from_str(&format!("{}: {e}", file.display())))?;
    }
    repo.config()?.add_file(&file, git2::ConfigLevel::App, true)
}

/// A pack of the commits `tips` with every tree and blob they reach that no ref reaches (as
/// `git pack-objects --revs` with the refs as negative tips), objects whole (see
/// [`whole_objects`]).
fn new_objects(repo: &Repository, tips: &[Oid]) -> Result<Buf, git2::Error> {
    let mut walk = repo.revwalk()?;
    for tip in tips {
        walk.push(*tip)?;
    }
    // every ref points at a commit already on disk (refs move only after a flush)
    walk.hide_glob("refs/*")?;
    let mut builder = repo.packbuilder()?;
    builder.set_threads(1);
    builder.insert_walk(&mut walk)?;
    let mut buf = Buf::new();
    builder.write_buf(&mut buf)?;
    Ok(buf)
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

/// fsync the pack the indexer named after `pack`'s trailing checksum, its index, and their
/// directory (so the new names survive a power loss too).
fn sync_pack(repo: &Repository, pack: &[u8]) -> std::io::Result<()> {
    let checksum: String = pack[pack.len() - 20..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = repo.path().join("objects").join("pack");
    for ext in ["pack", "idx"] {
        fs_err::File::open(dir.join(format!("pack-{checksum}.{ext}")))?.sync_all()?;
    }
    fs_err::File::open(&dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_written_in_a_batch_land_in_one_pack_and_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        let batch = ObjectBatch::start(&repo, &odb, dir.path()).unwrap();
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
        batch.flush(&repo, &[commit]).unwrap();
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
        let out = std::process::Command::new("git")
            .arg("verify-pack")
            .arg("-v")
            .arg(repo.path().join("objects/pack").join(idx))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(listing.contains("non delta: 8 objects"), "{listing}");
        assert!(!listing.contains("chain length"), "{listing}");
        // no new commit, no pack
        batch.flush(&repo, &[]).unwrap();
        assert_eq!(
            std::fs::read_dir(repo.path().join("objects/pack"))
                .unwrap()
                .count(),
            2
        );
    }
}
