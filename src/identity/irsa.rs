//! IAM Roles for Service Accounts: trust policies for the cluster's OIDC provider, pinned to
//! exactly one service account (`sub`) and to STS (`aud`).

use serde_json::{json, Value};

use super::VERSION;

/// The OIDC subject of a Kubernetes service account.
pub fn subject(namespace: &str, sa: &str) -> String {
    format!("system:serviceaccount:{namespace}:{sa}")
}

/// The issuer URL without its scheme, as IAM writes it in provider ARNs and condition keys.
pub fn issuer_host_path(issuer: &str) -> &str {
    issuer.trim_start_matches("https://")
}

/// ARN of the IAM OIDC provider for `issuer`, registered in `account_id`.
pub fn provider_arn(partition: &str, account_id: &str, issuer: &str) -> String {
    format!(
        "arn:{partition}:iam::{account_id}:oidc-provider/{}",
        issuer_host_path(issuer)
    )
}

/// One trust statement: the OIDC provider, for exactly one service account.
pub fn statement(sid: &str, provider_arn: &str, issuer: &str, namespace: &str, sa: &str) -> Value {
    let host = issuer_host_path(issuer);
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                format!("{host}:sub"): subject(namespace, sa),
                format!("{host}:aud"): "sts.amazonaws.com"
            }
        }
    })
}

/// Trust policy for IRSA: the cluster's OIDC provider, for exactly one service account.
pub fn trust(provider_arn: &str, issuer: &str, namespace: &str, sa: &str) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [statement("AllowIrsaServiceAccount", provider_arn, issuer, namespace, sa)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_pins_subject_and_audience() {
        let issuer = "https://oidc.example/id/X";
        let v = trust(&provider_arn("aws", "1", issuer), issuer, "ns", "sa");
        let cond = &v["Statement"][0]["Condition"]["StringEquals"];
        assert_eq!(cond["oidc.example/id/X:sub"], "system:serviceaccount:ns:sa");
        assert_eq!(cond["oidc.example/id/X:aud"], "sts.amazonaws.com");
        assert_eq!(
            v["Statement"][0]["Principal"]["Federated"],
            "arn:aws:iam::1:oidc-provider/oidc.example/id/X"
        );
    }
}
