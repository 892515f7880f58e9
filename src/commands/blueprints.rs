//! `eksvend blueprints list | show NAME`: what the catalog offers.

use std::fmt::Write as _;

use super::ExitStatus;
use crate::blueprint::catalog::Catalog;
use crate::blueprint::Blueprint;
use crate::cli::BlueprintsCommand;
use crate::error::Error;
use crate::output::Printer;
use crate::pipeline::{self, PipelineError};

pub(super) fn run(p: &Printer, cmd: BlueprintsCommand) -> Result<ExitStatus, Error> {
    let args = match &cmd {
        BlueprintsCommand::List { catalog } | BlueprintsCommand::Show { catalog, .. } => {
            catalog.clone()
        }
    };
    let catalog = match &args.fleet {
        Some(fleet) => pipeline::catalog_for(fleet, &args.blueprints)?,
        None => Catalog::load(&args.blueprints).map_err(PipelineError::Invalid)?,
    };
    match cmd {
        BlueprintsCommand::List { .. } => p.data(list(&catalog).trim_end()),
        BlueprintsCommand::Show { name, .. } => {
            let bp = catalog.lookup(&name).map_err(|reason| Error::Blueprint {
                name: name.clone(),
                reason,
            })?;
            p.data(show(bp).trim_end());
        }
    }
    Ok(ExitStatus::Success)
}

/// One line per selectable blueprint version (abstract ones are only parents for `extends`).
pub(super) fn list(catalog: &Catalog) -> String {
    let mut out = String::new();
    let width = catalog
        .selectable()
        .map(|b| b.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(out, "{:<width$}  {:<8}  DESCRIPTION", "NAME", "VERSION");
    for bp in catalog.selectable() {
        let _ = writeln!(
            out,
            "{:<width$}  {:<8}  {}",
            bp.name, bp.version, bp.spec.description
        );
    }
    out
}

/// Everything a platform engineer needs to pick and parameterize a blueprint.
pub(super) fn show(bp: &Blueprint) -> String {
    let s = &bp.spec;
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", bp.id(), s.description);
    if let Some(parent) = &s.extends {
        let _ = writeln!(out, "extends: {parent}");
    }
    let _ = writeln!(
        out,
        "\nParameters (set in a WorkloadAccount's spec.parameters):"
    );
    for (name, p) in &s.parameters {
        let _ = writeln!(
            out,
            "  {name} ({}, default {}): {}",
            p.kind.name(),
            p.default,
            p.description
        );
    }
    let _ = writeln!(out, "\nEKS managed add-ons:");
    for a in &s.eks_addons {
        let _ = writeln!(
            out,
            "  {} {}",
            a.name,
            a.version
                .as_deref()
                .unwrap_or("(default for the Kubernetes version)")
        );
    }
    let _ = writeln!(out, "\nHelm add-ons (chart versions pinned):");
    for a in &s.addons {
        let when = a
            .when
            .as_ref()
            .map_or_else(String::new, |w| format!("  [when {w}]"));
        let _ = writeln!(
            out,
            "  {} {} {} ({}) in {}{when}",
            a.name, a.chart, a.version, a.repo_url, a.namespace
        );
    }
    let _ = writeln!(out, "\nKarpenter node pools:");
    for p in &s.node_pools {
        let kinds = if p.instance_families.is_empty() {
            &p.instance_categories
        } else {
            &p.instance_families
        };
        let taints: Vec<String> = p
            .taints
            .iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect();
        let _ = writeln!(
            out,
            "  {} [{}] {} {} limits {:?}{}",
            p.name,
            p.capacity_types.join(","),
            p.architectures.join(","),
            kinds.join(","),
            p.limits,
            if taints.is_empty() {
                String::new()
            } else {
                format!(" taints {}", taints.join(","))
            }
        );
    }
    let _ = writeln!(out, "\nFiles rendered:");
    for f in &s.files {
        let mut notes = Vec::new();
        if f.for_each.is_some() {
            notes.push("per tenant".to_string());
        }
        if let Some(e) = f.engine {
            notes.push(format!("{e:?}").to_lowercase());
        }
        if let Some(w) = &f.when {
            notes.push(format!("when {w}"));
        }
        if f.scaffold_once {
            notes.push("scaffold-once".into());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        let _ = writeln!(out, "  {} <- templates/{}{notes}", f.path, f.template);
    }
    out
}
