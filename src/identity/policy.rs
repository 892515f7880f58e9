//! IAM policy documents as typed JSON: trust policies and permission policies.

use serde_json::{json, Value};

use crate::fleet::wire::Statement;

/// The IAM policy language version.
const VERSION: &str = "2012-10-17";

/// Trust policy for EKS Pod Identity: `pods.eks.amazonaws.com` may assume the role and tag the
/// session, only on behalf of this account's cluster.
pub fn pod_identity_trust(account_id: &str, cluster_arn: &str) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [{
            "Sid": "AllowEksPodIdentity",
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnEquals": {"aws:SourceArn": cluster_arn}
            }
        }]
    })
}

/// Trust policy for IRSA: the cluster's OIDC provider, for exactly one service account.
pub fn irsa_trust(provider_arn: &str, issuer_host_path: &str, namespace: &str, sa: &str) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [{
            "Sid": "AllowIrsaServiceAccount",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    format!("{issuer_host_path}:sub"): format!("system:serviceaccount:{namespace}:{sa}"),
                    format!("{issuer_host_path}:aud"): "sts.amazonaws.com"
                }
            }
        }]
    })
}

/// The inline permission policy of a service account's role: its own statements, plus
/// `sts:AssumeRole` on exactly the target roles it chains to. `None` when there is nothing to allow.
pub fn permission_policy(statements: &[Statement], assume_roles: &[String]) -> Option<Value> {
    let mut out: Vec<Value> = statements.iter().map(statement).collect();
    if !assume_roles.is_empty() {
        out.push(json!({
            "Sid": "AssumeCrossAccountRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": assume_roles
        }));
    }
    (!out.is_empty()).then(|| json!({"Version": VERSION, "Statement": out}))
}

fn statement(s: &Statement) -> Value {
    let mut v = serde_json::Map::new();
    if let Some(sid) = &s.sid {
        v.insert("Sid".into(), json!(sid));
    }
    v.insert(
        "Effect".into(),
        serde_json::to_value(s.effect).unwrap_or_default(),
    );
    v.insert("Action".into(), json!(s.action.to_vec()));
    v.insert("Resource".into(), json!(s.resource.to_vec()));
    if let Some(c) = &s.condition {
        v.insert(
            "Condition".into(),
            serde_json::to_value(c).unwrap_or_default(),
        );
    }
    Value::Object(v)
}

/// Serialize a policy the way eksvend writes every JSON file: pretty, two spaces, final newline.
pub fn to_file_text(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irsa_trust_pins_subject_and_audience() {
        let v = irsa_trust(
            "arn:aws:iam::1:oidc-provider/oidc.example/id/X",
            "oidc.example/id/X",
            "ns",
            "sa",
        );
        let cond = &v["Statement"][0]["Condition"]["StringEquals"];
        assert_eq!(cond["oidc.example/id/X:sub"], "system:serviceaccount:ns:sa");
        assert_eq!(cond["oidc.example/id/X:aud"], "sts.amazonaws.com");
    }

    #[test]
    fn empty_permission_policy_is_none() {
        assert!(permission_policy(&[], &[]).is_none());
        let p = permission_policy(&[], &["arn:aws:iam::444455556666:role/r".into()]).unwrap();
        assert_eq!(p["Statement"][0]["Action"], "sts:AssumeRole");
    }
}
