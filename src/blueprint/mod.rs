//! Blueprints: a reviewed definition of a kind of cluster (general, batch, aiml), versioned.
//!
//! A blueprint declares its parameters, EKS managed add-ons, Karpenter node pools, Helm add-ons
//! with pinned chart versions (and the AWS identity each needs), and which templates it renders
//! into which files.

pub mod catalog;
pub mod compatibility;
pub mod extends;
pub mod identity;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{arn, Partition};

/// `blueprints/<name>/blueprint.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlueprintSpec {
    /// Semantic version of the blueprint, e.g. `1.0.0`.
    pub version: String,
    /// One line saying what kind of cluster this is.
    pub description: String,
    /// Another blueprint this one builds on, `name@requirement` (e.g. `base@^1`). Its spec is
    /// merged under this one: maps deep-merge; `addons`, `eksAddons` and `nodePools` merge by
    /// `name` and `files` by `path` (parent order kept, a child entry with the same key replaces
    /// the parent's whole entry in place, new entries are appended, `{name: X, remove: true}` or
    /// `{path: X, remove: true}` drops an inherited entry); other lists and scalars replace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Only a parent for `extends`: no WorkloadAccount can select it and `blueprints list` does
    /// not offer it. Not inherited: a blueprint extending an abstract one is selectable unless it
    /// says `abstract: true` itself.
    #[serde(
        default,
        rename = "abstract",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub is_abstract: bool,
    /// Parameters a WorkloadAccount may set, with their defaults.
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
    /// EKS managed add-ons installed with the cluster.
    #[serde(default)]
    pub eks_addons: Vec<EksAddon>,
    /// Karpenter node pools.
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
    /// Helm add-ons reconciled by the GitOps engine.
    #[serde(default)]
    pub addons: Vec<Addon>,
    /// The files the blueprint renders.
    pub files: Vec<FileSpec>,
}

/// A blueprint parameter.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Parameter {
    /// The value's type.
    #[serde(rename = "type")]
    pub kind: ParamType,
    /// The value used when the WorkloadAccount does not set one.
    pub default: serde_json::Value,
    /// What the parameter does.
    pub description: String,
    /// Allowed values, when restricted.
    #[serde(default, rename = "enum", skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<serde_json::Value>,
    /// A boolean parameter of the blueprint: when it is true, this (string) parameter must be
    /// set to a non-empty value. Checked by validation at the account's parameters, so that a
    /// template never has to refuse it later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<String>,
    /// Environments (a WorkloadAccount's `spec.environment`) where a value ending in `@latest`
    /// is refused: an AMI alias must name a release there, so that node images change only when
    /// the inventory says so (Karpenter: `@latest` is not recommended for production).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned_in: Vec<String>,
    /// A string parameter that, when set, must be the AZ ID of one of the private subnets of
    /// the account's Network (e.g. where training nodes, their placement group, capacity
    /// reservations and FSx file systems go). Checked by validation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub zone_of_network: bool,
    /// Defaults of particular environments (a WorkloadAccount's `spec.environment` → value),
    /// used instead of `default` there, e.g. `{prod: false}` for the public API endpoint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment_defaults: BTreeMap<String, serde_json::Value>,
}

impl Parameter {
    /// The value an account of `environment` gets when it does not set the parameter.
    #[must_use]
    pub fn default_for(&self, environment: &str) -> &serde_json::Value {
        self.environment_defaults
            .get(environment)
            .unwrap_or(&self.default)
    }
}

/// Parameter types.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ParamType {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// `true` or `false`.
    Boolean,
}

impl ParamType {
    /// True when `v` has this type.
    pub fn accepts(self, v: &serde_json::Value) -> bool {
        match self {
            ParamType::String => v.is_string(),
            ParamType::Integer => v.is_i64() || v.is_u64(),
            ParamType::Boolean => v.is_boolean(),
        }
    }

    /// The type's name as written in blueprints.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
        }
    }
}

/// An EKS managed add-on.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EksAddon {
    /// Add-on name, e.g. `eks-pod-identity-agent`.
    pub name: String,
    /// Pinned add-on version; omitted = the default version for the cluster's Kubernetes version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The add-on's configuration (eksctl `configurationValues`, a JSON or YAML document as a
    /// string), e.g. `{"enableNetworkPolicy": "true"}` for `vpc-cni`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_values: Option<String>,
}

