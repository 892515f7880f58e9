//! The library's failures outside inventory validation, as data, and how a run ends.
//!
//! Every variant holds the facts (the path, the repository, the branch, the credential-free
//! remote, the source error); its `Display` is the sentence the commands print after `error: `.
//! [`Error::exit_status`] is the one place that turns a failure into an exit status.

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::blueprint::catalog::LookupError;
use crate::diag::Diagnostics;
use crate::domain::Invalid;
use crate::render::RenderError;
use crate::verify::VerifyError;

/// How a run ended; decided once, turned into the process exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done (0).
    Success,
    /// The inventory, the catalog or an argument is invalid (1).
    InvalidInput,
    /// Something failed while reading or writing repositories or files (1).
    Failure,
    /// Changes pending: `plan --detailed-exitcode` (2).
    ChangesPending,
    /// Conflicts that need a person (3).
    Conflicts,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::InvalidInput | ExitStatus::Failure => 1,
            ExitStatus::ChangesPending => 2,
            ExitStatus::Conflicts => 3,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(s.code())
    }
}

/// Why eksvend could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inventory or the catalog is invalid, or a rendered file is not well-formed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),

    /// An `--only` value without `=`.
    #[error("--only {arg:?}: expected KEY=VALUE with KEY one of {}", .keys.join(", "))]
    OnlyArgument {
        /// The value as given.
        arg: String,
        /// The keys `--only` accepts.
        keys: &'static [&'static str],
    },
    /// An `--only` value with a key eksvend does not know.
    #[error("--only {arg:?}: unknown key {key:?}; expected one of {}", .keys.join(", "))]
    OnlyKey {
        /// The value as given.
        arg: String,
        /// Its key.
        key: String,
        /// The keys `--only` accepts.
        keys: &'static [&'static str],
    },
    /// A `--shard` value that is not `I/N` with `1 <= I <= N`.
    #[error("--shard {arg:?}: expected I/N with 1 <= I <= N, e.g. 2/4")]
    Shard {
        /// The value as given.
        arg: String,
    },
    /// `--only` / `--shard` kept none of the fleet's accounts.
    #[error("the selection ({selection}) matches none of the fleet's {fleet} accounts; check the values, or pass --allow-empty when an empty selection is expected (a shard of a small fleet)")]
    EmptySelection {
        /// The selection as given (`--only …`, `--shard …`).
        selection: String,
        /// How many accounts the fleet has.
        fleet: usize,
    },
    /// A `--branch` that is not a valid branch name.
    #[error("--branch {branch:?}: {reason}")]
    Branch {
        /// The branch as given.
        branch: String,
        /// What the name rule says.
        reason: Invalid,
    },
    /// A blueprint reference that does not parse or that the catalog cannot satisfy.
    #[error("{reason}")]
    Blueprint {
        /// The reference as given (`name` or `name@req`).
        name: String,
        /// What the catalog says.
        reason: LookupError,
    },
    /// `eksvend schema KIND` with an unknown kind.
    #[error("unknown kind {kind:?}; expected one of {}", .expected.join(", "))]
    UnknownKind {
        /// The kind as given.
        kind: String,
        /// The kinds that have a schema.
        expected: &'static [&'static str],
    },
    /// `--repos` names something that is not a folder.
    #[error("--repos {}: is a file, not a folder; --repos names the folder that holds one git repository per account (`<folder>/<account>/`): pass a folder, or move the file away", .path.display())]
    ReposNotADirectory {
        /// The `--repos` path.
        path: PathBuf,
    },
    /// `eksvend new` needs an inventory directory.
    #[error("{}: `eksvend new` adds accounts/{account}.yaml to an inventory directory; pass one with -f/--fleet (or run `eksvend init` first)", .dir.display())]
    NotAnInventoryDirectory {
        /// The `-f/--fleet` path.
        dir: PathBuf,
        /// The WorkloadAccount to add.
        account: String,
    },
    /// `eksvend new` never overwrites an account file.
    #[error("{}: already exists; nothing was written", .path.display())]
    AccountExists {
        /// The account file.
        path: PathBuf,
    },
    /// `eksvend init` never overwrites an inventory.
    #[error("{} already exist(s); nothing was written", display_all(.paths))]
    StarterExists {
        /// The starter files that are already there.
        paths: Vec<PathBuf>,
    },

    /// `render --out DIR` writes only into a folder it owns.
    #[error("{}: {reason}; nothing was written", .dir.display())]
    OutNotOurs {
        /// The `--out` folder (or the account folder in it).
        dir: PathBuf,
        /// What is there and what `render --out` accepts.
        reason: String,
    },

    /// A filesystem operation failed.
    #[error("{source}")] // fs-err's message names the operation and the path
    Fs {
        /// The file or directory.
        path: PathBuf,
        /// The error, from fs-err.
        source: io::Error,
    },
    /// libgit2 failed.
    #[error("{}: {action}: {source}", .repo.display())]
    Git {
        /// The repository.
        repo: PathBuf,
        /// What eksvend was doing.
        action: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The working tree has changes to tracked files eksvend must not touch.
    #[error("{}: the working tree has uncommitted changes ({}); commit or stash them, then run eksvend again", .repo.display(), first_paths(.paths))]
    Dirty {
        /// The repository.
        repo: PathBuf,
        /// Every changed tracked path.
        paths: Vec<String>,
    },
    /// A merge, rebase or similar operation is in progress.
    #[error("{}: a {} is in progress; finish or abort it, then run eksvend again", .repo.display(), operation(*.state))]
    InProgress {
        /// The repository.
        repo: PathBuf,
        /// The operation.
        state: git2::RepositoryState,
    },
    /// `--on-conflict markers` in a repository without a working tree.
    #[error("{}: a bare repository has no working tree for conflict markers", .repo.display())]
    Bare {
        /// The repository.
        repo: PathBuf,
    },
    /// Another eksvend run holds the repositories directory's lock.
    #[error("{}: another eksvend run (pid {}) is writing to these repositories; wait for it to finish (if no eksvend is running, delete {})", .dir.display(), .pid.as_deref().unwrap_or("unknown"), .lock.display())]
    Locked {
        /// The repositories directory.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The holder's process id, when the lock file names one.
        pid: Option<String>,
    },
    /// The lock kept coming back after a stale one was removed.
    #[error("{}: cannot take the lock", .lock.display())]
    LockContended {
        /// The lock file.
        lock: PathBuf,
    },
    /// The branch's state file does not parse.
    #[error("{}: {path}: {source}", .repo.display())]
    State {
        /// The repository.
        repo: PathBuf,
        /// The state file's path in the repository.
        path: &'static str,
        /// The parser's error.
        source: serde_yaml::Error,
    },
    /// A file eksvend must read as text is not UTF-8.
    #[error("{}: {path}: not UTF-8 text", .repo.display())]
    NotUtf8 {
        /// The repository.
        repo: PathBuf,
        /// The file's path in the repository.
        path: String,
    },
    /// Fetching from the account's remote failed.
    #[error("{}: fetch failed: {source}", .repo.display())]
    Fetch {
        /// The repository.
        repo: PathBuf,
        /// The remote and libgit2's error.
        source: RemoteError,
    },
    /// The local branch and the remote branch both have commits the other lacks.
    #[error("{}: the local branch {branch} and {remote}/{branch} have diverged; push or reset the local branch, then run eksvend again", .repo.display())]
    Diverged {
        /// The repository.
        repo: PathBuf,
        /// The branch.
        branch: String,
        /// The remote's name.
        remote: &'static str,
    },
    /// A push failed for a reason other than the remote moving.
    #[error("{}: push failed: {source}", .repo.display())]
    Push {
        /// The repository.
        repo: PathBuf,
        /// Why.
        source: PushError,
    },
    /// The remote moved again while eksvend rebuilt on it.
    #[error("{}: push rejected twice (the remote keeps moving): {source}; run eksvend again", .repo.display())]
    PushRejectedTwice {
        /// The repository.
        repo: PathBuf,
        /// The second rejection.
        source: PushError,
    },
    /// A saved plan (`apply PLAN`) cannot be read or is not one.
    #[error("{}: {reason}", .path.display())]
    PlanFile {
        /// The plan file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An input or a repository moved since the saved plan was made; nothing was written.
    #[error("{}: refusing to apply this saved plan: {} since it was made:\n{}\nnothing was written; make a new plan (`eksvend plan --out PLAN`), review it, and apply that", .path.display(), if .reasons.len() == 1 { "something changed".to_string() } else { format!("{} things changed", .reasons.len()) }, .reasons.iter().map(|r| format!("  {r}")).collect::<Vec<_>>().join("\n"))]
    StalePlan {
        /// The plan file.
        path: PathBuf,
        /// What moved, one line each.
        reasons: Vec<String>,
    },
    /// While applying a saved plan (after a fetch), the branch is not where the plan found it.
    #[error("{}: the branch {branch} is at {now}, but the saved plan was made on {planned}; nothing was committed or pushed to this repository; make a new plan", .repo.display())]
    MovedSincePlan {
        /// The repository.
        repo: PathBuf,
        /// The branch.
        branch: String,
        /// The commit (or "no commit") the plan was made on.
        planned: String,
        /// Where the branch is now.
        now: String,
    },
    /// Data eksvend prints or writes as JSON could not be serialised.
    #[error("cannot serialise {what}: {source}")]
    Serialize {
        /// What was being serialised.
        what: &'static str,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// Writing to stdout failed.
    #[error("{source}")]
    Print {
        /// The error.
        source: io::Error,
    },
}

impl Error {
    /// The exit status a run that fails with this error ends with.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Pipeline(_)
            | Error::OnlyArgument { .. }
            | Error::OnlyKey { .. }
            | Error::Shard { .. }
            | Error::EmptySelection { .. }
            | Error::Branch { .. }
            | Error::Blueprint { .. }
            | Error::UnknownKind { .. }
            | Error::NotAnInventoryDirectory { .. }
            | Error::ReposNotADirectory { .. }
            | Error::AccountExists { .. }
            | Error::StarterExists { .. }
            | Error::OutNotOurs { .. }
            | Error::PlanFile { .. }
            | Error::StalePlan { .. } => ExitStatus::InvalidInput,
            Error::Fs { .. }
            | Error::Git { .. }
            | Error::Dirty { .. }
            | Error::InProgress { .. }
            | Error::Bare { .. }
            | Error::Locked { .. }
            | Error::LockContended { .. }
            | Error::State { .. }
            | Error::NotUtf8 { .. }
            | Error::Fetch { .. }
            | Error::Diverged { .. }
            | Error::Push { .. }
            | Error::PushRejectedTwice { .. }
            | Error::MovedSincePlan { .. }
            | Error::Serialize { .. }
            | Error::Print { .. } => ExitStatus::Failure,
        }
    }

    /// For `map_err`: a filesystem error at `path`.
    pub fn fs(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
        move |source| Error::Fs {
            path: path.to_path_buf(),
            source,
        }
    }

    /// For `map_err`: libgit2 failed in `repo` while doing `action`.
    pub fn git<'a>(repo: &'a Path, action: &'static str) -> impl FnOnce(git2::Error) -> Error + 'a {
        move |source| Error::Git {
            repo: repo.to_path_buf(),
            action,
            source,
        }
    }
}

