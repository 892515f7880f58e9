//! Check stage: the resolved model and its IAM documents, measured before anything renders.
//!
//! The documents eksvend would write must fit IAM's quotas and keep the guard rails; Pod Identity
//! associations and role names must be unique. Every finding points back at the inventory field
//! that caused it (file:line:field), like validation's.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics};
use crate::domain::limits;
use crate::fleet::validate::Check;
use crate::fleet::Inventory;
use crate::iam::{Doc, Origin};
use crate::identity::lint;
use crate::identity::modes::IdentityMode;
use crate::resolve::{AddonRole, ClusterSpec};

/// What checking one account needs to know about the others (built once from every resolved
/// account, before any IAM document): the roles eksvend creates across the fleet.
pub struct Fleet {
    managed: BTreeMap<String, String>,
}

impl Fleet {
    /// The fleet-wide facts of the resolved accounts `specs`.
    pub fn of<'s>(specs: impl IntoIterator<Item = &'s ClusterSpec>) -> Fleet {
        Fleet {
            managed: managed_roles(specs),
        }
    }
}

/// Check one resolved account with its policy documents ([`crate::iam::policies`], so that the
/// documents of one account at a time are held, not the fleet's); its findings, unsorted.
pub fn check_account(
    inv: &Inventory,
    fleet: &Fleet,
    spec: &ClusterSpec,
    policies: &[Doc],
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let Some(src) = inv.accounts.get(spec.source) else {
        diags.push(Diagnostic::new(
            crate::diag::Location::default(),
            "",
            format!("account {} is not in the inventory", spec.account.name),
        ));
        return diags;
    };
    let mut c = Check::new(src, &mut diags);
    check_documents(&mut c, spec, policies);
    check_associations(&mut c, spec);
    check_role_names(&mut c, spec);
    check_targets(&mut c, spec, &fleet.managed);
    diags
}

/// The field path of `field` of the service account `ns/name` of `spec`.
fn sa_field(spec: &ClusterSpec, ns: &str, name: &str, field: &str) -> String {
    spec.tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .find(|s| s.namespace == ns && s.name == name)
        .map_or_else(
            || "spec.tenants".to_string(),
            |s| format!("{}.{field}", s.field),
        )
}

fn check_documents<T>(c: &mut Check<'_, T>, spec: &ClusterSpec, policies: &[Doc]) {
    for d in policies {
        let field = match &d.origin {
            Origin::ServiceAccount {
                namespace,
                name,
                field,
            } => sa_field(spec, namespace, name, field),
            Origin::Account(f) => format!("spec.{f}"),
            Origin::Generated => "metadata.name".to_string(),
        };
        if let Some((what, limit, hint)) = d.limit {
            if let Err(e) = limits::check(&d.value, what, limit, hint) {
                c.error(&field, format!("{}: {e}", d.path));
            }
        }
        for problem in lint::lint(&d.value, d.kind) {
            c.error(&field, format!("{}: {problem}", d.path));
        }
    }
}

/// Namespace/service-account pairs that the blueprint's add-ons associate already (from the
/// add-ons' declared identities, never from their names or Helm values).
fn addon_associations(spec: &ClusterSpec) -> BTreeMap<(&str, &str), &str> {
    spec.addon_identities
        .iter()
        .map(|a| {
            (
                (a.namespace.as_str(), a.service_account.as_str()),
                a.addon.as_str(),
            )
        })
        .collect()
}

fn check_associations<T>(c: &mut Check<'_, T>, spec: &ClusterSpec) {
    let addons = addon_associations(spec);
    for sa in spec.tenants.iter().flat_map(|t| &t.service_accounts) {
        if sa.identity != IdentityMode::PodIdentity {
            continue;
        }
        if let Some(addon) = addons.get(&(sa.namespace.as_str(), sa.name.as_str())) {
            c.error(
                &format!("{}.name", sa.field),
                format!("duplicate Pod Identity association for {}/{}: the blueprint's add-on {addon} already has one (EKS allows one per service account)", sa.namespace, sa.name),
            );
        }
    }
}

fn check_role_names<T>(c: &mut Check<'_, T>, spec: &ClusterSpec) {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    seen.insert(
        &spec.karpenter.node_role_name,
        "Karpenter's node role".into(),
    );
    for a in &spec.addon_identities {
        if let AddonRole::Own { role_name, .. } = &a.role {
            seen.insert(role_name, format!("the role of add-on {}", a.addon));
        }
    }
    if let Some(s) = &spec.shared_chaining_role {
        seen.insert(&s.role_name, "the shared chaining role".into());
    }
    for sa in spec
        .tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .filter(|s| s.own_role)
    {
        if let Some(other) = seen.insert(&sa.role_name, format!("{}/{}", sa.namespace, sa.name)) {
            c.error(
                &format!("{}.name", sa.field),
                format!(
                    "IAM role name {:?} is already used by {other}; rename the service account",
                    sa.role_name
                ),
            );
        }
    }
}

/// Every role ARN eksvend creates in an account of the fleet, with what it is for.
fn managed_roles<'s>(specs: impl IntoIterator<Item = &'s ClusterSpec>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for spec in specs {
        let acct = &spec.account.name;
        out.insert(
            spec.karpenter.node_role_arn.clone(),
            format!("Karpenter's node role of {acct}"),
        );
        for a in &spec.addon_identities {
            if let AddonRole::Own { role_arn, .. } = &a.role {
                out.insert(
                    role_arn.clone(),
                    format!("the role of add-on {} of {acct}", a.addon),
                );
            }
        }
        if let Some(s) = &spec.shared_chaining_role {
            out.insert(
                s.role_arn.clone(),
                format!("the shared chaining role of {acct}"),
            );
        }
        for sa in spec
            .tenants
            .iter()
            .flat_map(|t| &t.service_accounts)
            .filter(|s| s.own_role)
        {
            out.insert(
                sa.role_arn.clone(),
                format!(
                    "the own role of service account {}/{} of {acct}",
                    sa.namespace, sa.name
                ),
            );
        }
    }
    out
}

/// A target that is a role eksvend manages for another purpose would get two conflicting trust
/// policies from two repositories (its own, and the target trust of `iam/cross-account/`).
fn check_targets<T>(c: &mut Check<'_, T>, spec: &ClusterSpec, managed: &BTreeMap<String, String>) {
    for sa in spec.tenants.iter().flat_map(|t| &t.service_accounts) {
        for (i, target) in sa.assume_roles.iter().enumerate() {
            if let Some(what) = managed.get(target) {
                c.error(
                    &format!("{}.assumeRoles[{i}]", sa.field),
                    format!("{target} is {what}, which eksvend creates with its own trust policy; a cross-account target must be a role of its own (its trust is written by eksvend for the sources)"),
                );
            }
        }
    }
}
