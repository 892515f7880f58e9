//! Commit messages that say what changed: the subject names the blueprint version change
//! (`general 1.0.0 → 1.1.0`), the inventory changes eksvend can tell (Kubernetes version,
//! tenants added or removed) or, when no generated file changed, why a commit is made at all;
//! the body lists the files added, updated, merged, deleted and kept; the trailers name the
//! inputs the branch now holds.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use git2::{Commit, Oid};

use crate::pipeline::Rendered;
use crate::plan::{Action, Plan};
use crate::resolve::ClusterSpec;
use crate::state::{State, STATE_PATH};

/// How many commits back the newest eksvend commit is looked for.
const SEARCH_DEPTH: usize = 1000;

/// How many files the body lists; the rest are counted.
const LISTED_FILES: usize = 60;

/// The trailers eksvend writes, read back from a commit message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers {
    /// `Eksvend-Blueprint`.
    pub blueprint: Option<String>,
    /// `Eksvend-Inventory-Digest`.
    pub digest: Option<String>,
    /// `Eksvend-Kubernetes-Version`.
    pub kubernetes: Option<String>,
}

impl Trailers {
    /// The trailers of `message` (the last value of each key wins).
    pub fn parse(message: &str) -> Trailers {
        let mut t = Trailers::default();
        for line in message.lines() {
            if let Some((key, value)) = line.split_once(": ") {
                let value = Some(value.trim().to_string());
                match key {
                    "Eksvend-Blueprint" => t.blueprint = value,
                    "Eksvend-Inventory-Digest" => t.digest = value,
                    "Eksvend-Kubernetes-Version" => t.kubernetes = value,
                    _ => {}
                }
            }
        }
        t
    }
}

/// The newest commit eksvend made on the branch whose tip is `tip` (following first parents).
#[derive(Debug, Clone)]
pub struct LastCommit {
    /// Its id.
    pub id: Oid,
    /// Its trailers.
    pub trailers: Trailers,
    /// True when it is the tip itself (nobody committed since).
    pub is_tip: bool,
}

/// Find the newest eksvend commit from `tip` back.
pub fn last_eksvend_commit(tip: Option<&Commit<'_>>) -> Option<LastCommit> {
    let mut commit = tip?.clone();
    for depth in 0..SEARCH_DEPTH {
        let trailers = Trailers::parse(commit.message().unwrap_or(""));
        if trailers.digest.is_some() {
            return Some(LastCommit {
                id: commit.id(),
                trailers,
                is_tip: depth == 0,
            });
        }
        commit = commit.parent(0).ok()?;
    }
    None
}

/// `general@1.1.0` → (`general`, `1.1.0`).
fn split_id(id: &str) -> (&str, &str) {
    id.split_once('@').unwrap_or((id, ""))
}

/// The tenant namespaces a state records (`tenants/<namespace>/…`).
fn tenants_of(state: &State) -> BTreeSet<String> {
    state
        .files
        .keys()
        .filter_map(|p| p.strip_prefix("tenants/"))
        .filter_map(|rest| rest.split_once('/').map(|(ns, _)| ns.to_string()))
        .collect()
}

/// What changed in the inputs, for the subject and the body.
struct Changes {
    /// Short phrases for the subject.
    subject: Vec<String>,
    /// `Key: value` lines for the body.
    body: Vec<String>,
}