/// A Karpenter NodePool.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodePool {
    /// NodePool name.
    pub name: String,
    /// Name of the EC2NodeClass the pool launches nodes with.
    #[serde(default = "default_node_class")]
    pub node_class: String,
    /// `on-demand`, `spot` (and `reserved`).
    pub capacity_types: Vec<String>,
    /// `amd64`, `arm64`.
    pub architectures: Vec<String>,
    /// Instance categories, e.g. `c`, `m`, `r`, `g`, `p`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_categories: Vec<String>,
    /// Instance families, e.g. `g5`, `p5`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_families: Vec<String>,
    /// Minimum instance generation (`karpenter.k8s.aws/instance-generation` Gt this - 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_generation: Option<u32>,
    /// Taints put on the nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    /// Resource limits of the pool.
    #[serde(default)]
    pub limits: BTreeMap<String, String>,
    /// `WhenEmpty` or `WhenEmptyOrUnderutilized`.
    pub consolidation_policy: String,
    /// How long to wait before consolidating, e.g. `1m`.
    pub consolidate_after: String,
    /// Node lifetime before replacement, e.g. `720h`, or `Never`. Expiration is forceful: it
    /// drains the node whatever its pods are running.
    pub expire_after: String,
    /// How long a node being deleted (expired, drifted, consolidated) may take to drain before
    /// Karpenter deletes its pods, PodDisruptionBudgets and `karpenter.sh/do-not-disrupt`
    /// notwithstanding (NodePool `spec.template.spec.terminationGracePeriod`); omitted = wait
    /// for the pods indefinitely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period: Option<String>,
    /// Disruption budgets: how many nodes may be disrupted at once, per reason (Karpenter v1
    /// `spec.disruption.budgets`); omitted = Karpenter's default, 10% for every reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<Budget>,
    /// Pool priority (higher first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// A string parameter naming capacity reservations (ODCRs or Capacity Blocks): when it is
    /// set, `reserved` is put first in the pool's capacity types, so Karpenter launches into
    /// the reservations of the pool's EC2NodeClass before paying for other capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_when: Option<String>,
}

/// A Karpenter disruption budget.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Budget {
    /// Nodes that may be disrupted at once: a count (`"0"`, `"1"`) or a percentage (`"10%"`).
    pub nodes: String,
    /// The disruption reasons it applies to (`Underutilized`, `Empty`, `Drifted`); omitted =
    /// every reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// When the budget starts being active (cron syntax, UTC); needs `duration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// How long it stays active after each `schedule` hit, e.g. `8h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

fn default_node_class() -> String {
    "default".to_string()
}

/// A node taint.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// A Helm add-on with a pinned chart version.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Addon {
    /// Add-on name (Application / HelmRelease name).
    pub name: String,
    /// Helm chart repository URL (`https://` or `oci://`).
    pub repo_url: String,
    /// Chart name.
    pub chart: String,
    /// Pinned chart version.
    pub version: String,
    /// Namespace the chart is installed into.
    pub namespace: String,
    /// Render only when this boolean parameter is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The AWS identity of the add-on's service account (an IAM role with these permissions);
    /// omitted = the add-on needs no AWS access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<AddonIdentity>,
    /// Helm values. Strings may hold `${cluster.name}`, `${cluster.region}`, `${network.vpcId}`,
    /// `${account.id}` or `${partition}`, replaced per account, and the list placeholders of
    /// [`VALUE_LIST_PLACEHOLDERS`] (the account's `spec.dns.zones`): a value that is exactly
    /// one becomes that list; an item of a list that holds one becomes one item per value, the
    /// rest of its text kept (`--zone-id-filter=${dns.hostedZoneIds}`), none for an empty list.
    #[serde(default)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Environments (a WorkloadAccount's `spec.environment`) where an account that installs
    /// this add-on must declare `spec.dns.zones`: its values use the `${dns.*}` filters, and
    /// without zones they are empty, so it may change records in every hosted zone its role
    /// reaches. Elsewhere that is a warning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_zones_required_in: Vec<String>,
}

