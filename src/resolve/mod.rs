//! Resolve stage: the validated fleet model + blueprint + network → one fully resolved
//! [`ClusterSpec`] per account.
//!
//! Every decision (defaults, names, ARNs, which files) is made here, in Rust; templates only
//! print what this model holds (through `render::context`). Resolve reads the typed
//! [`Model`], never a wire document.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::blueprint::catalog::Catalog;
use crate::blueprint::{Addon, Blueprint, EksAddon, FileSpec, NodePool, PolicySource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::domain::arn::{self, role_name};
use crate::domain::{limits, AccountId, DnsLabel, Partition};
use crate::fleet::model::{self as fleet, Model};
use crate::fleet::Inventory;
use crate::gitops::Engine;
use crate::identity::modes::{ChainingMode, IdentityMode};

mod dns;
mod model;
mod service_accounts;

use service_accounts::{grants, pending_grant_warnings, tenants, Ids};

pub use model::*;

/// Resolve every account of the fleet model, in inventory order. An account that does not
/// resolve is an error at its inventory field, never silently dropped.
pub fn resolve(fleet: &Model, catalog: &Catalog) -> Result<Vec<ClusterSpec>, Unresolved> {
    crate::stats::count(crate::stats::Stage::Resolve);
    let accounts: BTreeMap<String, String> = fleet
        .accounts
        .iter()
        .map(|a| (a.account_id.to_string(), a.name.to_string()))
        .collect();
    let mut specs = Vec::with_capacity(fleet.accounts.len());
    let mut failures = Vec::new();
    let mut shared = BTreeMap::new();
    let mut networks = BTreeMap::new();
    for a in &fleet.accounts {
        match resolve_account(fleet, &accounts, catalog, &mut shared, &mut networks, a) {
            Ok(spec) => specs.push(spec),
            Err(e) => failures.push(e),
        }
    }
    if !failures.is_empty() {
        return Err(Unresolved(failures));
    }
    let mut incoming: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
    for g in specs.iter().flat_map(|s| &s.grants) {
        incoming
            .entry(g.target.account_id.to_string())
            .or_default()
            .push(g.clone());
    }
    // Roles outside the inventory: the grants of every source account, by role.
    let mut outside: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
    for g in specs
        .iter()
        .flat_map(|s| &s.grants)
        .filter(|g| g.target.inventory_account.is_none())
    {
        outside
            .entry(g.target.arn.clone())
            .or_default()
            .push(g.clone());
    }
    for spec in &mut specs {
        spec.incoming = incoming
            .remove(spec.account.id.as_str())
            .unwrap_or_default();
        let targets: std::collections::BTreeSet<&str> = spec
            .grants
            .iter()
            .filter(|g| g.target.inventory_account.is_none())
            .map(|g| g.target.arn.as_str())
            .collect();
        spec.handoff_grants = targets
            .into_iter()
            .flat_map(|arn| outside.get(arn).into_iter().flatten().cloned())
            .collect();
    }
    Ok(specs)
}

/// Accounts of a validated fleet that did not resolve (a rule missing from validation).
#[derive(Debug)]
pub struct Unresolved(pub Vec<AccountError>);

/// Why one account did not resolve.
#[derive(Debug)]
pub struct AccountError {
    /// Index of the account's document in the inventory.
    pub source: usize,
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Unresolved {
    /// The failures as diagnostics at their inventory fields.
    pub fn locate(&self, inv: &Inventory) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for e in &self.0 {
            let at = inv
                .accounts
                .get(e.source)
                .map(|a| a.at(e.field))
                .unwrap_or_default();
            diags.push(Diagnostic::new(at, e.field, e.message.clone()));
        }
        diags.sorted()
    }
}

/// The parts of a blueprint every account of it renders the same, built once per blueprint
/// and shared by its accounts.
#[derive(Clone)]
struct Shared {
    eks_addons: Arc<[EksAddon]>,
    node_pools: Arc<[NodePool]>,
    addons: Vec<Arc<Addon>>,
    files: Arc<[FileSpec]>,
}

impl Shared {
    fn of(bp: &Blueprint) -> Shared {
        Shared {
            eks_addons: bp.spec.eks_addons.iter().cloned().collect(),
            node_pools: bp.spec.node_pools.iter().cloned().collect(),
            addons: bp.spec.addons.iter().cloned().map(Arc::new).collect(),
            files: bp.spec.files.iter().cloned().collect(),
        }
    }
}

fn resolve_account(
    fleet: &Model,
    accounts: &BTreeMap<String, String>,
    catalog: &Catalog,
    shared: &mut BTreeMap<String, Shared>,
    networks: &mut BTreeMap<String, Arc<NetworkView>>,
    a: &fleet::Account,
) -> Result<ClusterSpec, AccountError> {
    let fail = |field, message: String| AccountError {
        source: a.source,
        field,
        message,
    };
    let net = fleet.networks.get(&a.network).ok_or_else(|| {
        fail(
            "spec.network",
            format!("no Network named {:?}", a.network.as_str()),
        )
    })?;
    let bp = catalog
        .select(&a.blueprint)
        .map_err(|e| fail("spec.blueprint", e.to_string()))?;
    let settings = &fleet.fleet;
    let name = a.name.as_str();
    let cluster_name = a.cluster_name.clone().unwrap_or_else(|| a.name.clone());
    let partition = a.region.partition();
    let account = AccountView {
        name: name.to_string(),
        id: a.account_id.clone(),
        team: a.team.to_string(),
        environment: a.environment.to_string(),
        region: a.region,
        partition,
    };
    let mut cluster = cluster_view(a, &cluster_name, settings);
    let identity_default = a
        .identity
        .or(settings.identity)
        .unwrap_or(IdentityMode::PodIdentity);
    let shared_role_name = role_name(&[cluster_name.as_str(), "eks-chaining"]);
    let ids = Ids {
        account: &account,
        cluster: &cluster,
        inventory: accounts,
        shared_role: a
            .shared_chaining_role
            .then(|| arn::role(partition, &a.account_id, &shared_role_name)),
    };
    let ack_pod_identity = bp_param_true(bp, a, "ackPodIdentity");
    let tenants = resolve_tenants(&ids, a, identity_default);
    let grants = grants(&ids, &tenants);
    let shared_chaining_role = ids
        .shared_role
        .as_ref()
        .map(|arn| shared_chaining_role(&tenants, shared_role_name, arn));
    let mut warnings = pending_irsa_warning(a, &tenants);
    warnings.extend(extended_support_warning(
        catalog,
        &cluster.kubernetes_version,
    ));
    warnings.extend(pending_grant_warnings(&grants));
    cluster.with_oidc = tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .any(|s| s.identity == IdentityMode::Irsa);
    let git = git_settings(settings, name);
    let dns = dns::DnsLists::new(a, partition);
    let parts = shared
        .entry(bp.id())
        .or_insert_with(|| Shared::of(bp))
        .clone();
    let files = Arc::clone(&parts.files);
    let blueprint = blueprint_view(
        bp,
        parts,
        a,
        &account,
        cluster_name.as_str(),
        net.vpc_id.as_str(),
        &dns,
    );
    warnings.extend(dns::unfiltered_warnings(&blueprint.addons, a, bp));
    let karpenter = karpenter_view(partition, &a.account_id, &cluster_name);
    Ok(ClusterSpec {
        source: a.source,
        // the same for every account of the network: built once, shared
        network: Arc::clone(
            networks
                .entry(net.name.to_string())
                .or_insert_with(|| Arc::new(network_view(net))),
        ),
        gitops: gitops_view(
            a,
            settings.gitops,
            git.remote.clone().unwrap_or_default(),
            settings.branch.as_str(),
        ),
        addon_identities: addon_identities(&blueprint.addons, a, &cluster_name),
        blueprint,
        karpenter,
        ack_pod_identity,
        shared_chaining_role,
        grants,
        incoming: Vec::new(),
        handoff_grants: Vec::new(),
        iam: iam_settings(a, settings),
        inventory_digest: inventory_digest(a, bp),
        files,
        git,
        warnings,
        private_zones: dns::private_zones(a),
        hosted_zone_arns: dns.hosted_zone_arns.clone(),
        access_entries: access_entries(a, partition),
        account,
        cluster,
        tenants,
    })
}

/// The access entry of `arn`, created empty.
fn entry<'e>(
    entries: &'e mut BTreeMap<String, AccessEntryView>,
    arn: &str,
) -> &'e mut AccessEntryView {
    entries
        .entry(arn.to_string())
        .or_insert_with(|| AccessEntryView {
            principal_arn: arn.to_string(),
            groups: Vec::new(),
            admin_policy_arn: None,
        })
}