fn display_all(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first five paths, and how many more there are.
fn first_paths(paths: &[String]) -> String {
    let mut out = paths.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if paths.len() > 5 {
        out.push_str(&format!(" and {} more", paths.len() - 5));
    }
    out
}

fn operation(state: git2::RepositoryState) -> String {
    format!("{state:?}").to_lowercase()
}

/// Why the pipeline stopped before writing anything.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The inventory (or the catalog) is invalid.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// A template failed to render.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Render(Vec<RenderError>),
    /// A rendered file is not well-formed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Verify(Vec<VerifyError>),
}

/// A failure talking to `origin`: network, authentication, or no such remote.
#[derive(Debug, thiserror::Error)]
#[error("{}", explain(.remote.as_deref(), .message))]
pub struct RemoteError {
    /// The remote's URL without credentials; `None` when the repository has no `origin`.
    pub remote: Option<String>,
    /// What git said (credentials removed).
    pub message: String,
}

/// Why a push did not land.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The remote branch moved (not a fast-forward): fetch, regenerate, retry.
    #[error("{message}")]
    NotFastForward {
        /// The remote's URL without credentials.
        remote: String,
        /// What git said.
        message: String,
    },
    /// The server refused to update the ref (a moved branch, a protected branch, a hook).
    #[error("{refname}: {status}")]
    Refused {
        /// The remote's URL without credentials.
        remote: String,
        /// The ref the server refused.
        refname: String,
        /// The server's reason.
        status: String,
    },
    /// Anything else (network, authentication…).
    #[error(transparent)]
    Transport {
        /// What failed.
        #[from]
        source: RemoteError,
    },
}

