//! Resolve stage: inventory + blueprint + network → one fully resolved [`ClusterSpec`] per account.
//!
//! Every decision (defaults, names, ARNs, which files) is made here, in Rust; templates only
//! print what this model holds.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::blueprint::catalog::Catalog;
use crate::blueprint::reference::parse_blueprint_ref;
use crate::blueprint::{substitute, Blueprint, PolicySource, PolicyVars};
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::fleet::wire::{
    ChainingMode, Document, Engine, FleetSpec, IdentityMode, NetworkSpec, WorkloadAccountSpec,
};
use crate::fleet::Inventory;
use crate::identity::{self, role_name};
use crate::network;

mod model;
mod service_accounts;

use service_accounts::{grants, pending_grant_warnings, tenants, Ids};

pub use model::*;

/// Resolve every account of a validated inventory, in inventory order. An account that does
/// not resolve is an error at its inventory field, never silently dropped.
pub fn resolve(inv: &Inventory, catalog: &Catalog) -> Result<Vec<ClusterSpec>, Diagnostics> {
    crate::stats::count(crate::stats::Stage::Resolve);
    let mut diags = Diagnostics::default();
    let Some(fleet) = inv.fleets.first() else {
        diags.push(Diagnostic::new(
            Location::default(),
            "",
            "the inventory has no `kind: Fleet` document; exactly one is required",
        ));
        return Err(diags);
    };
    let index = Index {
        fleet: &fleet.doc.spec,
        networks: inv
            .networks
            .iter()
            .map(|n| (n.doc.metadata.name.as_str(), &n.doc))
            .collect(),
        accounts: inv
            .accounts
            .iter()
            .map(|a| (a.doc.spec.account_id.clone(), a.doc.metadata.name.clone()))
            .collect(),
    };
    let mut specs = Vec::with_capacity(inv.accounts.len());
    for a in &inv.accounts {
        match resolve_account(&index, catalog, &a.doc.metadata.name, &a.doc.spec) {
            Ok(spec) => specs.push(spec),
            Err(e) => diags.push(Diagnostic::new(a.at(e.field), e.field, e.message)),
        }
    }
    if !diags.is_empty() {
        return Err(diags.sorted());
    }
    let mut incoming: BTreeMap<&str, Vec<Grant>> = BTreeMap::new();
    for g in specs.iter().flat_map(|s| &s.grants) {
        incoming
            .entry(g.target.account_id.as_str())
            .or_default()
            .push(g.clone());
    }
    let incoming: BTreeMap<String, Vec<Grant>> = incoming
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for spec in &mut specs {
        spec.incoming = incoming
            .get(&spec.account.id)
            .cloned()
            .unwrap_or_else(Vec::new);
    }
    Ok(specs)
}

/// What every account's resolution looks up, built once per fleet.
struct Index<'a> {
    fleet: &'a FleetSpec,
    /// Network name → document.
    networks: BTreeMap<&'a str, &'a Document<NetworkSpec>>,
    /// Inventory account ID → WorkloadAccount name.
    accounts: BTreeMap<String, String>,
}

/// Why an account of a validated inventory did not resolve.
struct Unresolved {
    field: &'static str,
    message: String,
}

impl Unresolved {
    fn at(field: &'static str, message: impl Into<String>) -> Self {
        Unresolved {
            field,
            message: message.into(),
        }
    }
}