/// One access entry per IAM principal of `spec.access`: its groups merged, admin if it is one of
/// the platform admins.
fn access_entries(a: &fleet::Account, partition: Partition) -> Vec<AccessEntryView> {
    let mut entries: BTreeMap<String, AccessEntryView> = BTreeMap::new();
    for arn in &a.platform_admins {
        entry(&mut entries, arn.as_str()).admin_policy_arn = Some(arn::eks_access_policy(
            partition,
            "AmazonEKSClusterAdminPolicy",
        ));
    }
    for (group, arns) in &a.team_access {
        for arn in arns {
            let e = entry(&mut entries, arn.as_str());
            if !e.groups.contains(group) {
                e.groups.push(group.clone());
            }
        }
    }
    entries.into_values().collect()
}

/// The tenants of the account (and of its team repositories' namespaces), with their service
/// accounts.
fn resolve_tenants(
    ids: &Ids<'_>,
    a: &fleet::Account,
    identity_default: IdentityMode,
) -> Vec<TenantView> {
    let mut tenants = tenants(ids, a, identity_default);
    add_team_namespaces(&mut tenants, a);
    tenants
}

/// The account's shared chaining role: every target of the service accounts that use it.
fn shared_chaining_role(
    tenants: &[TenantView],
    role_name: String,
    role_arn: &str,
) -> SharedChainingRoleView {
    let mut targets: Vec<String> = tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .filter(|s| s.chaining == ChainingMode::Shared)
        .flat_map(|s| s.assume_roles.iter().cloned())
        .collect();
    targets.sort();
    targets.dedup();
    SharedChainingRoleView {
        role_name,
        role_arn: role_arn.to_string(),
        targets,
    }
}

