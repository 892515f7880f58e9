//! IAM stage: a resolved account → every IAM file of its repository, built once per command.
//!
//! Per service account its role, trust and permission policies; the shared chaining role; the
//! hand-off trust policies of target roles; the roles other inventory accounts assume here;
//! Karpenter's roles; the recommended SCP. [`Documents::policies`] is the one list of IAM policy
//! documents: the check stage measures and lints it, the render stage writes it.

pub mod stack;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::domain::{arn, limits};
use crate::identity::lint::Kind;
use crate::identity::modes::{ChainingMode, IdentityMode};
use crate::identity::policy::Chaining;
use crate::identity::{chaining, irsa, karpenter, pod_identity, policy, scp};
use crate::resolve::{AddonRole, ClusterSpec, Grant, ServiceAccountView};

/// Which inventory field a document comes from (for validation messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A field of a service account of this account.
    ServiceAccount {
        /// Namespace.
        namespace: String,
        /// Service account name.
        name: String,
        /// Field under the service account, e.g. `statements`.
        field: &'static str,
    },
    /// A field of this WorkloadAccount.
    Account(&'static str),
    /// Generated from the blueprint and the Fleet only.
    Generated,
}

/// One IAM document of a repository.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Path in the repository.
    pub path: String,
    /// The document.
    pub value: Value,
    /// Which guard rails apply.
    pub kind: Kind,
    /// Its size limit: what it is, the limit, and a hint.
    pub limit: Option<(&'static str, usize, &'static str)>,
    /// Where in the inventory it comes from.
    pub origin: Origin,
}

/// Every IAM file of one account's repository.
#[derive(Debug, Clone, Default)]
pub struct Documents {
    /// The policy documents, in a fixed order: measured and linted by the check stage.
    pub policies: Vec<Doc>,
    /// `role.json` descriptions (path, content): what an IaC tool needs to create each role.
    /// Emptied once the stacks are built from them (their text is in `files`).
    pub descriptions: Vec<(String, Value)>,
    /// The CloudFormation templates that create the roles (and Karpenter's queue) and the role
    /// descriptions, as the file text they are written as (path, text): only written, never
    /// inspected again, so they are kept as text rather than as JSON values.
    pub files: Vec<(String, String)>,
}

/// Build every IAM file of the account (policies, role descriptions and the CloudFormation
/// stacks that create the roles): once per account that renders.
pub fn build(spec: &ClusterSpec) -> Documents {
    crate::stats::count(crate::stats::Stage::Iam);
    let mut descriptions = Vec::new();
    for sa in spec.tenants.iter().flat_map(|t| &t.service_accounts) {
        descriptions.push((
            format!("iam/{}/{}/role.json", sa.namespace, sa.name),
            role_description(spec, sa),
        ));
    }
    if let Some(shared) = &spec.shared_chaining_role {
        descriptions.push((
            "iam/platform/eks-chaining/role.json".into(),
            json!({
                "roleName": shared.role_name,
                "roleArn": shared.role_arn,
                "identity": "podIdentity",
                "purpose": "shared chaining role: sts:AssumeRole on the targets of the service accounts with chaining: shared, nothing else; the targets tell the service accounts apart by their session tags (ABAC)",
                "cluster": spec.cluster.arn,
                "managedPolicyArns": [],
                "trustPolicy": "trust-policy.json",
                "permissionPolicy": "permission-policy.json",
            }),
        ));
    }
    for (arn, grants) in by_target(&spec.incoming) {
        let name = &grants[0].target.role_name;
        descriptions.push((
            format!("iam/cross-account/{name}/role.json"),
            json!({
                "roleName": name,
                "roleArn": arn,
                "purpose": "assumed by service accounts of other workload accounts of this fleet; attach the permissions they need here",
                "assumedBy": grants.iter().map(grant_summary).collect::<Vec<_>>(),
                "trustPolicy": if grants.iter().all(|g| g.source().is_ok()) { json!("trust-policy.json") } else { json!("partly pending: see assumedBy") },
            }),
        ));
    }
    let policies = policy_documents(spec, &mut descriptions);
    let mut docs = Documents {
        policies,
        descriptions,
        files: Vec::new(),
    };
    let region = spec.account.region.as_str();
    let mut files: Vec<(String, String)> = stack::templates(spec, &docs)
        .iter()
        .map(|t| (t.path.clone(), t.to_file_text(region)))
        .collect();
    files.extend(
        std::mem::take(&mut docs.descriptions)
            .into_iter()
            .map(|(path, value)| (path, crate::identity::policy::to_file_text(&value))),
    );
    docs.files = files;
    docs
}