fn resolve_account(
    index: &Index<'_>,
    catalog: &Catalog,
    name: &str,
    spec: &WorkloadAccountSpec,
) -> Result<ClusterSpec, Unresolved> {
    let fleet = index.fleet;
    let net = *index.networks.get(spec.network.as_str()).ok_or_else(|| {
        Unresolved::at(
            "spec.network",
            format!("no Network named {:?}", spec.network),
        )
    })?;
    let (bp_name, req) =
        parse_blueprint_ref(&spec.blueprint).map_err(|e| Unresolved::at("spec.blueprint", e))?;
    let bp = catalog
        .select(&bp_name, req.as_ref())
        .map_err(|e| Unresolved::at("spec.blueprint", e))?;
    let partition = network::region(&spec.region)
        .ok_or_else(|| {
            Unresolved::at(
                "spec.region",
                format!("{:?} is not an AWS region", spec.region),
            )
        })?
        .partition
        .to_string();
    let cluster_name = spec
        .cluster
        .name
        .clone()
        .unwrap_or_else(|| name.to_string());
    let account = AccountView {
        name: name.to_string(),
        id: spec.account_id.clone(),
        team: spec.team.clone(),
        environment: spec.environment.clone(),
        region: spec.region.clone(),
        partition,
    };
    let mut cluster = cluster_view(
        &account,
        &cluster_name,
        spec,
        fleet.defaults.kubernetes_version.as_deref(),
    );
    let identity_default = spec
        .identity
        .or(fleet.defaults.identity)
        .unwrap_or(IdentityMode::PodIdentity);
    let ids = Ids {
        account: &account,
        cluster: &cluster,
        inventory: &index.accounts,
        shared_role: spec.iam.shared_chaining_role.then(|| {
            let name = role_name(&[&cluster_name, "eks-chaining"]);
            identity::role_arn(&account.partition, &account.id, &name)
        }),
    };
    let mut tenants = tenants(&ids, spec, identity_default);
    add_team_namespaces(&mut tenants, spec);
    let grants = grants(&ids, &tenants);
    let ack_pod_identity = bp_param_true(bp, spec, "ackPodIdentity");
    if ack_pod_identity {
        for t in &mut tenants {
            t.ack_associations = t
                .service_accounts
                .iter()
                .filter(|s| s.identity == IdentityMode::PodIdentity)
                .cloned()
                .collect();
        }
    }
    let shared_chaining_role = ids.shared_role.as_ref().map(|arn| {
        let mut targets: Vec<String> = tenants
            .iter()
            .flat_map(|t| &t.service_accounts)
            .filter(|s| s.chaining == ChainingMode::Shared)
            .flat_map(|s| s.assume_roles.iter().cloned())
            .collect();
        targets.sort();
        targets.dedup();
        SharedChainingRoleView {
            role_name: role_name(&[&cluster_name, "eks-chaining"]),
            role_arn: arn.clone(),
            targets,
        }
    });
    let fleet_trust = fleet
        .iam
        .trust_policy_max_chars
        .map_or(identity::limits::TRUST_DEFAULT, |n| n as usize);
    let iam = IamSettings {
        trust_policy_max_chars: spec
            .iam
            .trust_policy_max_chars
            .map_or(fleet_trust, |n| n as usize),
        fleet_trust_policy_max_chars: fleet_trust,
        platform_role_arn: fleet.iam.platform_role_arn.clone(),
    };
    let mut warnings = pending_irsa_warning(spec, &tenants);
    warnings.extend(pending_grant_warnings(&grants));
    let all_sas = || {
        tenants
            .iter()
            .flat_map(|t| t.service_accounts.iter().cloned())
    };
    cluster.with_oidc = all_sas().any(|s| s.identity == IdentityMode::Irsa);
    let remote = fleet
        .git
        .remote
        .as_ref()
        .map(|r| r.replace("{account}", name));
    let digest = inventory_digest(&[
        &to_digest_value(fleet)?,
        &to_digest_value(net)?,
        &to_digest_value(spec)?,
        &serde_json::json!({"account": name, "blueprint": bp.id()}),
    ]);
    let blueprint = blueprint_view(bp, spec, &account, &cluster_name, &net.spec.vpc_id);
    let karpenter = karpenter_view(&account, &cluster_name);
    Ok(ClusterSpec {
        network: network_view(&net.metadata.name, &net.spec),
        gitops: gitops_view(
            spec,
            fleet.defaults.gitops,
            remote.clone().unwrap_or_default(),
            &fleet.git.branch,
        ),
        addon_identities: addon_identities(&blueprint.addons, &account, &cluster_name, &karpenter),
        blueprint,
        pod_identity_associations: all_sas()
            .filter(|s| s.identity == IdentityMode::PodIdentity)
            .collect(),
        irsa_service_accounts: all_sas()
            .filter(|s| s.identity == IdentityMode::Irsa)
            .collect(),
        karpenter,
        ack_pod_identity,
        shared_chaining_role,
        grants,
        incoming: Vec::new(),
        iam,
        inventory_digest: digest,
        files: bp.spec.files.clone(),
        git: GitSettings {
            branch: fleet.git.branch.clone(),
            author_name: fleet.git.author.name.clone(),
            author_email: fleet.git.author.email.clone(),
            remote,
        },
        warnings,
        account,
        cluster,
        tenants,
    })
}

