//! IAM Roles for Service Accounts: trust policies for the cluster's OIDC provider, pinned to
//! exactly one service account (`sub`) and to STS (`aud`).

use serde_json::{json, Value};

use super::VERSION;
use crate::domain::OidcIssuer;

/// The OIDC subject of a Kubernetes service account.
pub fn subject(namespace: &str, sa: &str) -> String {
    format!("system:serviceaccount:{namespace}:{sa}")
}

/// One trust statement: the OIDC provider, for exactly one service account.
pub fn statement(
    sid: &str,
    provider_arn: &str,
    issuer: &OidcIssuer,
    namespace: &str,
    sa: &str,
) -> Value {
    let host = issuer.host_path();
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
pub fn trust(provider_arn: &str, issuer: &OidcIssuer, namespace: &str, sa: &str) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [statement("AllowIrsaServiceAccount", provider_arn, issuer, namespace, sa)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Region;

    #[test]
    fn trust_pins_subject_and_audience() {
        let region = Region::try_from("us-east-1").expect("known");
        let issuer = OidcIssuer::parse("https://oidc.eks.us-east-1.amazonaws.com/id/X", &region)
            .expect("valid");
        let provider =
            "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X";
        let v = trust(provider, &issuer, "ns", "sa");
        let host = "oidc.eks.us-east-1.amazonaws.com/id/X";
        let cond = &v["Statement"][0]["Condition"]["StringEquals"];
        assert_eq!(cond[format!("{host}:sub")], "system:serviceaccount:ns:sa");
        assert_eq!(cond[format!("{host}:aud")], "sts.amazonaws.com");
        assert_eq!(v["Statement"][0]["Principal"]["Federated"], provider);
    }
}
