//! The inventory as written by people: serde "wire" types for the three kinds.
//!
//! Doc comments here are the descriptions in `eksvend schema`; field names are the contract.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::document::{Document, Metadata, API_VERSION};
pub use crate::gitops::Engine;
pub use crate::identity::modes::{ChainingMode, IdentityMode};
pub use crate::identity::statement::{Effect, OneOrMany, Statement};

/// `kind: Fleet` — exactly one per inventory.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetSpec {
    /// Where and how each account's repository is committed.
    #[serde(default)]
    pub git: GitSpec,
    /// Values any WorkloadAccount falls back to.
    #[serde(default)]
    pub defaults: Defaults,
    /// Extra blueprint catalog directories (relative to this file), layered over the built-in
    /// catalog in order: each holds `**/blueprint.yaml` and `templates/`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blueprints: Vec<String>,
    /// IAM settings of the organization: trust policy quota, the platform role of the SCP.
    #[serde(default, skip_serializing_if = "FleetIam::is_default")]
    pub iam: FleetIam,
}

/// IAM settings that hold for every workload account.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetIam {
    /// Largest trust policy (role trust document) in characters, whitespace not counted.
    /// IAM's default quota is 2048; set the raised quota of your accounts (at most 8192).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy_max_chars: Option<u32>,
    /// The one role that may tag IAM roles and users with `kubernetes-*` and `eks-*` keys,
    /// named in the recommended Service Control Policy (`iam/scp/`). Anyone who can set those
    /// tags can impersonate a pod in an ABAC trust policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_role_arn: Option<String>,
}

impl FleetIam {
    fn is_default(&self) -> bool {
        self == &FleetIam::default()
    }
}

/// Git settings for every vended repository.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitSpec {
    /// URL of each account's repository; `{account}` is replaced by the WorkloadAccount name.
    /// Argo CD and Flux read the repository from this URL.
    #[serde(default)]
    pub remote: Option<String>,
    /// Branch eksvend commits to (default `main`).
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Author and committer of eksvend's commits.
    #[serde(default)]
    pub author: Author,
}

impl Default for GitSpec {
    fn default() -> Self {
        GitSpec {
            remote: None,
            branch: default_branch(),
            author: Author::default(),
        }
    }
}

fn default_branch() -> String {
    "main".to_string()
}

/// A git identity.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Author {
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

impl Default for Author {
    fn default() -> Self {
        Author {
            name: "eksvend".to_string(),
            email: "eksvend@localhost".to_string(),
        }
    }
}

/// Fleet-wide defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Defaults {
    /// Kubernetes minor version, e.g. `"1.33"` (quote it: 1.30 is a number in YAML).
    #[serde(default)]
    pub kubernetes_version: Option<String>,
    /// GitOps engine: `argocd` or `flux`.
    #[serde(default)]
    pub gitops: Option<Engine>,
    /// Identity mode for service accounts: `podIdentity` or `irsa`.
    #[serde(default)]
    pub identity: Option<IdentityMode>,
}

/// `kind: Network` — a VPC in the central networking account whose subnets are shared via AWS RAM.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkSpec {
    /// The networking account that owns the VPC (12 digits, quoted).
    pub account_id: String,
    /// AWS region of the VPC, e.g. `us-east-1`.
    pub region: String,
    /// The VPC ID, `vpc-` followed by 8 or 17 hex digits.
    pub vpc_id: String,
    /// ARN of the AWS RAM resource share the subnets come from.
    pub ram_share_arn: String,
    /// Shared subnets by tier.
    pub subnets: Subnets,
    /// The VPC endpoints the clusters' pods reach AWS APIs through. When set, the tenants'
    /// baseline NetworkPolicy allows HTTPS (TCP 443) only to these CIDR blocks; when left out,
    /// to any address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
}

/// The VPC endpoints of a shared VPC.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// IPv4 CIDR blocks of the interface endpoints' subnets (e.g. a /24 per AZ holding the
    /// STS, ECR, S3 … endpoint ENIs), plus any range pods must reach on 443 (an S3 gateway
    /// endpoint is reached through S3's public ranges: list them too).
    pub cidrs: Vec<String>,
}

/// Subnets of a shared VPC, by tier.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Subnets {
    /// Private subnets (nodes and pods); at least two AZs.
    pub private: Vec<Subnet>,
    /// Public subnets (internet-facing load balancers); optional.
    #[serde(default)]
    pub public: Vec<Subnet>,
}

/// One shared subnet.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Subnet {
    /// Subnet ID, `subnet-` followed by 8 or 17 hex digits.
    pub id: String,
    /// The AZ *ID* (e.g. `use1-az1`), not the AZ name: names differ between accounts.
    pub zone_id: String,
}

