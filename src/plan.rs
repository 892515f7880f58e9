//! Plan stage: what applying a rendered tree would change in a repository, file by file.
//!
//! The rules (DESIGN.md, Regeneration): a file eksvend generated and nobody touched is replaced;
//! a person's edit is kept when the generator's output did not change; a file edited by a person
//! *and* changed by the generator is merged three ways (base = what eksvend generated last time,
//! read from the repository's object database; ours = the person's version; theirs = the new
//! rendering); a merge that does not resolve cleanly, or a file eksvend never generated standing
//! where it wants to write, is a conflict — nothing is overwritten silently. Files eksvend never
//! generated are never touched.

use std::collections::BTreeMap;

use crate::render::RenderedTree;
use crate::state::{State, STATE_PATH};

/// What happens to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// A new file.
    Add,
    /// An existing file eksvend generated gets the new rendering.
    Modify,
    /// Edited by a person and changed by the generator; merged cleanly.
    Merge,
    /// A file eksvend generated, untouched, that the blueprint no longer renders.
    Delete,
    /// A person's edit (or deletion) is kept; the generator's output did not change.
    KeepEdit,
    /// Dropped by the generator but edited by a person: kept, reported.
    KeepDropped,
    /// Needs a person: edits that do not merge, or a file eksvend did not generate.
    Conflict,
}

/// One file's change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// Repository-relative path.
    pub path: String,
    /// What happens.
    pub action: Action,
    /// Why, for merges, conflicts and kept edits.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// For conflicts: each conflicting hunk, with `<<<<<<<`/`>>>>>>>` markers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hunks: Vec<String>,
}

/// The plan for one repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Changes by path (unchanged files are not listed).
    pub changes: Vec<Change>,
    /// Content to write, by path (adds, modifies, merges, and the state file).
    pub writes: BTreeMap<String, String>,
    /// Paths to delete.
    pub deletes: Vec<String>,
    /// For conflicts: the file with conflict markers (like `git merge` leaves it).
    pub markers: BTreeMap<String, String>,
    /// For conflicts: the new rendering.
    pub theirs: BTreeMap<String, String>,
}

/// What to do with conflicts (`--on-conflict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Stop: write nothing to that repository (exit 3).
    #[default]
    Fail,
    /// Keep the person's version; record the new rendering as the base for next time.
    Keep,
    /// Replace with the new rendering.
    Overwrite,
    /// Commit nothing; leave the files with conflict markers in the worktree, like `git merge`.
    Markers,
}

impl Plan {
    /// True when a person must decide before anything is written.
    pub fn has_conflicts(&self) -> bool {
        self.changes.iter().any(|c| c.action == Action::Conflict)
    }

    /// True when applying would change the repository's tree.
    pub fn changes_tree(&self) -> bool {
        !self.writes.is_empty() || !self.deletes.is_empty()
    }

    /// Settle conflicts by `policy` (`Fail` and `Markers` leave them for the caller).
    pub fn resolve(&mut self, policy: OnConflict) {
        let reason = match policy {
            OnConflict::Keep => "conflict: kept the person's version (--on-conflict keep)",
            OnConflict::Overwrite => {
                "conflict: replaced by the new rendering (--on-conflict overwrite)"
            }
            OnConflict::Fail | OnConflict::Markers => return,
        };
        for c in self
            .changes
            .iter_mut()
            .filter(|c| c.action == Action::Conflict)
        {
            c.reason = reason.to_string();
            c.hunks.clear();
            if policy == OnConflict::Keep {
                c.action = Action::KeepEdit;
            } else if let Some(theirs) = self.theirs.get(&c.path) {
                c.action = Action::Modify;
                self.writes.insert(c.path.clone(), theirs.clone());
            }
        }
    }
}

/// The current content of a repository's branch: path → blob id.
pub type CurrentTree = BTreeMap<String, String>;

