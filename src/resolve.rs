//! Resolve stage: inventory + blueprint + network → one fully resolved [`ClusterSpec`] per account.
//!
//! Every decision (defaults, names, ARNs, which files) is made here, in Rust; templates only
//! print what this model holds.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::blueprint::catalog::Catalog;
use crate::blueprint::reference::parse_blueprint_ref;
use crate::blueprint::{Addon, Blueprint, EksAddon, FileSpec, NodePool};
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::fleet::wire::{
    ChainingMode, Document, Engine, FleetSpec, IdentityMode, NetworkSpec, Statement,
    WorkloadAccountSpec,
};
use crate::fleet::Inventory;
use crate::identity::{self, role_name};
use crate::network;

/// Everything needed to render one account's repository. Templates see this as `spec`.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// The workload account.
    pub account: AccountView,
    /// The EKS cluster.
    pub cluster: ClusterView,
    /// The blueprint used, with parameters resolved against its defaults.
    pub blueprint: BlueprintView,
    /// The shared VPC.
    pub network: NetworkView,
    /// GitOps bootstrap.
    pub gitops: GitopsView,
    /// Tenant namespaces.
    pub tenants: Vec<TenantView>,
    /// Service accounts that use EKS Pod Identity, across tenants.
    pub pod_identity_associations: Vec<ServiceAccountView>,
    /// Service accounts that use IRSA, across tenants.
    pub irsa_service_accounts: Vec<ServiceAccountView>,
    /// Karpenter settings.
    pub karpenter: KarpenterView,
    /// The account's shared chaining role, when the inventory switches it on.
    pub shared_chaining_role: Option<SharedChainingRoleView>,
    /// Pod Identity associations are GitOps-managed ACK `PodIdentityAssociation`s (blueprint
    /// parameter `ackPodIdentity`) instead of eksctl `iam.podIdentityAssociations`.
    pub ack_pod_identity: bool,
    /// Cross-account access this account's service accounts need (not shown to templates).
    pub grants: Vec<Grant>,
    /// Cross-account access other inventory accounts need to roles of this account.
    pub incoming: Vec<Grant>,
    /// IAM limits and the SCP's platform role (not shown to templates).
    pub iam: IamSettings,
    /// `sha256:…` of this account's resolved inputs.
    pub inventory_digest: String,
    /// Files the blueprint renders (not shown to templates).
    pub files: Vec<FileSpec>,
    /// Git settings for the commit (not shown to templates).
    pub git: GitSettings,
    /// Things a person should know; the run still succeeds.
    pub warnings: Vec<String>,
}

/// Git settings of the Fleet, resolved for one account.
#[derive(Debug, Clone, Default)]
pub struct GitSettings {
    /// Branch to commit to.
    pub branch: String,
    /// Author name.
    pub author_name: String,
    /// Author e-mail.
    pub author_email: String,
    /// The account's remote URL, if configured.
    pub remote: Option<String>,
}

/// The workload account.
#[derive(Debug, Clone)]
pub struct AccountView {
    /// WorkloadAccount name (also the repository directory name).
    pub name: String,
    /// AWS account ID.
    pub id: String,
    /// Owning team.
    pub team: String,
    /// Environment.
    pub environment: String,
    /// AWS region.
    pub region: String,
    /// ARN partition.
    pub partition: String,
}

/// The EKS cluster.
#[derive(Debug, Clone)]
pub struct ClusterView {
    /// Cluster name.
    pub name: String,
    /// Kubernetes minor version.
    pub kubernetes_version: String,
    /// Cluster ARN.
    pub arn: String,
    /// OIDC issuer URL, once known.
    pub oidc_issuer: Option<String>,
    /// IAM OIDC provider ARN, once the issuer is known.
    pub oidc_provider_arn: Option<String>,
    /// Whether eksctl must associate an IAM OIDC provider (some service account uses IRSA).
    pub with_oidc: bool,
}

/// The blueprint, resolved.
#[derive(Debug, Clone)]
pub struct BlueprintView {
    /// Name.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// `name@version`.
    pub id: String,
    /// Parameters: the account's values over the blueprint's defaults.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// EKS managed add-ons.
    pub eks_addons: Vec<EksAddon>,
    /// Karpenter node pools.
    pub node_pools: Vec<NodePool>,
    /// Helm add-ons enabled for this account, values resolved.
    pub addons: Vec<AddonView>,
}

/// A Helm add-on, resolved for one account.
#[derive(Debug, Clone)]
pub struct AddonView {
    /// The blueprint's add-on, with `${…}` values replaced.
    pub addon: Addon,
    /// True for an OCI chart repository (`oci://`).
    pub oci: bool,
    /// The repository as Argo CD names it (no `oci://` scheme).
    pub helm_repo: String,
}

