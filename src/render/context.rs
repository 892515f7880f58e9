//! The template contract: what a template may use, and nothing else.
//!
//! Templates see `spec` (a [`Spec`]), and inside `forEach: tenants` files also `tenant` (a
//! [`Tenant`]). Every value is borrowed from the resolved model and serialize-only; every
//! decision (identity modes, GPU pools, which engine, ARNs, arithmetic) is made here, in Rust, so
//! templates only print and loop. Field names are camelCase in templates.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::blueprint::{EksAddon, NodePool, Taint};
use crate::gitops::Engine;
use crate::identity::modes::IdentityMode;
use crate::resolve::{
    AddonIdentityView, AddonRole, AddonView, BlueprintView, ClusterKindView, ClusterSpec,
    GitopsView, QuotaView, RepoView, ServiceAccountView, SharedChainingRoleView, SubnetView,
    TargetView, TeamView, TenantView,
};

/// The taint key that marks a GPU node pool.
const GPU_TAINT: &str = "nvidia.com/gpu";

/// `spec` in every template.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Spec<'a> {
    account: Account<'a>,
    cluster: Cluster<'a>,
    blueprint: Blueprint<'a>,
    network: Network<'a>,
    gitops: Gitops<'a>,
    tenants: Vec<Tenant<'a>>,
    access_entries: Vec<AccessEntry<'a>>,
    pod_identity_associations: Vec<ServiceAccount<'a>>,
    irsa_service_accounts: Vec<ServiceAccount<'a>>,
    karpenter: Karpenter<'a>,
    addon_identities: Vec<AddonIdentity<'a>>,
    shared_chaining_role: Option<SharedChainingRole<'a>>,
    ack_pod_identity: bool,
    /// Some tenant has ACK PodIdentityAssociations (`pod-identity/`, synced after the ACK
    /// controller whose chart installs their CRD).
    ack_objects: bool,
    inventory_digest: &'a str,
    iam: Iam<'a>,
    /// Roles of this account that service accounts of other workload accounts of the fleet
    /// assume (`iam/cross-account/<roleName>/`), with the accounts that assume them.
    cross_account_roles: Vec<CrossAccountRole<'a>>,
    /// Roles of other accounts this cluster assumes (`handoff/<accountId>/<roleName>/`).
    handoffs: Vec<Handoff<'a>>,
    eksctl: Eksctl,
    /// Names of the CloudFormation stacks of this account (`iam/stack.yaml`, wave 1;
    /// `iam/cross-account/stack.yaml`, wave 2).
    stacks: Stacks,
}