/// Reads a blob's content by id from the repository's object database.
pub type ReadBlob<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// Compare `tree` with the branch's current files and the state recorded there; `read` gives
/// blob contents for three-way merges.
pub fn plan(
    tree: &RenderedTree,
    current: &CurrentTree,
    previous: Option<&State>,
    read: ReadBlob<'_>,
) -> Plan {
    let mut plan = Plan::default();
    let recorded = |p: &str| previous.and_then(|s| s.files.get(p));
    for (path, file) in &tree.files {
        let new = file.blob_id().to_string();
        let cur = current.get(path);
        if cur == Some(&new) {
            continue;
        }
        if path == STATE_PATH {
            plan.writes.insert(path.clone(), file.content.clone());
            let action = if cur.is_some() {
                Action::Modify
            } else {
                Action::Add
            };
            plan.push(path, action, "eksvend's record of what it generated");
            continue;
        }
        let (action, reason) = match (cur, recorded(path)) {
            (None, None) => (Action::Add, ""),
            (None, Some(r)) if r.scaffold_once => (
                Action::KeepEdit,
                "scaffold-once file deleted by a person; not recreated",
            ),
            (None, Some(r)) if r.blob == new => (
                Action::KeepEdit,
                "deleted by a person; the generator's output is unchanged",
            ),
            (None, Some(_)) => (
                Action::Conflict,
                "deleted by a person, changed by the generator",
            ),
            (Some(_), Some(r)) if r.scaffold_once => {
                (Action::KeepEdit, "scaffold-once: owned by the team")
            }
            (Some(_), _) if file.scaffold_once => {
                (Action::KeepEdit, "scaffold-once: owned by the team")
            }
            (Some(c), Some(r)) if *c == r.blob => (Action::Modify, ""),
            (Some(_), Some(r)) if r.blob == new => (
                Action::KeepEdit,
                "edited by a person; the generator's output is unchanged",
            ),
            (Some(c), Some(r)) => {
                let (base, ours) = (read(&r.blob), read(c));
                return_merge(
                    &mut plan,
                    path,
                    base.as_deref(),
                    ours.as_deref(),
                    &file.content,
                );
                continue;
            }
            (Some(c), None) => {
                let ours = read(c);
                conflict(
                    &mut plan,
                    path,
                    None,
                    ours.as_deref(),
                    &file.content,
                    "the file exists but eksvend did not generate it",
                );
                continue;
            }
        };
        if matches!(action, Action::Add | Action::Modify) {
            plan.writes.insert(path.clone(), file.content.clone());
        }
        if action == Action::Conflict {
            plan.theirs.insert(path.clone(), file.content.clone());
            plan.markers.insert(path.clone(), file.content.clone());
        }
        plan.push(path, action, reason);
    }
    plan_dropped(&mut plan, tree, current, previous);
    plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    plan
}

impl Plan {
    fn push(&mut self, path: &str, action: Action, reason: &str) {
        self.changes.push(Change {
            path: path.to_string(),
            action,
            reason: reason.to_string(),
            hunks: Vec::new(),
        });
    }
}

/// Edited by a person and changed by the generator: merge three ways.
fn return_merge(
    plan: &mut Plan,
    path: &str,
    base: Option<&[u8]>,
    ours: Option<&[u8]>,
    theirs: &str,
) {
    match (base, ours) {
        (Some(base), Some(ours)) => match merge3(path, base, ours, theirs.as_bytes(), false) {
            Some(Merged::Clean(text)) => {
                plan.writes.insert(path.to_string(), text);
                plan.push(path, Action::Merge, "edited by a person and changed by the generator: merged");
            }
            Some(Merged::Conflicts(text)) => {
                let file = diff3(path, base, ours, theirs).unwrap_or_else(|| text.clone());
                conflict_with_markers(plan, path, &text, file, theirs, "edited by a person and changed by the generator");
            }
            None => conflict(plan, path, Some(base), Some(ours), theirs, "edited by a person and changed by the generator (not a text file)"),
        },
        _ => conflict(plan, path, base, ours, theirs, "edited by a person and changed by the generator (the previous rendering is not in the repository)"),
    }
}

/// A conflict that a two-way "merge" (no common base) describes.
fn conflict(
    plan: &mut Plan,
    path: &str,
    base: Option<&[u8]>,
    ours: Option<&[u8]>,
    theirs: &str,
    reason: &str,
) {
    // A missing side merges as empty: without a base (eksvend never generated the file, or its
    // previous rendering is gone) this is a two-way comparison; without `ours` (its blob is
    // unreadable) the markers show only eksvend's side. Either way it stays a conflict, so
    // nothing is committed, and the person's version stays in the branch.
    let empty: &[u8] = &[];
    let (base, ours) = (base.unwrap_or(empty), ours.unwrap_or(empty));
    let markers = match merge3(path, base, ours, theirs.as_bytes(), false) {
        Some(Merged::Conflicts(t) | Merged::Clean(t)) => t,
        None => theirs.to_string(),
    };
    let file = diff3(path, base, ours, theirs).unwrap_or_else(|| markers.clone());
    conflict_with_markers(plan, path, &markers, file, theirs, reason);
}

