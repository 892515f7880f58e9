//! Resolving tenants' service accounts: role names and ARNs, chaining profiles, targets, and the
//! grants target roles must trust.

use std::collections::BTreeMap;

use super::model::{
    AccountView, ClusterView, Grant, QuotaView, ServiceAccountView, TargetView, TenantView,
};
use crate::domain::arn::{self, role_name};
use crate::fleet::model::{self as fleet, Account};
use crate::identity;
use crate::identity::modes::{ChainingMode, IdentityMode};

/// What naming a service account's roles and targets needs.
pub(super) struct Ids<'a> {
    pub(super) account: &'a AccountView,
    pub(super) cluster: &'a ClusterView,
    /// Inventory account ID → WorkloadAccount name.
    pub(super) inventory: &'a BTreeMap<String, String>,
    /// ARN of the shared chaining role, when switched on.
    pub(super) shared_role: Option<String>,
}

pub(super) fn tenants(ids: &Ids<'_>, a: &Account, default: IdentityMode) -> Vec<TenantView> {
    a.tenants
        .iter()
        .map(|t| TenantView {
            groups: Vec::new(),
            namespace: t.namespace.to_string(),
            quota: t.has_quota.then(|| QuotaView {
                cpu: t.cpu.as_ref().map(ToString::to_string),
                memory: t.memory.as_ref().map(ToString::to_string),
                pods: t.pods,
            }),
            service_accounts: t
                .service_accounts
                .iter()
                .map(|sa| service_account_view(ids, t.namespace.as_str(), sa, default))
                .collect(),
        })
        .collect()
}

fn service_account_view(
    ids: &Ids<'_>,
    namespace: &str,
    sa: &fleet::ServiceAccount,
    default: IdentityMode,
) -> ServiceAccountView {
    let role = role_name(&[&ids.cluster.name, namespace, sa.name.as_str()]);
    let role_arn = arn::role(ids.account.partition, &ids.account.id, &role);
    let identity_mode = sa.identity.unwrap_or(default);
    let chaining = sa.chaining.unwrap_or_default();
    let shared = chaining == ChainingMode::Shared && identity_mode == IdentityMode::PodIdentity;
    let association_role_arn = match (&ids.shared_role, shared) {
        (Some(arn), true) => arn.clone(),
        _ => role_arn.clone(),
    };
    let targets = target_views(ids, sa);
    let profile_chaining = !targets.is_empty() && chaining != ChainingMode::Native;
    let web_identity = identity_mode == IdentityMode::Irsa;
    let chaining_config = profile_chaining.then(|| {
        let profiles: Vec<identity::chaining::Profile<'_>> = targets
            .iter()
            .map(|t| identity::chaining::Profile {
                name: &t.profile,
                role_arn: &t.arn,
            })
            .collect();
        identity::chaining::config_file(
            &profiles,
            &identity::chaining::session_name(namespace, sa.name.as_str()),
            if web_identity {
                identity::chaining::FirstHop::WebIdentity {
                    own_role_arn: &role_arn,
                }
            } else {
                identity::chaining::FirstHop::PodIdentity
            },
        )
    });
    let assume_roles: Vec<String> = sa.assume_roles.iter().map(ToString::to_string).collect();
    ServiceAccountView {
        field: sa.field.clone(),
        name: sa.name.to_string(),
        namespace: namespace.to_string(),
        identity: identity_mode,
        role_arn,
        role_name: role,
        policy_arns: sa.policy_arns.iter().map(ToString::to_string).collect(),
        chaining,
        own_role: !shared,
        association_role_arn,
        native_target: (chaining == ChainingMode::Native)
            .then(|| assume_roles.first().cloned())
            .flatten(),
        aws_profile: profile_chaining
            .then(|| targets.first().map(|t| t.profile.clone()))
            .flatten(),
        chaining_config,
        targets,
        disable_session_tags: sa.disable_session_tags,
        session_policy: (!sa.session_policy.is_empty())
            .then(|| identity::policy::document(&sa.session_policy).to_string()),
        assume_roles,
        statements: sa.statements.clone(),
        session_statements: sa.session_policy.clone(),
    }
}

fn target_views(ids: &Ids<'_>, sa: &fleet::ServiceAccount) -> Vec<TargetView> {
    let mut used: Vec<String> = Vec::new();
    sa.assume_roles
        .iter()
        .map(|arn| {
            let (account_id, name) = (arn.account_id(), arn.name());
            let base: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let profile = if used.contains(&base) {
                format!("{base}-{account_id}")
            } else {
                base
            };
            used.push(profile.clone());
            TargetView {
                arn: arn.to_string(),
                account_id: account_id.clone(),
                role_name: name.to_string(),
                profile,
                external_id: sa.external_ids.get(arn).map(ToString::to_string),
                inventory_account: ids.inventory.get(account_id.as_str()).cloned(),
            }
        })
        .collect()
}

/// Every (service account, target) pair of the account.
pub(super) fn grants(ids: &Ids<'_>, tenants: &[TenantView]) -> Vec<Grant> {
    tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .flat_map(|sa| {
            sa.targets.iter().map(move |target| Grant {
                account: ids.account.name.clone(),
                account_id: ids.account.id.to_string(),
                partition: ids.account.partition,
                cluster_arn: ids.cluster.arn.clone(),
                namespace: sa.namespace.clone(),
                service_account: sa.name.clone(),
                identity: sa.identity,
                chaining: sa.chaining,
                source_role_arn: sa.association_role_arn.clone(),
                session_tags: sa.identity == IdentityMode::PodIdentity && !sa.disable_session_tags,
                issuer: ids.cluster.oidc_issuer.clone(),
                target: target.clone(),
            })
        })
        .collect()
}

pub(super) fn pending_grant_warnings(grants: &[Grant]) -> Vec<String> {
    grants
        .iter()
        .filter(|g| g.identity == IdentityMode::PodIdentity)
        .filter_map(|g| {
            let msg = g.source().err()?;
            Some(format!(
                "the trust policy of target role {} for {}/{} is {msg}",
                g.target.arn, g.namespace, g.service_account
            ))
        })
        .collect()
}
