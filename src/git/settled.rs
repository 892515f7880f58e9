//! Whether a worktree matches its index and the index its HEAD, answered from stat data where
//! git itself trusts stat data: the no-op fast path's question, without a status scan (which
//! reads every directory's ignore and attribute files). "Cannot tell" sends the caller to
//! libgit2's status.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use git2::{IndexEntry, Repository};

/// The index file's checksum (its trailing SHA-1, hex), when it has one.
pub fn index_checksum(repo: &Repository) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(repo.path().join("index")).ok()?;
    file.seek(SeekFrom::End(-20)).ok()?;
    let mut sum = [0u8; 20];
    file.read_exact(&mut sum).ok()?;
    // `index.skipHash` writes zeros: no checksum to go by
    (sum != [0u8; 20]).then(|| sum.iter().map(|b| format!("{b:02x}")).collect())
}

/// True when the index's tree is HEAD's (taken as given when `index_is_head`: the caller
/// knows this very index file held HEAD's tree) and every index entry is an ordinary stage-0 file or
/// symbolic link whose file has the stat data the entry records, with the entry written before
/// the index or, when it is as new as its index ("racily clean": the file may have changed
/// within the same clock tick), with the content the entry records, as git compares it. False
/// when anything differs or is unusual; the caller then asks libgit2's status.
pub(super) fn stat_clean(repo: &Repository, index_is_head: bool) -> bool {
    stat_clean_inner(repo, index_is_head).unwrap_or(false)
}

fn stat_clean_inner(repo: &Repository, index_is_head: bool) -> Option<bool> {
    let workdir = repo.workdir()?;
    let index_meta = std::fs::metadata(repo.path().join("index")).ok()?;
    let index_time = (index_meta.mtime(), index_meta.mtime_nsec());
    let index = repo.index().ok()?;
    if !index_is_head {
        let head = repo.head().ok()?.peel_to_tree().ok()?;
        let staged = repo
            .diff_tree_to_index(Some(&head), Some(&index), None)
            .ok()?;
        if staged.deltas().len() != 0 {
            return Some(false);
        }
    }
    Some(index.iter().all(|e| entry_clean(workdir, &e, index_time)))
}

/// `GIT_INDEX_ENTRY_STAGEMASK`: a conflict's stages 1–3.
const STAGE_MASK: u16 = 0x3000;
/// `GIT_INDEX_ENTRY_EXTENDED_FLAGS`: intent-to-add and skip-worktree.
const EXTENDED: u16 = 0x6000;

fn entry_clean(workdir: &Path, e: &IndexEntry, index_time: (i64, i64)) -> bool {
    if e.flags & STAGE_MASK != 0 || e.flags_extended & EXTENDED != 0 {
        return false;
    }
    let path = workdir.join(std::ffi::OsStr::from_bytes(&e.path));
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return false;
    };
    let kind_matches = match e.mode {
        0o100_644 => meta.file_type().is_file() && meta.mode() & 0o111 == 0,
        0o100_755 => meta.file_type().is_file() && meta.mode() & 0o100 != 0,
        0o120_000 => meta.file_type().is_symlink(),
        _ => false,
    };
    let mtime = (
        i64::from(e.mtime.seconds()),
        i64::from(e.mtime.nanoseconds()),
    );
    // the index keeps 32-bit fields; git truncates the same way
    #[allow(clippy::cast_possible_truncation)]
    let same_stat = mtime == truncated(meta.mtime(), meta.mtime_nsec())
        && (
            i64::from(e.ctime.seconds()),
            i64::from(e.ctime.nanoseconds()),
        ) == truncated(meta.ctime(), meta.ctime_nsec())
        && u64::from(e.file_size) == meta.size() & u64::from(u32::MAX)
        && e.ino == meta.ino() as u32
        && e.uid == meta.uid()
        && e.gid == meta.gid();
    kind_matches && same_stat && (mtime < index_time || same_content(&path, e))
}