fn input_changes(r: &Rendered, previous: &State, last: Option<&LastCommit>) -> Changes {
    let mut c = Changes {
        subject: Vec::new(),
        body: Vec::new(),
    };
    let new_bp = r.spec.blueprint.id.as_str();
    if previous.blueprint != new_bp {
        let ((old_name, old_v), (new_name, new_v)) =
            (split_id(&previous.blueprint), split_id(new_bp));
        let phrase = if old_name == new_name {
            format!("{new_name} {old_v} → {new_v}")
        } else {
            format!("blueprint {} → {new_bp}", previous.blueprint)
        };
        c.body.push(format!("Blueprint: {phrase}"));
        c.subject.push(phrase);
    }
    let new_k8s = r.spec.cluster.kubernetes_version.as_str();
    if let Some(old) = last.and_then(|l| l.trailers.kubernetes.as_deref()) {
        if old != new_k8s {
            let phrase = format!("Kubernetes {old} → {new_k8s}");
            c.body
                .push(format!("Kubernetes version: {old} → {new_k8s}"));
            c.subject.push(phrase);
        }
    }
    let before = tenants_of(previous);
    let after: BTreeSet<String> = r.spec.tenants.iter().map(|t| t.namespace.clone()).collect();
    let added: Vec<&String> = after.difference(&before).collect();
    let removed: Vec<&String> = before.difference(&after).collect();
    let plural = |n: usize| if n == 1 { "tenant" } else { "tenants" };
    if !added.is_empty() {
        let names = join(&added);
        c.subject
            .push(format!("{} {names} added", plural(added.len())));
        c.body.push(format!("Tenants added: {names}"));
    }
    if !removed.is_empty() {
        let names = join(&removed);
        c.subject
            .push(format!("{} {names} removed", plural(removed.len())));
        c.body.push(format!("Tenants removed: {names}"));
    }
    if previous.inventory_digest != r.spec.inventory_digest {
        c.body.push(format!(
            "Inventory digest: {} → {}",
            previous.inventory_digest, r.spec.inventory_digest
        ));
        if c.subject.is_empty() {
            c.subject.push("inventory changed".to_string());
        }
    }
    let generator = format!("eksvend {}", env!("CARGO_PKG_VERSION"));
    if previous.generator != generator {
        c.body
            .push(format!("Generator: {} → {generator}", previous.generator));
        if c.subject.is_empty() {
            c.subject
                .push(format!("{} → {generator}", previous.generator));
        }
    }
    c
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn verb(a: Action) -> &'static str {
    match a {
        Action::Add => "added",
        Action::Modify => "updated",
        Action::Merge => "merged",
        Action::Delete => "deleted",
        Action::KeepEdit | Action::KeepDropped => "kept",
        Action::Conflict => "conflict",
    }
}

/// The files of `plan`, one line each (the state file is left out: every commit has it).
fn file_lines(plan: &Plan) -> Vec<String> {
    let mut files: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.path != STATE_PATH)
        .collect();
    files.sort_by(|a, b| (a.action, &a.path).cmp(&(b.action, &b.path)));
    let mut lines: Vec<String> = files
        .iter()
        .take(LISTED_FILES)
        .map(|c| {
            let reason = match c.action {
                Action::Add | Action::Delete => String::new(),
                _ if c.reason.is_empty() => String::new(),
                _ => format!(" ({})", c.reason),
            };
            format!("  {:<8} {}{reason}", verb(c.action), c.path)
        })
        .collect();
    if files.len() > LISTED_FILES {
        lines.push(format!("  … and {} more", files.len() - LISTED_FILES));
    }
    lines
}

/// Why this commit is made when the plan changes no generated file.
enum Kind {
    /// Files change (or the repository is new).
    Files,
    /// Only `.eksvend/state.yaml` changes.
    StateOnly,
    /// Nothing changes, but the newest eksvend commit's trailers are stale.
    TrailersOnly(Oid),
}

fn kind(plan: &Plan, last: Option<&LastCommit>, r: &Rendered) -> Kind {
    let files_change = plan
        .writes
        .keys()
        .chain(plan.deletes.iter())
        .any(|p| p != STATE_PATH);
    if files_change {
        return Kind::Files;
    }
    if plan.writes.contains_key(STATE_PATH) {
        return Kind::StateOnly;
    }
    match last {
        Some(l) if trailers_stale(l, &r.spec) => Kind::TrailersOnly(l.id),
        _ => Kind::Files,
    }
}

/// True when `last` lies behind a person's commits and names other inputs than `spec`'s: the
/// next apply records the current trailers even if no file changes.
pub fn trailers_stale(last: &LastCommit, spec: &ClusterSpec) -> bool {
    !last.is_tip
        && (last.trailers.blueprint.as_deref() != Some(spec.blueprint.id.as_str())
            || last.trailers.digest.as_deref() != Some(spec.inventory_digest.as_str()))
}