/// The file `--on-conflict markers` leaves: diff3 style, with the base between the sides.
fn diff3(path: &str, base: &[u8], ours: &[u8], theirs: &str) -> Option<String> {
    match merge3(path, base, ours, theirs.as_bytes(), true)? {
        Merged::Clean(t) | Merged::Conflicts(t) => Some(t),
    }
}

/// A conflict: `markers` (the `git merge` style) gives the reported hunks, `file` is what
/// `--on-conflict markers` writes.
fn conflict_with_markers(
    plan: &mut Plan,
    path: &str,
    markers: &str,
    file: String,
    theirs: &str,
    reason: &str,
) {
    plan.changes.push(Change {
        path: path.to_string(),
        action: Action::Conflict,
        reason: reason.to_string(),
        hunks: hunks(markers),
    });
    plan.markers.insert(path.to_string(), file);
    plan.theirs.insert(path.to_string(), theirs.to_string());
}

/// Files eksvend generated before that the blueprint no longer renders.
fn plan_dropped(
    plan: &mut Plan,
    tree: &RenderedTree,
    current: &CurrentTree,
    previous: Option<&State>,
) {
    for (path, rec) in previous.map(|s| &s.files).into_iter().flatten() {
        if tree.files.contains_key(path) {
            continue;
        }
        match current.get(path) {
            None => {}
            Some(c) if *c == rec.blob && !rec.scaffold_once => {
                plan.deletes.push(path.clone());
                plan.push(path, Action::Delete, "");
            }
            Some(_) => plan.push(
                path,
                Action::KeepDropped,
                "no longer generated, but edited by a person (or scaffold-once): kept",
            ),
        }
    }
}

enum Merged {
    Clean(String),
    Conflicts(String),
}

/// libgit2's three-way file merge (`diff3`: conflicts show the base too); `None` for content
/// that is not UTF-8 text.
fn merge3(path: &str, base: &[u8], ours: &[u8], theirs: &[u8], diff3: bool) -> Option<Merged> {
    let input = |content| {
        let mut i = git2::MergeFileInput::new();
        i.content(content).path(path);
        i
    };
    let mut opts = git2::MergeFileOptions::new();
    opts.ancestor_label("eksvend (previous)")
        .our_label("yours")
        .their_label("eksvend (new)")
        .style_diff3(diff3);
    let result =
        git2::merge_file(&input(base), &input(ours), &input(theirs), Some(&mut opts)).ok()?;
    let text = String::from_utf8(result.content().to_vec()).ok()?;
    Some(if result.is_automergeable() {
        Merged::Clean(text)
    } else {
        Merged::Conflicts(text)
    })
}

