//! `eksvend render --out DIR`: each account's tree as plain files, no git.

use std::fs;
use std::path::Path;

use super::{report, ExitStatus};
use crate::blueprint::catalog::Catalog;
use crate::pipeline::{self, Rendered};

pub(super) fn run(fleet: &Path, out: &Path, catalog: &Catalog) -> ExitStatus {
    let rendered = match pipeline::render_fleet(fleet, catalog, |_| true) {
        Ok(r) => r,
        Err(e) => {
            report(&e);
            return ExitStatus::Failure;
        }
    };
    let mut status = ExitStatus::Success;
    for r in &rendered {
        match write_tree(r, out) {
            Ok(n) => println!("{}: {n} files", out.join(&r.spec.account.name).display()),
            Err(e) => {
                eprintln!("error: {}: {e}", out.join(&r.spec.account.name).display());
                status = ExitStatus::Failure;
            }
        }
    }
    status
}

/// Write one account's files into a temporary directory, then swap it in, so the account's
/// directory is either the old tree or the new one.
fn write_tree(r: &Rendered, out: &Path) -> std::io::Result<usize> {
    let name = &r.spec.account.name;
    let target = out.join(name);
    let tmp = out.join(format!(".{name}.eksvend-tmp"));
    let old = out.join(format!(".{name}.eksvend-old"));
    for stale in [&tmp, &old] {
        if stale.exists() {
            fs::remove_dir_all(stale)?;
        }
    }
    for (path, file) in &r.tree.files {
        let p = tmp.join(path);
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&p, &file.content)?;
    }
    if target.exists() {
        fs::rename(&target, &old)?;
    }
    fs::rename(&tmp, &target)?;
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    Ok(r.tree.files.len())
}