fn cluster_view(
    account: &AccountView,
    name: &str,
    spec: &WorkloadAccountSpec,
    default_version: Option<&str>,
) -> ClusterView {
    let issuer = spec.cluster.oidc_issuer.clone();
    let provider_arn = issuer.as_ref().map(|i| {
        format!(
            "arn:{}:iam::{}:oidc-provider/{}",
            account.partition,
            account.id,
            i.trim_start_matches("https://")
        )
    });
    ClusterView {
        name: name.to_string(),
        kubernetes_version: spec
            .cluster
            .kubernetes_version
            .clone()
            .or(default_version.map(str::to_string))
            .unwrap_or_else(|| DEFAULT_KUBERNETES_VERSION.to_string()),
        arn: format!(
            "arn:{}:eks:{}:{}:cluster/{name}",
            account.partition, account.region, account.id
        ),
        oidc_issuer: issuer,
        oidc_provider_arn: provider_arn,
        with_oidc: false,
    }
}

fn pending_irsa_warning(spec: &WorkloadAccountSpec, tenants: &[TenantView]) -> Vec<String> {
    let pending = tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .filter(|s| s.identity == IdentityMode::Irsa)
        .count();
    if pending == 0 || spec.cluster.oidc_issuer.is_some() {
        return Vec::new();
    }
    vec![format!(
        "spec.cluster.oidcIssuer is not set: the IRSA trust policies of {pending} service account(s) are pending; eksctl creates those roles (iam.serviceAccounts) until you set it"
    )]
}

fn karpenter_view(account: &AccountView, cluster: &str) -> KarpenterView {
    let node = role_name(&[cluster, "karpenter-node"]);
    KarpenterView {
        node_role_arn: identity::role_arn(&account.partition, &account.id, &node),
        node_role_name: node,
    }
}

/// The identities the enabled add-ons declare, resolved for this account: eksctl's well-known
/// or AWS-managed policies, or a role of eksvend's with the blueprint's policy file.
fn addon_identities(
    addons: &[AddonView],
    account: &AccountView,
    cluster: &str,
    karpenter: &KarpenterView,
) -> Vec<AddonIdentityView> {
    let vars = PolicyVars {
        partition: &account.partition,
        region: &account.region,
        account_id: &account.id,
        cluster_name: cluster,
        karpenter_node_role_arn: &karpenter.node_role_arn,
    };
    addons
        .iter()
        .filter_map(|a| {
            let id = a.addon.identity.as_ref()?;
            let role = match id.policy.source()? {
                PolicySource::WellKnown(w) => AddonRole::WellKnown(w.key()),
                PolicySource::Managed(_) => {
                    AddonRole::Managed(id.policy.managed_arns(&account.partition))
                }
                PolicySource::Document(_) => {
                    let name = role_name(&[cluster, &a.addon.namespace, &id.service_account]);
                    AddonRole::Own {
                        role_arn: identity::role_arn(&account.partition, &account.id, &name),
                        role_name: name,
                        policy: id.policy.document_for(&vars)?,
                    }
                }
            };
            Some(AddonIdentityView {
                addon: a.addon.name.clone(),
                namespace: a.addon.namespace.clone(),
                service_account: id.service_account.clone(),
                role,
            })
        })
        .collect()
}

/// Kubernetes version when neither the account nor the Fleet sets one.
pub const DEFAULT_KUBERNETES_VERSION: &str = "1.33";

fn network_view(name: &str, spec: &crate::fleet::wire::NetworkSpec) -> NetworkView {
    let subnets = |list: &[crate::fleet::wire::Subnet]| {
        let mut v: Vec<SubnetView> = list
            .iter()
            .map(|s| SubnetView {
                id: s.id.clone(),
                zone_id: s.zone_id.clone(),
            })
            .collect();
        v.sort_by(|a, b| (&a.zone_id, &a.id).cmp(&(&b.zone_id, &b.id)));
        v
    };
    NetworkView {
        name: name.to_string(),
        account_id: spec.account_id.clone(),
        vpc_id: spec.vpc_id.clone(),
        ram_share_arn: spec.ram_share_arn.clone(),
        private_subnets: subnets(&spec.subnets.private),
        public_subnets: subnets(&spec.subnets.public),
    }
}

