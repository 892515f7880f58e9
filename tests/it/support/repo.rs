//! A vended repository read back with git2 (what a commit holds), and the `git` CLI for what a
//! person does to it (commit an edit) or asks of it (`fsck`, `status`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A repository (with a worktree or bare).
pub struct Repo {
    path: PathBuf,
    git: git2::Repository,
}

impl Repo {
    /// Open the repository at `path`; panics when there is none.
    pub fn open(path: &Path) -> Repo {
        let git = git2::Repository::open(path)
            .unwrap_or_else(|e| panic!("{}: not a repository: {e}", path.display()));
        Repo {
            path: path.to_path_buf(),
            git,
        }
    }

    fn commit(&self, rev: &str) -> git2::Commit<'_> {
        self.git
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .unwrap_or_else(|e| panic!("{}: {rev}: {e}", self.path.display()))
    }

    /// The commit id `rev` (`HEAD`, a branch, `main^`) names.
    pub fn rev(&self, rev: &str) -> String {
        self.commit(rev).id().to_string()
    }

    /// The commit id of HEAD.
    pub fn head(&self) -> String {
        self.rev("HEAD")
    }

    /// The id of HEAD's tree.
    pub fn tree(&self) -> String {
        self.commit("HEAD").tree_id().to_string()
    }

    /// Whether `rev` names a commit (an empty repository has no `main`).
    pub fn has(&self, rev: &str) -> bool {
        self.git.revparse_single(rev).is_ok()
    }

    /// The branch HEAD is on (`main`).
    pub fn branch(&self) -> String {
        let head = self.git.find_reference("HEAD").unwrap();
        let target = head.symbolic_target().unwrap().unwrap_or_default();
        target.trim_start_matches("refs/heads/").to_string()
    }

    /// The full message of the commit `rev` (subject, body and trailers).
    pub fn message_at(&self, rev: &str) -> String {
        self.commit(rev).message().unwrap_or_default().to_string()
    }

    /// The full message of HEAD.
    pub fn message(&self) -> String {
        self.message_at("HEAD")
    }

    /// `author|committer` of HEAD, each as `Name <email>`.
    pub fn signatures(&self) -> String {
        let c = self.commit("HEAD");
        let show = |s: git2::Signature<'_>| {
            format!("{} <{}>", s.name().unwrap_or(""), s.email().unwrap_or(""))
        };
        format!("{}|{}", show(c.author()), show(c.committer()))
    }

    /// `author|subject` of every commit reachable from `rev`, newest first.
    pub fn log(&self, rev: &str) -> Vec<String> {
        let mut walk = self.git.revwalk().unwrap();
        walk.push(self.commit(rev).id()).unwrap();
        walk.map(|id| {
            let c = self.git.find_commit(id.unwrap()).unwrap();
            format!(
                "{}|{}",
                c.author().name().unwrap_or(""),
                c.summary().ok().flatten().unwrap_or("")
            )
        })
        .collect()
    }

    /// Every file of the commit `rev`'s tree: path → text.
    pub fn files_at(&self, rev: &str) -> BTreeMap<String, String> {
        let tree = self.commit(rev).tree().unwrap();
        let mut files = BTreeMap::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                let blob = self.git.find_blob(entry.id()).unwrap();
                let path = format!("{dir}{}", entry.name().unwrap());
                files.insert(path, String::from_utf8_lossy(blob.content()).into_owned());
            }
            git2::TreeWalkResult::Ok
        })
        .unwrap();
        files
    }

    /// Every file of HEAD's tree: path → text.
    pub fn files(&self) -> BTreeMap<String, String> {
        self.files_at("HEAD")
    }

    /// The text of `path` in HEAD's tree; panics when it is not there.
    pub fn file(&self, path: &str) -> String {
        self.files().remove(path).unwrap_or_else(|| {
            panic!("{}: HEAD has no {path}", self.path.display());
        })
    }

    /// The paths that differ between the trees of commits `from` and `to`.
    pub fn changed(&self, from: &str, to: &str) -> Vec<String> {
        let (a, b) = (
            self.commit(from).tree().unwrap(),
            self.commit(to).tree().unwrap(),
        );
        let diff = self
            .git
            .diff_tree_to_tree(Some(&a), Some(&b), None)
            .unwrap();
        diff.deltas()
            .filter_map(|d| d.new_file().path().or(d.old_file().path()))
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    /// `git status --porcelain` of the worktree (empty when it matches HEAD).
    pub fn status(&self) -> String {
        self.git(&["status", "--porcelain"])
    }

    /// Panics unless `git fsck --strict --no-dangling` finds the object database sound.
    pub fn fsck(&self) {
        self.git(&["fsck", "--strict", "--no-dangling"]);
    }

    /// A person commits everything in the worktree (`git add -A`, `git commit`).
    pub fn commit_all(&self, message: &str) -> &Repo {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-qm", message]);
        self
    }

    /// Run the `git` CLI in the repository as a person; returns stdout, asserts success.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.path, args)
    }
}

/// Run the `git` CLI in `dir` as a person (a fixed identity, no user or system config);
/// returns stdout, panics with stderr unless it succeeds.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "A Person")
        .env("GIT_AUTHOR_EMAIL", "person@acme.example")
        .env("GIT_COMMITTER_NAME", "A Person")
        .env("GIT_COMMITTER_EMAIL", "person@acme.example")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
