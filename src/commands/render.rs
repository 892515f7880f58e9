//! `eksvend render --out DIR`: each selected account's tree as plain files, no git.

use std::path::Path;

use fs_err as fs;

use super::{render_selected, ExitStatus};
use crate::cli::{FleetArgs, SelectArgs};
use crate::error::Error;
use crate::output::Printer;
use crate::pipeline::Rendered;

pub(super) fn run(
    p: &Printer,
    f: &FleetArgs,
    s: &SelectArgs,
    out: &Path,
) -> Result<ExitStatus, Error> {
    let (rendered, _) = render_selected(p, f, s)?;
    // one account failing to write is reported and counted; the others are still written
    let mut status = ExitStatus::Success;
    for r in &rendered {
        let target = out.join(&r.spec.account.name);
        match write_tree(r, out) {
            Ok(n) => p.info(&format!("{}: {n} files", target.display())),
            Err(e) => {
                p.error(&format!("error: {}: {e}", target.display()));
                status = e.exit_status();
            }
        }
    }
    Ok(status)
}

/// Write one account's files into a temporary directory, then swap it in, so the account's
/// directory is either the old tree or the new one.
fn write_tree(r: &Rendered, out: &Path) -> Result<usize, Error> {
    let name = &r.spec.account.name;
    let target = out.join(name);
    let tmp = out.join(format!(".{name}.eksvend-tmp"));
    let old = out.join(format!(".{name}.eksvend-old"));
    for stale in [&tmp, &old] {
        if stale.exists() {
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