/// The Fleet's git settings for the account `name` (its remote with `{account}` filled in).
fn git_settings(settings: &fleet::Fleet, name: &str) -> GitSettings {
    GitSettings {
        branch: settings.branch.to_string(),
        author_name: settings.author_name.clone(),
        author_email: settings.author_email.clone(),
        remote: settings
            .remote
            .as_ref()
            .map(|r| r.replace("{account}", name)),
    }
}

/// The account's trust policy quota (its own, else the Fleet's, else IAM's default).
fn iam_settings(a: &fleet::Account, settings: &fleet::Fleet) -> IamSettings {
    let fleet_trust = settings
        .trust_policy_max_chars
        .unwrap_or(limits::TRUST_DEFAULT);
    IamSettings {
        trust_policy_max_chars: a.trust_policy_max_chars.unwrap_or(fleet_trust),
        fleet_trust_policy_max_chars: fleet_trust,
        platform_role_arn: settings.platform_role_arn.as_ref().map(ToString::to_string),
    }
}

fn cluster_view(a: &fleet::Account, name: &DnsLabel, settings: &fleet::Fleet) -> ClusterView {
    let partition = a.region.partition();
    ClusterView {
        name: name.to_string(),
        kubernetes_version: a
            .kubernetes_version
            .as_ref()
            .or(settings.kubernetes_version.as_ref())
            .map_or_else(
                || DEFAULT_KUBERNETES_VERSION.to_string(),
                ToString::to_string,
            ),
        arn: arn::eks_cluster(&a.region, &a.account_id, name),
        oidc_issuer: a.oidc_issuer.clone(),
        oidc_provider_arn: a
            .oidc_issuer
            .as_ref()
            .map(|i| arn::oidc_provider(partition, &a.account_id, i)),
        with_oidc: false,
    }
}