/// The eksctl version `cluster/cluster.yaml` needs: the newest minimum of the fields it uses.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Eksctl {
    min_version: &'static str,
    /// Why: the fields that need that version.
    because: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CrossAccountRole<'a> {
    role_name: &'a str,
    /// WorkloadAccount names, sorted, each once.
    assumed_by: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Handoff<'a> {
    account_id: &'a str,
    role_name: &'a str,
    inventory_account: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stacks {
    iam: String,
    cross_account: Option<String>,
    handoff: String,
    /// Accounts outside the inventory with a `handoff/<account>/stack.yaml`.
    handoff_accounts: Vec<String>,
    /// Roles outside the inventory this cluster assumes that another source account's
    /// hand-off stack creates (with this cluster's trust too).
    handoff_elsewhere: Vec<HandoffElsewhere>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HandoffElsewhere {
    role_arn: String,
    /// The WorkloadAccount whose repository holds the stack.
    owner: String,
    /// Its stack name.
    stack: String,
}

/// The minimum eksctl version for the fields `cluster/cluster.yaml` writes (strict loader:
/// older versions refuse unknown fields). 0.201.0 installs metrics-server as a default EKS
/// add-on, which `addonsConfig.disableDefaultAddons` turns off (eksctl user guide, Addons);
/// `targetRoleARN` and `disableSessionTags` of `iam.podIdentityAssociations` need 0.212.0,
/// their `policy` 0.223.0.
pub(crate) fn eksctl_min_version(spec: &ClusterSpec) -> (&'static str, &'static str) {
    let listed = || {
        spec.pod_identity_associations()
            .filter(|_| !spec.ack_pod_identity)
    };
    if listed().any(|sa| sa.session_policy.is_some()) {
        ("0.223.0", "iam.podIdentityAssociations[].policy")
    } else if listed().any(|sa| sa.native_target.is_some() || sa.disable_session_tags) {
        (
            "0.212.0",
            "iam.podIdentityAssociations[].targetRoleARN/disableSessionTags",
        )
    } else {
        (
            "0.201.0",
            "addonsConfig.disableDefaultAddons with metrics-server among the default add-ons",
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Account<'a> {
    name: &'a str,
    id: &'a str,
    team: &'a str,
    environment: &'a str,
    region: &'a str,
    partition: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cluster<'a> {
    name: &'a str,
    kubernetes_version: &'a str,
    arn: &'a str,
    with_oidc: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Blueprint<'a> {
    name: &'a str,
    version: &'a str,
    id: &'a str,
    parameters: &'a BTreeMap<String, Value>,
    eks_addons: Vec<EksAddonCtx<'a>>,
    node_pools: Vec<Pool<'a>>,
    addons: Vec<Addon<'a>>,
    /// Capacity the CPU pools (no taints) offer, and whether any pool is a GPU pool.
    capacity: Capacity,
    /// The blueprint renders Kueue objects (files from `templates/kueue/`).
    kueue: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Capacity {
    spot: bool,
    on_demand: bool,
    gpu: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EksAddonCtx<'a> {
    name: &'a str,
    version: Option<&'a str>,
    configuration_values: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pool<'a> {
    name: &'a str,
    node_class: &'a str,
    capacity_types: Vec<&'a str>,
    architectures: &'a [String],
    instance_categories: &'a [String],
    instance_families: &'a [String],
    min_generation: Option<u32>,
    /// `karpenter.k8s.aws/instance-generation` Gt this (`minGeneration - 1`).
    generation_above: Option<u32>,
    taints: Vec<TaintCtx<'a>>,
    limits: &'a BTreeMap<String, String>,
    consolidation_policy: &'a str,
    consolidate_after: &'a str,
    expire_after: &'a str,
    termination_grace_period: Option<&'a str>,
    budgets: &'a [crate::blueprint::Budget],
    weight: Option<u32>,
    /// Tainted `nvidia.com/gpu`.
    gpu: bool,
}

#[derive(Serialize)]
struct TaintCtx<'a> {
    key: &'a str,
    value: Option<&'a str>,
    effect: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Addon<'a> {
    name: &'a str,
    repo_url: &'a str,
    chart: &'a str,
    version: &'a str,
    namespace: &'a str,
    values: serde_json::Map<String, Value>,
    oci: bool,
    helm_repo: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Network<'a> {
    name: &'a str,
    account_id: &'a str,
    vpc_id: &'a str,
    ram_share_arn: &'a str,
    private_subnets: Vec<Subnet<'a>>,
    public_subnets: Vec<Subnet<'a>>,
    load_balancer_subnets: LoadBalancerSubnets<'a>,
    /// The VPC endpoints' CIDR blocks; empty when the Network declares none.
    endpoint_cidrs: &'a [String],
    /// The account's private hosted zones, which the networking account associates with the
    /// VPC (`network/README.md`); empty when the inventory declares none.
    private_zones: Vec<PrivateZone<'a>>,
}

/// A private hosted zone of the account (`spec.dns.zones`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrivateZone<'a> {
    domain: &'a str,
    hosted_zone_id: Option<&'a str>,
}

/// The subnets the AWS Load Balancer Controller is given by ID (`IngressClassParams`
/// `spec.subnets.ids`, the Service annotation `service.beta.kubernetes.io/aws-load-balancer-subnets`):
/// in a shared VPC it runs in the workload account and cannot see the owner's subnet tags, so
/// it cannot discover them. One subnet per AZ ID (the first the Network lists), because a load
/// balancer takes at most one subnet per Availability Zone.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoadBalancerSubnets<'a> {
    /// For `internet-facing` load balancers; empty when the Network has no public subnets.
    public: Vec<&'a str>,
    /// For `internal` load balancers.
    private: Vec<&'a str>,
}

impl<'a> LoadBalancerSubnets<'a> {
    fn one_per_zone(subnets: &'a [SubnetView]) -> Vec<&'a str> {
        let mut zones = std::collections::BTreeSet::new();
        subnets
            .iter()
            .filter(|s| zones.insert(s.zone_id.as_str()))
            .map(|s| s.id.as_str())
            .collect()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Subnet<'a> {
    id: &'a str,
    zone_id: &'a str,
    /// The ARN AWS RAM shares: `arn:<p>:ec2:<region>:<networking account>:subnet/<id>`.
    arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Gitops<'a> {
    engine: Engine,
    argocd: bool,
    flux: bool,
    repo_url: &'a str,
    branch: &'a str,
    /// The user the GitOps controller applies the platform's own trees as.
    controller: &'static str,
    repos: Vec<Repo<'a>>,
    teams: Vec<Team<'a>>,
    /// The sync identities that hold cluster-scoped kinds (`clusterResources`): per team under
    /// Argo CD (one AppProject and service account per team), per repository under Flux.
    cluster_units: Vec<ClusterUnit<'a>>,
}

/// A sync identity with cluster-scoped kinds: ClusterRole and binding `eksvend-cluster-<name>`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterUnit<'a> {
    name: &'a str,
    /// How a comment names it: `team security` or `repository security-baseline`.
    what: String,
    kinds: Vec<ClusterKind<'a>>,
    service_account: String,
    service_account_namespace: &'a str,
    /// The people's group (the contributing team's own).
    group: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Repo<'a> {
    name: &'a str,
    team: &'a str,
    url: &'a str,
    path: &'a str,
    revision: &'a str,
    namespaces: &'a [String],
    cluster_resources: Vec<ClusterKind<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Team<'a> {
    name: &'a str,
    source_repos: &'a [String],
    namespaces: &'a [String],
    cluster_resources: Vec<ClusterKind<'a>>,
}

/// A cluster-scoped kind a team installs (`clusterResources`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterKind<'a> {
    group: &'a str,
    kind: &'a str,
    resource: &'a str,
}

/// An EKS access entry of people (`spec.access`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessEntry<'a> {
    principal_arn: &'a str,
    groups: &'a [String],
    admin_policy_arn: Option<&'a str>,
}