/// Whether the file (or symbolic link) at `path` holds the blob `e` records.
fn same_content(path: &Path, e: &IndexEntry) -> bool {
    let bytes = if e.mode == 0o120_000 {
        std::fs::read_link(path).map(|target| target.as_os_str().as_bytes().to_vec())
    } else {
        std::fs::read(path)
    };
    bytes.is_ok_and(|b| crate::render::blob_oid(&b) == e.id)
}

/// A timestamp as the index stores it (32-bit seconds and nanoseconds).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn truncated(secs: i64, nanos: i64) -> (i64, i64) {
    (i64::from(secs as i32), i64::from(nanos as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed_repo() -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
        std::fs::write(dir.path().join("d/b.txt"), "b\n").unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])
            .unwrap();
        drop(tree);
        (dir, repo)
    }

    /// The index written again a tick later: its entries are no longer racily clean.
    fn settle(repo: &Repository) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("a.txt")).unwrap();
        index.add_path(Path::new("d/b.txt")).unwrap();
        index.write().unwrap();
    }

    #[test]
    fn a_settled_checkout_is_clean_and_every_kind_of_change_is_not() {
        let (dir, repo) = committed_repo();
        settle(&repo);
        assert!(stat_clean(&repo, false), "an untouched checkout");
        // an untracked file is a person's own: not a change to a tracked file
        std::fs::write(dir.path().join("new.txt"), "n\n").unwrap();
        assert!(stat_clean(&repo, false));

        std::fs::write(dir.path().join("a.txt"), "A\n").unwrap(); // same size, new mtime
        assert!(!stat_clean(&repo, false), "an edit");
        std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
        settle(&repo);
        assert!(stat_clean(&repo, false));

        std::fs::remove_file(dir.path().join("d/b.txt")).unwrap();
        assert!(!stat_clean(&repo, false), "a deletion");
        std::fs::write(dir.path().join("d/b.txt"), "b\n").unwrap();
        settle(&repo);
        assert!(stat_clean(&repo, false));

        let mut index = repo.index().unwrap();
        std::fs::write(dir.path().join("new.txt"), "n\n").unwrap();
        index.add_path(Path::new("new.txt")).unwrap();
        index.write().unwrap();
        assert!(!stat_clean(&repo, false), "a staged file");
    }

    #[test]
    fn the_index_checksum_changes_with_the_index() {
        let (dir, repo) = committed_repo();
        let before = index_checksum(&repo).expect("a checksum");
        assert_eq!(before.len(), 40);
        assert_eq!(index_checksum(&repo), Some(before.clone()));
        std::fs::write(dir.path().join("new.txt"), "n\n").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("new.txt")).unwrap();
        index.write().unwrap();
        assert_ne!(index_checksum(&repo), Some(before));
    }

    /// The index's time set back to `a.txt`'s own: its entry is racily clean.
    fn backdate_index(dir: &Path, repo: &Repository) {
        let a = std::fs::metadata(dir.join("a.txt")).unwrap();
        let index = std::fs::File::options()
            .write(true)
            .open(repo.path().join("index"))
            .unwrap();
        index.set_modified(a.modified().unwrap()).unwrap();
    }

    #[test]
    fn entries_as_new_as_their_index_are_clean_only_with_their_content() {
        let (dir, repo) = committed_repo();
        settle(&repo);
        backdate_index(dir.path(), &repo);
        assert!(
            stat_clean(&repo, false),
            "racily clean, content as recorded"
        );

        // a.txt changed in the clock tick its entry was recorded in: the entry has the new
        // file's stat data and the old content's blob
        std::fs::write(dir.path().join("a.txt"), "A\n").unwrap();
        let meta = std::fs::symlink_metadata(dir.path().join("a.txt")).unwrap();
        let mut index = repo.index().unwrap();
        let old = index.get_path(Path::new("a.txt"), 0).unwrap().id;
        index
            .add(&super::super::stat_entry("a.txt", old, 0o100_644, &meta))
            .unwrap();
        index.write().unwrap();
        backdate_index(dir.path(), &repo);
        assert!(!stat_clean(&repo, false), "racily clean, content changed");
    }
}