/// A warning when EKS supports the cluster's version only in extended support today (billed per
/// cluster hour; EKS upgrades the cluster when it ends).
fn extended_support_warning(catalog: &Catalog, version: &str) -> Option<String> {
    let v = crate::domain::KubernetesVersion::try_from(version).ok()?;
    let row = catalog.compatibility.eks(&v)?;
    let today = crate::domain::Date::today();
    (row.support(today) == crate::blueprint::compatibility::Support::Extended).then(|| {
        format!(
            "Kubernetes {v} is in EKS extended support: {} (extra cost per cluster hour; EKS upgrades the cluster when it ends); set spec.cluster.kubernetesVersion to a version in standard support",
            row.describe(today)
        )
    })
}

fn pending_irsa_warning(a: &fleet::Account, tenants: &[TenantView]) -> Vec<String> {
    let pending = tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .filter(|s| s.identity == IdentityMode::Irsa)
        .count();
    if pending == 0 || a.oidc_issuer.is_some() {
        return Vec::new();
    }
    vec![format!(
        "spec.cluster.oidcIssuer is not set: the IRSA trust policies of {pending} service account(s) are pending; eksctl creates those roles (iam.serviceAccounts) until you set it"
    )]
}

fn karpenter_view(partition: Partition, account: &AccountId, cluster: &DnsLabel) -> KarpenterView {
    let node = role_name(&[cluster.as_str(), "karpenter-node"]);
    KarpenterView {
        node_role_arn: arn::role(partition, account, &node),
        node_role_name: node,
    }
}

/// The identities the enabled add-ons declare, resolved for this account: eksctl's well-known
/// or AWS-managed policies, or a role of eksvend's with the blueprint's policy file.
fn addon_identities(
    addons: &[AddonView],
    a: &fleet::Account,
    cluster: &DnsLabel,
) -> Vec<AddonIdentityView> {
    let partition = a.region.partition();
    addons
        .iter()
        .filter_map(|addon| {
            let id = addon.addon.identity.as_ref()?;
            let role = match id.policy.source()? {
                PolicySource::WellKnown(w) => AddonRole::WellKnown(w.key()),
                PolicySource::Managed(_) => AddonRole::Managed(id.policy.managed_arns(partition)),
                PolicySource::Documents(_) => {
                    let name = role_name(&[
                        cluster.as_str(),
                        &addon.addon.namespace,
                        &id.service_account,
                    ]);
                    AddonRole::Own {
                        role_arn: arn::role(partition, &a.account_id, &name),
                        role_name: name,
                    }
                }
            };
            Some(AddonIdentityView {
                addon: addon.addon.name.clone(),
                namespace: addon.addon.namespace.clone(),
                service_account: id.service_account.clone(),
                role,
            })
        })
        .collect()
}

/// Kubernetes version when neither the account nor the Fleet sets one.
pub use crate::blueprint::compatibility::DEFAULT_KUBERNETES_VERSION;

fn network_view(net: &fleet::Network) -> NetworkView {
    let subnets = |list: &[fleet::Subnet]| {
        let mut v: Vec<SubnetView> = list
            .iter()
            .map(|s| SubnetView {
                id: s.id.to_string(),
                zone_id: s.zone_id.to_string(),
            })
            .collect();
        v.sort_by(|a, b| (&a.zone_id, &a.id).cmp(&(&b.zone_id, &b.id)));
        v
    };
    NetworkView {
        name: net.name.to_string(),
        account_id: net.account_id.to_string(),
        vpc_id: net.vpc_id.to_string(),
        ram_share_arn: net.ram_share_arn.to_string(),
        private_subnets: subnets(&net.private),
        public_subnets: subnets(&net.public),
        endpoint_cidrs: net.endpoint_cidrs.iter().map(ToString::to_string).collect(),
    }
}