/// `tenant` in `forEach: tenants` files (and each item of `spec.tenants`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tenant<'a> {
    namespace: &'a str,
    quota: Option<Quota<'a>>,
    service_accounts: Vec<ServiceAccount<'a>>,
    ack_associations: Vec<ServiceAccount<'a>>,
    /// The Kubernetes groups bound to the team role in this namespace.
    groups: &'a [String],
}

#[derive(Serialize)]
struct Quota<'a> {
    cpu: Option<&'a str>,
    memory: Option<&'a str>,
    pods: Option<u32>,
}

/// A service account with its role (`sa` in identity templates).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceAccount<'a> {
    name: &'a str,
    namespace: &'a str,
    identity: IdentityMode,
    /// Uses IRSA (annotation + web identity), not EKS Pod Identity.
    irsa: bool,
    role_name: &'a str,
    role_arn: &'a str,
    policy_arns: &'a [String],
    association_role_arn: &'a str,
    native_target: Option<&'a str>,
    targets: Vec<Target<'a>>,
    disable_session_tags: bool,
    session_policy: Option<&'a str>,
    chaining_config: Option<&'a str>,
    aws_profile: Option<&'a str>,
    permission_policy: Option<Value>,
}

/// A target role (`target` in hand-off templates).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Target<'a> {
    arn: &'a str,
    account_id: &'a str,
    role_name: &'a str,
    profile: &'a str,
    inventory_account: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Karpenter<'a> {
    node_role_name: &'a str,
    node_role_arn: &'a str,
}

