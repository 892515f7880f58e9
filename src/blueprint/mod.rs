//! Blueprints: a reviewed definition of a kind of cluster (general, batch, aiml), versioned.
//!
//! A blueprint declares its parameters, EKS managed add-ons, Karpenter node pools, Helm add-ons
//! with pinned chart versions, and which templates it renders into which files.

pub mod catalog;
pub mod extends;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Node lifetime before replacement, e.g. `720h`.
    pub expire_after: String,
    /// Pool priority (higher first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
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
    /// Helm values. Strings may hold `${cluster.name}`, `${cluster.region}`, `${network.vpcId}`,
    /// `${account.id}` or `${partition}`, replaced per account.
    #[serde(default)]
    pub values: serde_json::Map<String, serde_json::Value>,
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
    pub engine: Option<crate::fleet::wire::Engine>,
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