/// The shared VPC.
#[derive(Debug, Clone)]
pub struct NetworkView {
    /// Network document name.
    pub name: String,
    /// Networking account ID.
    pub account_id: String,
    /// VPC ID.
    pub vpc_id: String,
    /// RAM resource share ARN.
    pub ram_share_arn: String,
    /// Private subnets, sorted by AZ ID.
    pub private_subnets: Vec<SubnetView>,
    /// Public subnets, sorted by AZ ID.
    pub public_subnets: Vec<SubnetView>,
}

/// A subnet.
#[derive(Debug, Clone)]
pub struct SubnetView {
    /// Subnet ID.
    pub id: String,
    /// AZ ID.
    pub zone_id: String,
}

/// GitOps bootstrap.
#[derive(Debug, Clone)]
pub struct GitopsView {
    /// `argocd` or `flux`.
    pub engine: Engine,
    /// This repository's URL.
    pub repo_url: String,
    /// This repository's branch.
    pub branch: String,
    /// Other teams' repositories.
    pub repos: Vec<RepoView>,
    /// Teams with their repositories and namespaces (for AppProjects), sorted by name.
    pub teams: Vec<TeamView>,
}

/// A team repository.
#[derive(Debug, Clone)]
pub struct RepoView {
    /// Application / Kustomization name.
    pub name: String,
    /// Team.
    pub team: String,
    /// Git URL.
    pub url: String,
    /// Path in the repository (`.` for the root).
    pub path: String,
    /// Branch to follow (default `main`).
    pub revision: String,
    /// Namespaces it may deploy into; the first is its default.
    pub namespaces: Vec<String>,
}

/// A contributing team.
#[derive(Debug, Clone)]
pub struct TeamView {
    /// Team name (AppProject name).
    pub name: String,
    /// Repository URLs of the team.
    pub source_repos: Vec<String>,
    /// Namespaces the team may deploy into.
    pub namespaces: Vec<String>,
}

/// A tenant namespace.
#[derive(Debug, Clone)]
pub struct TenantView {
    /// Namespace.
    pub namespace: String,
    /// Quota, if set.
    pub quota: Option<QuotaView>,
    /// Service accounts.
    pub service_accounts: Vec<ServiceAccountView>,
    /// Pod Identity service accounts whose associations are ACK objects in this namespace.
    pub ack_associations: Vec<ServiceAccountView>,
}

/// A ResourceQuota.
#[derive(Debug, Clone)]
pub struct QuotaView {
    /// CPU requests.
    pub cpu: Option<String>,
    /// Memory requests.
    pub memory: Option<String>,
    /// Pods.
    pub pods: Option<u32>,
}

/// IAM settings for one account.
#[derive(Debug, Clone, Default)]
pub struct IamSettings {
    /// This account's trust policy quota (characters, whitespace not counted).
    pub trust_policy_max_chars: usize,
    /// The Fleet's trust policy quota (for hand-off documents of accounts outside the inventory).
    pub fleet_trust_policy_max_chars: usize,
    /// The platform role the SCP exempts.
    pub platform_role_arn: Option<String>,
}

/// The shared chaining role of an account.
#[derive(Debug, Clone)]
pub struct SharedChainingRoleView {
    /// Role name.
    pub role_name: String,
    /// Role ARN.
    pub role_arn: String,
    /// Every target of the service accounts that use it, sorted, deduplicated.
    pub targets: Vec<String>,
}

/// A role in another account (or another workload account) a service account assumes.
#[derive(Debug, Clone)]
pub struct TargetView {
    /// Role ARN.
    pub arn: String,
    /// The target's account ID.
    pub account_id: String,
    /// The target role's name (last path segment).
    pub role_name: String,
    /// Profile name in the AWS config file.
    pub profile: String,
    /// Native chaining: the association's external ID, once recorded in the inventory.
    pub external_id: Option<String>,
    /// The WorkloadAccount that owns the target role, when it is in the inventory.
    pub inventory_account: Option<String>,
}

/// One service account's access to one target role: what the target must trust.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The source WorkloadAccount name.
    pub account: String,
    /// The source account ID.
    pub account_id: String,
    /// ARN partition.
    pub partition: String,
    /// The source cluster's ARN.
    pub cluster_arn: String,
    /// Namespace.
    pub namespace: String,
    /// Service account.
    pub service_account: String,
    /// Identity mode of the service account.
    pub identity: IdentityMode,
    /// Chaining mode.
    pub chaining: ChainingMode,
    /// The role that calls `sts:AssumeRole` (own or shared chaining role).
    pub source_role_arn: String,
    /// Whether EKS sets session tags.
    pub session_tags: bool,
    /// The cluster's OIDC issuer (IRSA).
    pub issuer: Option<String>,
    /// The target.
    pub target: TargetView,
}

