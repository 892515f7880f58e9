//! Permission policies of service account roles, from the inventory's typed statements.

use serde_json::{json, Value};

use super::modes::{ChainingMode, IdentityMode};
use super::statement::Statement;
use super::VERSION;

/// Actions that have no resource-level permissions, so `Resource: "*"` is their only form
/// (an entry ending in `*` covers every action with that prefix). A statement may use `"*"`
/// only for these, and only with `allowWildcardResource: true`.
pub const NO_RESOURCE_LEVEL: &[&str] = &[
    "autoscaling:Describe*",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "cloudwatch:PutMetricData",
    "ec2:Describe*",
    "ecr:GetAuthorizationToken",
    "elasticloadbalancing:Describe*",
    "kms:ListAliases",
    "kms:ListKeys",
    "logs:DescribeLogGroups",
    "pricing:GetProducts",
    "s3:ListAllMyBuckets",
    "sqs:ListQueues",
    "sts:GetCallerIdentity",
    "tag:GetResources",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

/// Whether `action` is covered by [`NO_RESOURCE_LEVEL`].
pub fn has_no_resource_level_permissions(action: &str) -> bool {
    NO_RESOURCE_LEVEL
        .iter()
        .any(|entry| match entry.strip_suffix('*') {
            Some(prefix) => action.starts_with(prefix),
            None => *entry == action,
        })
}

/// What a role may assume besides its own statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chaining {
    /// Nothing (the shared chaining role assumes the targets; or no targets).
    None,
    /// `sts:AssumeRole` on the targets (IRSA: no session tags to carry).
    Assume,
    /// `sts:AssumeRole` and `sts:TagSession` on the targets: Pod Identity's session tags are
    /// transitive, and a chained `AssumeRole` that carries them needs `sts:TagSession` on the
    /// caller's side too (profile chaining; native chaining, where EKS passes the tags).
    AssumeAndTag,
}

impl Chaining {
    /// What the own role of a service account with this identity and chaining mode may assume.
    pub fn of(identity: IdentityMode, chaining: ChainingMode) -> Chaining {
        match (identity, chaining) {
            (IdentityMode::Irsa, _) => Chaining::Assume,
            (_, ChainingMode::Shared) => Chaining::None,
            (_, ChainingMode::Native | ChainingMode::Profile) => Chaining::AssumeAndTag,
        }
    }
}

/// The inline permission policy of a service account's role: its own statements, plus
/// `sts:AssumeRole` on exactly the target roles it chains to. `None` when there is nothing to allow.
pub fn permission_policy(
    statements: &[Statement],
    assume_roles: &[String],
    chaining: Chaining,
) -> Option<Value> {
    let mut out: Vec<Value> = statements.iter().map(statement).collect();
    if !assume_roles.is_empty() && chaining != Chaining::None {
        let action = if chaining == Chaining::AssumeAndTag {
            json!(["sts:AssumeRole", "sts:TagSession"])
        } else {
            json!("sts:AssumeRole")
        };
        out.push(json!({
            "Sid": "AssumeCrossAccountRoles",
            "Effect": "Allow",
            "Action": action,
            "Resource": assume_roles
        }));
    }
    (!out.is_empty()).then(|| json!({"Version": VERSION, "Statement": out}))
}

/// A policy document of the given statements (session policies).
pub fn document(statements: &[Statement]) -> Value {
    json!({"Version": VERSION, "Statement": statements.iter().map(statement).collect::<Vec<_>>()})
}

fn statement(s: &Statement) -> Value {
    let mut v = serde_json::Map::new();
    if let Some(sid) = &s.sid {
        v.insert("Sid".into(), json!(sid));
    }
    v.insert(
        "Effect".into(),
        serde_json::to_value(s.effect).expect("an Effect is a unit variant: always JSON"),
    );
    if let Some(a) = &s.action {
        v.insert("Action".into(), json!(a.to_vec()));
    }
    if let Some(a) = &s.not_action {
        v.insert("NotAction".into(), json!(a.to_vec()));
    }
    v.insert("Resource".into(), json!(s.resource.to_vec()));
    if let Some(c) = &s.condition {
        v.insert(
            "Condition".into(),
            serde_json::to_value(c).expect("a condition block is string maps: always JSON"),
        );
    }
    Value::Object(v)
}

/// Serialize a policy the way eksvend writes every JSON file: pretty, two spaces, final newline.
///
/// # Panics
/// Never: a `serde_json::Value` always serializes.
pub fn to_file_text(v: &Value) -> String {
    // A `Value` always serializes; an empty file must never reach a repository instead.
    let mut s = serde_json::to_string_pretty(v).expect("a JSON value serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_permission_policy_is_none() {
        assert!(permission_policy(&[], &[], Chaining::Assume).is_none());
        let targets = ["arn:aws:iam::444455556666:role/r".to_string()];
        assert!(permission_policy(&[], &targets, Chaining::None).is_none());
        let p = permission_policy(&[], &targets, Chaining::Assume).unwrap();
        assert_eq!(p["Statement"][0]["Action"], "sts:AssumeRole");
        let p = permission_policy(&[], &targets, Chaining::AssumeAndTag).unwrap();
        assert_eq!(
            p["Statement"][0]["Action"],
            json!(["sts:AssumeRole", "sts:TagSession"])
        );
    }

    #[test]
    fn actions_without_resource_level_permissions() {
        for (action, ok) in [
            ("ec2:DescribeInstances", true),
            ("sts:GetCallerIdentity", true),
            ("s3:ListAllMyBuckets", true),
            ("s3:GetObject", false),
            ("ec2:RunInstances", false),
        ] {
            assert_eq!(has_no_resource_level_permissions(action), ok, "{action}");
        }
    }
}