/// The account's policy documents alone, without the CloudFormation stacks and role
/// descriptions [`build`] adds: what the check stage measures and lints, for every account of the
/// fleet. An account that renders gets them again from [`build`]; a no-op apply renders none, so
/// it never builds a stack.
pub fn policies(spec: &ClusterSpec) -> Vec<Doc> {
    crate::stats::count(crate::stats::Stage::Check);
    policy_documents(spec, &mut Vec::new())
}

/// Every policy document of the account, in a fixed order; the add-on and node role
/// descriptions go to `descriptions`.
fn policy_documents(spec: &ClusterSpec, descriptions: &mut Vec<(String, Value)>) -> Vec<Doc> {
    let mut policies = documents(spec);
    addon_files(spec, &mut policies, descriptions);
    node_role_files(spec, &mut policies, descriptions);
    policies
}

/// Every IAM policy document of the account's repository, in a fixed order.
fn documents(spec: &ClusterSpec) -> Vec<Doc> {
    let mut out = Vec::new();
    for sa in spec.tenants.iter().flat_map(|t| &t.service_accounts) {
        service_account_documents(spec, sa, &mut out);
    }
    if let Some(shared) = &spec.shared_chaining_role {
        let dir = "iam/platform/eks-chaining";
        out.push(Doc {
            path: format!("{dir}/trust-policy.json"),
            value: pod_identity::cluster_trust(&spec.account.id, &spec.cluster.arn),
            kind: Kind::Trust,
            limit: Some(("trust policy", spec.iam.trust_policy_max_chars, TRUST_HINT)),
            origin: Origin::Account("iam.sharedChainingRole"),
        });
        if !shared.targets.is_empty() {
            out.push(Doc {
                path: format!("{dir}/permission-policy.json"),
                value: chaining::assume_only(&shared.targets),
                kind: Kind::ChainingRole,
                limit: Some(("inline policy", limits::INLINE, "")),
                origin: Origin::Account("iam.sharedChainingRole"),
            });
        }
    }
    handoff_documents(spec, &mut out);
    for (arn, grants) in by_target(&spec.incoming) {
        if let Some(doc) = target_trust(&grants) {
            out.push(Doc {
                path: format!(
                    "iam/cross-account/{}/trust-policy.json",
                    grants[0].target.role_name
                ),
                value: doc,
                kind: Kind::TargetTrust {
                    abac: abac_applies(&grants),
                },
                limit: Some(("trust policy", spec.iam.trust_policy_max_chars, TRUST_HINT)),
                origin: Origin::Generated,
            });
        }
        let _ = arn;
    }
    out.push(Doc {
        path: "iam/scp/deny-eks-session-tag-keys.json".into(),
        value: scp::document(spec.iam.platform_role_arn.as_deref()),
        kind: Kind::Permission,
        limit: Some(("service control policy", limits::SCP, "")),
        origin: Origin::Generated,
    });
    out
}

const TRUST_HINT: &str =
    "; raise the account's quota and set spec.iam.trustPolicyMaxChars (Fleet or WorkloadAccount)";

