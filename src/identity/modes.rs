//! How a service account gets AWS credentials, and how it reaches roles in other accounts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a service account gets AWS credentials.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub enum IdentityMode {
    /// EKS Pod Identity: an association plus a role trusting `pods.eks.amazonaws.com`.
    PodIdentity,
    /// IAM Roles for Service Accounts: the role trusts the cluster's OIDC provider.
    Irsa,
}

/// How a service account reaches roles in other accounts.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "camelCase")]
pub enum ChainingMode {
    /// An AWS config file with a `role_arn` profile per target whose first hop is the Pod
    /// Identity agent (`credential_source = EcsContainer`) or, for IRSA, a `source_profile`
    /// holding the own role and its web identity token.
    #[default]
    Profile,
    /// EKS Pod Identity's own role chaining: `targetRoleARN` on the association (one target).
    Native,
    /// The account's shared chaining role (`sts:AssumeRole` only) and a profile per target.
    Shared,
}