fn gitops_view(
    a: &fleet::Account,
    default: Option<Engine>,
    repo_url: String,
    branch: &str,
) -> GitopsView {
    let repos: Vec<RepoView> = a
        .repos
        .iter()
        .map(|r| RepoView {
            name: r.name.to_string(),
            team: r.team.to_string(),
            url: r.url.to_string(),
            path: r.path.as_ref().map_or(".", |p| p.as_str()).to_string(),
            revision: r
                .revision
                .as_ref()
                .map_or_else(|| "main".to_string(), ToString::to_string),
            namespaces: team_namespaces(r).iter().map(ToString::to_string).collect(),
            cluster_resources: {
                let mut kinds: Vec<ClusterKindView> = r
                    .cluster_resources
                    .iter()
                    .map(|k| ClusterKindView {
                        group: k.group.to_string(),
                        kind: k.kind.to_string(),
                        resource: k.resource.clone(),
                    })
                    .collect();
                kinds.sort();
                kinds
            },
        })
        .collect();
    let mut teams: BTreeMap<String, TeamView> = BTreeMap::new();
    for r in &repos {
        let t = teams.entry(r.team.clone()).or_insert_with(|| TeamView {
            name: r.team.clone(),
            source_repos: Vec::new(),
            namespaces: Vec::new(),
            cluster_resources: Vec::new(),
        });
        t.source_repos.push(r.url.clone());
        t.namespaces.extend(r.namespaces.iter().cloned());
        t.cluster_resources
            .extend(r.cluster_resources.iter().cloned());
    }
    let teams = teams
        .into_values()
        .map(|mut t| {
            t.source_repos.sort();
            t.source_repos.dedup();
            t.namespaces.sort();
            t.namespaces.dedup();
            t.cluster_resources.sort();
            t.cluster_resources.dedup();
            t
        })
        .collect();
    GitopsView {
        engine: a.engine.or(default).unwrap_or(Engine::Argocd),
        repo_url,
        branch: branch.to_string(),
        repos,
        teams,
    }
}

fn bp_param_true(bp: &Blueprint, a: &fleet::Account, name: &str) -> bool {
    a.parameters.get(name).or_else(|| {
        bp.spec
            .parameters
            .get(name)
            .map(|p| p.default_for(a.environment.as_str()))
    }) == Some(&serde_json::Value::Bool(true))
}

/// The namespaces a team repository deploys into: the listed ones, else its team's.
fn team_namespaces(r: &fleet::TeamRepo) -> &[DnsLabel] {
    if r.namespaces.is_empty() {
        std::slice::from_ref(&r.team)
    } else {
        &r.namespaces
    }
}

/// Every namespace a team repository deploys into gets the tenant baseline (LimitRange,
/// default-deny NetworkPolicies, RBAC), even when the inventory does not list it as a tenant.
fn add_team_namespaces(tenants: &mut Vec<TenantView>, a: &fleet::Account) {
    for t in tenants.iter_mut() {
        t.groups = vec![a.team.to_string()];
    }
    for repo in &a.repos {
        let group = if repo.team.as_str() == APPLICATION_TEAM {
            a.team.to_string()
        } else {
            repo.team.to_string()
        };
        for ns in team_namespaces(repo) {
            let at = if let Some(at) = tenants.iter().position(|t| t.namespace == ns.as_str()) {
                at
            } else {
                tenants.push(TenantView {
                    namespace: ns.to_string(),
                    quota: None,
                    service_accounts: Vec::new(),
                    groups: Vec::new(),
                });
                tenants.len() - 1
            };
            if !tenants[at].groups.contains(&group) {
                tenants[at].groups.push(group.clone());
            }
        }
    }
}

/// The contributing team whose people are the account's own team (its group is the account's
/// `team`); every other contributing team is its own Kubernetes group.
const APPLICATION_TEAM: &str = "application";