fn service_account_documents(spec: &ClusterSpec, sa: &ServiceAccountView, out: &mut Vec<Doc>) {
    let dir = format!("iam/{}/{}", sa.namespace, sa.name);
    let origin = |field| Origin::ServiceAccount {
        namespace: sa.namespace.clone(),
        name: sa.name.clone(),
        field,
    };
    if sa.own_role {
        if let Some(trust) = trust_policy(spec, sa) {
            out.push(Doc {
                path: format!("{dir}/trust-policy.json"),
                value: trust,
                kind: Kind::Trust,
                limit: Some(("trust policy", spec.iam.trust_policy_max_chars, TRUST_HINT)),
                origin: origin("name"),
            });
        }
        if let Some(p) = permission_policy(sa) {
            out.push(Doc {
                path: format!("{dir}/permission-policy.json"),
                value: p,
                kind: Kind::Permission,
                limit: Some((
                    "inline permission policy",
                    limits::INLINE,
                    "; split the statements over managed policies (policyArns)",
                )),
                origin: origin("statements"),
            });
        }
    }
    if !sa.session_statements.is_empty() {
        out.push(Doc {
            path: format!("{dir}/session-policy.json"),
            value: policy::document(&sa.session_statements),
            kind: Kind::Permission,
            limit: Some(("session policy", limits::SESSION, "")),
            origin: origin("sessionPolicy"),
        });
    }
}

/// The permission policy of a service account's own role.
pub fn permission_policy(sa: &ServiceAccountView) -> Option<Value> {
    policy::permission_policy(
        &sa.statements,
        &sa.assume_roles,
        Chaining::of(sa.identity, sa.chaining),
    )
}

/// Hand-off folders: per target outside this account, the trust policy its owner installs.
fn handoff_documents(spec: &ClusterSpec, out: &mut Vec<Doc>) {
    for (_, grants) in handoff_targets(spec) {
        let Some(doc) = target_trust(&grants) else {
            continue;
        };
        // Findings point at this account's own service account, never another account's.
        let own = grants
            .iter()
            .find(|g| g.account == spec.account.name)
            .unwrap_or(&grants[0]);
        let t = &own.target;
        let limit = if t.inventory_account.is_some() {
            spec.iam
                .trust_policy_max_chars
                .max(spec.iam.fleet_trust_policy_max_chars)
        } else {
            spec.iam.fleet_trust_policy_max_chars
        };
        out.push(Doc {
            path: format!("handoff/{}/{}/trust-policy.json", t.account_id, t.role_name),
            value: doc,
            kind: Kind::TargetTrust {
                abac: abac_applies(&grants),
            },
            limit: Some(("trust policy", limit, TRUST_HINT)),
            origin: Origin::ServiceAccount {
                namespace: own.namespace.clone(),
                name: own.service_account.clone(),
                field: "assumeRoles",
            },
        });
    }
}

/// This account's hand-off targets with the grants their trust admits: for a role outside the
/// inventory, every source account's ([`ClusterSpec::handoff_grants`]: one role, one trust,
/// whichever repository it is read from); for a role of a workload account, this account's own
/// (that account's `iam/cross-account/` merges them).
pub fn handoff_targets(spec: &ClusterSpec) -> BTreeMap<String, Vec<Grant>> {
    let mut map = by_target(&spec.grants);
    map.extend(by_target(&spec.handoff_grants));
    map
}

/// The WorkloadAccount whose `handoff/<account>/stack.yaml` creates a role outside the
/// inventory: the first by name of the accounts whose service accounts assume it (`grants`, as
/// [`handoff_targets`] gives them), so that one stack owns the role.
pub fn handoff_owner(grants: &[Grant]) -> Option<&str> {
    grants.iter().map(|g| g.account.as_str()).min()
}

/// Grants grouped by target role ARN (sorted).
pub fn by_target(grants: &[Grant]) -> BTreeMap<String, Vec<Grant>> {
    let mut map: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
    for g in grants {
        map.entry(g.target.arn.clone()).or_default().push(g.clone());
    }
    map
}

/// The target's trust policy for the grants whose source is known; `None` when all are pending.
/// Sources sharing a role (the shared chaining role) keep one statement each: ABAC tells them apart.
pub fn target_trust(grants: &[Grant]) -> Option<Value> {
    let statements: Vec<Value> = grants
        .iter()
        .filter_map(|g| Some(chaining::target_statements(&g.source().ok()?, &g.account)))
        .flatten()
        .collect();
    (!statements.is_empty()).then(|| chaining::trust(statements))
}

