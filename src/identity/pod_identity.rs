//! EKS Pod Identity: the trust policy of a role that `pods.eks.amazonaws.com` assumes.
//!
//! As the EKS user guide documents it ("Create IAM role with trust policy required by EKS Pod
//! Identity", pod-id-role): the service principal with `sts:AssumeRole` and `sts:TagSession`,
//! restricted with the request tags EKS Pod Identity sets on the session
//! (`aws:RequestTag/eks-cluster-arn`, `aws:RequestTag/kubernetes-namespace`,
//! `aws:RequestTag/kubernetes-service-account`; list in "Enable or disable session tags",
//! pod-id-abac) and `aws:SourceAccount`. `aws:SourceArn` is not used: the user guide does not say
//! which ARN it carries for Pod Identity. Without the tag conditions any association of the
//! account could use the role.

use serde_json::{json, Map, Value};

use super::VERSION;
use crate::domain::arn::POD_IDENTITY_PRINCIPAL;

/// One service account a role serves.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Service account name.
    pub service_account: &'a str,
    /// Whether EKS sets session tags on its sessions (false with `disableSessionTags`).
    pub session_tags: bool,
}

/// Trust policy for EKS Pod Identity: one statement per subject. With session tags, the
/// statement pins cluster, namespace and service account by their request tags; without
/// (`disableSessionTags`, native chaining only) there is nothing to pin them by, so the statement
/// keeps `aws:SourceAccount` alone — the target role's trust then pins the association's
/// `sts:ExternalId`, which is unique to it (see docs/identity.md).
pub fn trust(account_id: &str, cluster_arn: &str, subjects: &[Subject<'_>]) -> Value {
    let statements: Vec<Value> = subjects
        .iter()
        .map(|s| {
            let mut eq = Map::new();
            eq.insert("aws:SourceAccount".into(), json!(account_id));
            if s.session_tags {
                eq.insert("aws:RequestTag/eks-cluster-arn".into(), json!(cluster_arn));
                eq.insert(
                    "aws:RequestTag/kubernetes-namespace".into(),
                    json!(s.namespace),
                );
                eq.insert(
                    "aws:RequestTag/kubernetes-service-account".into(),
                    json!(s.service_account),
                );
            }
            json!({
                "Sid": super::chaining::sid(&["eks", "pod", "identity", s.namespace, s.service_account]),
                "Effect": "Allow",
                "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": eq}
            })
        })
        .collect();
    json!({"Version": VERSION, "Statement": statements})
}

/// Trust policy of the shared chaining role: any association of this cluster
/// (`aws:SourceAccount`, `aws:RequestTag/eks-cluster-arn`). The role may do nothing but assume the
/// targets, and every target pins namespace and service account by ABAC, so one statement serves
/// any number of service accounts (a statement per service account would outgrow the trust
/// policy quota).
pub fn cluster_trust(account_id: &str, cluster_arn: &str) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [{
            "Sid": "EksPodIdentityOfThisCluster",
            "Effect": "Allow",
            "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {
                "aws:SourceAccount": account_id,
                "aws:RequestTag/eks-cluster-arn": cluster_arn
            }}
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_pins_cluster_namespace_and_service_account() {
        let v = trust(
            "111122223333",
            "arn:aws:eks:us-east-1:111122223333:cluster/c",
            &[Subject {
                namespace: "ns",
                service_account: "sa",
                session_tags: true,
            }],
        );
        let st = &v["Statement"][0];
        assert_eq!(st["Action"], json!(["sts:AssumeRole", "sts:TagSession"]));
        let eq = &st["Condition"]["StringEquals"];
        assert_eq!(eq["aws:SourceAccount"], "111122223333");
        assert_eq!(
            eq["aws:RequestTag/eks-cluster-arn"],
            "arn:aws:eks:us-east-1:111122223333:cluster/c"
        );
        assert_eq!(eq["aws:RequestTag/kubernetes-namespace"], "ns");
        assert_eq!(eq["aws:RequestTag/kubernetes-service-account"], "sa");
        assert!(st["Condition"].get("ArnEquals").is_none());
    }
}
