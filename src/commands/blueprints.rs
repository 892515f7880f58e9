//! `eksvend blueprints list | show NAME`: what the catalog offers.

use std::fmt::Write as _;

use super::ExitStatus;
use crate::blueprint::catalog::Catalog;
use crate::blueprint::compatibility::Compatibility;
use crate::blueprint::Blueprint;
use crate::cli::BlueprintsCommand;
use crate::domain::Date;
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
            let today = crate::domain::Date::today();
            p.data(show(bp, &catalog.compatibility, today).trim_end());
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
pub(super) fn show(bp: &Blueprint, table: &Compatibility, today: Date) -> String {
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
    kubernetes_versions(&mut out, bp, table, today);
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

/// The Kubernetes versions EKS supports today that every pin of `bp` supports (naming the
/// optional add-ons that do not), then each pin's range and source.
fn kubernetes_versions(out: &mut String, bp: &Blueprint, table: &Compatibility, today: Date) {
    let pins = table.pins(bp);
    let _ = writeln!(
        out,
        "\nKubernetes versions (EKS support on {today}; every pin supports them unless noted):"
    );
    for e in table.supported(today) {
        let mut unsupported = Vec::new();
        let mut refused = false;
        for p in &pins {
            if p.row.is_some_and(|(r, _)| !r.contains(&e.version)) {
                match p.when {
                    Some(w) => unsupported.push(format!("{} [when {w}]", p.pin)),
                    None => refused = true,
                }
            }
        }
        if refused {
            continue;
        }
        let note = if unsupported.is_empty() {
            String::new()
        } else {
            format!("; not with {}", unsupported.join(", "))
        };
        let _ = writeln!(out, "  {}  {}{note}", e.version, e.describe(today));
    }
    let _ = writeln!(out, "\nPin compatibility (blueprints/compatibility.yaml):");
    for p in &pins {
        let when = p.when.map_or_else(String::new, |w| format!("  [when {w}]"));
        match p.row {
            Some((range, source)) => {
                let _ = writeln!(out, "  {}: {range} ({source}){when}", p.pin);
            }
            None => {
                let _ = writeln!(out, "  {}: not in the table (not checked){when}", p.pin);
            }
        }
    }
}