fn abac_applies(grants: &[Grant]) -> bool {
    grants.iter().all(|g| g.session_tags)
}

fn grant_summary(g: &Grant) -> Value {
    json!({
        "account": g.account,
        "accountId": g.account_id,
        "cluster": g.cluster_arn,
        "namespace": g.namespace,
        "serviceAccount": g.service_account,
        "identity": g.identity,
        "chaining": g.chaining,
        "sourceRole": g.source_role_arn,
        "status": match g.source() { Ok(_) => json!("ready"), Err(e) => json!(e.to_string()) },
    })
}

/// `iam/platform/<add-on>-controller/` for every add-on whose role eksvend describes (Karpenter's
/// controller among them), through the same guard rails and size limits as every other role:
/// each of the blueprint's policy documents is one customer managed policy of the role
/// (`<name>-policy.json`, measured against the 6,144-character managed-policy quota), named
/// `<role name>-<name>`.
fn addon_files(
    spec: &ClusterSpec,
    policies: &mut Vec<Doc>,
    descriptions: &mut Vec<(String, Value)>,
) {
    for a in &spec.addon_identities {
        let AddonRole::Own {
            role_name,
            role_arn,
        } = &a.role
        else {
            continue;
        };
        let documents = spec.addon_policies(&a.addon);
        if documents.is_empty() {
            continue; // an own role always has its policy files (resolve's AddonRole::Own)
        }
        let dir = format!("iam/platform/{}-controller", a.addon);
        policies.push(Doc {
            path: format!("{dir}/trust-policy.json"),
            value: pod_identity::trust(
                &spec.account.id,
                &spec.cluster.arn,
                &[pod_identity::Subject {
                    namespace: &a.namespace,
                    service_account: &a.service_account,
                    session_tags: true,
                }],
            ),
            kind: Kind::Trust,
            limit: Some(("trust policy", spec.iam.trust_policy_max_chars, TRUST_HINT)),
            origin: Origin::Generated,
        });
        let mut managed = Vec::new();
        for (name, document) in documents {
            let file = format!("{name}-policy.json");
            policies.push(Doc {
                path: format!("{dir}/{file}"),
                value: document,
                kind: Kind::Permission,
                limit: Some((
                    "managed permission policy",
                    limits::MANAGED,
                    "; the blueprint's policy file grows with the names put into it: split it over several files (identity.policy.files, one managed policy each) or choose a shorter spec.cluster.name",
                )),
                origin: Origin::Account("blueprint"),
            });
            let policy_name = format!("{role_name}-{name}");
            managed.push(json!({
                "policyName": policy_name,
                "policyArn": arn::customer_managed_policy(spec.account.partition, &spec.account.id, &policy_name),
                "policyDocument": file,
            }));
        }
        descriptions.push((
            format!("{dir}/role.json"),
            json!({
                "roleName": role_name,
                "roleArn": role_arn,
                "identity": "podIdentity",
                "serviceAccount": {"namespace": a.namespace, "name": a.service_account},
                "cluster": spec.cluster.arn,
                "managedPolicyArns": [],
                "customerManagedPolicies": managed,
                "trustPolicy": "trust-policy.json",
            }),
        ));
    }
}

/// `iam/platform/karpenter-node/`: the role of the nodes Karpenter launches.
fn node_role_files(
    spec: &ClusterSpec,
    policies: &mut Vec<Doc>,
    descriptions: &mut Vec<(String, Value)>,
) {
    let k = &spec.karpenter;
    let managed: Vec<String> = karpenter::NODE_MANAGED_POLICIES
        .iter()
        .map(|p| arn::aws_managed_policy(spec.account.partition, p))
        .collect();
    let dir = "iam/platform/karpenter-node";
    policies.push(Doc {
        path: format!("{dir}/trust-policy.json"),
        value: karpenter::node_trust(spec.account.partition),
        kind: Kind::Trust,
        limit: Some(("trust policy", spec.iam.trust_policy_max_chars, TRUST_HINT)),
        origin: Origin::Generated,
    });
    descriptions.push((
        format!("{dir}/role.json"),
        json!({
            "roleName": k.node_role_name,
            "roleArn": k.node_role_arn,
            "cluster": spec.cluster.arn,
            "managedPolicyArns": managed,
            "trustPolicy": "trust-policy.json",
            "accessEntry": "EC2_LINUX (cluster/cluster.yaml accessConfig)",
        }),
    ));
}

