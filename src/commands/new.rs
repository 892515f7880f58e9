//! `eksvend new NAME …`: add a WorkloadAccount to the inventory, validated before it is written.

use std::path::PathBuf;

use super::{report, ExitStatus};
use crate::cli::NewArgs;
use crate::fleet::{load, validate};
use crate::output::Printer;
use crate::pipeline::{self, PipelineError};

pub(super) fn run(p: &Printer, a: &NewArgs) -> ExitStatus {
    let dir = &a.fleet.fleet;
    if !dir.is_dir() {
        p.error(&format!(
            "error: {}: `eksvend new` adds accounts/{}.yaml to an inventory directory; pass one with -f/--fleet (or run `eksvend init` first)",
            dir.display(),
            a.name
        ));
        return ExitStatus::Failure;
    }
    let target: PathBuf = dir.join("accounts").join(format!("{}.yaml", a.name));
    if target.exists() {
        p.error(&format!(
            "error: {}: already exists; nothing was written",
            target.display()
        ));
        return ExitStatus::Failure;
    }
    let text = document(a);
    let checked = load::load(dir)
        .map_err(PipelineError::Invalid)
        .and_then(|mut inv| {
            let catalog = pipeline::catalog_of(&inv, &a.fleet.blueprints)?;
            load::add_text(&mut inv, &target, &text).map_err(PipelineError::Invalid)?;
            validate::validate(&inv, &catalog, dir).map_err(PipelineError::Invalid)
        });
    if let Err(e) = checked {
        return report(p, &e);
    }
    let written = std::fs::create_dir_all(target.parent().unwrap_or(dir)).and_then(|()| {
        let tmp = target.with_extension("yaml.tmp");
        std::fs::write(&tmp, &text)?;
        std::fs::rename(&tmp, &target)
    });
    if let Err(e) = written {
        p.error(&format!("error: {}: {e}", target.display()));
        return ExitStatus::Failure;
    }
    p.info(&format!("wrote {}", target.display()));
    p.info(&format!(
        "next: review it, add tenants and team repositories, then run\n  eksvend plan -f {fleet} --only account={name} --diff\n  eksvend apply -f {fleet} --only account={name}",
        fleet = dir.display(),
        name = a.name
    ));
    ExitStatus::Success
}

/// The new document; every value is written as a quoted scalar, so no input can add keys.
fn document(a: &NewArgs) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let identity = a
        .identity
        .as_ref()
        .map(|i| format!("  identity: {}\n", q(i)))
        .unwrap_or_default();
    format!(
        "# yaml-language-server: $schema=../eksvend.schema.json\n\
         # Written by `eksvend new`. Add tenants and team repositories, then `eksvend apply`.\n\
         apiVersion: eksvend.dev/v1alpha1\n\
         kind: WorkloadAccount\n\
         metadata:\n  name: {name}\n\
         spec:\n  accountId: {id}\n  team: {team}\n  environment: {env}\n  region: {region}\n  network: {network}\n  blueprint: {blueprint}\n{identity}\
         \x20 gitops:\n    repos: []\n\
         \x20 tenants: []\n",
        name = q(&a.name),
        id = q(&a.account_id),
        team = q(&a.team),
        env = q(&a.environment),
        region = q(&a.region),
        network = q(&a.network),
        blueprint = q(&a.blueprint),
    )
}