/// `kind: WorkloadAccount` — one workload AWS account = one cluster = one GitOps repository.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadAccountSpec {
    /// The workload account's ID (12 digits, quoted).
    pub account_id: String,
    /// Owning team (a Kubernetes label value).
    pub team: String,
    /// Environment, e.g. `prod` (a Kubernetes label value).
    pub environment: String,
    /// AWS region of the cluster; must equal the network's region.
    pub region: String,
    /// Name of a `Network` document.
    pub network: String,
    /// Blueprint name, optionally `@` a semver requirement: `general`, `general@^1.0`.
    pub blueprint: String,
    /// Default identity mode of this account's service accounts (default from the Fleet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityMode>,
    /// The blueprint's parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Cluster settings.
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// GitOps settings.
    #[serde(default)]
    pub gitops: GitopsSpec,
    /// Namespaces for application teams.
    #[serde(default)]
    pub tenants: Vec<Tenant>,
    /// IAM settings of this account.
    #[serde(default, skip_serializing_if = "AccountIam::is_default")]
    pub iam: AccountIam,
    /// Who may reach the cluster's API: IAM principals that become EKS access entries.
    #[serde(default, skip_serializing_if = "Access::is_default")]
    pub access: Access,
    /// The Route 53 hosted zones of this account that the cluster's DNS add-ons (ExternalDNS)
    /// may change records in.
    #[serde(default, skip_serializing_if = "Dns::is_default")]
    pub dns: Dns,
}

/// DNS of a WorkloadAccount: the hosted zones its cluster manages records in.
///
/// The zones are this account's own: Route 53 lets only the zone's account change its records.
/// A private zone is associated with the shared VPC by the networking account (the vended
/// `network/README.md`, step 3).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dns {
    /// The hosted zones. ExternalDNS gets their domains as `domainFilters`, their type as
    /// `--aws-zone-type` when all are of one type, and their IDs as `--zone-id-filter`; with
    /// IDs its IAM policy may change records only in those zones. Empty: ExternalDNS may change
    /// records in every hosted zone of the account (refused in the environments its blueprint
    /// add-on lists in `dnsZonesRequiredIn`, a warning elsewhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<HostedZone>,
}

impl Dns {
    fn is_default(&self) -> bool {
        self == &Dns::default()
    }
}

/// A Route 53 hosted zone of the account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostedZone {
    /// The zone's domain, e.g. `payments.acme.example` (lowercase, no wildcard, no trailing
    /// dot, not a top-level domain alone).
    pub domain: String,
    /// `public` (resolvable from the internet) or `private` (associated with VPCs).
    #[serde(rename = "type")]
    pub kind: ZoneType,
    /// The zone's ID (`Z…`, as `aws route53 list-hosted-zones` prints it after
    /// `/hostedzone/`). Give it for every zone or for none: with IDs, ExternalDNS touches only
    /// these zones and its role may change records only in them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
}

/// Whether a hosted zone is public or private.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(rename_all = "camelCase")]
pub enum ZoneType {
    /// Resolvable from the internet.
    Public,
    /// Resolvable in the VPCs associated with it.
    Private,
}

impl ZoneType {
    /// As ExternalDNS's `--aws-zone-type` writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneType::Public => "public",
            ZoneType::Private => "private",
        }
    }
}

/// People's access to the cluster: EKS access entries (`accessConfig.accessEntries`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Access {
    /// IAM role ARNs of the platform team: access entries with the cluster-wide
    /// `AmazonEKSClusterAdminPolicy`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform_admins: Vec<String>,
    /// Per Kubernetes group — the account's `team`, or a contributing team of
    /// `gitops.repos[].team` other than `application` — the IAM role ARNs of its people (e.g. IAM
    /// Identity Center permission-set roles): access entries with that Kubernetes group, which
    /// is bound to the team role in the team's namespaces only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub teams: BTreeMap<String, Vec<String>>,
}

impl Access {
    fn is_default(&self) -> bool {
        self == &Access::default()
    }
}

/// IAM settings of one workload account.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountIam {
    /// Create one shared chaining role for this cluster: it holds `sts:AssumeRole` on the
    /// targets of the service accounts with `chaining: shared` and nothing else; the target
    /// roles tell those service accounts apart by their session tags (ABAC).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_chaining_role: bool,
    /// This account's trust policy quota (characters, whitespace not counted), when it differs
    /// from the Fleet's `iam.trustPolicyMaxChars`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy_max_chars: Option<u32>,
}

impl AccountIam {
    fn is_default(&self) -> bool {
        self == &AccountIam::default()
    }
}

/// Cluster settings of a WorkloadAccount.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSpec {
    /// EKS cluster name (default: the WorkloadAccount name).
    #[serde(default)]
    pub name: Option<String>,
    /// Kubernetes minor version, e.g. `"1.33"` (default from the Fleet).
    #[serde(default)]
    pub kubernetes_version: Option<String>,
    /// The cluster's OIDC issuer URL, once the cluster exists (needed for IRSA trust policies).
    #[serde(default)]
    pub oidc_issuer: Option<String>,
}