impl Addon {
    /// Whether the add-on's values use one of the `${dns.*}` placeholders.
    #[must_use]
    pub fn uses_dns_zones(&self) -> bool {
        fn any(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::String(s) => s.contains("${dns."),
                serde_json::Value::Array(a) => a.iter().any(any),
                serde_json::Value::Object(o) => o.values().any(any),
                _ => false,
            }
        }
        self.values.values().any(any)
    }
}

/// The list-valued placeholders of Helm values, without `${` `}`, from the account's
/// `spec.dns.zones`: `dns.domains` (each zone's domain, sorted, once), `dns.hostedZoneIds`
/// (their IDs, when the inventory names them), `dns.zoneType` (`public` or `private` when every
/// zone is of that type, else nothing).
pub const VALUE_LIST_PLACEHOLDERS: &[&str] = &["dns.domains", "dns.hostedZoneIds", "dns.zoneType"];

/// The list-valued placeholders of a policy `file`: `dns.hostedZoneArns`, the ARN of each
/// hosted zone the inventory names by ID, or of every hosted zone (`hostedzone/*`) when it
/// names none. Written as a whole string (`"Resource": "${dns.hostedZoneArns}"`).
pub const POLICY_LIST_PLACEHOLDERS: &[&str] = &["dns.hostedZoneArns"];

/// Where a list placeholder of `names` (without `${` `}`) is used so that it could not be
/// replaced: inside a longer string that is not an item of a list, or in a key. The JSON
/// pointer of the first such use.
#[must_use]
pub fn misplaced_list_placeholder(v: &serde_json::Value, names: &[&str]) -> Option<String> {
    use serde_json::Value;
    fn walk(v: &Value, names: &[&str], at: &str, in_list: bool) -> Option<String> {
        let holds = |s: &str| names.iter().any(|n| s.contains(&format!("${{{n}}}")));
        let whole = |s: &str| names.iter().any(|n| s == format!("${{{n}}}"));
        match v {
            Value::String(s) if holds(s) && !in_list && !whole(s) => Some(at.to_string()),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .find_map(|(i, x)| walk(x, names, &format!("{at}/{i}"), true)),
            Value::Object(o) => o.iter().find_map(|(k, x)| {
                let here = format!("{at}/{k}");
                if holds(k) {
                    Some(here)
                } else {
                    walk(x, names, &here, false)
                }
            }),
            _ => None,
        }
    }
    walk(v, names, "", false)
}

/// The IAM role of a Helm add-on's service account.
///
/// ```yaml
/// identity:
///   serviceAccount: karpenter           # in the add-on's namespace
///   policy: {file: policies/karpenter-controller.json}
/// ```
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddonIdentity {
    /// The service account that gets the role, in the add-on's namespace (a DNS-1123 label).
    /// When the Helm values name a service account (`serviceAccount.name` or
    /// `controller.serviceAccount.name`), it must be this one. Two add-ons cannot claim the same
    /// namespace and service account.
    pub service_account: String,
    /// The role's permissions.
    pub policy: AddonPolicy,
}

/// The permissions of an add-on's role: exactly one of `wellKnown` (an eksctl well-known
/// policy), `file` or `files` (IAM policy documents shipped with the blueprint) or `managed`
/// (AWS-managed policies); they do not combine.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddonPolicy {
    /// An eksctl `wellKnownPolicies` key, e.g. `awsLoadBalancerController`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub well_known: Option<WellKnownPolicy>,
    /// Names of AWS-managed policies, e.g. `AmazonFSxFullAccess` (attached as
    /// `arn:<partition>:iam::aws:policy/<name>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed: Vec<String>,
    /// A JSON IAM policy document (`Version` and `Statement`), relative to the folder of the
    /// blueprint.yaml that declares the add-on (also when another blueprint extends it). Strings
    /// and keys may hold `${partition}`, `${region}`, `${account.id}`, `${cluster.name}`,
    /// `${karpenter.nodeRoleArn}` and `${ec2.servicePrincipal}`, replaced per account; IAM policy
    /// variables such as `${aws:username}` are left alone. The role gets it as one customer
    /// managed policy (`permission`; 6,144 characters at most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Several such documents, each one customer managed policy of the role (6,144 characters
    /// each, at most 10 per role), named by its file name without the extension: a policy
    /// that outgrows one managed policy is split by concern, as Karpenter's upstream
    /// CloudFormation splits its controller policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// The parsed `file` or `files` as (policy name, document), placeholders not yet replaced;
    /// filled in by the catalog when it loads.
    #[serde(skip)]
    pub documents: Vec<(String, serde_json::Value)>,
}

