//! Kubernetes versions: EKS must support the version on today's date, and every pin the
//! account's blueprint installs must support it (the catalog's compatibility table).

use super::Check;
use crate::blueprint::catalog::Catalog;
use crate::blueprint::compatibility::{Compatibility, Support, DEFAULT_KUBERNETES_VERSION};
use crate::domain::{Date, KubernetesVersion};
use crate::fleet::wire::{Document, WorkloadAccountSpec};
use crate::fleet::Inventory;

/// The versions EKS supports on `today`, for messages: `1.35 (standard support until …), …`.
fn supported_list(table: &Compatibility, today: Date) -> String {
    let list: Vec<String> = table
        .supported(today)
        .map(|e| format!("{} ({})", e.version, e.describe(today)))
        .collect();
    if list.is_empty() {
        "none in the catalog's compatibility table".to_string()
    } else {
        list.join(", ")
    }
}

/// Report `v` at `field` unless EKS supports it on `today`.
pub(super) fn check_eks_support<T>(
    c: &mut Check<'_, T>,
    field: &str,
    v: &KubernetesVersion,
    table: &Compatibility,
    today: Date,
) -> bool {
    let problem = match table.eks(v).map(|e| (e, e.support(today))) {
        Some((_, Support::Standard | Support::Extended)) => return true,
        None => {
            format!("Kubernetes {v} is not an EKS version of the catalog's compatibility table")
        }
        Some((e, _)) => format!("Kubernetes {v}: {} on EKS", e.describe(today)),
    };
    c.error(
        field,
        format!(
            "{problem}; supported on {today}: {}",
            supported_list(table, today)
        ),
    );
    false
}

/// The account's Kubernetes version (its own, the fleet's default, or eksvend's default): EKS
/// supports it, and so does every chart and EKS add-on the account's blueprint installs.
pub(super) fn check_account_version(
    c: &mut Check<'_, Document<WorkloadAccountSpec>>,
    inv: &Inventory,
    catalog: &Catalog,
    today: Date,
) {
    let spec = &c.src.doc.spec;
    let fleet_default = inv
        .fleets
        .first()
        .and_then(|f| f.doc.spec.defaults.kubernetes_version.as_deref());
    let (text, field, origin) = match (spec.cluster.kubernetes_version.as_deref(), fleet_default) {
        (Some(v), _) => (v, "spec.cluster.kubernetesVersion", ""),
        (None, Some(v)) => (
            v,
            "spec.blueprint",
            " (the Fleet's spec.defaults.kubernetesVersion)",
        ),
        (None, None) => (
            DEFAULT_KUBERNETES_VERSION,
            "spec.blueprint",
            " (eksvend's default)",
        ),
    };
    // A malformed version is reported where it is written.
    let Ok(v) = KubernetesVersion::try_from(text) else {
        return;
    };
    let table = &catalog.compatibility;
    // The fleet's default is checked once, at the Fleet.
    if spec.cluster.kubernetes_version.is_some() && !check_eks_support(c, field, &v, table, today) {
        return;
    }
    let Ok(bp) = catalog.lookup(&spec.blueprint) else {
        return;
    };
    let on = |flag: &str| super::parameter_on(spec, bp, flag);
    let pins = table.pins(bp);
    let installed: Vec<_> = pins.iter().filter(|p| p.when.is_none_or(on)).collect();
    let common: Vec<String> = table
        .supported(today)
        .filter(|e| {
            installed
                .iter()
                .all(|p| p.row.is_none_or(|(r, _)| r.contains(&e.version)))
        })
        .map(|e| e.version.to_string())
        .collect();
    for pin in installed {
        let Some((range, source)) = pin.row else {
            continue;
        };
        if !range.contains(&v) {
            c.error(
                field,
                format!(
                    "Kubernetes {v}{origin} is not supported by {} of blueprint {}, which supports {range} ({source}); versions every add-on of this account supports: {}",
                    pin.pin,
                    bp.id(),
                    if common.is_empty() { "none".to_string() } else { common.join(", ") }
                ),
            );
        }
    }
}