/// True when a commit is due even though the tree does not change: the branch's newest
/// eksvend commit lies behind a person's commits (a resolved conflict) and names other inputs.
pub fn needs_trailer_commit(plan: &Plan, last: Option<&LastCommit>, r: &Rendered) -> bool {
    matches!(kind(plan, last, r), Kind::TrailersOnly(_))
}

/// The commit message for applying `plan` to a branch whose recorded state is `previous` and
/// whose newest eksvend commit is `last`.
pub fn commit_message(
    r: &Rendered,
    previous: Option<&State>,
    last: Option<&LastCommit>,
    plan: &Plan,
) -> String {
    let account = &r.spec.account.name;
    let bp = r.spec.blueprint.id.as_str();
    let (bp_name, bp_version) = split_id(bp);
    let mut body = String::new();
    let subject = match previous {
        None => format!("eksvend: vend {account} ({bp_name} {bp_version})"),
        Some(prev) => {
            let changes = input_changes(r, prev, last);
            for line in &changes.body {
                let _ = writeln!(body, "{line}");
            }
            let what = match kind(plan, last, r) {
                Kind::Files if changes.subject.is_empty() => {
                    let n = plan.changes.iter().filter(|c| c.path != STATE_PATH).count();
                    format!("{n} file{} regenerated", if n == 1 { "" } else { "s" })
                }
                Kind::Files => changes.subject.join(", "),
                Kind::StateOnly => {
                    if !body.is_empty() {
                        body.push('\n');
                    }
                    body.push_str(
                        "No generated file changed: the account's resolved inputs changed in a\n\
                         way that renders the same files (an edit elsewhere in the inventory, e.g.\n\
                         of the Fleet document or of another account). This commit only updates\n\
                         .eksvend/state.yaml, so that it and the trailers name the inputs this\n\
                         repository was rendered from.\n",
                    );
                    format!("{}; no generated file changed", changes.subject.join(", "))
                }
                Kind::TrailersOnly(id) => {
                    let short = id.to_string();
                    let _ = write!(
                        body,
                        "{}No file changes. The newest eksvend commit of this branch, {}, names\n\
                         other inputs than the branch now holds: the commits after it (a resolved\n\
                         conflict, for example) carry no eksvend trailers. This empty commit\n\
                         records the blueprint and inventory of the branch's current files.\n",
                        if body.is_empty() { "" } else { "\n" },
                        &short[..12]
                    );
                    format!("record {bp} in the trailers")
                }
            };
            format!("eksvend: {account}: {what}")
        }
    };
    let files = file_lines(plan);
    if !files.is_empty() {
        if !body.is_empty() {
            body.push('\n');
        }
        let _ = writeln!(body, "Files:");
        for line in files {
            let _ = writeln!(body, "{line}");
        }
    }
    if !body.is_empty() {
        body.push('\n');
    }
    let _ = writeln!(
        body,
        "Rendered by eksvend from the fleet inventory for account {account}\n({}, cluster {}).",
        r.spec.account.id, r.spec.cluster.name
    );
    format!(
        "{subject}\n\n{body}\nEksvend-Blueprint: {bp}\nEksvend-Inventory-Digest: {}\nEksvend-Kubernetes-Version: {}\nEksvend-Version: {}\n",
        r.spec.inventory_digest,
        r.spec.cluster.kubernetes_version,
        env!("CARGO_PKG_VERSION"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_are_read_back() {
        let t = Trailers::parse(
            "eksvend: x\n\nbody: not a trailer\n\nEksvend-Blueprint: general@1.1.0\nEksvend-Inventory-Digest: sha256:ab\nEksvend-Kubernetes-Version: 1.32\nEksvend-Version: 0.1.0\n",
        );
        assert_eq!(t.blueprint.as_deref(), Some("general@1.1.0"));
        assert_eq!(t.digest.as_deref(), Some("sha256:ab"));
        assert_eq!(t.kubernetes.as_deref(), Some("1.32"));
        assert_eq!(Trailers::parse("a person's commit\n"), Trailers::default());
    }

    #[test]
    fn ids_split_into_name_and_version() {
        assert_eq!(split_id("general@1.1.0"), ("general", "1.1.0"));
        assert_eq!(split_id("general"), ("general", ""));
    }
}
