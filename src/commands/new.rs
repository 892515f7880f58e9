//! `eksvend new NAME …`: add a WorkloadAccount to the inventory, validated before it is written.

use std::path::{Path, PathBuf};

use super::ExitStatus;
use crate::cli::NewArgs;
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::error::Error;
use crate::fleet::{load, validate};
use crate::output::Printer;
use crate::pipeline::{self, PipelineError};

pub(super) fn run(p: &Printer, a: &NewArgs) -> Result<ExitStatus, Error> {
    let dir = &a.fleet.fleet;
    if !dir.is_dir() {
        return Err(Error::NotAnInventoryDirectory {
            dir: dir.clone(),
            account: a.name.clone(),
        });
    }
    let target: PathBuf = dir.join("accounts").join(format!("{}.yaml", a.name));
    if target.exists() {
        return Err(Error::AccountExists { path: target });
    }
    let text = document(a)?;
    let mut inv = load::load(dir).map_err(PipelineError::Invalid)?;
    let catalog = pipeline::catalog_of(&inv, &a.fleet.blueprints)?;
    load::add_text(&mut inv, &target, &text)
        .map_err(|d| PipelineError::Invalid(at_flags(d, &target)))?;
    validate::validate(&inv, &catalog, dir)
        .map_err(|d| PipelineError::Invalid(at_flags(d, &target)))?;
    write_atomically(&target, &text)?;
    p.info(&format!("wrote {}", target.display()));
    p.info(&format!(
        "next: review it, add tenants and team repositories, then run\n  eksvend plan -f {fleet} --only account={name} --diff\n  eksvend apply -f {fleet} --only account={name}",
        fleet = dir.display(),
        name = a.name
    ));
    Ok(ExitStatus::Success)
}

/// The command-line flag each field of the new document comes from.
const FLAGS: &[(&str, &str)] = &[
    ("metadata.name", "NAME"),
    ("spec.accountId", "--account-id"),
    ("spec.team", "--team"),
    ("spec.environment", "--environment"),
    ("spec.region", "--region"),
    ("spec.network", "--network"),
    ("spec.blueprint", "--blueprint"),
    ("spec.identity", "--identity"),
];

/// Problems found in the document `eksvend new` would write, worded for the command line: a
/// field from a flag is reported at the flag (the file was never written, and advice for YAML,
/// such as quoting, does not apply to a flag); any other problem names the file to be written.
fn at_flags(diags: Diagnostics, target: &Path) -> Diagnostics {
    let not_written = PathBuf::from(format!("{} (not written)", target.display()));
    Diagnostics(
        diags
            .0
            .into_iter()
            .map(|d| {
                if d.location.file != target {
                    return d;
                }
                let flag = FLAGS
                    .iter()
                    .find(|(field, _)| {
                        d.field == *field || d.field.starts_with(&format!("{field}."))
                    })
                    .map(|(_, flag)| *flag);
                let message = d
                    .message
                    .replace(" (write it as a quoted string)", "")
                    .replace(" (quote it)", "");
                match flag {
                    Some(flag) => Diagnostic::new(Location::file(Path::new(flag)), "", message),
                    None => Diagnostic::new(Location::file(&not_written), d.field, message),
                }
            })
            .collect(),
    )
}

/// Write `text` to a temporary file beside `target`, then rename it into place.
fn write_atomically(target: &Path, text: &str) -> Result<(), Error> {
    if let Some(dir) = target.parent() {
        fs_err::create_dir_all(dir).map_err(Error::fs(dir))?;
    }
    let tmp = target.with_extension("yaml.tmp");
    fs_err::write(&tmp, text).map_err(Error::fs(&tmp))?;
    fs_err::rename(&tmp, target).map_err(Error::fs(&tmp))
}

/// The new document; every value is written as a quoted scalar, so no input can add keys.
fn document(a: &NewArgs) -> Result<String, Error> {
    let q = |s: &str| {
        serde_json::to_string(s).map_err(|source| Error::Serialize {
            what: "the new account",
            source,
        })
    };
    let identity = match &a.identity {
        Some(i) => format!("  identity: {}\n", q(i)?),
        None => String::new(), // the Fleet's default applies
    };
    Ok(format!(
        "# yaml-language-server: $schema=../eksvend.schema.json\n\
         # Written by `eksvend new`. Add tenants and team repositories, then `eksvend apply`.\n\
         apiVersion: eksvend.dev/v1alpha1\n\
         kind: WorkloadAccount\n\
         metadata:\n  name: {name}\n\
         spec:\n  accountId: {id}\n  team: {team}\n  environment: {env}\n  region: {region}\n  network: {network}\n  blueprint: {blueprint}\n{identity}\
         \x20 gitops:\n    repos: []\n\
         \x20 tenants: []\n",
        name = q(&a.name)?,
        id = q(&a.account_id)?,
        team = q(&a.team)?,
        env = q(&a.environment)?,
        region = q(&a.region)?,
        network = q(&a.network)?,
        blueprint = q(&a.blueprint)?,
    ))
}