/// An add-on's Pod Identity association: exactly one of `roleArn` (eksvend's role),
/// `wellKnown` (an eksctl `wellKnownPolicies` key, print it with `| key`) and
/// `managedPolicyArns` (non-empty) is set.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddonIdentity<'a> {
    addon: &'a str,
    namespace: &'a str,
    service_account: &'a str,
    role_arn: Option<&'a str>,
    well_known: Option<&'static str>,
    managed_policy_arns: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SharedChainingRole<'a> {
    role_name: &'a str,
    role_arn: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Iam<'a> {
    platform_role_arn: Option<&'a str>,
}

impl<'a> Spec<'a> {
    /// The context of every template of `spec`'s repository.
    pub(crate) fn of(spec: &'a ClusterSpec) -> Spec<'a> {
        let bp = &spec.blueprint;
        let (handoff_accounts, handoff_elsewhere) = handoff_stacks(spec);
        let node_pools: Vec<Pool<'a>> = bp
            .node_pools
            .iter()
            .map(|p| pool(p, &bp.parameters))
            .collect();
        let cpu = || node_pools.iter().filter(|p| p.taints.is_empty());
        let capacity = Capacity {
            spot: cpu().any(|p| p.capacity_types.contains(&"spot")),
            on_demand: cpu().any(|p| p.capacity_types.contains(&"on-demand")),
            gpu: node_pools.iter().any(|p| p.gpu),
        };
        Spec {
            account: Account {
                name: &spec.account.name,
                id: &spec.account.id,
                team: &spec.account.team,
                environment: &spec.account.environment,
                region: &spec.account.region,
                partition: &spec.account.partition,
            },
            cluster: Cluster {
                name: &spec.cluster.name,
                kubernetes_version: &spec.cluster.kubernetes_version,
                arn: &spec.cluster.arn,
                with_oidc: spec.cluster.with_oidc,
            },
            blueprint: Blueprint {
                name: &bp.name,
                version: &bp.version,
                id: &bp.id,
                parameters: &bp.parameters,
                eks_addons: bp.eks_addons.iter().map(eks_addon).collect(),
                node_pools,
                addons: bp.addons.iter().map(|a| addon(bp, a)).collect(),
                capacity,
                kueue: spec.files.iter().any(|f| f.template.starts_with("kueue/")),
            },
            network: Network {
                name: &spec.network.name,
                account_id: &spec.network.account_id,
                vpc_id: &spec.network.vpc_id,
                ram_share_arn: &spec.network.ram_share_arn,
                private_subnets: spec
                    .network
                    .private_subnets
                    .iter()
                    .map(|s| subnet(spec, s))
                    .collect(),
                public_subnets: spec
                    .network
                    .public_subnets
                    .iter()
                    .map(|s| subnet(spec, s))
                    .collect(),
                load_balancer_subnets: LoadBalancerSubnets {
                    public: LoadBalancerSubnets::one_per_zone(&spec.network.public_subnets),
                    private: LoadBalancerSubnets::one_per_zone(&spec.network.private_subnets),
                },
                endpoint_cidrs: &spec.network.endpoint_cidrs,
                private_zones: spec
                    .private_zones
                    .iter()
                    .map(|z| PrivateZone {
                        domain: &z.domain,
                        hosted_zone_id: z.hosted_zone_id.as_deref(),
                    })
                    .collect(),
            },
            gitops: gitops(&spec.gitops),
            tenants: spec.tenants.iter().map(|t| Tenant::of(spec, t)).collect(),
            access_entries: spec
                .access_entries
                .iter()
                .map(|e| AccessEntry {
                    principal_arn: &e.principal_arn,
                    groups: &e.groups,
                    admin_policy_arn: e.admin_policy_arn.as_deref(),
                })
                .collect(),
            pod_identity_associations: spec
                .pod_identity_associations()
                .map(ServiceAccount::of)
                .collect(),
            irsa_service_accounts: spec
                .irsa_service_accounts()
                .map(ServiceAccount::of)
                .collect(),
            karpenter: Karpenter {
                node_role_name: &spec.karpenter.node_role_name,
                node_role_arn: &spec.karpenter.node_role_arn,
            },
            addon_identities: spec.addon_identities.iter().map(addon_identity).collect(),
            shared_chaining_role: spec.shared_chaining_role.as_ref().map(shared_role),
            ack_pod_identity: spec.ack_pod_identity,
            ack_objects: spec.ack_objects(),
            inventory_digest: &spec.inventory_digest,
            iam: Iam {
                platform_role_arn: spec.iam.platform_role_arn.as_deref(),
            },
            cross_account_roles: cross_account_roles(spec),
            handoffs: handoffs(spec),
            eksctl: {
                let (min_version, because) = eksctl_min_version(spec);
                Eksctl {
                    min_version,
                    because,
                }
            },
            stacks: Stacks {
                iam: crate::iam::stack::name(spec),
                cross_account: (!spec.incoming.is_empty())
                    .then(|| crate::iam::stack::cross_account_name(spec)),
                handoff: crate::iam::stack::handoff_name(spec),
                handoff_accounts,
                handoff_elsewhere,
            },
        }
    }
}

impl<'a> Tenant<'a> {
    pub(crate) fn of(spec: &'a ClusterSpec, t: &'a TenantView) -> Tenant<'a> {
        Tenant {
            namespace: &t.namespace,
            quota: t.quota.as_ref().map(quota),
            service_accounts: t.service_accounts.iter().map(ServiceAccount::of).collect(),
            ack_associations: spec.ack_associations(t).map(ServiceAccount::of).collect(),
            groups: &t.groups,
        }
    }
}

