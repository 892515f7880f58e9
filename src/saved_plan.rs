//! Saved plans, as terraform's `-out`: `eksvend plan --out PLAN` writes what would change in
//! each repository together with the digests of every input and each repository's branch
//! head; `eksvend apply PLAN` applies exactly that, and refuses (naming what moved, writing
//! nothing) when an input or a repository changed since. The format is in docs/plan-format.md.
//!
//! "Exactly that" holds because rendering is deterministic: with the same inputs, the same
//! eksvend and the same branch heads, apply computes the same changes. A saved plan therefore
//! records digests, not content, and apply checks three things before writing anything: the
//! inputs' digests, each repository's branch head and worktree, and the digest of the changes
//! it would make now against the one in the plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::preview::{FleetPlan, RepoPlan};

/// `kind` of a saved plan file.
pub const KIND: &str = "eksvend-plan";

/// Version of the saved plan format (docs/plan-format.md).
pub const FORMAT_VERSION: u32 = 1;

/// What `input.path` says for the catalog compiled into eksvend.
pub const BUILTIN: &str = "(built-in catalog)";

/// A saved plan, as written to the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedPlan {
    /// Always [`KIND`].
    pub kind: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The eksvend that made the plan; another version refuses to apply it.
    pub eksvend_version: String,
    /// The arguments `plan` was given; `apply PLAN` uses these.
    pub arguments: Arguments,
    /// Every file read to make the plan (inventory, catalog directories) and the built-in
    /// catalog, with their digests, by path.
    pub inputs: Vec<Input>,
    /// One entry per selected account, in inventory order.
    pub repos: Vec<SavedRepo>,
}

/// The arguments of the `plan` run (paths as given, relative to where it ran).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Arguments {
    /// `-f/--fleet`.
    pub fleet: PathBuf,
    /// `--blueprints`, in order.
    pub blueprints: Vec<PathBuf>,
    /// `--only`, in order.
    pub only: Vec<String>,
    /// `--shard`.
    pub shard: Option<String>,
    /// `--allow-empty`.
    pub allow_empty: bool,
    /// `--repos`.
    pub repos: PathBuf,
}

/// One input file and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Input {
    /// The file (or [`BUILTIN`]).
    pub path: String,
    /// `sha256:…` of its bytes (`unreadable` when it could not be read).
    pub sha256: String,
}

/// One repository of a saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedRepo {
    /// WorkloadAccount name.
    pub account: String,
    /// Repository path.
    pub repo: String,
    /// Branch.
    pub branch: String,
    /// `name@version` of the blueprint.
    pub blueprint: String,
    /// `create`, `update`, `unchanged` or `conflict`.
    pub status: String,
    /// The branch's commit the plan was made on; `null` when the repository or branch does
    /// not exist yet.
    pub head: Option<String>,
    /// `absent` (no repository yet) or `clean` (plan refuses a dirty worktree, as apply does).
    pub worktree: String,
    /// `sha256:…` of everything apply would do to this repository (each change, the content
    /// of each file written, each path deleted).
    pub changes_digest: String,
    /// The changes, as the JSON plan lists them, with the digest of each file's new content.
    pub files: Vec<SavedFile>,
}

/// One file change of a saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedFile {
    /// Repository-relative path.
    pub path: String,
    /// `add`, `modify`, `merge`, `delete`, `keepEdit`, `keepDropped` or `conflict`.
    pub action: String,
    /// Why, for merges, conflicts and kept edits.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// `sha256:…` of the content apply would write (none for deletes and kept files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// `sha256:…` of `bytes`.
fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The digests of every input: the built-in catalog, the inventory files under `fleet` (as
/// the load stage finds them: a file, or every `*.yaml`/`*.yml` under a directory outside
/// dot-directories) and every file of the catalog directories `dirs` (outside dot-directories).
/// A file that cannot be read is recorded as `unreadable`, so that it cannot pass as unchanged.
pub fn inputs(fleet: &Path, dirs: &[PathBuf]) -> Vec<Input> {
    let mut out = vec![Input {
        path: BUILTIN.to_string(),
        sha256: crate::blueprint::catalog::builtin_digest(),
    }];
    // exactly the files the loader reads (it skips vended repositories, render folders, .git)
    let mut files: Vec<PathBuf> =
        crate::fleet::load::inventory_files(fleet).unwrap_or_else(|_| walk(fleet));
    for dir in dirs {
        files.extend(walk(dir));
    }
    let mut seen = std::collections::BTreeSet::new();
    for file in files {
        let path = file.display().to_string();
        if !seen.insert(path.clone()) {
            continue;
        }
        let sha256 = std::fs::read(&file).map_or_else(|_| "unreadable".to_string(), |b| sha256(&b));
        out.push(Input { path, sha256 });
    }
    out
}

/// `path` itself when it is a file, else every file under it outside dot-directories, sorted.
fn walk(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// `sha256:…` of what apply would do to one repository.
pub fn changes_digest(r: &RepoPlan) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(r.status.key().as_bytes());
    for c in &r.files {
        field(c.path.as_bytes());
        field(action_name(c.action).as_bytes());
        field(c.reason.as_bytes());
    }
    for (path, content) in &r.writes {
        field(b"write");
        field(path.as_bytes());
        field(content.as_bytes());
    }
    for path in &r.deletes {
        field(b"delete");
        field(path.as_bytes());
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// An action's name, as in JSON.
fn action_name(a: crate::plan::Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// One repository's entry of a saved plan.
fn saved_repo(r: &RepoPlan) -> SavedRepo {
    let exists = Path::new(&r.repo).exists();
    SavedRepo {
        account: r.account.clone(),
        repo: r.repo.clone(),
        branch: r.branch.clone(),
        blueprint: r.blueprint.clone(),
        status: r.status.key().to_string(),
        head: r.head.clone(),
        worktree: if exists { "clean" } else { "absent" }.to_string(),
        changes_digest: changes_digest(r),
        files: r
            .files
            .iter()
            .map(|c| SavedFile {
                path: c.path.clone(),
                action: action_name(c.action),
                reason: c.reason.clone(),
                sha256: r.writes.get(&c.path).map(|t| sha256(t.as_bytes())),
            })
            .collect(),
    }
}

/// The saved plan of a fleet plan made with `arguments` from `inputs` (taken before rendering).
pub fn save(arguments: Arguments, inputs: Vec<Input>, fleet: &FleetPlan) -> SavedPlan {
    SavedPlan {
        kind: KIND.to_string(),
        format_version: FORMAT_VERSION,
        eksvend_version: env!("CARGO_PKG_VERSION").to_string(),
        arguments,
        inputs,
        repos: fleet.repos.iter().map(saved_repo).collect(),
    }
}

/// Write a saved plan to `path` (through a temporary file, so that a reader never sees half).
pub fn write(path: &Path, plan: &SavedPlan) -> Result<(), Error> {
    let mut json = serde_json::to_string_pretty(plan).map_err(|source| Error::Serialize {
        what: "the saved plan",
        source,
    })?;
    json.push('\n');
    let name = path
        .file_name()
        .map_or_else(|| "plan".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    fs_err::write(&tmp, json).map_err(|source| Error::Fs {
        path: tmp.clone(),
        source,
    })?;
    fs_err::rename(&tmp, path).map_err(|source| Error::Fs {
        path: path.to_path_buf(),
        source,
    })
}

/// Read a saved plan from `path`.
pub fn read(path: &Path) -> Result<SavedPlan, Error> {
    let bad = |reason: String| Error::PlanFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("cannot read the saved plan: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "not a saved plan (`eksvend plan --out` writes them): {e}"
        ))
    })?;
    if value.get("kind").and_then(serde_json::Value::as_str) != Some(KIND) {
        return Err(bad(format!(
            "not a saved plan: no `\"kind\": \"{KIND}\"` (`eksvend plan --out PLAN` writes them; `--format json` output cannot be applied)"
        )));
    }
    let version = value
        .get("formatVersion")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(bad(format!(
            "saved plan format {} is not the one this eksvend reads ({FORMAT_VERSION}); make the plan again",
            version.map_or_else(|| "(none)".to_string(), |v| v.to_string())
        )));
    }
    serde_json::from_value(value).map_err(|e| bad(format!("not a valid saved plan: {e}")))
}

/// What differs between the inputs a plan recorded and the inputs now, one line each.
pub fn moved_inputs(saved: &SavedPlan, now: &[Input]) -> Vec<String> {
    let mut reasons = Vec::new();
    let version = env!("CARGO_PKG_VERSION");
    if saved.eksvend_version != version {
        reasons.push(format!(
            "the plan was made by eksvend {}, this is eksvend {version}",
            saved.eksvend_version
        ));
    }
    let before: BTreeMap<&str, &str> = saved
        .inputs
        .iter()
        .map(|i| (i.path.as_str(), i.sha256.as_str()))
        .collect();
    let after: BTreeMap<&str, &str> = now
        .iter()
        .map(|i| (i.path.as_str(), i.sha256.as_str()))
        .collect();
    for (path, digest) in &before {
        match after.get(path) {
            None => reasons.push(format!("{path}: removed since the plan")),
            Some(d) if d != digest && *path == BUILTIN => {
                reasons.push(format!(
                    "{path}: this eksvend's built-in blueprints differ from the plan's"
                ));
            }
            Some(d) if d != digest => reasons.push(format!("{path}: changed since the plan")),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        reasons.push(format!("{path}: added since the plan"));
    }
    reasons
}

/// What differs between the repositories a plan recorded and what plan says now, one line each.
pub fn moved_repos(saved: &SavedPlan, now: &[RepoPlan]) -> Vec<String> {
    let mut reasons = Vec::new();
    let current: BTreeMap<&str, &RepoPlan> = now.iter().map(|r| (r.account.as_str(), r)).collect();
    for s in &saved.repos {
        let Some(r) = current.get(s.account.as_str()) else {
            reasons.push(format!("{}: no longer selected", s.account));
            continue;
        };
        let short = |h: &Option<String>| {
            h.as_deref().map_or_else(
                || "no commit".to_string(),
                |h| h[..h.len().min(12)].to_string(),
            )
        };
        if r.head != s.head {
            let what = match (&s.head, &r.head) {
                (None, Some(_)) => format!("the branch {} was created", s.branch),
                (Some(_), None) => format!("the branch {} was removed", s.branch),
                _ => format!("the branch {} moved", s.branch),
            };
            reasons.push(format!(
                "{}: {what} since the plan (planned on {}, now {})",
                s.repo,
                short(&s.head),
                short(&r.head)
            ));
        } else if changes_digest(r) != s.changes_digest {
            reasons.push(format!(
                "{}: what apply would change differs from the plan (untracked files or the repository's files changed)",
                s.repo
            ));
        }
    }
    for r in now {
        if !saved.repos.iter().any(|s| s.account == r.account) {
            reasons.push(format!("{}: selected now but not in the plan", r.account));
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(inputs: Vec<Input>) -> SavedPlan {
        SavedPlan {
            kind: KIND.into(),
            format_version: FORMAT_VERSION,
            eksvend_version: env!("CARGO_PKG_VERSION").into(),
            arguments: Arguments {
                fleet: "fleet".into(),
                blueprints: Vec::new(),
                only: Vec::new(),
                shard: None,
                allow_empty: false,
                repos: "repos".into(),
            },
            inputs,
            repos: Vec::new(),
        }
    }

    fn input(path: &str, sha256: &str) -> Input {
        Input {
            path: path.into(),
            sha256: sha256.into(),
        }
    }

    #[test]
    fn every_moved_input_is_named() {
        let saved = plan(vec![
            input("a.yaml", "1"),
            input("b.yaml", "2"),
            input("c.yaml", "3"),
        ]);
        let now = [
            input("a.yaml", "1"),
            input("b.yaml", "9"),
            input("d.yaml", "4"),
        ];
        assert_eq!(
            moved_inputs(&saved, &now),
            [
                "b.yaml: changed since the plan",
                "c.yaml: removed since the plan",
                "d.yaml: added since the plan"
            ]
        );
        assert!(moved_inputs(&saved, &saved.inputs).is_empty());
    }

    #[test]
    fn another_version_refuses() {
        let mut saved = plan(Vec::new());
        saved.eksvend_version = "0.0.1".into();
        assert_eq!(moved_inputs(&saved, &[]).len(), 1);
    }
}
