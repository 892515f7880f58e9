//! The resolved model: one [`ClusterSpec`] per account, everything rendering needs, decided.
//!
//! Not `Serialize`: templates see `render::context`, built from it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::blueprint::{instantiated, Addon, EksAddon, FileSpec, NodePool};
use crate::domain::{AccountId, OidcIssuer, Partition, Region};
use crate::gitops::Engine;
use crate::identity;
use crate::identity::modes::{ChainingMode, IdentityMode};
use crate::identity::statement::Statement;

/// Everything needed to render one account's repository. Templates see this as `spec`.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// Index of the account's document in the inventory (for locations).
    pub source: usize,
    /// The workload account.
    pub account: AccountView,
    /// The EKS cluster.
    pub cluster: ClusterView,
    /// The blueprint used, with parameters resolved against its defaults.
    pub blueprint: BlueprintView,
    /// The shared VPC: one per Network document, shared by its accounts.
    pub network: Arc<NetworkView>,
    /// GitOps bootstrap.
    pub gitops: GitopsView,
    /// Tenant namespaces.
    pub tenants: Vec<TenantView>,
    /// EKS access entries of people (`spec.access`), one per IAM principal.
    pub access_entries: Vec<AccessEntryView>,
    /// Karpenter's node role.
    pub karpenter: KarpenterView,
    /// The workload identities of the blueprint's enabled add-ons, in add-on order.
    pub addon_identities: Vec<AddonIdentityView>,
    /// The account's shared chaining role, when the inventory switches it on.
    pub shared_chaining_role: Option<SharedChainingRoleView>,
    /// Pod Identity associations are GitOps-managed ACK `PodIdentityAssociation`s (blueprint
    /// parameter `ackPodIdentity`) instead of eksctl `iam.podIdentityAssociations`.
    pub ack_pod_identity: bool,
    /// Cross-account access this account's service accounts need (not shown to templates).
    pub grants: Vec<Grant>,
    /// Cross-account access other inventory accounts need to roles of this account.
    pub incoming: Vec<Grant>,
    /// Every grant of the fleet (this account's and other accounts') to the roles outside the
    /// inventory that this account's service accounts assume: a role two accounts assume gets
    /// one trust and one hand-off stack (`iam::stack`), never one per source repository.
    pub handoff_grants: Vec<Grant>,
    /// IAM limits and the SCP's platform role (not shown to templates).
    pub iam: IamSettings,
    /// `sha256:…` of this account's resolved inputs.
    pub inventory_digest: String,
    /// Files the blueprint renders (not shown to templates); shared by every account of the
    /// blueprint.
    pub files: Arc<[FileSpec]>,
    /// Git settings for the commit (not shown to templates).
    pub git: GitSettings,
    /// Things a person should know; the run still succeeds.
    pub warnings: Vec<String>,
    /// The account's private hosted zones (`spec.dns.zones` of type `private`), in inventory
    /// order: the networking account associates them with the VPC.
    pub private_zones: Vec<PrivateZoneView>,
    /// `${dns.hostedZoneArns}` of the add-ons' policy files: the account's named hosted zones.
    pub hosted_zone_arns: Vec<String>,
}

/// A private hosted zone of the account.
#[derive(Debug, Clone)]
pub struct PrivateZoneView {
    /// The zone's domain.
    pub domain: String,
    /// Its ID, when the inventory names it.
    pub hosted_zone_id: Option<String>,
}

impl ClusterSpec {
    /// The service accounts that use EKS Pod Identity, across tenants in tenant order (a view
    /// of [`ClusterSpec::tenants`], not a copy).
    pub fn pod_identity_associations(&self) -> impl Iterator<Item = &ServiceAccountView> {
        self.service_accounts(IdentityMode::PodIdentity)
    }

    /// The service accounts that use IRSA, across tenants in tenant order. eksctl creates every
    /// IRSA role (its trust needs the cluster's OIDC provider, which eksctl creates with the
    /// cluster); iam/stack.yaml never holds one: one owner per role.
    pub fn irsa_service_accounts(&self) -> impl Iterator<Item = &ServiceAccountView> {
        self.service_accounts(IdentityMode::Irsa)
    }

    fn service_accounts(&self, mode: IdentityMode) -> impl Iterator<Item = &ServiceAccountView> {
        self.tenants
            .iter()
            .flat_map(|t| &t.service_accounts)
            .filter(move |s| s.identity == mode)
    }

