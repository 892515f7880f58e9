//! The Kubernetes-style envelope of every eksvend document (inventory kinds, blueprints, the
//! state file): `apiVersion`, `kind`, `metadata`, `spec`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The only apiVersion of the inventory format so far.
pub const API_VERSION: &str = "eksvend.dev/v1alpha1";

/// `metadata` of every inventory document.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The document's name (a DNS-1123 label for Networks and WorkloadAccounts).
    pub name: String,
    /// Free-form labels; not used by eksvend, kept for people and tools.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A typed inventory document: `apiVersion`, `kind`, `metadata`, `spec`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Document<S> {
    /// Always `eksvend.dev/v1alpha1`.
    pub api_version: String,
    /// The kind of document.
    pub kind: String,
    /// Name and labels.
    pub metadata: Metadata,
    /// The document's content.
    pub spec: S,
}
