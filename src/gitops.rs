//! The GitOps engines a vended repository is bootstrapped for.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// GitOps engine that reconciles a cluster's repository.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub enum Engine {
    /// Argo CD: a root Application (app-of-apps), AppProjects per team, Applications per repo.
    Argocd,
    /// Flux: GitRepository + Kustomization per repo, impersonating a tenant service account.
    Flux,
}