impl<'a> ServiceAccount<'a> {
    pub(crate) fn of(sa: &'a ServiceAccountView) -> ServiceAccount<'a> {
        ServiceAccount {
            name: &sa.name,
            namespace: &sa.namespace,
            identity: sa.identity,
            irsa: sa.identity == IdentityMode::Irsa,
            role_name: &sa.role_name,
            role_arn: &sa.role_arn,
            policy_arns: &sa.policy_arns,
            association_role_arn: &sa.association_role_arn,
            native_target: sa.native_target.as_deref(),
            targets: sa.targets.iter().map(Target::of).collect(),
            disable_session_tags: sa.disable_session_tags,
            session_policy: sa.session_policy.as_deref(),
            chaining_config: sa.chaining_config.as_deref(),
            aws_profile: sa.aws_profile.as_deref(),
            permission_policy: sa.permission_policy(),
        }
    }
}

impl<'a> Target<'a> {
    pub(crate) fn of(t: &'a TargetView) -> Target<'a> {
        Target {
            arn: &t.arn,
            account_id: &t.account_id,
            role_name: &t.role_name,
            profile: &t.profile,
            inventory_account: t.inventory_account.as_deref(),
        }
    }
}

fn addon_identity(a: &AddonIdentityView) -> AddonIdentity<'_> {
    let (role_arn, well_known, managed): (_, _, &[String]) = match &a.role {
        AddonRole::Own { role_arn, .. } => (Some(role_arn.as_str()), None, &[]),
        AddonRole::WellKnown(key) => (None, Some(*key), &[]),
        AddonRole::Managed(arns) => (None, None, arns),
    };
    AddonIdentity {
        addon: &a.addon,
        namespace: &a.namespace,
        service_account: &a.service_account,
        role_arn,
        well_known,
        managed_policy_arns: managed,
    }
}

fn eks_addon(a: &EksAddon) -> EksAddonCtx<'_> {
    EksAddonCtx {
        name: &a.name,
        version: a.version.as_deref(),
        configuration_values: a.configuration_values.as_deref(),
    }
}

