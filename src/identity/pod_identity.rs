//! EKS Pod Identity: the trust policy of a role that `pods.eks.amazonaws.com` assumes.

use serde_json::{json, Value};

use super::VERSION;
use crate::domain::arn::POD_IDENTITY_PRINCIPAL;

/// Trust policy for EKS Pod Identity: `pods.eks.amazonaws.com` may assume the role and tag the
/// session, only on behalf of this account's cluster (`aws:SourceAccount`, `aws:SourceArn`).
pub fn trust(account_id: &str, cluster_arn: &str) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [{
            "Sid": "AllowEksPodIdentity",
            "Effect": "Allow",
            "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnEquals": {"aws:SourceArn": cluster_arn}
            }
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_allows_tag_session_for_this_cluster_only() {
        let v = trust(
            "111122223333",
            "arn:aws:eks:us-east-1:111122223333:cluster/c",
        );
        let st = &v["Statement"][0];
        assert_eq!(st["Action"], json!(["sts:AssumeRole", "sts:TagSession"]));
        assert_eq!(
            st["Condition"]["StringEquals"]["aws:SourceAccount"],
            "111122223333"
        );
        assert_eq!(
            st["Condition"]["ArnEquals"]["aws:SourceArn"],
            "arn:aws:eks:us-east-1:111122223333:cluster/c"
        );
    }
}
