//! The scenario builder: a temporary directory with an inventory, runs of the real binary, and
//! the vended repositories read back with git2.
//!
//! ```ignore
//! let t = Test::new(); // fleet/ = a copy of examples/fleet; Test::empty() for none
//! t.edit("fleet/accounts/payments-prod.yaml", "cpu: \"64\"", "cpu: \"96\"")
//!     .file("custom/blueprints/general-1.1/blueprint.yaml", example::GENERAL_1_1);
//! let out = t.apply().args(["--blueprints", "custom"]).env("SOURCE_DATE_EPOCH", "0").success();
//! out.stdout_has("created    repos/payments-prod");
//! let err = t.args(["schema", "Cluster"]).run().code(1).stderr; // temp dir shown as [TEMP]
//! let repo = t.repo("payments-prod"); // read back with git2
//! repo.fsck();
//! assert!(repo.file("tenants/payments/tenant.yaml").contains("requests.cpu: \"96\""));
//! assert!(repo.message().contains("Eksvend-Blueprint: general@2.1.0"));
//! ```
//!
//! Scenario steps on the example inventory (`refused`, `quota_conflict`, …) are in `example`.

pub mod cluster;
pub mod example;
pub mod repo;
pub mod servers;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub use example::{
    quota_conflict, raise_payments_quota, refused, with_general_1_1, CHK, FLEET, GENERAL_1_1, ML,
    NET, PAY, RISK,
};
pub use repo::{git_in, Repo};

/// The date every run of the binary sees as today (before any example version leaves standard support).
pub const TODAY: &str = "2026-02-01";

/// What the temporary directory is shown as in a run's output.
pub const TEMP: &str = "[TEMP]";

/// Environment variables of the developer's shell that would change what the binary does.
const CLEARED_ENV: &[&str] = &[
    "EKSVEND_FLEET",
    "EKSVEND_REPOS",
    "EKSVEND_GIT_TOKEN",
    "EKSVEND_GIT_USERNAME",
    "NO_COLOR",
];

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary workspace, removed on drop. Inventory paths are relative to it (`fleet/…`),
/// and every run of the binary happens in it.
pub struct Test {
    dir: tempfile::TempDir,
}

impl Test {
    /// A workspace whose `fleet/` is a copy of the bundled `examples/fleet`.
    pub fn new() -> Test {
        let t = Test::empty();
        copy_dir(&root().join("examples/fleet"), &t.path("fleet"));
        t
    }

    /// A workspace with nothing in it: add an inventory with [`Test::file`].
    pub fn empty() -> Test {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Test { dir }
    }

    /// Point the Fleet's remote (`https://git.acme.example/platform/eks-{account}.git`) at
    /// `base` + `eks-{account}.git`.
    pub fn set_remote(&self, base: &str) -> &Test {
        self.edit(
            "fleet/fleet.yaml",
            "https://git.acme.example/platform/",
            base,
        )
    }

    /// A bare repository `remotes/eks-{account}.git` for each account, and the Fleet's remote
    /// pointed at them (`file://`). Returns their paths.
    pub fn file_remotes(&self, accounts: &[&str]) -> Vec<PathBuf> {
        let bares = accounts
            .iter()
            .map(|a| servers::bare_repo(&self.path("remotes"), &format!("eks-{a}")))
            .collect();
        self.set_remote(&format!("file://{}/", self.path("remotes").display()));
        bares
    }

    /// The absolute path of `rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Whether `rel` exists.
    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Write `text` to `rel`, creating its directories.
    pub fn file(&self, rel: &str, text: &str) -> &Test {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// The text of `rel`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Replace the first `from` by `to` in `rel`; `from` must be there.
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Test {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.file(rel, &text.replacen(from, to, 1))
    }

    /// Every file under `rel` (`.git` included), relative path → bytes.
    pub fn tree(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        read_tree(&self.path(rel))
    }

    /// `eksvend ARGS`, to add to and then run.
    pub fn args<I, S>(&self, args: I) -> Cmd<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Cmd {
            test: self,
            args: Vec::new(),
            env: Vec::new(),
        }
        .args(args)
    }