/// The conflicting regions of a file with markers.
fn hunks(markers: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markers.lines() {
        if line.starts_with("<<<<<<< ") {
            current = Some(String::new());
        }
        if let Some(h) = current.as_mut() {
            h.push_str(line);
            h.push('\n');
        }
        if line.starts_with(">>>>>>> ") {
            out.extend(current.take());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::RenderedFile;
    use crate::state::{blob_id, FileState};

    fn tree(files: &[(&str, &str)]) -> RenderedTree {
        RenderedTree {
            account: "a".into(),
            files: files
                .iter()
                .map(|(p, c)| (p.to_string(), RenderedFile::new(c.to_string(), None, false)))
                .collect(),
        }
    }

    fn state(files: &[(&str, &str)]) -> State {
        State {
            api_version: String::new(),
            kind: String::new(),
            metadata: crate::state::StateMetadata::default(),
            version: 1,
            generator: String::new(),
            blueprint: String::new(),
            inventory_digest: String::new(),
            files: files
                .iter()
                .map(|(p, c)| {
                    (
                        p.to_string(),
                        FileState {
                            blob: blob_id(c.as_bytes()),
                            scaffold_once: false,
                        },
                    )
                })
                .collect(),
        }
    }

    fn current(files: &[(&str, &str)]) -> CurrentTree {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), blob_id(c.as_bytes())))
            .collect()
    }

    fn action(p: &Plan, path: &str) -> Option<Action> {
        p.changes.iter().find(|c| c.path == path).map(|c| c.action)
    }

    #[test]
    fn edits_by_both_merge_or_conflict_with_hunks() {
        let base = "a\nb\nc\nd\ne\n";
        let prev = state(&[("merge", base), ("clash", base)]);
        let cur = current(&[
            ("merge", "A\nb\nc\nd\ne\n"),
            ("clash", "a\nb\nPERSON\nd\ne\n"),
        ]);
        let new = tree(&[
            ("merge", "a\nb\nc\nd\nE\n"),
            ("clash", "a\nb\nEKSVEND\nd\ne\n"),
        ]);
        let blobs: BTreeMap<String, Vec<u8>> = [base, "A\nb\nc\nd\ne\n", "a\nb\nPERSON\nd\ne\n"]
            .iter()
            .map(|c| (blob_id(c.as_bytes()), c.as_bytes().to_vec()))
            .collect();
        let mut p = plan(&new, &cur, Some(&prev), &|id| blobs.get(id).cloned());
        assert_eq!(action(&p, "merge"), Some(Action::Merge));
        assert_eq!(p.writes["merge"], "A\nb\nc\nd\nE\n");
        assert_eq!(action(&p, "clash"), Some(Action::Conflict));
        let hunk = &p.changes.iter().find(|c| c.path == "clash").unwrap().hunks[0];
        assert!(
            hunk.contains("<<<<<<< yours\nPERSON\n=======\nEKSVEND\n>>>>>>> eksvend (new)"),
            "{hunk}"
        );
        assert!(
            p.markers["clash"].starts_with(
                "a\nb\n<<<<<<< yours\nPERSON\n||||||| eksvend (previous)\nc\n=======\nEKSVEND\n>>>>>>> eksvend (new)\n"
            ),
            "{}",
            p.markers["clash"]
        );
        let mut keep = p.clone();
        keep.resolve(OnConflict::Keep);
        assert_eq!(action(&keep, "clash"), Some(Action::KeepEdit));
        assert!(!keep.writes.contains_key("clash"));
        p.resolve(OnConflict::Overwrite);
        assert_eq!(p.writes["clash"], "a\nb\nEKSVEND\nd\ne\n");
    }

    #[test]
    fn update_rules() {
        let prev = state(&[
            ("same", "1"),
            ("untouched", "1"),
            ("edited", "1"),
            ("both", "1"),
            ("dropped", "1"),
            ("dropped-edited", "1"),
        ]);
        let cur = current(&[
            ("same", "1"),
            ("untouched", "1"),
            ("edited", "person"),
            ("both", "person"),
            ("dropped", "1"),
            ("dropped-edited", "person"),
            ("theirs", "x"),
            ("clash", "y"),
        ]);
        let new = tree(&[
            ("same", "1"),
            ("untouched", "2"),
            ("edited", "1"),
            ("both", "2"),
            ("added", "n"),
            ("clash", "z"),
        ]);
        let blobs: BTreeMap<String, Vec<u8>> = ["1", "2", "person"]
            .iter()
            .map(|c| (blob_id(c.as_bytes()), c.as_bytes().to_vec()))
            .collect();
        let p = plan(&new, &cur, Some(&prev), &|id| blobs.get(id).cloned());
        assert_eq!(action(&p, "same"), None);
        assert_eq!(action(&p, "untouched"), Some(Action::Modify));
        assert_eq!(action(&p, "edited"), Some(Action::KeepEdit));
        assert_eq!(action(&p, "both"), Some(Action::Conflict));
        assert_eq!(action(&p, "added"), Some(Action::Add));
        assert_eq!(action(&p, "dropped"), Some(Action::Delete));
        assert_eq!(action(&p, "dropped-edited"), Some(Action::KeepDropped));
        assert_eq!(action(&p, "theirs"), None);
        assert_eq!(action(&p, "clash"), Some(Action::Conflict));
        assert!(p.has_conflicts());
        assert_eq!(p.deletes, vec!["dropped".to_string()]);
        assert!(!p.writes.contains_key("edited"));
    }
}
