//! The IAM files of a repository: per service account, its role, trust and permission policies.

use serde_json::json;

use super::{RenderedFile, RenderedTree};
use crate::fleet::wire::IdentityMode;
use crate::identity::policy;
use crate::resolve::{ClusterSpec, ServiceAccountView};

/// Add `iam/<namespace>/<service-account>/*.json` for every service account.
pub fn add_iam_files(spec: &ClusterSpec, tree: &mut RenderedTree) {
    for sa in spec.tenants.iter().flat_map(|t| &t.service_accounts) {
        let dir = format!("iam/{}/{}", sa.namespace, sa.name);
        let mut put = |name: &str, v: &serde_json::Value| {
            tree.files.insert(
                format!("{dir}/{name}"),
                RenderedFile {
                    content: policy::to_file_text(v),
                    template: None,
                    scaffold_once: false,
                },
            );
        };
        put("role.json", &role_description(spec, sa));
        if let Some(trust) = trust_policy(spec, sa) {
            put("trust-policy.json", &trust);
        }
        if let Some(p) = policy::permission_policy(&sa.statements, &sa.assume_roles) {
            put("permission-policy.json", &p);
        }
    }
}

/// The trust policy, or `None` for IRSA while the cluster's OIDC issuer is not known yet.
fn trust_policy(spec: &ClusterSpec, sa: &ServiceAccountView) -> Option<serde_json::Value> {
    match sa.identity {
        IdentityMode::PodIdentity => Some(policy::pod_identity_trust(
            &spec.account.id,
            &spec.cluster.arn,
        )),
        IdentityMode::Irsa => {
            let issuer = spec.cluster.oidc_issuer.as_ref()?;
            let provider = spec.cluster.oidc_provider_arn.as_ref()?;
            Some(policy::irsa_trust(
                provider,
                issuer.trim_start_matches("https://"),
                &sa.namespace,
                &sa.name,
            ))
        }
    }
}

/// What an IaC tool needs to create the role, in one machine-readable file.
fn role_description(spec: &ClusterSpec, sa: &ServiceAccountView) -> serde_json::Value {
    let pending = sa.identity == IdentityMode::Irsa && spec.cluster.oidc_issuer.is_none();
    json!({
        "roleName": sa.role_name,
        "roleArn": sa.role_arn,
        "identity": sa.identity,
        "serviceAccount": {"namespace": sa.namespace, "name": sa.name},
        "cluster": spec.cluster.arn,
        "managedPolicyArns": sa.policy_arns,
        "trustPolicy": if pending { "pending: set spec.cluster.oidcIssuer once the cluster exists; until then eksctl creates this role (iam.serviceAccounts)" } else { "trust-policy.json" },
        "permissionPolicy": if sa.statements.is_empty() && sa.assume_roles.is_empty() { serde_json::Value::Null } else { json!("permission-policy.json") },
    })
}