    /// `eksvend validate -f fleet`.
    pub fn validate(&self) -> Cmd<'_> {
        self.args(["validate", "-f", "fleet"])
    }

    /// `eksvend render -f fleet --out OUT`.
    pub fn render(&self, out: &str) -> Cmd<'_> {
        self.args(["render", "-f", "fleet", "--out", out])
    }

    /// `eksvend plan -f fleet --repos repos`.
    pub fn plan(&self) -> Cmd<'_> {
        self.args(["plan", "-f", "fleet", "--repos", "repos"])
    }

    /// `eksvend apply -f fleet --repos repos`.
    pub fn apply(&self) -> Cmd<'_> {
        self.args(["apply", "-f", "fleet", "--repos", "repos"])
    }

    /// The vended repository `repos/ACCOUNT`.
    pub fn repo(&self, account: &str) -> Repo {
        Repo::open(&self.path(&format!("repos/{account}")))
    }

    /// Run the `git` CLI in `rel` as a person; returns stdout, asserts success.
    pub fn git(&self, rel: &str, args: &[&str]) -> String {
        git_in(&self.path(rel), args)
    }

    /// `text` with the workspace's path shown as [`TEMP`].
    fn scrub(&self, text: &str) -> String {
        let raw = self.dir.path().display().to_string();
        let canonical = self
            .dir
            .path()
            .canonicalize()
            .unwrap()
            .display()
            .to_string();
        text.replace(&canonical, TEMP).replace(&raw, TEMP)
    }
}

/// One run of the binary being put together.
pub struct Cmd<'t> {
    test: &'t Test,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl Cmd<'_> {
    /// More arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// An environment variable for this run.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.into(), value.as_ref().to_os_string()));
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_eksvend"));
        cmd.args(&self.args).current_dir(self.test.dir.path());
        for key in CLEARED_ENV {
            cmd.env_remove(key);
        }
        // A fixed "today" for the EKS support windows (src/domain/date.rs): outputs do not change
        // with the machine clock. A test sets another date with `.env("EKSVEND_TODAY", …)`.
        cmd.env("HOME", self.test.path("home"))
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("EKSVEND_TODAY", TODAY)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Run to the end.
    pub fn run(self) -> Output {
        let out = self.command().output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: self.test.scrub(&String::from_utf8_lossy(&out.stdout)),
            stderr: self.test.scrub(&String::from_utf8_lossy(&out.stderr)),
        }
    }

    /// Run to the end; panics (showing both streams) unless it exits 0.
    pub fn success(self) -> Output {
        self.run().code(0)
    }

    /// Run to the end with stdout a pipe whose reader is already gone, as in
    /// `eksvend schema | head -0`: every write to stdout fails with a broken pipe.
    pub fn run_into_closed_pipe(self) -> Output {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = self.command().stdout(writer).output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::new(),
            stderr: self.test.scrub(&String::from_utf8_lossy(&out.stderr)),
        }
    }

    /// Start, with stdout and stderr discarded.
    pub fn spawn(self) -> Child {
        self.command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }
}

/// What a run printed and how it exited; the workspace's path is shown as [`TEMP`].
#[derive(Debug)]
pub struct Output {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics (showing both streams) unless the run exited with `code`.
    pub fn code(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics (showing stdout) unless stdout contains `text`.
    pub fn stdout_has(&self, text: &str) -> &Output {
        assert!(
            self.stdout.contains(text),
            "no {text:?} in stdout:\n{}",
            self.stdout
        );
        self
    }

    /// Panics (showing stderr) unless stderr contains `text`.
    pub fn stderr_has(&self, text: &str) -> &Output {
        assert!(
            self.stderr.contains(text),
            "no {text:?} in stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
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

/// Every file under `dir` (none when it does not exist): relative path → content.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}
