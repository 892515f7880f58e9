//! The recommended Service Control Policy: only the platform role may tag IAM principals with
//! the keys EKS Pod Identity uses as session tags, because whoever can set `kubernetes-*` or
//! `eks-*` tags on a role can impersonate a pod in an ABAC trust policy.
//!
//! Case: IAM tag keys are case-insensitive (a role cannot hold `Kubernetes-Namespace` and
//! `kubernetes-namespace` at once, and `aws:PrincipalTag/kubernetes-namespace` matches either),
//! but `StringLike` is case-sensitive (IAM user guide, condition operators). So the keys the ABAC
//! trusts read are denied with `StringEqualsIgnoreCase`, every case variant at once, beside the
//! lower-case `StringLike` prefixes that keep future EKS keys reserved.
//!
//! Exemption: an SCP applies in every member account, so the exempt principal is the platform
//! role *of each account*: `ArnNotLike` on `aws:PrincipalArn` with the account as `*`.

use serde_json::{json, Value};

use super::VERSION;

/// Tag key patterns reserved for EKS Pod Identity session tags (lower case, `StringLike`).
pub const RESERVED_TAG_KEYS: [&str; 2] = ["kubernetes-*", "eks-*"];

/// The session tag keys EKS Pod Identity sets (EKS user guide, pod-id-abac), denied in every
/// case variant (`StringEqualsIgnoreCase`).
pub const SESSION_TAG_KEYS: [&str; 6] = [
    "eks-cluster-arn",
    "eks-cluster-name",
    "kubernetes-namespace",
    "kubernetes-service-account",
    "kubernetes-pod-name",
    "kubernetes-pod-uid",
];

/// The IAM actions that create or tag principals.
const ACTIONS: [&str; 6] = [
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:TagRole",
    "iam:TagUser",
    "iam:UntagRole",
    "iam:UntagUser",
];

/// `arn:<partition>:iam::*:role/<path/name>` for the platform role's ARN: the same role name in
/// every account the SCP applies to.
pub fn platform_role_pattern(platform_role_arn: &str) -> Option<String> {
    let mut parts = platform_role_arn.splitn(6, ':');
    let (arn, partition, iam, _region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn == "arn" && iam == "iam" && resource.starts_with("role/"))
        .then(|| format!("arn:{partition}:iam::*:{resource}"))
}

/// The SCP document. Without a platform role, nobody in the member accounts may set the keys.
pub fn document(platform_role_arn: Option<&str>) -> Value {
    let exempt = platform_role_arn.and_then(platform_role_pattern);
    let statement = |sid: &str, op: &str, keys: Value| {
        let mut condition = json!({ op: {"aws:TagKeys": keys} });
        if let Some(pattern) = &exempt {
            condition["ArnNotLike"] = json!({"aws:PrincipalArn": pattern});
        }
        json!({
            "Sid": sid,
            "Effect": "Deny",
            "Action": ACTIONS,
            "Resource": "*",
            "Condition": condition
        })
    };
    json!({
        "Version": VERSION,
        "Statement": [
            statement(
                "DenyEksSessionTagKeysAnyCase",
                "ForAnyValue:StringEqualsIgnoreCase",
                json!(SESSION_TAG_KEYS),
            ),
            statement(
                "DenyEksSessionTagKeyPrefixes",
                "ForAnyValue:StringLike",
                json!(RESERVED_TAG_KEYS),
            ),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exempts_the_platform_role_of_every_account() {
        let v = document(Some("arn:aws:iam::123456789012:role/platform"));
        for st in v["Statement"].as_array().unwrap() {
            assert_eq!(
                st["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
                "arn:aws:iam::*:role/platform"
            );
        }
        assert!(document(None)["Statement"][0]["Condition"]
            .get("ArnNotLike")
            .is_none());
        assert_eq!(
            platform_role_pattern("arn:aws-us-gov:iam::123456789012:role/ops/platform").as_deref(),
            Some("arn:aws-us-gov:iam::*:role/ops/platform")
        );
    }
}