impl PushError {
    /// True when the remote refused the update (as opposed to not being reached): fetching,
    /// regenerating on the new head and pushing again may succeed.
    pub fn is_rejected(&self) -> bool {
        matches!(
            self,
            PushError::NotFastForward { .. } | PushError::Refused { .. }
        )
    }
}

fn explain(url: Option<&str>, message: &str) -> String {
    let lower = message.to_lowercase();
    let auth = [
        "authentication",
        "401",
        "403",
        "permission denied",
        "could not read username",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let hint = if auth {
        "; authentication failed: check the credentials (EKSVEND_GIT_TOKEN for http(s), the SSH agent or ~/.ssh keys for ssh)"
    } else {
        ""
    };
    match url {
        Some(url) => format!("{url}: {message}{hint}"),
        None => format!("{message}{hint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;

    fn git2_error() -> git2::Error {
        git2::Error::from_str("boom")
    }

    fn io_error() -> io::Error {
        io::Error::other("boom")
    }

    #[test]
    fn exit_codes() {
        for (status, code) in [
            (ExitStatus::Success, 0),
            (ExitStatus::InvalidInput, 1),
            (ExitStatus::Failure, 1),
            (ExitStatus::ChangesPending, 2),
            (ExitStatus::Conflicts, 3),
        ] {
            assert_eq!(status.code(), code, "{status:?}");
        }
    }

    #[test]
    fn every_error_has_its_exit_status() {
        let repo = || PathBuf::from("repos/a");
        let (invalid, failure) = (ExitStatus::InvalidInput, ExitStatus::Failure);
        let table: Vec<(Error, ExitStatus)> = vec![
            (
                Error::Pipeline(PipelineError::Invalid(Diagnostics::default())),
                invalid,
            ),
            (Error::Pipeline(PipelineError::Render(Vec::new())), invalid),
            (
                Error::OnlyArgument {
                    arg: "x".into(),
                    keys: &["team"],
                },
                invalid,
            ),
            (
                Error::OnlyKey {
                    arg: "x=1".into(),
                    key: "x".into(),
                    keys: &["team"],
                },
                invalid,
            ),
            (Error::Shard { arg: "0/1".into() }, invalid),
            (
                Error::Branch {
                    branch: "a..b".into(),
                    reason: Invalid::new("no"),
                },
                invalid,
            ),
            (
                Error::Blueprint {
                    name: "nope".into(),
                    reason: Invalid::new("unknown").into(),
                },
                invalid,
            ),
            (
                Error::UnknownKind {
                    kind: "Pod".into(),
                    expected: &["Fleet"],
                },
                invalid,
            ),
            (
                Error::NotAnInventoryDirectory {
                    dir: "f.yaml".into(),
                    account: "a".into(),
                },
                invalid,
            ),
            (
                Error::AccountExists {
                    path: "accounts/a.yaml".into(),
                },
                invalid,
            ),
            (
                Error::StarterExists {
                    paths: vec!["fleet.yaml".into()],
                },
                invalid,
            ),
            (
                Error::Fs {
                    path: "x".into(),
                    source: io_error(),
                },
                failure,
            ),
            (
                Error::Git {
                    repo: repo(),
                    action: "open the repository",
                    source: git2_error(),
                },
                failure,
            ),
            (
                Error::Dirty {
                    repo: repo(),
                    paths: vec!["a".into()],
                },
                failure,
            ),
            (
                Error::InProgress {
                    repo: repo(),
                    state: git2::RepositoryState::Merge,
                },
                failure,
            ),
            (Error::Bare { repo: repo() }, failure),
            (
                Error::Locked {
                    dir: "repos".into(),
                    lock: "repos/.eksvend.lock".into(),
                    pid: None,
                },
                failure,
            ),
            (
                Error::LockContended {
                    lock: "repos/.eksvend.lock".into(),
                },
                failure,
            ),
            (
                Error::State {
                    repo: repo(),
                    path: "s",
                    source: serde_yaml::from_str::<u32>("x").unwrap_err(),
                },
                failure,
            ),
            (
                Error::NotUtf8 {
                    repo: repo(),
                    path: "s".into(),
                },
                failure,
            ),
            (
                Error::Fetch {
                    repo: repo(),
                    source: RemoteError {
                        remote: None,
                        message: "boom".into(),
                    },
                },
                failure,
            ),
            (
                Error::Diverged {
                    repo: repo(),
                    branch: "main".into(),
                    remote: "origin",
                },
                failure,
            ),
            (
                Error::Push {
                    repo: repo(),
                    source: PushError::Refused {
                        remote: "u".into(),
                        refname: "r".into(),
                        status: "no".into(),
                    },
                },
                failure,
            ),
            (
                Error::PushRejectedTwice {
                    repo: repo(),
                    source: PushError::NotFastForward {
                        remote: "u".into(),
                        message: "boom".into(),
                    },
                },
                failure,
            ),
            (
                Error::Serialize {
                    what: "the plan",
                    source: serde_json::from_str::<u32>("x").unwrap_err(),
                },
                failure,
            ),
            (Error::Print { source: io_error() }, failure),
            (
                Error::PlanFile {
                    path: "p".into(),
                    reason: "r".into(),
                },
                invalid,
            ),
            (
                Error::StalePlan {
                    path: "p".into(),
                    reasons: vec!["r".into()],
                },
                invalid,
            ),
            (
                Error::MovedSincePlan {
                    repo: repo(),
                    branch: "main".into(),
                    planned: "a".into(),
                    now: "b".into(),
                },
                failure,
            ),
        ];
        for (error, status) in table {
            assert_eq!(error.exit_status(), status, "{error:?}");
        }
    }

    #[test]
    fn messages_hold_the_facts() {
        let paths: Vec<String> = (1..=7).map(|i| format!("f{i}")).collect();
        for (error, message) in [
            (
                Error::Dirty { repo: "r".into(), paths },
                "r: the working tree has uncommitted changes (f1, f2, f3, f4, f5 and 2 more); commit or stash them, then run eksvend again",
            ),
            (
                Error::InProgress { repo: "r".into(), state: git2::RepositoryState::Merge },
                "r: a merge is in progress; finish or abort it, then run eksvend again",
            ),
            (
                Error::Locked { dir: "repos".into(), lock: "repos/.eksvend.lock".into(), pid: None },
                "repos: another eksvend run (pid unknown) is writing to these repositories; wait for it to finish (if no eksvend is running, delete repos/.eksvend.lock)",
            ),
            (
                Error::StarterExists { paths: vec!["d/fleet.yaml".into(), "d/networks.yaml".into()] },
                "d/fleet.yaml, d/networks.yaml already exist(s); nothing was written",
            ),
            (
                Error::OnlyKey { arg: "tier=x".into(), key: "tier".into(), keys: &["account", "team"] },
                "--only \"tier=x\": unknown key \"tier\"; expected one of account, team",
            ),
        ] {
            assert_eq!(error.to_string(), message);
        }
    }
}