fn gitops_view(
    spec: &WorkloadAccountSpec,
    default: Option<Engine>,
    repo_url: String,
    branch: &str,
) -> GitopsView {
    let repos: Vec<RepoView> = spec
        .gitops
        .repos
        .iter()
        .map(|r| RepoView {
            name: r.name.clone(),
            team: r.team.clone(),
            url: r.url.clone(),
            path: r.path.clone().unwrap_or_else(|| ".".to_string()),
            revision: r.revision.clone().unwrap_or_else(|| "main".to_string()),
            namespaces: if r.namespaces.is_empty() {
                vec![r.team.clone()]
            } else {
                r.namespaces.clone()
            },
        })
        .collect();
    let mut teams: BTreeMap<String, TeamView> = BTreeMap::new();
    for r in &repos {
        let t = teams.entry(r.team.clone()).or_insert_with(|| TeamView {
            name: r.team.clone(),
            source_repos: Vec::new(),
            namespaces: Vec::new(),
        });
        t.source_repos.push(r.url.clone());
        t.namespaces.extend(r.namespaces.iter().cloned());
    }
    let teams = teams
        .into_values()
        .map(|mut t| {
            t.source_repos.sort();
            t.source_repos.dedup();
            t.namespaces.sort();
            t.namespaces.dedup();
            t
        })
        .collect();
    GitopsView {
        engine: spec.gitops.engine.or(default).unwrap_or(Engine::Argocd),
        repo_url,
        branch: branch.to_string(),
        repos,
        teams,
    }
}

fn bp_param_true(bp: &Blueprint, spec: &WorkloadAccountSpec, name: &str) -> bool {
    spec.parameters
        .get(name)
        .or_else(|| bp.spec.parameters.get(name).map(|p| &p.default))
        == Some(&serde_json::Value::Bool(true))
}

/// Every namespace a team repository deploys into gets the tenant baseline (LimitRange,
/// default-deny NetworkPolicies, RBAC), even when the inventory does not list it as a tenant.
fn add_team_namespaces(tenants: &mut Vec<TenantView>, spec: &WorkloadAccountSpec) {
    for repo in &spec.gitops.repos {
        let namespaces = if repo.namespaces.is_empty() {
            std::slice::from_ref(&repo.team)
        } else {
            repo.namespaces.as_slice()
        };
        for ns in namespaces {
            if !tenants.iter().any(|t| &t.namespace == ns) {
                tenants.push(TenantView {
                    namespace: ns.clone(),
                    quota: None,
                    service_accounts: Vec::new(),
                    ack_associations: Vec::new(),
                });
            }
        }
    }
}

fn blueprint_view(
    bp: &Blueprint,
    spec: &WorkloadAccountSpec,
    account: &AccountView,
    cluster: &str,
    vpc_id: &str,
) -> BlueprintView {
    let mut parameters: BTreeMap<String, serde_json::Value> = bp
        .spec
        .parameters
        .iter()
        .map(|(k, p)| (k.clone(), p.default.clone()))
        .collect();
    parameters.extend(spec.parameters.clone());
    let vars = [
        ("${cluster.name}", cluster),
        ("${cluster.region}", &account.region),
        ("${network.vpcId}", vpc_id),
        ("${account.id}", &account.id),
        ("${partition}", &account.partition),
    ];
    let addons = bp
        .spec
        .addons
        .iter()
        .filter(|a| {
            a.when
                .as_ref()
                .is_none_or(|p| parameters.get(p) == Some(&serde_json::Value::Bool(true)))
        })
        .map(|a| {
            let mut a = a.clone();
            for v in a.values.values_mut() {
                substitute(v, &vars);
            }
            AddonView {
                oci: a.repo_url.starts_with("oci://"),
                helm_repo: a.repo_url.trim_start_matches("oci://").to_string(),
                addon: a,
            }
        })
        .collect();
    BlueprintView {
        name: bp.name.clone(),
        version: bp.version.to_string(),
        id: bp.id(),
        parameters,
        eks_addons: bp.spec.eks_addons.clone(),
        node_pools: bp.spec.node_pools.clone(),
        addons,
    }
}

fn to_digest_value(v: &impl Serialize) -> Result<serde_json::Value, Unresolved> {
    serde_json::to_value(v).map_err(|e| {
        Unresolved::at(
            "metadata.name",
            format!("cannot compute the inventory digest: {e}"),
        )
    })
}

fn inventory_digest(parts: &[&serde_json::Value]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // A `Value` always serializes; `to_string` of a `Value` cannot fail.
        h.update(p.to_string().as_bytes());
        h.update([0u8]);
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