/// What grants an add-on's permissions, once the catalog has loaded and checked it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PolicySource<'a> {
    /// An eksctl well-known policy.
    WellKnown(WellKnownPolicy),
    /// Policy documents with placeholders, by policy name; see [`AddonPolicy::documents_for`].
    Documents(&'a [(String, serde_json::Value)]),
    /// AWS-managed policy names; see [`AddonPolicy::managed_arns`].
    Managed(&'a [String]),
}

/// The policy name of the document `file` of an add-on: `permission`.
pub const SINGLE_POLICY_NAME: &str = "permission";

/// The policy name of one of an add-on's `files`: its file name without the extension.
pub fn policy_name(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map_or(file, |(stem, _)| stem)
}

impl AddonPolicy {
    /// The one source of the permissions. `None` only for a policy the catalog rejected (no
    /// source, several, or a file that did not load), so never for a loaded catalog.
    pub fn source(&self) -> Option<PolicySource<'_>> {
        let files = usize::from(self.file.is_some()) + self.files.len();
        let loaded = files > 0 && self.documents.len() == files;
        match (
            self.well_known,
            files,
            self.file.is_some() && !self.files.is_empty(),
            self.managed.is_empty(),
        ) {
            (Some(w), 0, false, true) => Some(PolicySource::WellKnown(w)),
            (None, f, false, true) if f > 0 && loaded => {
                Some(PolicySource::Documents(&self.documents))
            }
            (None, 0, false, false) => Some(PolicySource::Managed(&self.managed)),
            _ => None,
        }
    }

    /// The policy documents of `file` or `files`, by policy name, with the placeholders
    /// (list placeholders first) replaced for one account.
    pub fn documents_for(&self, vars: &PolicyVars<'_>) -> Vec<(String, serde_json::Value)> {
        let lists = vars.lists();
        let pairs = vars.pairs();
        self.documents
            .iter()
            .map(|(name, doc)| (name.clone(), instantiated(doc, &pairs, &lists)))
            .collect()
    }

    /// ARNs of the `managed` policies in `partition`.
    pub fn managed_arns(&self, partition: Partition) -> Vec<String> {
        self.managed
            .iter()
            .map(|name| arn::aws_managed_policy(partition, name))
            .collect()
    }
}

/// The eksctl `wellKnownPolicies` keys, spelled as eksctl spells them.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
pub enum WellKnownPolicy {
    /// EC2 Image Builder.
    #[serde(rename = "imageBuilder")]
    ImageBuilder,
    /// Cluster Autoscaler.
    #[serde(rename = "autoScaler")]
    AutoScaler,
    /// AWS Load Balancer Controller.
    #[serde(rename = "awsLoadBalancerController")]
    AwsLoadBalancerController,
    /// ExternalDNS (Route 53).
    #[serde(rename = "externalDNS")]
    ExternalDns,
    /// cert-manager (Route 53 DNS-01).
    #[serde(rename = "certManager")]
    CertManager,
    /// EBS CSI controller.
    #[serde(rename = "ebsCSIController")]
    EbsCsiController,
    /// EFS CSI controller.
    #[serde(rename = "efsCSIController")]
    EfsCsiController,
}

impl WellKnownPolicy {
    /// Every key, in eksctl's order.
    pub const ALL: [WellKnownPolicy; 7] = [
        WellKnownPolicy::ImageBuilder,
        WellKnownPolicy::AutoScaler,
        WellKnownPolicy::AwsLoadBalancerController,
        WellKnownPolicy::ExternalDns,
        WellKnownPolicy::CertManager,
        WellKnownPolicy::EbsCsiController,
        WellKnownPolicy::EfsCsiController,
    ];