impl Grant {
    /// Who the target trusts, or `Err(what is missing)` while that is not known yet.
    pub fn source(&self) -> Result<identity::chaining::Source<'_>, String> {
        use identity::chaining::Source;
        match self.identity {
            IdentityMode::Irsa => {
                let issuer = self.issuer.as_deref().ok_or_else(|| {
                    format!("pending: the OIDC issuer of cluster {} is not known yet (set spec.cluster.oidcIssuer of WorkloadAccount {})", self.cluster_arn, self.account)
                })?;
                Ok(Source::WebIdentity {
                    provider_arn: identity::irsa::provider_arn(
                        &self.partition,
                        &self.target.account_id,
                        issuer,
                    ),
                    issuer,
                    namespace: &self.namespace,
                    service_account: &self.service_account,
                })
            }
            IdentityMode::PodIdentity => {
                let external_id = match self.chaining {
                    ChainingMode::Native => Some(self.target.external_id.as_deref().ok_or_else(|| {
                        format!("pending: the external ID of the Pod Identity association {}/{} is known once EKS creates it; record it in spec.tenants[].serviceAccounts[].externalIds of WorkloadAccount {}", self.namespace, self.service_account, self.account)
                    })?),
                    _ => None,
                };
                Ok(Source::Role {
                    role_arn: &self.source_role_arn,
                    cluster_arn: &self.cluster_arn,
                    namespace: &self.namespace,
                    service_account: &self.service_account,
                    external_id,
                    session_tags: self.session_tags,
                })
            }
        }
    }
}

/// A service account with its IAM role.
#[derive(Debug, Clone)]
pub struct ServiceAccountView {
    /// Service account name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `podIdentity` or `irsa`.
    pub identity: IdentityMode,
    /// IAM role name.
    pub role_name: String,
    /// IAM role ARN.
    pub role_arn: String,
    /// Managed policies attached.
    pub policy_arns: Vec<String>,
    /// Target roles in other accounts.
    pub assume_roles: Vec<String>,
    /// How the targets are reached.
    pub chaining: ChainingMode,
    /// Whether the service account has a role of its own (not with `chaining: shared`).
    pub own_role: bool,
    /// The role of the Pod Identity association / IRSA annotation.
    pub association_role_arn: String,
    /// Native chaining: the association's `targetRoleARN`.
    pub native_target: Option<String>,
    /// The targets, in inventory order.
    pub targets: Vec<TargetView>,
    /// `disableSessionTags` of the association.
    pub disable_session_tags: bool,
    /// The association's session policy, as compact JSON.
    pub session_policy: Option<String>,
    /// Profile chaining: the AWS config file (mounted with the credential script).
    pub chaining_config: Option<String>,
    /// Profile chaining: the default `AWS_PROFILE` (the first target's profile).
    pub aws_profile: Option<String>,
    /// Profile chaining through Pod Identity: the credential script is needed.
    pub credential_script: Option<String>,
    /// The role's permission policy (for eksctl `attachPolicy` while IRSA trust is pending).
    pub permission_policy: Option<serde_json::Value>,
    /// Inline statements (typed; rendered into JSON by the identity module).
    pub statements: Vec<Statement>,
    /// Session policy statements (typed).
    pub session_statements: Vec<Statement>,
}

