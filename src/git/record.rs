//! The update record `.git/eksvend-update`: written before eksvend moves a checked-out branch,
//! removed once the worktree and index follow. A record found by the next run is the only sign
//! of an interrupted update; file contents are never guessed at.
//!
//! The rendering record `.git/eksvend-rendered`: the branch tip an apply left holding the
//! rendering of a digest (see `pipeline::Prepared::digest`), so that the next apply with the
//! same digest can report the repository unchanged without rendering. It is local (never
//! committed, pushed or cloned) and only a cache: absent, unreadable or naming another tip, it
//! counts as none.

use std::path::PathBuf;

use git2::{Oid, Repository};

/// An update in progress: `branch` (a full ref name) moves from `old` (none: created) to `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The branch's full ref name.
    pub branch: String,
    /// Where it pointed before (`None`: it did not exist).
    pub old: Option<Oid>,
    /// Where it is moved to.
    pub new: Oid,
}

fn path(repo: &Repository) -> PathBuf {
    repo.path().join("eksvend-update")
}

/// Write the record (atomically: temporary file + rename).
pub fn write(repo: &Repository, update: &Update) -> std::io::Result<()> {
    let old = update
        .old
        .map_or_else(|| "none".to_string(), |o| o.to_string());
    let text = format!("branch {}\nold {old}\nnew {}\n", update.branch, update.new);
    write_replacing(&path(repo), &text)
}

/// Write `text` to `file` through a temporary file beside it and a rename.
fn write_replacing(file: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = file.with_extension("tmp");
    fs_err::write(&tmp, text)?;
    fs_err::rename(&tmp, file)
}

/// The value of the line `KEY value` of a record.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
        .map(str::to_string)
}

/// The record a previous run left, if any (an unreadable record counts as none).
pub fn read(repo: &Repository) -> Option<Update> {
    let text = std::fs::read_to_string(path(repo)).ok()?;
    let field = |key: &str| field(&text, key);
    let old = match field("old")?.as_str() {
        "none" => None,
        id => Some(Oid::from_str(id).ok()?),
    };
    Some(Update {
        branch: field("branch")?,
        old,
        new: Oid::from_str(&field("new")?).ok()?,
    })
}

/// Remove the record (already gone is fine).
pub fn remove(repo: &Repository) {
    let _ = std::fs::remove_file(path(repo));
}

/// What the rendering record says: `branch` (a full ref name) was left at `tip` holding the
/// rendering whose digest is `digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The branch's full ref name.
    pub branch: String,
    /// The commit the branch pointed at.
    pub tip: Oid,
    /// The digest of the rendering it holds.
    pub digest: String,
    /// The checksum of the index file (its trailing hash) when the branch was checked out and
    /// the index held exactly its tree: while the index keeps that checksum, it still does.
    pub index: Option<String>,
}

fn rendered_path(repo: &Repository) -> PathBuf {
    repo.path().join("eksvend-rendered")
}

/// Write the rendering record (atomically: temporary file + rename).
pub fn write_rendered(repo: &Repository, rendered: &Rendered) -> std::io::Result<()> {
    let mut text = format!(
        "branch {}\ntip {}\ndigest {}\n",
        rendered.branch, rendered.tip, rendered.digest
    );
    if let Some(index) = &rendered.index {
        text.push_str(&format!("index {index}\n"));
    }
    write_replacing(&rendered_path(repo), &text)
}

/// The rendering record, if there is a readable one.
pub fn read_rendered(repo: &Repository) -> Option<Rendered> {
    let text = std::fs::read_to_string(rendered_path(repo)).ok()?;
    let field = |key: &str| field(&text, key);
    Some(Rendered {
        branch: field("branch")?,
        tip: Oid::from_str(&field("tip")?).ok()?,
        digest: field("digest")?,
        index: field("index"),
    })
}