    /// The key in eksctl's `wellKnownPolicies`, e.g. `awsLoadBalancerController`.
    pub fn key(self) -> &'static str {
        match self {
            WellKnownPolicy::ImageBuilder => "imageBuilder",
            WellKnownPolicy::AutoScaler => "autoScaler",
            WellKnownPolicy::AwsLoadBalancerController => "awsLoadBalancerController",
            WellKnownPolicy::ExternalDns => "externalDNS",
            WellKnownPolicy::CertManager => "certManager",
            WellKnownPolicy::EbsCsiController => "ebsCSIController",
            WellKnownPolicy::EfsCsiController => "efsCSIController",
        }
    }
}

/// The placeholders a policy `file` may use, without `${` `}`.
pub const POLICY_PLACEHOLDERS: &[&str] = &[
    "partition",
    "region",
    "account.id",
    "cluster.name",
    "karpenter.nodeRoleArn",
    "ec2.servicePrincipal",
];

/// The per-account values of [`POLICY_PLACEHOLDERS`].
#[derive(Debug, Clone, Copy)]
pub struct PolicyVars<'a> {
    /// `${partition}`: `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: Partition,
    /// `${region}`.
    pub region: &'a str,
    /// `${account.id}`: the workload account.
    pub account_id: &'a str,
    /// `${cluster.name}`.
    pub cluster_name: &'a str,
    /// `${karpenter.nodeRoleArn}`: the role of the nodes Karpenter launches.
    pub karpenter_node_role_arn: &'a str,
    /// `${dns.hostedZoneArns}` (a list): see [`POLICY_LIST_PLACEHOLDERS`].
    pub hosted_zone_arns: &'a [String],
}

impl<'a> PolicyVars<'a> {
    /// (`${name}`, values) for [`instantiated`].
    pub fn lists(&self) -> Vec<(&'static str, &'a [String])> {
        vec![("${dns.hostedZoneArns}", self.hosted_zone_arns)]
    }

    /// (`${name}`, value) for [`instantiated`]; `${ec2.servicePrincipal}` follows the partition.
    pub fn pairs(&self) -> Vec<(&'static str, &'a str)> {
        vec![
            ("${partition}", self.partition.as_str()),
            ("${region}", self.region),
            ("${account.id}", self.account_id),
            ("${cluster.name}", self.cluster_name),
            ("${karpenter.nodeRoleArn}", self.karpenter_node_role_arn),
            (
                "${ec2.servicePrincipal}",
                arn::ec2_service_principal(self.partition),
            ),
        ]
    }
}

