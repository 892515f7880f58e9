//! The IAM files of a repository: per service account, its role, trust and permission policies.

use serde_json::json;

use super::{RenderedFile, RenderedTree};
use crate::fleet::wire::IdentityMode;
use crate::identity::{karpenter, policy};
use crate::resolve::{ClusterSpec, ServiceAccountView};

/// Add `iam/<namespace>/<service-account>/*.json` for every service account.
pub fn add_iam_files(spec: &ClusterSpec, tree: &mut RenderedTree) {
    for sa in spec.tenants.iter().flat_map(|t| &t.service_accounts) {
        let dir = format!("iam/{}/{}", sa.namespace, sa.name);
        put(
            tree,
            format!("{dir}/role.json"),
            &role_description(spec, sa),
        );
        if let Some(trust) = trust_policy(spec, sa) {
            put(tree, format!("{dir}/trust-policy.json"), &trust);
        }
        if let Some(p) = policy::permission_policy(&sa.statements, &sa.assume_roles) {
            put(tree, format!("{dir}/permission-policy.json"), &p);
        }
    }
    add_karpenter_files(spec, tree);
}

/// Add `iam/platform/karpenter-{controller,node}/` for the roles Karpenter needs.
fn add_karpenter_files(spec: &ClusterSpec, tree: &mut RenderedTree) {
    let k = &spec.karpenter;
    let scope = karpenter::Scope {
        partition: &spec.account.partition,
        region: &spec.account.region,
        account_id: &spec.account.id,
        cluster: &spec.cluster.name,
        cluster_arn: &spec.cluster.arn,
        node_role_arn: &k.node_role_arn,
    };
    let managed: Vec<String> = karpenter::NODE_MANAGED_POLICIES
        .iter()
        .map(|p| format!("arn:{}:iam::aws:policy/{p}", spec.account.partition))
        .collect();
    let files = [
        (
            "karpenter-controller/role.json",
            json!({
                "roleName": k.controller_role_name,
                "roleArn": k.controller_role_arn,
                "identity": "podIdentity",
                "serviceAccount": {"namespace": "kube-system", "name": "karpenter"},
                "cluster": spec.cluster.arn,
                "managedPolicyArns": [],
                "trustPolicy": "trust-policy.json",
                "permissionPolicy": "permission-policy.json",
            }),
        ),
        (
            "karpenter-controller/trust-policy.json",
            policy::pod_identity_trust(&spec.account.id, &spec.cluster.arn),
        ),
        (
            "karpenter-controller/permission-policy.json",
            karpenter::controller_policy(&scope),
        ),
        (
            "karpenter-node/role.json",
            json!({
                "roleName": k.node_role_name,
                "roleArn": k.node_role_arn,
                "cluster": spec.cluster.arn,
                "managedPolicyArns": managed,
                "trustPolicy": "trust-policy.json",
                "accessEntry": "EC2_LINUX (cluster/cluster.yaml accessConfig)",
            }),
        ),
        (
            "karpenter-node/trust-policy.json",
            karpenter::node_trust(&spec.account.partition),
        ),
    ];
    for (name, v) in files {
        put(tree, format!("iam/platform/{name}"), &v);
    }
}

fn put(tree: &mut RenderedTree, path: String, v: &serde_json::Value) {
    tree.files.insert(
        path,
        RenderedFile {
            content: policy::to_file_text(v),
            template: None,
            scaffold_once: false,
        },
    );
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
