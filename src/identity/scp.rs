//! The recommended Service Control Policy: only the platform role may tag IAM principals with
//! the keys EKS Pod Identity uses as session tags, because whoever can set `kubernetes-*` or
//! `eks-*` tags on a role can impersonate a pod in an ABAC trust policy.

use serde_json::{json, Value};

use super::VERSION;

/// Tag key patterns reserved for EKS Pod Identity session tags.
pub const RESERVED_TAG_KEYS: [&str; 2] = ["kubernetes-*", "eks-*"];

/// The SCP document. Without a platform role, nobody in the member accounts may set the keys.
pub fn document(platform_role_arn: Option<&str>) -> Value {
    let mut condition = json!({
        "ForAnyValue:StringLike": {"aws:TagKeys": RESERVED_TAG_KEYS}
    });
    if let Some(arn) = platform_role_arn {
        condition["ArnNotEquals"] = json!({"aws:PrincipalArn": arn});
    }
    json!({
        "Version": VERSION,
        "Statement": [{
            "Sid": "DenyEksSessionTagKeysOnIamPrincipals",
            "Effect": "Deny",
            "Action": [
                "iam:CreateRole",
                "iam:CreateUser",
                "iam:TagRole",
                "iam:TagUser",
                "iam:UntagRole",
                "iam:UntagUser"
            ],
            "Resource": "*",
            "Condition": condition
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exempts_only_the_platform_role() {
        let v = document(Some("arn:aws:iam::123456789012:role/platform"));
        let c = &v["Statement"][0]["Condition"];
        assert_eq!(
            c["ArnNotEquals"]["aws:PrincipalArn"],
            "arn:aws:iam::123456789012:role/platform"
        );
        assert!(document(None)["Statement"][0]["Condition"]
            .get("ArnNotEquals")
            .is_none());
    }
}