/// A copy of `v` with its placeholders replaced, built in one pass without copying `v` first
/// (each account's policy documents and Helm values come from the blueprint's shared ones this
/// way):
/// - the list placeholders `(placeholder, values)` of `lists`: a string that is exactly one
///   becomes the list; a string item of a list that holds one becomes one item per value (with
///   the placeholder replaced in its text), so none when the list is empty; keys are left alone;
/// - then each `(placeholder, value)` of `vars` in every string, object keys included (IAM
///   condition keys such as `aws:ResourceTag/kubernetes.io/cluster/${cluster.name}` hold
///   them), in one scan per string: a value is never searched for placeholders itself.
pub fn instantiated(
    v: &serde_json::Value,
    vars: &[(&str, &str)],
    lists: &[(&str, &[String])],
) -> serde_json::Value {
    use serde_json::Value;
    let text = |s: &str| Value::String(replaced(s, vars).unwrap_or_else(|| s.to_string()));
    match v {
        Value::String(s) => match lists.iter().find(|(k, _)| s == k) {
            Some((_, values)) => Value::Array(values.iter().map(|x| text(x)).collect()),
            None => text(s),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .flat_map(|item| {
                    let hit = item
                        .as_str()
                        .and_then(|s| lists.iter().find(|(k, _)| s.contains(k)).map(|l| (s, l)));
                    match hit {
                        Some((s, (k, values))) => {
                            values.iter().map(|x| text(&s.replace(k, x))).collect()
                        }
                        None => vec![instantiated(item, vars, lists)],
                    }
                })
                .collect(),
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let key = replaced(k, vars).unwrap_or_else(|| k.clone());
                    (key, instantiated(x, vars, lists))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `s` with every placeholder of `vars` replaced, or `None` when it holds no `${`.
fn replaced(s: &str, vars: &[(&str, &str)]) -> Option<String> {
    let first = s.find("${")?;
    let mut out = String::with_capacity(s.len() + 32);
    out.push_str(&s[..first]);
    let mut rest = &s[first..];
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let at = &rest[i..];
        if let Some((k, value)) = vars.iter().find(|(k, _)| at.starts_with(k)) {
            out.push_str(value);
            rest = &at[k.len()..];
        } else {
            out.push_str("${");
            rest = &at[2..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// One file the blueprint renders.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileSpec {
    /// Template path under `templates/`.
    pub template: String,
    /// Output path in the repository; `{tenant}` is replaced by the tenant namespace.
    pub path: String,
    /// Render once per item: `tenants`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each: Option<ForEach>,
    /// Render only for this GitOps engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<crate::gitops::Engine>,
    /// Render only when this boolean parameter is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Create when missing, never update (the team owns it afterwards).
    #[serde(default)]
    pub scaffold_once: bool,
}

/// What a file is rendered once per.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ForEach {
    /// Each tenant namespace; the template sees `tenant`.
    Tenants,
}

/// A loaded blueprint with its name and parsed version.
#[derive(Debug, Clone, PartialEq)]
pub struct Blueprint {
    /// Blueprint name (the directory name).
    pub name: String,
    /// Parsed version.
    pub version: semver::Version,
    /// The blueprint's content.
    pub spec: BlueprintSpec,
}

impl Blueprint {
    /// `name@version`, as recorded in commits and state.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, DnsLabel, Region};
    use crate::identity::karpenter;
    use serde_json::json;

    /// The shipped policy files are the documents `identity::karpenter::oracle::controller_policies`
    /// builds, in its order and with its names.
    #[test]
    fn the_karpenter_policy_file_is_the_rust_policy() {
        let catalog = catalog::Catalog::builtin().unwrap();
        let account_id = AccountId::try_from("111122223333").unwrap();
        let cluster = DnsLabel::try_from("payments-prod").unwrap();
        for region in ["us-east-1", "cn-north-1"] {
            let region = Region::try_from(region).unwrap();
            let partition = region.partition();
            let node_role_arn =
                arn::role(partition, &account_id, &format!("{cluster}-karpenter-node"));
            let cluster_arn = arn::eks_cluster(&region, &account_id, &cluster);
            let scope = karpenter::oracle::Scope {
                region: &region,
                account_id: &account_id,
                cluster: cluster.as_str(),
                cluster_arn: &cluster_arn,
                node_role_arn: &node_role_arn,
            };
            let vars = PolicyVars {
                partition,
                region: region.as_str(),
                account_id: account_id.as_str(),
                cluster_name: cluster.as_str(),
                karpenter_node_role_arn: &node_role_arn,
                hosted_zone_arns: &[],
            };
            for bp in &catalog.blueprints {
                let addon = bp
                    .spec
                    .addons
                    .iter()
                    .find(|a| a.name == "karpenter")
                    .unwrap();
                let policy = &addon.identity.as_ref().unwrap().policy;
                assert!(matches!(policy.source(), Some(PolicySource::Documents(_))));
                let expected: Vec<(String, serde_json::Value)> =
                    karpenter::oracle::controller_policies(&scope)
                        .into_iter()
                        .map(|(name, doc)| (name.to_string(), doc))
                        .collect();
                assert_eq!(
                    policy.documents_for(&vars),
                    expected,
                    "{} in {partition}",
                    bp.id()
                );
            }
        }
    }

    /// Issue 14: one policy document grew with every use of the cluster name and refused names
    /// over ~40 characters; split into six managed policies, each stays within the
    /// managed-policy quota for the longest cluster name the inventory allows (a DNS-1123
    /// label, 63 characters), in every region, with a node role name of IAM's 64 characters.
    #[test]
    fn every_karpenter_policy_fits_the_managed_quota_for_the_longest_cluster_name() {
        let catalog = catalog::Catalog::builtin().unwrap();
        let base = catalog.lookup("general").unwrap();
        let policy = &base
            .spec
            .addons
            .iter()
            .find(|a| a.name == "karpenter")
            .unwrap()
            .identity
            .as_ref()
            .unwrap()
            .policy;
        let account_id = AccountId::try_from("111122223333").unwrap();
        let cluster = "c".repeat(crate::domain::limits::DNS_LABEL);
        assert!(DnsLabel::try_from(cluster.as_str()).is_ok());
        let mut largest = 0;
        for region in Region::all() {
            let partition = region.partition();
            let node_role_arn = arn::role(
                partition,
                &account_id,
                &"n".repeat(crate::domain::limits::ROLE_NAME),
            );
            let vars = PolicyVars {
                partition,
                region: region.as_str(),
                account_id: account_id.as_str(),
                cluster_name: &cluster,
                karpenter_node_role_arn: &node_role_arn,
                hosted_zone_arns: &[],
            };
            let docs = policy.documents_for(&vars);
            assert_eq!(docs.len(), 6);
            for (name, doc) in &docs {
                let n = crate::domain::limits::chars(doc);
                largest = largest.max(n);
                assert!(
                    crate::domain::limits::check(doc, name, crate::domain::limits::MANAGED, "")
                        .is_ok(),
                    "{name} in {region:?}: {n} characters"
                );
            }
        }
        // node-lifecycle, the largest, has room to spare.
        assert!(largest < 3_600, "{largest}");
    }

    #[test]
    fn well_known_policies_use_eksctls_keys() {
        let keys: Vec<&str> = WellKnownPolicy::ALL.iter().map(|w| w.key()).collect();
        assert_eq!(
            keys,
            [
                "imageBuilder",
                "autoScaler",
                "awsLoadBalancerController",
                "externalDNS",
                "certManager",
                "ebsCSIController",
                "efsCSIController"
            ]
        );
        for w in WellKnownPolicy::ALL {
            assert_eq!(serde_json::to_value(w).unwrap(), json!(w.key()));
            assert_eq!(
                serde_json::from_value::<WellKnownPolicy>(json!(w.key())).unwrap(),
                w
            );
        }
    }

    #[test]
    fn placeholders_are_replaced_in_values_and_keys() {
        let v = json!({"a/${x}": ["${x}-${y}", 1, {"${y}": "${z}"}], "b": "${x}"});
        let v = instantiated(&v, &[("${x}", "1"), ("${y}", "2")], &[]);
        assert_eq!(v, json!({"a/1": ["1-2", 1, {"2": "${z}"}], "b": "1"}));
        // a value is not searched again: no placeholder comes in through another's value
        let v = json!({"k": "${x}${y} $${x} ${", "${x}": "${y}"});
        let v = instantiated(&v, &[("${x}", "${y}"), ("${y}", "2")], &[]);
        assert_eq!(v, json!({"k": "${y}2 $${y} ${", "${y}": "2"}));
    }

    #[test]
    fn lists_are_replaced_before_the_placeholders_in_their_values() {
        let two = ["a.example".to_string(), "b-${x}.example".to_string()];
        let lists: [(&str, &[String]); 2] = [("${d}", &two), ("${none}", &[])];
        let vars = [("${x}", "1"), ("${y}", "2")];
        let v = json!({
            "whole": "${d}",
            "k/${x}": ["--f=${d}", "--g=${none}", "keep ${y}", ["${d}", "${x}"], 3, null],
            "${d}": {"${y}": "${x}${none}", "n": true},
        });
        assert_eq!(
            instantiated(&v, &vars, &lists),
            json!({
                "whole": ["a.example", "b-1.example"],
                "k/1": ["--f=a.example", "--f=b-1.example", "keep 2", ["a.example", "b-1.example", "1"], 3, null],
                "${d}": {"2": "1${none}", "n": true},
            })
        );
    }

    #[test]
    fn list_placeholders_become_lists_or_items() {
        let two = ["a.example".to_string(), "b.example".to_string()];
        let lists: [(&str, &[String]); 2] = [("${d}", &two), ("${none}", &[])];
        let v = json!({
            "whole": "${d}",
            "args": ["--f=${d}", "--g=${none}", "keep", ["${d}"]],
            "deep": {"x": "${none}"},
        });
        assert_eq!(
            instantiated(&v, &[], &lists),
            json!({
                "whole": ["a.example", "b.example"],
                "args": ["--f=a.example", "--f=b.example", "keep", ["a.example", "b.example"]],
                "deep": {"x": []},
            })
        );
    }

    #[test]
    fn a_list_placeholder_inside_a_scalar_string_or_a_key_is_misplaced() {
        let names = ["dns.domains"];
        for (v, at) in [
            (json!({"a": "x-${dns.domains}"}), Some("/a")),
            (json!({"${dns.domains}": 1}), Some("/${dns.domains}")),
            (
                json!({"a": {"b": ["x-${dns.domains}"]}, "c": "${dns.domains}"}),
                None,
            ),
        ] {
            assert_eq!(misplaced_list_placeholder(&v, &names).as_deref(), at, "{v}");
        }
    }

    #[test]
    fn ec2_service_principal_follows_the_partition() {
        let vars = |partition| PolicyVars {
            partition,
            region: "r",
            account_id: "a",
            cluster_name: "c",
            karpenter_node_role_arn: "n",
            hosted_zone_arns: &[],
        };
        // (partition, ${ec2.servicePrincipal})
        for (partition, principal) in [
            (Partition::Aws, "ec2.amazonaws.com"),
            (Partition::AwsUsGov, "ec2.amazonaws.com"),
            (Partition::AwsCn, "ec2.amazonaws.com.cn"),
        ] {
            let pairs = vars(partition).pairs();
            assert!(
                pairs.contains(&("${ec2.servicePrincipal}", principal)),
                "{partition}"
            );
            let names: Vec<&str> = pairs
                .iter()
                .map(|(k, _)| k.trim_start_matches("${").trim_end_matches('}'))
                .collect();
            assert_eq!(names, POLICY_PLACEHOLDERS);
        }
    }

    #[test]
    fn a_policy_has_one_source() {
        let doc = json!({"Version": "2012-10-17", "Statement": []});
        let policy = |w: Option<WellKnownPolicy>, m: &[&str], file: bool| AddonPolicy {
            well_known: w,
            managed: m.iter().map(ToString::to_string).collect(),
            file: file.then(|| "p.json".to_string()),
            files: Vec::new(),
            documents: if file {
                vec![(SINGLE_POLICY_NAME.to_string(), doc.clone())]
            } else {
                Vec::new()
            },
        };
        let docs = vec![(SINGLE_POLICY_NAME.to_string(), doc.clone())];
        let split = AddonPolicy {
            files: vec!["p/a.json".into(), "b.json".into()],
            documents: vec![("a".into(), doc.clone()), ("b".into(), doc.clone())],
            ..policy(None, &[], false)
        };
        let unloaded = AddonPolicy {
            documents: vec![("a".into(), doc.clone())],
            ..split.clone()
        };
        assert_eq!(
            split.source(),
            Some(PolicySource::Documents(&split.documents))
        );
        assert_eq!(unloaded.source(), None, "one of two files did not load");
        assert_eq!(
            policy_name("policies/karpenter/node-lifecycle.json"),
            "node-lifecycle"
        );
        let lbc = Some(WellKnownPolicy::AwsLoadBalancerController);
        let managed = ["AmazonFSxFullAccess".to_string()];
        // (policy, source)
        let table = [
            (
                policy(lbc, &[], false),
                Some(PolicySource::WellKnown(
                    WellKnownPolicy::AwsLoadBalancerController,
                )),
            ),
            (
                policy(None, &["AmazonFSxFullAccess"], false),
                Some(PolicySource::Managed(&managed)),
            ),
            (
                policy(None, &[], true),
                Some(PolicySource::Documents(&docs)),
            ),
            (policy(None, &[], false), None),
            (policy(lbc, &["AmazonFSxFullAccess"], false), None),
            (policy(lbc, &[], true), None),
            (policy(None, &["AmazonFSxFullAccess"], true), None),
        ];
        for (p, expected) in &table {
            assert_eq!(&p.source(), expected, "{p:?}");
        }
        assert_eq!(
            table[1].0.managed_arns(Partition::AwsCn),
            ["arn:aws-cn:iam::aws:policy/AmazonFSxFullAccess"]
        );
    }
}