    /// The Pod Identity service accounts of `tenant` whose associations are ACK objects in its
    /// namespace: all of them with [`ClusterSpec::ack_pod_identity`], else none.
    pub fn ack_associations<'s>(
        &'s self,
        tenant: &'s TenantView,
    ) -> impl Iterator<Item = &'s ServiceAccountView> {
        tenant
            .service_accounts
            .iter()
            .filter(move |s| self.ack_pod_identity && s.identity == IdentityMode::PodIdentity)
    }

    /// Whether some tenant has ACK Pod Identity associations.
    pub fn ack_objects(&self) -> bool {
        self.tenants
            .iter()
            .any(|t| self.ack_associations(t).next().is_some())
    }

    /// The customer managed policies (policy name, document) of the enabled add-on `addon`
    /// whose role is eksvend's own ([`AddonRole::Own`]): the blueprint's policy files with their
    /// placeholders replaced for this account, in the blueprint's order. Built when they are
    /// needed (by the iam stage), never kept per account.
    pub fn addon_policies(&self, addon: &str) -> Vec<(String, serde_json::Value)> {
        let Some(a) = self.blueprint.addons.iter().find(|a| a.addon.name == addon) else {
            return Vec::new();
        };
        let vars = crate::blueprint::PolicyVars {
            partition: self.account.partition,
            region: self.account.region.as_str(),
            account_id: self.account.id.as_str(),
            cluster_name: &self.cluster.name,
            karpenter_node_role_arn: &self.karpenter.node_role_arn,
            hosted_zone_arns: &self.hosted_zone_arns,
        };
        a.addon
            .identity
            .as_ref()
            .map(|id| id.policy.documents_for(&vars))
            .unwrap_or_default()
    }
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
    pub id: AccountId,
    /// Owning team.
    pub team: String,
    /// Environment.
    pub environment: String,
    /// AWS region.
    pub region: Region,
    /// ARN partition: the region's.
    pub partition: Partition,
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
    pub oidc_issuer: Option<OidcIssuer>,
    /// IAM OIDC provider ARN, once the issuer is known.
    pub oidc_provider_arn: Option<String>,
    /// Whether eksctl must associate an IAM OIDC provider (some service account uses IRSA).
    pub with_oidc: bool,
}

/// The blueprint, resolved. What is the same for every account of the blueprint (its EKS
/// add-ons, node pools and Helm add-ons) is shared, not copied per account: an account keeps
/// only its parameters and the values of the `${…}` placeholders of the add-ons' Helm values,
/// which [`BlueprintView::values`] substitutes when the account is rendered.
#[derive(Clone)]
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
    pub eks_addons: Arc<[EksAddon]>,
    /// Karpenter node pools.
    pub node_pools: Arc<[NodePool]>,
    /// Helm add-ons enabled for this account.
    pub addons: Vec<AddonView>,
    /// The account's value of each `${…}` placeholder of the add-ons' Helm values.
    pub vars: Vec<(&'static str, String)>,
    /// The account's values of each list placeholder of the Helm values (`${dns.domains}`…).
    pub lists: Vec<(&'static str, Vec<String>)>,
}

impl BlueprintView {
    /// The Helm values of `addon` for this account: the blueprint's, with every `${…}`
    /// placeholder replaced.
    pub fn values(&self, addon: &AddonView) -> serde_json::Map<String, serde_json::Value> {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let lists: Vec<(&str, &[String])> =
            self.lists.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        addon
            .addon
            .values
            .iter()
            .map(|(k, v)| (k.clone(), instantiated(v, &vars, &lists)))
            .collect()
    }
}

/// What the account's rendering depends on, for `pipeline`'s digest: the shared parts are
/// named by the blueprint's id (the catalog digest covers their content), not printed for
/// every account.
impl std::fmt::Debug for BlueprintView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlueprintView")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("id", &self.id)
            .field("parameters", &self.parameters)
            .field(
                "addons",
                &self
                    .addons
                    .iter()
                    .map(|a| &a.addon.name)
                    .collect::<Vec<_>>(),
            )
            .field("vars", &self.vars)
            .field("lists", &self.lists)
            .finish_non_exhaustive()
    }
}

/// A Helm add-on enabled for one account.
#[derive(Debug, Clone)]
pub struct AddonView {
    /// The blueprint's add-on, shared by every account of the blueprint: its values still
    /// hold the `${…}` placeholders ([`BlueprintView::values`] replaces them).
    pub addon: Arc<Addon>,
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
    /// The VPC endpoints' CIDR blocks, in inventory order (empty: HTTPS to any address).
    pub endpoint_cidrs: Vec<String>,
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
    /// Cluster-scoped kinds it installs (its `clusterResources`), sorted.
    pub cluster_resources: Vec<ClusterKindView>,
}

/// A cluster-scoped kind a team repository installs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterKindView {
    /// API group (`""` for core).
    pub group: String,
    /// Kind (Argo CD's `clusterResourceWhitelist`).
    pub kind: String,
    /// Resource (RBAC rules).
    pub resource: String,
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
    /// The cluster-scoped kinds of all its repositories, sorted (one AppProject and one sync
    /// identity per team under Argo CD).
    pub cluster_resources: Vec<ClusterKindView>,
}

/// A tenant namespace.
#[derive(Debug, Clone)]
pub struct TenantView {
    /// Namespace.
    pub namespace: String,
    /// Quota, if set.
    pub quota: Option<QuotaView>,
    /// Service accounts (their ACK associations: [`ClusterSpec::ack_associations`]).
    pub service_accounts: Vec<ServiceAccountView>,
    /// The Kubernetes groups of the people who own the namespace (bound to the team role):
    /// the account's team for its own tenants and `application` repositories, a contributing
    /// team's own name (e.g. `security`) for the namespaces its repositories deploy into.
    pub groups: Vec<String>,
}