fn pool<'a>(p: &'a NodePool, parameters: &BTreeMap<String, serde_json::Value>) -> Pool<'a> {
    let reserved = p.reserved_when.as_ref().is_some_and(|name| {
        parameters
            .get(name)
            .and_then(serde_json::Value::as_str)
            .is_some_and(|v| !v.trim().is_empty())
    });
    let mut capacity_types: Vec<&str> = p.capacity_types.iter().map(String::as_str).collect();
    if reserved && !capacity_types.contains(&"reserved") {
        capacity_types.insert(0, "reserved");
    }
    Pool {
        name: &p.name,
        node_class: &p.node_class,
        capacity_types,
        architectures: &p.architectures,
        instance_categories: &p.instance_categories,
        instance_families: &p.instance_families,
        min_generation: p.min_generation,
        generation_above: p.min_generation.map(|g| g.saturating_sub(1)),
        taints: p.taints.iter().map(taint).collect(),
        limits: &p.limits,
        consolidation_policy: &p.consolidation_policy,
        consolidate_after: &p.consolidate_after,
        expire_after: &p.expire_after,
        termination_grace_period: p.termination_grace_period.as_deref(),
        budgets: &p.budgets,
        weight: p.weight,
        gpu: p.taints.iter().any(|t| t.key == GPU_TAINT),
    }
}

fn taint(t: &Taint) -> TaintCtx<'_> {
    TaintCtx {
        key: &t.key,
        value: t.value.as_deref(),
        effect: &t.effect,
    }
}

fn addon<'a>(bp: &BlueprintView, a: &'a AddonView) -> Addon<'a> {
    Addon {
        name: &a.addon.name,
        repo_url: &a.addon.repo_url,
        chart: &a.addon.chart,
        version: &a.addon.version,
        namespace: &a.addon.namespace,
        values: bp.values(a),
        oci: a.oci,
        helm_repo: &a.helm_repo,
    }
}

fn subnet<'a>(spec: &ClusterSpec, s: &'a SubnetView) -> Subnet<'a> {
    Subnet {
        id: &s.id,
        zone_id: &s.zone_id,
        arn: crate::domain::arn::ec2_subnet(&spec.account.region, &spec.network.account_id, &s.id),
    }
}

/// One entry per target role of `incoming`, in role-name order.
fn cross_account_roles(spec: &ClusterSpec) -> Vec<CrossAccountRole<'_>> {
    let mut by_role: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in &spec.incoming {
        by_role
            .entry(g.target.role_name.as_str())
            .or_default()
            .push(g.account.as_str());
    }
    by_role
        .into_iter()
        .map(|(role_name, mut assumed_by)| {
            assumed_by.sort_unstable();
            assumed_by.dedup();
            CrossAccountRole {
                role_name,
                assumed_by,
            }
        })
        .collect()
}

/// The accounts outside the inventory whose `handoff/<account>/stack.yaml` this repository
/// holds, and the roles there that another source account's hand-off stack creates.
fn handoff_stacks(spec: &ClusterSpec) -> (Vec<String>, Vec<HandoffElsewhere>) {
    let mut accounts = std::collections::BTreeSet::new();
    let mut elsewhere = Vec::new();
    for (arn, grants) in crate::iam::handoff_targets(spec) {
        let t = &grants[0].target;
        if t.inventory_account.is_some() || crate::iam::target_trust(&grants).is_none() {
            continue;
        }
        match crate::iam::handoff_owner(&grants) {
            Some(owner) if owner == spec.account.name.as_str() => {
                accounts.insert(t.account_id.to_string());
            }
            Some(owner) => elsewhere.push(HandoffElsewhere {
                role_arn: arn,
                owner: owner.to_string(),
                stack: crate::iam::stack::handoff_stack_name(owner),
            }),
            None => {}
        }
    }
    (accounts.into_iter().collect(), elsewhere)
}

