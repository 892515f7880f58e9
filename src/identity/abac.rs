//! ABAC for target roles: the three EKS Pod Identity session tags that pin one service account
//! of one cluster. All three, always: cluster names and namespaces are not globally unique.

use serde_json::{Map, Value};

/// The session tags a target role's trust policy pins (EKS Pod Identity sets them; they are
/// transitive, so a chained `AssumeRole` carries them as `aws:PrincipalTag/…`).
pub const TAGS: [&str; 3] = [
    "eks-cluster-arn",
    "kubernetes-namespace",
    "kubernetes-service-account",
];

/// `StringEquals` entries pinning the three tags to one cluster, namespace and service account.
pub fn principal_tag_conditions(
    cluster_arn: &str,
    namespace: &str,
    sa: &str,
) -> Map<String, Value> {
    TAGS.iter()
        .zip([cluster_arn, namespace, sa])
        .map(|(tag, v)| {
            (
                format!("aws:PrincipalTag/{tag}"),
                Value::String(v.to_string()),
            )
        })
        .collect()
}

/// How many of the three tags a trust statement pins to one exact value (`StringEquals`, no
/// wildcard, a single value).
pub fn pinned_tags(statement: &Value) -> usize {
    let Some(eq) = statement.pointer("/Condition/StringEquals") else {
        return 0;
    };
    TAGS.iter()
        .filter(|tag| {
            eq.get(format!("aws:PrincipalTag/{tag}"))
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty() && !v.contains(['*', '?']))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_three_tags_are_pinned() {
        let c = principal_tag_conditions("arn:aws:eks:us-east-1:1:cluster/c", "ns", "sa");
        let st = json!({"Condition": {"StringEquals": c}});
        assert_eq!(pinned_tags(&st), 3);
        let two = json!({"Condition": {"StringEquals": {
            "aws:PrincipalTag/kubernetes-namespace": "ns",
            "aws:PrincipalTag/kubernetes-service-account": "sa"}}});
        assert_eq!(pinned_tags(&two), 2);
        let like = json!({"Condition": {"StringEquals": {
            "aws:PrincipalTag/eks-cluster-arn": "*",
            "aws:PrincipalTag/kubernetes-namespace": "ns",
            "aws:PrincipalTag/kubernetes-service-account": "sa"}}});
        assert_eq!(pinned_tags(&like), 2);
    }
}
