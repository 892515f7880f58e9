//! A typed IAM policy statement, as the inventory writes it (validated by the fleet stage,
//! turned into JSON by [`super::policy`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An inline IAM policy statement. Keys may be written as in IAM (`Effect`) or camelCase.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Optional statement ID.
    #[serde(
        default,
        rename = "Sid",
        alias = "sid",
        skip_serializing_if = "Option::is_none"
    )]
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    #[serde(rename = "Effect", alias = "effect")]
    pub effect: Effect,
    /// Actions, e.g. `s3:GetObject`; never `"*"`. Exactly one of `Action` and `NotAction`.
    #[serde(
        default,
        rename = "Action",
        alias = "action",
        skip_serializing_if = "Option::is_none"
    )]
    pub action: Option<OneOrMany>,
    /// Actions excluded (only with `Effect: Deny`: an Allow with NotAction grants everything else).
    #[serde(
        default,
        rename = "NotAction",
        alias = "notAction",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_action: Option<OneOrMany>,
    /// Resource ARNs. `"*"` only for actions without resource-level permissions (e.g.
    /// `ec2:Describe*`, `sts:GetCallerIdentity`) and with `allowWildcardResource: true`.
    #[serde(rename = "Resource", alias = "resource")]
    pub resource: OneOrMany,
    /// Explicit opt-in for `Resource: "*"` on actions that have no resource-level permissions.
    #[serde(
        default,
        rename = "allowWildcardResource",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub allow_wildcard_resource: bool,
    /// IAM condition block, copied as written.
    #[serde(
        default,
        rename = "Condition",
        alias = "condition",
        skip_serializing_if = "Option::is_none"
    )]
    pub condition: Option<BTreeMap<String, BTreeMap<String, OneOrMany>>>,
}

/// IAM statement effect.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum Effect {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// One string or a list of strings, as IAM allows.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}
