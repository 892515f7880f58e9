//! A scenario builder: a temporary directory with a copy of an inventory, the real binary, git.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary workspace holding `fleet/` (a copy of the example inventory) and `repos/`.
pub(crate) struct Scenario {
    pub dir: tempfile::TempDir,
}

/// The result of one run of the binary.
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Scenario {
    /// A workspace with a copy of `examples/fleet`.
    pub(crate) fn example() -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("examples/fleet"), &dir.path().join("fleet"));
        Scenario { dir }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Replace `from` by `to` in an inventory file; the text must be there.
    pub(crate) fn edit(&self, rel: &str, from: &str, to: &str) {
        let p = self.path(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }

    /// Run `eksvend ARGS` in the workspace.
    pub(crate) fn eksvend(&self, args: &[&str]) -> Run {
        Command::new(env!("CARGO_BIN_EXE_eksvend"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("EKSVEND_FLEET")
            .env_remove("EKSVEND_REPOS")
            .output()
            .unwrap()
            .into()
    }

    /// `eksvend apply -f fleet --repos repos`.
    pub(crate) fn apply(&self) -> Run {
        self.eksvend(&["apply", "-f", "fleet", "--repos", "repos"])
    }

    /// Run the `git` CLI in a repository of the workspace; returns stdout, asserts success.
    pub(crate) fn git(&self, repo: &str, args: &[&str]) -> String {
        let out = git_in(&self.path(repo), args);
        assert!(
            out.status.success(),
            "git {args:?} in {repo}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Run git in `dir` with a fixed identity (tests commit as a person too).
pub(crate) fn git_in(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "A Person")
        .env("GIT_AUTHOR_EMAIL", "person@acme.example")
        .env("GIT_COMMITTER_NAME", "A Person")
        .env("GIT_COMMITTER_EMAIL", "person@acme.example")
        .output()
        .unwrap()
}

/// Copy a directory tree.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir`: relative path → content.
pub(crate) fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .filter(|e| !e.path().strip_prefix(dir).unwrap().starts_with(".git"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// A new version of the built-in `general` blueprint that only pins the node image: a user
/// catalog's blueprint extending the built-in one.
pub(crate) const GENERAL_1_1: &str = "apiVersion: eksvend.dev/v1alpha1
kind: Blueprint
metadata: {name: general}
spec:
  version: 1.1.0
  description: General-purpose cluster, node images pinned
  extends: general@1.0.0
  parameters:
    amiAlias:
      default: al2023@v20251117
";
