//! `eksvend render --out DIR`: each selected account's tree as plain files, no git.
//!
//! DIR is eksvend's own: it must be empty or missing, or hold the marker file
//! [`RENDER_MARKER`] that an earlier `render --out` wrote. Each account's folder in it is
//! replaced whole; a folder holding a `.git` is never replaced (that is `apply`'s job).

use std::path::Path;

use fs_err as fs;

use rayon::prelude::*;

use super::{prepare_selected, ExitStatus};
use crate::cli::{FleetArgs, SelectArgs};
use crate::error::Error;
use crate::fleet::load::RENDER_MARKER;
use crate::output::Printer;
use crate::pipeline::Rendered;

const MARKER_TEXT: &str = "This folder was written by `eksvend render --out`; each account folder in it is replaced on every render.\nDo not keep anything here: use `eksvend apply` for repositories.\n";

pub(super) fn run(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
    out: &Path,
) -> Result<ExitStatus, Error> {
    check_out_dir(out)?;
    let (prepared, _) = prepare_selected(p, f, s)?;
    if prepared.accounts.is_empty() {
        return Ok(ExitStatus::Success); // an empty selection allowed on purpose writes nothing
    }
    for spec in &prepared.accounts {
        check_account_dir(&out.join(&spec.account.name))?;
    }
    fs::create_dir_all(out).map_err(Error::fs(out))?;
    let marker = out.join(RENDER_MARKER);
    if !marker.is_file() {
        fs::write(&marker, MARKER_TEXT).map_err(Error::fs(&marker))?;
    }
    // each account is rendered, written and dropped in turn; one failing is reported and
    // counted, the others are still written
    let results: Vec<Result<usize, Error>> = prepared
        .accounts
        .par_iter()
        .map(|spec| write_tree(&prepared.render(spec)?, out))
        .collect();
    let mut status = ExitStatus::Success;
    for (spec, result) in prepared.accounts.iter().zip(results) {
        let target = out.join(&spec.account.name);
        match result {
            Ok(n) => p.info(&format!("{}: {n} files", target.display())),
            Err(e) => {
                p.error(&format!("error: {}: {e}", target.display()));
                status = e.exit_status();
            }
        }
    }
    Ok(status)
}

/// `out` is missing, an empty folder, or a folder `render --out` wrote before.
fn check_out_dir(out: &Path) -> Result<(), Error> {
    let refuse = |reason: String| Error::OutNotOurs {
        dir: out.to_path_buf(),
        reason,
    };
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::fs(out)(e)),
    };
    if !meta.is_dir() {
        return Err(refuse(
            "is not a folder (a file or a symlink); pass --out a new or empty folder".to_string(),
        ));
    }
    if out.join(RENDER_MARKER).is_file() {
        return Ok(());
    }
    let mut names: Vec<String> = fs::read_dir(out)
        .map_err(Error::fs(out))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let shown = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    let more = if names.len() > 3 { ", …" } else { "" };
    Err(refuse(format!(
        "holds files that `eksvend render` did not write ({shown}{more}); it writes only into a new or empty folder, or one it wrote before (it holds {RENDER_MARKER}); pass another --out, or use `eksvend apply --repos` for repositories"
    )))
}

/// An account's folder is replaced whole: never when it is a repository or a symlink.
fn check_account_dir(target: &Path) -> Result<(), Error> {
    let Ok(meta) = std::fs::symlink_metadata(target) else {
        return Ok(());
    };
    let reason = if !meta.is_dir() {
        "is not a folder (a file or a symlink); remove it or pass another --out"
    } else if target.join(".git").symlink_metadata().is_ok() {
        "holds a .git: `render --out` never replaces a repository; use `eksvend apply --repos` for repositories, or pass another --out"
    } else {
        return Ok(());
    };
    Err(Error::OutNotOurs {
        dir: target.to_path_buf(),
        reason: reason.to_string(),
    })
}

/// Write one account's files into a temporary directory, then swap it in, so the account's
/// directory is either the old tree or the new one.
fn write_tree(r: &Rendered, out: &Path) -> Result<usize, Error> {
    let name = &r.spec.account.name;
    let target = out.join(name);
    let tmp = out.join(format!(".{name}.eksvend-tmp"));
    let old = out.join(format!(".{name}.eksvend-old"));
    for stale in [&tmp, &old] {
        if stale.symlink_metadata().is_ok() {
            fs::remove_dir_all(stale).map_err(Error::fs(stale))?;
        }
    }
    for (path, file) in &r.tree.files {
        let p = tmp.join(path);
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir).map_err(Error::fs(dir))?;
        }
        fs::write(&p, &file.content).map_err(Error::fs(&p))?;
    }
    if target.exists() {
        fs::rename(&target, &old).map_err(Error::fs(&target))?;
    }
    fs::rename(&tmp, &target).map_err(Error::fs(&tmp))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(Error::fs(&old))?;
    }
    Ok(r.tree.files.len())
}