/// The trust policy, or `None` for IRSA while the cluster's OIDC issuer is not known yet.
fn trust_policy(spec: &ClusterSpec, sa: &ServiceAccountView) -> Option<Value> {
    match sa.identity {
        IdentityMode::PodIdentity => Some(pod_identity::trust(
            &spec.account.id,
            &spec.cluster.arn,
            &[pod_identity::Subject {
                namespace: &sa.namespace,
                service_account: &sa.name,
                session_tags: !sa.disable_session_tags,
            }],
        )),
        IdentityMode::Irsa => {
            let issuer = spec.cluster.oidc_issuer.as_ref()?;
            let provider = spec.cluster.oidc_provider_arn.as_ref()?;
            Some(irsa::trust(provider, issuer, &sa.namespace, &sa.name))
        }
    }
}

/// What an IaC tool needs to create the role, in one machine-readable file.
fn role_description(spec: &ClusterSpec, sa: &ServiceAccountView) -> Value {
    let pending = sa.identity == IdentityMode::Irsa && spec.cluster.oidc_issuer.is_none();
    let mut v = json!({
        "roleName": if sa.own_role { json!(sa.role_name) } else { Value::Null },
        "roleArn": sa.association_role_arn,
        "identity": sa.identity,
        "serviceAccount": {"namespace": sa.namespace, "name": sa.name},
        "cluster": spec.cluster.arn,
        "managedPolicyArns": sa.policy_arns,
        "createdBy": if sa.identity == IdentityMode::Irsa { "eksctl (cluster/cluster.yaml iam.serviceAccounts)" } else if sa.own_role { "iam/stack.yaml" } else { "iam/stack.yaml (shared chaining role)" },
        "trustPolicy": if !sa.own_role { json!("shared chaining role: iam/platform/eks-chaining/") } else if pending { json!("pending: set spec.cluster.oidcIssuer once the cluster exists; eksctl creates this role (iam.serviceAccounts) with the trust") } else { json!("trust-policy.json") },
        "permissionPolicy": if sa.own_role && permission_policy(sa).is_some() { json!("permission-policy.json") } else { Value::Null },
    });
    if !sa.targets.is_empty() {
        v["chaining"] = json!(if sa.identity == IdentityMode::Irsa {
            "webIdentity"
        } else {
            match sa.chaining {
                ChainingMode::Profile => "profile",
                ChainingMode::Native => "native",
                ChainingMode::Shared => "shared",
            }
        });
        v["targets"] = sa
            .targets
            .iter()
            .map(|t| {
                json!({
                    "roleArn": t.arn,
                    "profile": if sa.chaining == ChainingMode::Native && sa.identity == IdentityMode::PodIdentity { Value::Null } else { json!(t.profile) },
                    "trustPolicy": spec
                        .grants
                        .iter()
                        .find(|g| g.namespace == sa.namespace && g.service_account == sa.name && g.target.arn == t.arn)
                        .and_then(|g| g.source().err())
                        .map_or_else(|| format!("handoff/{}/{}/trust-policy.json", t.account_id, t.role_name), |pending| pending.to_string()),
                    "inventoryAccount": t.inventory_account,
                })
            })
            .collect();
    }
    if sa.disable_session_tags {
        v["disableSessionTags"] = json!(true);
    }
    if !sa.session_statements.is_empty() {
        v["sessionPolicy"] = json!("session-policy.json");
    }
    v
}
