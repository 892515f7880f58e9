//! A lock on a repositories directory, so two eksvend runs cannot interleave their writes.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Name of the lock file inside the repositories directory.
pub const LOCK_FILE: &str = ".eksvend.lock";

/// Held while a run writes; removed on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    /// True when a previous run had died holding the lock (its git lock files may remain).
    pub recovered: bool,
}

impl Lock {
    /// Take the lock on `dir` (created if missing), or say who holds it.
    pub fn acquire(dir: &Path) -> Result<Lock, Error> {
        fs_err::create_dir_all(dir).map_err(Error::fs(dir))?;
        let path = dir.join(LOCK_FILE);
        let mut recovered = false;
        for _ in 0..2 {
            match fs_err::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    // a lock without a pid reads as held by an unknown run: never taken over
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Lock { path, recovered });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let holder = match fs_err::read_to_string(&path) {
                        Ok(text) => text,
                        Err(e) if e.kind() == ErrorKind::NotFound => continue, // just released
                        // unreadable: the holder is unknown, and an unknown holder is waited for
                        Err(_) => String::new(),
                    };
                    let pid = holder.trim();
                    if !pid.is_empty() && !is_running(pid) {
                        // the run that held it is gone (killed): the lock is stale
                        let _ = fs_err::remove_file(&path);
                        recovered = true;
                        continue;
                    }
                    return Err(Error::Locked {
                        dir: dir.to_path_buf(),
                        lock: path,
                        pid: (!pid.is_empty()).then(|| pid.to_string()),
                    });
                }
                Err(source) => return Err(Error::Fs { path, source }),
            }
        }
        Err(Error::LockContended { lock: path })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs_err::remove_file(&self.path);
    }
}

/// Whether a process with this pid exists (Linux: /proc; elsewhere assume it does).
fn is_running(pid: &str) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    pid.parse::<u32>()
        .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists())
}

/// Remove the git lock files an eksvend run killed mid-write leaves in `repo_path` (only called
/// after taking over a stale eksvend lock, so no eksvend holds them).
pub fn remove_stale_git_locks(repo_path: &Path, branches: &[&str]) -> Vec<PathBuf> {
    let git_dir = if repo_path.join(".git").is_dir() {
        repo_path.join(".git")
    } else {
        repo_path.to_path_buf()
    };
    let mut candidates = vec![git_dir.join("index.lock"), git_dir.join("HEAD.lock")];
    candidates.extend(
        branches
            .iter()
            .map(|b| git_dir.join("refs/heads").join(format!("{b}.lock"))),
    );
    candidates
        .into_iter()
        .filter(|p| p.exists() && fs_err::remove_file(p).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_stale_locks_are_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock::acquire(dir.path()).unwrap();
        let err = Lock::acquire(dir.path()).unwrap_err();
        assert!(
            matches!(&err, Error::Locked { pid: Some(p), .. } if *p == std::process::id().to_string()),
            "{err}"
        );
        drop(lock);
        fs_err::write(dir.path().join(LOCK_FILE), "999999999\n").unwrap();
        assert!(Lock::acquire(dir.path()).unwrap().recovered);
    }
}