/// One entry per target role of `grants` (as `handoff/` is written), by account and role.
fn handoffs(spec: &ClusterSpec) -> Vec<Handoff<'_>> {
    let mut out: Vec<Handoff<'_>> = Vec::new();
    for g in &spec.grants {
        let t = &g.target;
        if !out
            .iter()
            .any(|h| h.account_id == &*t.account_id && h.role_name == t.role_name)
        {
            out.push(Handoff {
                account_id: &t.account_id,
                role_name: &t.role_name,
                inventory_account: t.inventory_account.as_deref(),
            });
        }
    }
    out.sort_by(|a, b| (a.account_id, a.role_name).cmp(&(b.account_id, b.role_name)));
    out
}

fn gitops(g: &GitopsView) -> Gitops<'_> {
    Gitops {
        engine: g.engine,
        argocd: g.engine == Engine::Argocd,
        flux: g.engine == Engine::Flux,
        repo_url: &g.repo_url,
        branch: &g.branch,
        controller: match g.engine {
            Engine::Argocd => "system:serviceaccount:argocd:argocd-application-controller",
            Engine::Flux => "system:serviceaccount:flux-system:kustomize-controller",
        },
        repos: g.repos.iter().map(repo).collect(),
        teams: g.teams.iter().map(team).collect(),
        cluster_units: cluster_units(g),
    }
}

fn cluster_units(g: &GitopsView) -> Vec<ClusterUnit<'_>> {
    fn first(ns: &[String]) -> &str {
        ns.first().map_or("", String::as_str)
    }
    match g.engine {
        Engine::Argocd => g
            .teams
            .iter()
            .filter(|t| !t.cluster_resources.is_empty())
            .map(|t| ClusterUnit {
                name: &t.name,
                what: format!("team {}", t.name),
                kinds: t.cluster_resources.iter().map(cluster_kind).collect(),
                service_account: format!("argocd-{}", t.name),
                service_account_namespace: first(&t.namespaces),
                group: &t.name,
            })
            .collect(),
        Engine::Flux => g
            .repos
            .iter()
            .filter(|r| !r.cluster_resources.is_empty())
            .map(|r| ClusterUnit {
                name: &r.name,
                what: format!("repository {}", r.name),
                kinds: r.cluster_resources.iter().map(cluster_kind).collect(),
                service_account: format!("flux-{}", r.name),
                service_account_namespace: first(&r.namespaces),
                group: &r.team,
            })
            .collect(),
    }
}

fn repo(r: &RepoView) -> Repo<'_> {
    Repo {
        name: &r.name,
        team: &r.team,
        url: &r.url,
        path: &r.path,
        revision: &r.revision,
        namespaces: &r.namespaces,
        cluster_resources: r.cluster_resources.iter().map(cluster_kind).collect(),
    }
}

fn team(t: &TeamView) -> Team<'_> {
    Team {
        name: &t.name,
        source_repos: &t.source_repos,
        namespaces: &t.namespaces,
        cluster_resources: t.cluster_resources.iter().map(cluster_kind).collect(),
    }
}

fn cluster_kind(k: &ClusterKindView) -> ClusterKind<'_> {
    ClusterKind {
        group: &k.group,
        kind: &k.kind,
        resource: &k.resource,
    }
}

fn quota(q: &QuotaView) -> Quota<'_> {
    Quota {
        cpu: q.cpu.as_deref(),
        memory: q.memory.as_deref(),
        pods: q.pods,
    }
}

fn shared_role(s: &SharedChainingRoleView) -> SharedChainingRole<'_> {
    SharedChainingRole {
        role_name: &s.role_name,
        role_arn: &s.role_arn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_balancer_gets_the_first_subnet_of_each_az_id() {
        let subnet = |id: &str, zone: &str| SubnetView {
            id: id.into(),
            zone_id: zone.into(),
        };
        let subnets = [
            subnet("subnet-0a", "use1-az1"),
            subnet("subnet-0b", "use1-az2"),
            subnet("subnet-0c", "use1-az1"),
        ];
        assert_eq!(
            LoadBalancerSubnets::one_per_zone(&subnets),
            ["subnet-0a", "subnet-0b"]
        );
    }
}