/// Karpenter settings.
#[derive(Debug, Clone)]
pub struct KarpenterView {
    /// IAM role of the nodes Karpenter launches.
    pub node_role_name: String,
    /// Its ARN.
    pub node_role_arn: String,
    /// IAM role of the Karpenter controller (EKS Pod Identity, `kube-system/karpenter`).
    pub controller_role_name: String,
    /// Its ARN.
    pub controller_role_arn: String,
}

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
    Ok(ClusterSpec {
        network: network_view(&net.metadata.name, &net.spec),
        gitops: gitops_view(
            spec,
            fleet.defaults.gitops,
            remote.clone().unwrap_or_default(),
            &fleet.git.branch,
        ),
        blueprint: blueprint_view(bp, spec, &account, &cluster_name, &net.spec.vpc_id),
        pod_identity_associations: all_sas()
            .filter(|s| s.identity == IdentityMode::PodIdentity)
            .collect(),
        irsa_service_accounts: all_sas()
            .filter(|s| s.identity == IdentityMode::Irsa)
            .collect(),
        karpenter: karpenter_view(&account, &cluster_name),
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
    let arn = |name: &str| format!("arn:{}:iam::{}:role/{name}", account.partition, account.id);
    let node = role_name(&[cluster, "karpenter-node"]);
    let controller = role_name(&[cluster, "kube-system", "karpenter"]);
    KarpenterView {
        node_role_arn: arn(&node),
        node_role_name: node,
        controller_role_arn: arn(&controller),
        controller_role_name: controller,
    }
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

/// What naming a service account's roles and targets needs.
struct Ids<'a> {
    account: &'a AccountView,
    cluster: &'a ClusterView,
    /// Inventory account ID → WorkloadAccount name.
    inventory: &'a BTreeMap<String, String>,
    /// ARN of the shared chaining role, when switched on.
    shared_role: Option<String>,
}

fn tenants(ids: &Ids<'_>, spec: &WorkloadAccountSpec, default: IdentityMode) -> Vec<TenantView> {
    spec.tenants
        .iter()
        .map(|t| TenantView {
            namespace: t.namespace.clone(),
            quota: t.quota.as_ref().map(|q| QuotaView {
                cpu: q.cpu.as_ref().map(super::fleet::wire::Quantity::as_string),
                memory: q
                    .memory
                    .as_ref()
                    .map(super::fleet::wire::Quantity::as_string),
                pods: q.pods,
            }),
            service_accounts: t
                .service_accounts
                .iter()
                .map(|sa| service_account_view(ids, &t.namespace, sa, default))
                .collect(),
            ack_associations: Vec::new(),
        })
        .collect()
}

fn service_account_view(
    ids: &Ids<'_>,
    namespace: &str,
    sa: &crate::fleet::wire::ServiceAccount,
    default: IdentityMode,
) -> ServiceAccountView {
    let role = role_name(&[&ids.cluster.name, namespace, &sa.name]);
    let role_arn = identity::role_arn(&ids.account.partition, &ids.account.id, &role);
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
            &format!("{namespace}-{}", sa.name),
            web_identity,
        )
    });
    ServiceAccountView {
        name: sa.name.clone(),
        namespace: namespace.to_string(),
        identity: identity_mode,
        role_arn,
        role_name: role,
        policy_arns: sa.policy_arns.clone(),
        assume_roles: sa.assume_roles.clone(),
        chaining,
        own_role: !shared,
        association_role_arn,
        native_target: (chaining == ChainingMode::Native)
            .then(|| sa.assume_roles.first().cloned())
            .flatten(),
        aws_profile: profile_chaining
            .then(|| targets.first().map(|t| t.profile.clone()))
            .flatten(),
        credential_script: (profile_chaining && !web_identity)
            .then(|| identity::chaining::CREDENTIAL_SCRIPT.to_string()),
        chaining_config,
        targets,
        disable_session_tags: sa.disable_session_tags,
        session_policy: (!sa.session_policy.is_empty()).then(|| {
            serde_json::to_string(&identity::policy::document(&sa.session_policy))
                .unwrap_or_default()
        }),
        permission_policy: identity::policy::permission_policy(
            &sa.statements,
            &sa.assume_roles,
            identity::policy::Chaining::of(identity_mode, chaining),
        ),
        statements: sa.statements.clone(),
        session_statements: sa.session_policy.clone(),
    }
}

fn target_views(ids: &Ids<'_>, sa: &crate::fleet::wire::ServiceAccount) -> Vec<TargetView> {
    let mut used: Vec<String> = Vec::new();
    sa.assume_roles
        .iter()
        .map(|arn| {
            let (account_id, name) = identity::role_arn_parts(arn).unwrap_or(("", arn));
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
                arn: arn.clone(),
                account_id: account_id.to_string(),
                role_name: name.to_string(),
                profile,
                external_id: sa.external_ids.get(arn).cloned(),
                inventory_account: ids.inventory.get(account_id).cloned(),
            }
        })
        .collect()
}

/// Every (service account, target) pair of the account.
fn grants(ids: &Ids<'_>, tenants: &[TenantView]) -> Vec<Grant> {
    tenants
        .iter()
        .flat_map(|t| &t.service_accounts)
        .flat_map(|sa| {
            sa.targets.iter().map(move |target| Grant {
                account: ids.account.name.clone(),
                account_id: ids.account.id.clone(),
                partition: ids.account.partition.clone(),
                cluster_arn: ids.cluster.arn.clone(),
                namespace: sa.namespace.clone(),
                service_account: sa.name.clone(),
                identity: sa.identity,
                chaining: sa.chaining,
                source_role_arn: sa.association_role_arn.clone(),
                session_tags: !sa.disable_session_tags,
                issuer: ids.cluster.oidc_issuer.clone(),
                target: target.clone(),
            })
        })
        .collect()
}

fn pending_grant_warnings(grants: &[Grant]) -> Vec<String> {
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

fn substitute(v: &mut serde_json::Value, vars: &[(&str, &str)]) {
    match v {
        serde_json::Value::String(s) => {
            for (k, val) in vars {
                *s = s.replace(k, val);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, vars)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| substitute(x, vars)),
        _ => {}
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