fn blueprint_view(
    bp: &Blueprint,
    shared: Shared,
    a: &fleet::Account,
    account: &AccountView,
    cluster: &str,
    vpc_id: &str,
    dns: &dns::DnsLists,
) -> BlueprintView {
    let mut parameters: BTreeMap<String, serde_json::Value> = bp
        .spec
        .parameters
        .iter()
        .map(|(k, p)| (k.clone(), p.default_for(&account.environment).clone()))
        .collect();
    parameters.extend(a.parameters.clone());
    let vars = vec![
        ("${cluster.name}", cluster.to_string()),
        ("${cluster.region}", account.region.as_str().to_string()),
        ("${network.vpcId}", vpc_id.to_string()),
        ("${account.id}", account.id.as_str().to_string()),
        ("${partition}", account.partition.as_str().to_string()),
    ];
    let addons = shared
        .addons
        .into_iter()
        .filter(|a| {
            a.when
                .as_ref()
                .is_none_or(|p| parameters.get(p) == Some(&serde_json::Value::Bool(true)))
        })
        .map(|a| AddonView {
            oci: a.repo_url.starts_with("oci://"),
            helm_repo: a.repo_url.trim_start_matches("oci://").to_string(),
            addon: a,
        })
        .collect();
    BlueprintView {
        name: bp.name.clone(),
        version: bp.version.to_string(),
        id: bp.id(),
        parameters,
        eks_addons: shared.eks_addons,
        node_pools: shared.node_pools,
        addons,
        vars,
        lists: dns
            .values()
            .into_iter()
            .map(|(k, v)| (k, v.to_vec()))
            .collect(),
    }
}

/// `sha256:…` of the account's inventory inputs (Fleet, Network, WorkloadAccount as written)
/// and the blueprint version it resolved to.
fn inventory_digest(a: &fleet::Account, bp: &Blueprint) -> String {
    let mut h = Sha256::new();
    h.update(&a.digest_input);
    h.update(serde_json::json!({"account": a.name.as_str(), "blueprint": bp.id()}).to_string());
    h.update([0u8]);
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_specs() -> (Model, Vec<ClusterSpec>) {
        let fleet = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
        let inv = crate::fleet::load::load(&fleet).expect("examples/fleet loads");
        let catalog = Catalog::builtin().expect("builtin catalog");
        let model = crate::fleet::model::convert(&inv).expect("examples/fleet converts");
        let specs = resolve(&model, &catalog).expect("the example resolves");
        (model, specs)
    }

    /// One network view per Network document, shared by its accounts (not a copy each), with
    /// the same content as one built for the account alone.
    #[test]
    fn accounts_of_a_network_share_its_view() {
        let (model, specs) = example_specs();
        let mut shared = 0;
        for (i, a) in specs.iter().enumerate() {
            let net = &model.networks[&model.accounts[a.source].network];
            assert_eq!(
                format!("{:?}", a.network),
                format!("{:?}", network_view(net))
            );
            for b in &specs[i + 1..] {
                let same = a.network.name == b.network.name;
                assert_eq!(Arc::ptr_eq(&a.network, &b.network), same);
                shared += usize::from(same);
            }
        }
        assert!(shared > 0, "the example has two accounts on one network");
    }

    /// The association lists are views of the tenants' service accounts: every service
    /// account in exactly one, in tenant order; ACK associations only with `ackPodIdentity`.
    #[test]
    fn association_lists_are_the_tenants_service_accounts() {
        let (_, specs) = example_specs();
        let mut ack_accounts = 0;
        for spec in &specs {
            let all: Vec<&str> = spec
                .tenants
                .iter()
                .flat_map(|t| &t.service_accounts)
                .map(|s| s.field.as_str())
                .collect();
            let mut split: Vec<&str> = spec
                .pod_identity_associations()
                .chain(spec.irsa_service_accounts())
                .map(|s| s.field.as_str())
                .collect();
            assert!(spec
                .pod_identity_associations()
                .all(|s| s.identity == IdentityMode::PodIdentity));
            assert!(spec
                .irsa_service_accounts()
                .all(|s| s.identity == IdentityMode::Irsa));
            split.sort_unstable();
            let mut sorted = all.clone();
            sorted.sort_unstable();
            assert_eq!(split, sorted, "{}", spec.account.name);
            for t in &spec.tenants {
                let ack: Vec<_> = spec.ack_associations(t).collect();
                if spec.ack_pod_identity {
                    let pod: Vec<_> = t
                        .service_accounts
                        .iter()
                        .filter(|s| s.identity == IdentityMode::PodIdentity)
                        .collect();
                    assert_eq!(ack.len(), pod.len());
                } else {
                    assert!(ack.is_empty());
                }
            }
            if spec.ack_objects() {
                ack_accounts += 1;
                assert!(spec.ack_pod_identity);
            }
        }
        assert_eq!(ack_accounts, 1, "ml-research-dev has ackPodIdentity");
    }
}