/// GitOps settings of a WorkloadAccount.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitopsSpec {
    /// `argocd` or `flux` (default from the Fleet, else `argocd`).
    #[serde(default)]
    pub engine: Option<Engine>,
    /// The other teams' repositories this cluster is bootstrapped with.
    #[serde(default)]
    pub repos: Vec<TeamRepo>,
}

/// A repository of another team, reconciled into the cluster.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TeamRepo {
    /// Name of the Application / Kustomization (a DNS-1123 label, unique per account).
    pub name: String,
    /// Contributing team, e.g. `application` or `security` (a DNS-1123 label; `platform` is reserved).
    pub team: String,
    /// Git URL (`https://`, `ssh://`, `git@host:path` or `file://`).
    pub url: String,
    /// Directory inside the repository (default: the repository root).
    #[serde(default)]
    pub path: Option<String>,
    /// Branch to follow (default `main`).
    #[serde(default)]
    pub revision: Option<String>,
    /// Namespaces the repository may deploy into (default: one named after the team).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Cluster-scoped kinds this repository installs (e.g. a security team's baseline:
    /// `{group: kyverno.io, kind: ClusterPolicy}`): its sync identity may create, change and
    /// delete objects of exactly these kinds cluster-wide, its team's people may read them.
    /// Not for `application` repositories; kinds that reach past the team's own objects (RBAC,
    /// admission, CRDs, namespaces, nodes, the platform's Karpenter and Kueue APIs) are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_resources: Vec<ClusterResource>,
}

/// A cluster-scoped kind of a team repository's `clusterResources`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterResource {
    /// API group: `""` for the core group, else e.g. `kyverno.io`.
    pub group: String,
    /// Kind, e.g. `ClusterPolicy`.
    pub kind: String,
    /// The resource (plural) the API serves the kind as, when it is not Kubernetes' guess from
    /// the kind (lowercase + `s`, `…y` → `…ies`, `…s` → `…ses`): e.g. `gateways`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// A tenant namespace.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tenant {
    /// Namespace name (a DNS-1123 label).
    pub namespace: String,
    /// ResourceQuota for the namespace.
    #[serde(default)]
    pub quota: Option<Quota>,
    /// Service accounts with AWS identities.
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
}

/// A namespace's ResourceQuota.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// CPU requests, a Kubernetes quantity such as `"64"` or `"500m"`.
    #[serde(default)]
    pub cpu: Option<Quantity>,
    /// Memory requests, a Kubernetes quantity such as `256Gi`.
    #[serde(default)]
    pub memory: Option<Quantity>,
    /// Maximum number of pods.
    #[serde(default)]
    pub pods: Option<u32>,
}

/// A Kubernetes quantity, written as a string or a number.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Quantity {
    /// `"64"`, `"500m"`, `"256Gi"`.
    Text(String),
    /// `64`.
    Number(u64),
}

impl Quantity {
    /// The quantity as Kubernetes writes it.
    pub fn as_string(&self) -> String {
        match self {
            Quantity::Text(s) => s.clone(),
            Quantity::Number(n) => n.to_string(),
        }
    }
}

/// A Kubernetes service account with an AWS identity.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Service account name (a DNS-1123 label).
    pub name: String,
    /// `podIdentity` or `irsa` (default from the Fleet, else `podIdentity`).
    #[serde(default)]
    pub identity: Option<IdentityMode>,
    /// Managed policy ARNs attached to the role (at most 10).
    #[serde(default)]
    pub policy_arns: Vec<String>,
    /// Inline IAM statements (least privilege: no `"*"` Action).
    #[serde(default)]
    pub statements: Vec<Statement>,
    /// Role ARNs in other accounts this service account may assume.
    #[serde(default)]
    pub assume_roles: Vec<String>,
    /// How a Pod Identity service account reaches its `assumeRoles`: `profile` (default; an AWS
    /// config file with a `credential_process` profile and one `role_arn` profile per target),
    /// `native` (EKS assumes the one target itself: `targetRoleARN` on the association) or
    /// `shared` (the account's shared chaining role, see `spec.iam.sharedChainingRole`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaining: Option<ChainingMode>,
    /// External IDs of native-chaining associations, by target role ARN, once EKS has created
    /// the association (`aws eks describe-pod-identity-association`): the target's trust policy
    /// is pending until then.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external_ids: BTreeMap<String, String>,
    /// Turn off the session tags EKS Pod Identity adds (`disableSessionTags`); required by AWS
    /// for `sessionPolicy`. Not allowed with `profile` or `shared` chaining: their target roles
    /// rely on the tags (ABAC).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disable_session_tags: bool,
    /// Statements of a session policy on the Pod Identity association: it narrows what the
    /// role (or, with `native` chaining, the target role) may do. Needs `disableSessionTags: true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_policy: Vec<Statement>,
}