/// One EKS access entry: an IAM principal with Kubernetes groups, or a cluster admin.
#[derive(Debug, Clone)]
pub struct AccessEntryView {
    /// The IAM role ARN.
    pub principal_arn: String,
    /// Kubernetes groups (bound by the tenants' RoleBindings).
    pub groups: Vec<String>,
    /// The ARN of `AmazonEKSClusterAdminPolicy` in the account's partition, for the platform team.
    pub admin_policy_arn: Option<String>,
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
    pub account_id: AccountId,
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
    /// ARN partition of the source account.
    pub partition: Partition,
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
    pub issuer: Option<OidcIssuer>,
    /// The target.
    pub target: TargetView,
}

/// Why a target's trust cannot be written yet: a fact that only exists once the cluster or its
/// Pod Identity association does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pending {
    /// IRSA: the cluster's OIDC issuer.
    #[error("pending: the OIDC issuer of cluster {cluster_arn} is not known yet (set spec.cluster.oidcIssuer of WorkloadAccount {account})")]
    OidcIssuer {
        /// The source cluster.
        cluster_arn: String,
        /// Its WorkloadAccount.
        account: String,
    },
    /// Native chaining: the association's external ID.
    #[error("pending: the external ID of the Pod Identity association {namespace}/{service_account} is known once EKS creates it; record it in spec.tenants[].serviceAccounts[].externalIds of WorkloadAccount {account}")]
    ExternalId {
        /// Namespace of the association.
        namespace: String,
        /// Its service account.
        service_account: String,
        /// Its WorkloadAccount.
        account: String,
    },
}

impl Grant {
    /// Who the target trusts, or what is missing while that is not known yet.
    pub fn source(&self) -> Result<identity::chaining::Source<'_>, Pending> {
        use identity::chaining::Source;
        match self.identity {
            // IRSA chains from the service account's own role (its web identity token in the
            // profile eks-irsa, see identity::chaining::config_file): the target trusts that
            // role, whose own trust pins the one service account; no session tags.
            IdentityMode::Irsa => Ok(Source::Role {
                role_arn: &self.source_role_arn,
                cluster_arn: &self.cluster_arn,
                namespace: &self.namespace,
                service_account: &self.service_account,
                external_id: None,
                session_tags: false,
            }),
            IdentityMode::PodIdentity => {
                let external_id = match self.chaining {
                    ChainingMode::Native => {
                        Some(self.target.external_id.as_deref().ok_or_else(|| {
                            Pending::ExternalId {
                                namespace: self.namespace.clone(),
                                service_account: self.service_account.clone(),
                                account: self.account.clone(),
                            }
                        })?)
                    }
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
    /// Its field path in the WorkloadAccount document (`spec.tenants[0].serviceAccounts[1]`).
    pub field: String,
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
    /// Profile chaining: the AWS config file.
    pub chaining_config: Option<String>,
    /// Profile chaining: the default `AWS_PROFILE` (the first target's profile).
    pub aws_profile: Option<String>,
    /// Inline statements (typed; rendered into JSON by the identity module).
    pub statements: Vec<Statement>,
    /// Session policy statements (typed).
    pub session_statements: Vec<Statement>,
}

impl ServiceAccountView {
    /// The role's permission policy (for eksctl `attachPolicy` while IRSA trust is pending):
    /// built from the statements and targets when a template needs it, not kept per account.
    pub fn permission_policy(&self) -> Option<serde_json::Value> {
        identity::policy::permission_policy(
            &self.statements,
            &self.assume_roles,
            identity::policy::Chaining::of(self.identity, self.chaining),
        )
    }
}

/// The role of the nodes Karpenter launches (every blueprint has node pools). The controller's
/// own role is an add-on identity like any other ([`AddonIdentityView`]).
#[derive(Debug, Clone)]
pub struct KarpenterView {
    /// IAM role of the nodes Karpenter launches.
    pub node_role_name: String,
    /// Its ARN.
    pub node_role_arn: String,
}

/// A blueprint add-on's workload identity (EKS Pod Identity), resolved for one account from
/// the blueprint's data: nothing here depends on the add-on's name.
#[derive(Debug, Clone)]
pub struct AddonIdentityView {
    /// The add-on's name (for file paths and messages).
    pub addon: String,
    /// Namespace of its service account (the add-on's namespace).
    pub namespace: String,
    /// Its service account.
    pub service_account: String,
    /// Who creates the role, with which policy.
    pub role: AddonRole,
}

/// Who creates an add-on's role, with which policy.
#[derive(Debug, Clone)]
pub enum AddonRole {
    /// eksctl creates it with one of its well-known policies (the `wellKnownPolicies` key).
    WellKnown(&'static str),
    /// eksctl creates it with these AWS-managed policies (ARNs).
    Managed(Vec<String>),
    /// eksvend describes it in `iam/platform/<add-on>-controller/`, with the blueprint's policy
    /// files substituted for this account (by the iam stage: [`ClusterSpec::addon_policies`]).
    Own {
        /// Role name.
        role_name: String,
        /// Role ARN.
        role_arn: String,
    },
}
