//! CloudFormation: everything the cluster needs from AWS, as templates that deploy in order.
//!
//! * `iam/stack.yaml` (wave 1, before `eksctl create cluster`): every role of this account that
//!   eksvend describes — tenants' Pod Identity roles (not IRSA roles: eksctl creates those with
//!   the cluster's OIDC provider, `iam.serviceAccounts`; one owner per role), the shared chaining role, the add-on
//!   roles of the blueprint (Karpenter's controller among them), Karpenter's node role — and
//!   Karpenter's interruption queue with its EventBridge rules (Karpenter getting-started
//!   CloudFormation, `KarpenterInterruptionQueue`, `ScheduledChangeRule`, `SpotInterruptionRule`,
//!   `RebalanceRule`, `InstanceStateChangeRule`, `CapacityReservationInterruptionRule`). Every
//!   role name is fixed, so the ARNs that `cluster/cluster.yaml` and the Helm values use are the
//!   ones the stack guarantees; the outputs list them. An add-on role's policies are customer
//!   managed policies of the stack (`AWS::IAM::ManagedPolicy`, one per policy file), attached by
//!   reference.
//! * `iam/cross-account/stack.yaml` (wave 2): roles of this account that service accounts of
//!   other workload accounts assume. Their trust names the source roles, which IAM requires to
//!   exist, so this stack follows every wave-1 stack of the fleet.
//! * `handoff/<account>/stack.yaml` (wave 2): the same for target roles of accounts outside
//!   the inventory, for their owners to deploy. A role that service accounts of several
//!   workload accounts assume is in one of these stacks only — that of the first source account
//!   by name (`iam::handoff_owner`) — with the trust of every source: two stacks that create
//!   the same role name would fail (the second `AlreadyExists`) or fight over its trust.
//!
//! Built from the iam stage's documents, so the stack holds exactly the policies the check stage
//! measured and linted.

use serde_json::{json, Map, Value};

use super::{by_target, handoff_owner, target_trust, Documents};
use crate::resolve::{ClusterSpec, Grant};

/// The CloudFormation template format version.
const FORMAT: &str = "2010-09-09";

/// The name of the inline policy every role gets.
const POLICY_NAME: &str = "eksvend";

/// Name of the wave-1 stack of the account.
pub fn name(spec: &ClusterSpec) -> String {
    format!("eksvend-{}-iam", spec.cluster.name)
}

/// Name of the wave-2 stack of the roles other workload accounts assume here.
pub fn cross_account_name(spec: &ClusterSpec) -> String {
    format!("eksvend-{}-cross-account", spec.cluster.name)
}

/// Name of the stack a target account deploys for this source account's hand-off.
pub fn handoff_name(spec: &ClusterSpec) -> String {
    handoff_stack_name(&spec.account.name)
}

/// Name of the hand-off stack of the WorkloadAccount `account`.
pub fn handoff_stack_name(account: &str) -> String {
    format!("eksvend-handoff-{account}")
}

/// A CloudFormation logical ID: letters and digits only, unique in `used`.
fn logical_id(prefix: &str, parts: &[&str], used: &mut Vec<String>) -> String {
    let base = format!("{prefix}{}", crate::identity::chaining::sid(parts));
    let mut id = base.clone();
    let mut n = 2;
    while used.contains(&id) {
        id = format!("{base}{n}");
        n += 1;
    }
    used.push(id.clone());
    id
}

/// `(path, name)` of a role ARN: IAM's `Path` (`/` or `/a/b/`) and the role name.
fn path_and_name(role_arn: &str) -> (String, String) {
    let resource = role_arn.split_once(":role/").map_or(role_arn, |(_, r)| r);
    match resource.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name.to_string()),
        None => ("/".to_string(), resource.to_string()),
    }
}

fn role_resource(
    role_arn: &str,
    trust: &Value,
    permission: Option<&Value>,
    managed: &[Value],
    description: &str,
) -> Value {
    let (path, name) = path_and_name(role_arn);
    let mut props = Map::new();
    props.insert("RoleName".into(), json!(name));
    if path != "/" {
        props.insert("Path".into(), json!(path));
    }
    props.insert("Description".into(), json!(truncate(description, 1000)));
    props.insert("AssumeRolePolicyDocument".into(), trust.clone());
    if !managed.is_empty() {
        props.insert("ManagedPolicyArns".into(), json!(managed));
    }
    if let Some(p) = permission {
        props.insert(
            "Policies".into(),
            json!([{"PolicyName": POLICY_NAME, "PolicyDocument": p}]),
        );
    }
    json!({"Type": "AWS::IAM::Role", "Properties": props})
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn output(outputs: &mut Map<String, Value>, id: &str, description: &str) {
    outputs.insert(
        format!("{id}Arn"),
        json!({"Description": description, "Value": {"Fn::GetAtt": [id, "Arn"]}}),
    );
}

/// One CloudFormation template of a repository.
#[derive(Debug, Clone)]
pub struct Template {
    /// Path in the repository.
    pub path: String,
    /// The stack name its header's command deploys it as.
    pub stack_name: String,
    /// The template.
    pub value: Value,
}

impl Template {
    /// The file: a header with the stack's deploy command, then the template as YAML.
    ///
    /// # Panics
    /// Never: a `serde_json::Value` always serializes to YAML.
    pub fn to_file_text(&self, region: &str) -> String {
        let body = serde_yaml::to_string(&self.value).expect("a JSON value serializes to YAML");
        // YAML 1.1 readers take an unquoted 2010-09-09 for a date: quote the two version fields.
        let body: String = body
            .lines()
            .map(|l| {
                let quoted = ["AWSTemplateFormatVersion: ", "Version: "]
                    .iter()
                    .find_map(|k| {
                        let (indent, rest) = l.split_at(l.len() - l.trim_start().len());
                        let v = rest.strip_prefix(k)?;
                        (v.len() == 10 && v.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
                            .then(|| format!("{indent}{k}'{v}'"))
                    });
                quoted.unwrap_or_else(|| l.to_string()) + "\n"
            })
            .collect();
        format!(
            "# Managed by eksvend: CloudFormation template of stack {name} (see README.md, AWS).\n\
             # Deploy:  aws cloudformation deploy --stack-name {name} --template-file {path} --capabilities CAPABILITY_NAMED_IAM --region {region}\n\
             # Check:   cfn-lint {path}\n{body}",
            name = self.stack_name,
            path = self.path,
        )
    }
}

/// Every CloudFormation template of the account's repository.
pub fn templates(spec: &ClusterSpec, docs: &Documents) -> Vec<Template> {
    let mut out = vec![Template {
        path: "iam/stack.yaml".to_string(),
        stack_name: name(spec),
        value: account_stack(spec, docs),
    }];
    if let Some(t) = grants_stack(
        &spec.incoming,
        &format!(
            "eksvend: roles of account {} ({}) that service accounts of other workload accounts of the fleet assume. Wave 2: deploy after the iam/stack.yaml of every source account.",
            spec.account.name, spec.account.id
        ),
    ) {
        out.push(Template {
            path: "iam/cross-account/stack.yaml".to_string(),
            stack_name: cross_account_name(spec),
            value: t,
        });
    }
    // A role outside the inventory is created by one stack only, its owner's, with the trust
    // of every source account (`handoff_grants`); the other sources' READMEs point there.
    let mut by_account: std::collections::BTreeMap<String, Vec<Grant>> =
        std::collections::BTreeMap::new();
    for grants in by_target(&spec.handoff_grants).into_values() {
        if handoff_owner(&grants) != Some(spec.account.name.as_str()) {
            continue;
        }
        by_account
            .entry(grants[0].target.account_id.to_string())
            .or_default()
            .extend(grants);
    }
    for (account, grants) in by_account {
        if let Some(t) = grants_stack(
            &grants,
            &format!(
                "eksvend hand-off from workload account {} ({}, cluster {}) to account {account}: the target roles its service accounts assume, with their trust. Wave 2: deploy after the source account's iam/stack.yaml; attach the permissions in your own stack or policy.",
                spec.account.name, spec.account.id, spec.cluster.name
            ),
        ) {
            out.push(Template {
                path: format!("handoff/{account}/stack.yaml"),
                stack_name: handoff_name(spec),
                value: t,
            });
        }
    }
    out
}

/// The wave-1 stack: every role eksvend describes in this account, and Karpenter's queue.
fn account_stack(spec: &ClusterSpec, docs: &Documents) -> Value {
    let find = |path: &str| {
        docs.policies
            .iter()
            .find(|d| d.path == path)
            .map(|d| &d.value)
    };
    let mut used = Vec::new();
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for (path, role) in &docs.descriptions {
        let Some(dir) = path.strip_suffix("/role.json") else {
            continue;
        };
        if dir.starts_with("iam/cross-account/") {
            continue;
        }
        let (Some(role_arn), Some(_)) = (role["roleArn"].as_str(), role["roleName"].as_str())
        else {
            continue;
        };
        // IRSA roles are eksctl's (iam.serviceAccounts): their trust needs the OIDC provider
        // eksctl creates with the cluster.
        if role["identity"] == "irsa" {
            continue;
        }
        let Some(trust) = find(&format!("{dir}/trust-policy.json")) else {
            continue;
        };
        let parts: Vec<&str> = dir.trim_start_matches("iam/").split('/').collect();
        let id = logical_id("Role", &parts, &mut used);
        let mut managed: Vec<Value> = role["managedPolicyArns"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let description = format!("eksvend: {dir}/ of cluster {}", spec.cluster.name);
        // An add-on's policies: one customer managed policy each, attached by reference (so
        // CloudFormation creates them before the role).
        for p in role["customerManagedPolicies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(file)) = (p["policyName"].as_str(), p["policyDocument"].as_str())
            else {
                continue;
            };
            let Some(document) = find(&format!("{dir}/{file}")) else {
                continue;
            };
            let mut policy_parts = parts.clone();
            policy_parts.push(file.trim_end_matches("-policy.json"));
            let policy_id = logical_id("Policy", &policy_parts, &mut used);
            resources.insert(
                policy_id.clone(),
                json!({
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {
                        "ManagedPolicyName": name,
                        "Description": truncate(&format!("eksvend: {dir}/{file} of cluster {}", spec.cluster.name), 1000),
                        "PolicyDocument": document,
                    }
                }),
            );
            managed.push(json!({"Ref": policy_id}));
        }
        let inline = role["permissionPolicy"]
            .as_str()
            .and_then(|file| find(&format!("{dir}/{file}")));
        resources.insert(
            id.clone(),
            role_resource(role_arn, trust, inline, &managed, &description),
        );
        output(&mut outputs, &id, &description);
    }
    karpenter_interruption(spec, &mut resources, &mut outputs);
    json!({
        "AWSTemplateFormatVersion": FORMAT,
        "Description": format!(
            "eksvend: IAM roles and Karpenter interruption queue of account {} ({}), cluster {}. Wave 1: deploy before eksctl create cluster.",
            spec.account.name, spec.account.id, spec.cluster.name
        ),
        "Resources": resources,
        "Outputs": outputs,
    })
}

/// Karpenter's interruption handling: the queue (named after the cluster, as
/// `settings.interruptionQueue` in the Helm values and the controller policy's SQS statement
/// say), its policy, and the five EventBridge rules of Karpenter's getting-started template
/// (1.15; the capacity-reservation interruption warning is for `capacityType: reserved` pools).
fn karpenter_interruption(
    spec: &ClusterSpec,
    resources: &mut Map<String, Value>,
    outputs: &mut Map<String, Value>,
) {
    let queue = "KarpenterInterruptionQueue";
    let arn = json!({"Fn::GetAtt": [queue, "Arn"]});
    resources.insert(
        queue.into(),
        json!({
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": spec.cluster.name,
                "MessageRetentionPeriod": 300,
                "SqsManagedSseEnabled": true
            }
        }),
    );
    resources.insert(
        "KarpenterInterruptionQueuePolicy".into(),
        json!({
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": queue}],
                "PolicyDocument": {
                    "Id": "EC2InterruptionPolicy",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                            "Action": "sqs:SendMessage",
                            "Resource": arn
                        },
                        {
                            "Sid": "DenyHTTP",
                            "Effect": "Deny",
                            "Action": "sqs:*",
                            "Resource": arn,
                            "Condition": {"Bool": {"aws:SecureTransport": false}},
                            "Principal": "*"
                        }
                    ]
                }
            }
        }),
    );
    for (id, source, detail) in [
        ("ScheduledChangeRule", "aws.health", "AWS Health Event"),
        (
            "SpotInterruptionRule",
            "aws.ec2",
            "EC2 Spot Instance Interruption Warning",
        ),
        (
            "RebalanceRule",
            "aws.ec2",
            "EC2 Instance Rebalance Recommendation",
        ),
        (
            "InstanceStateChangeRule",
            "aws.ec2",
            "EC2 Instance State-change Notification",
        ),
        (
            "CapacityReservationInterruptionRule",
            "aws.ec2",
            "EC2 Capacity Reservation Instance Interruption Warning",
        ),
    ] {
        resources.insert(
            id.into(),
            json!({
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": [source], "detail-type": [detail]},
                    "Targets": [{"Id": "KarpenterInterruptionQueueTarget", "Arn": arn}]
                }
            }),
        );
    }
    outputs.insert(
        "KarpenterInterruptionQueueName".into(),
        json!({
            "Description": "settings.interruptionQueue of the Karpenter Helm values",
            "Value": {"Fn::GetAtt": [queue, "QueueName"]}
        }),
    );
}

/// A stack of target roles with their trust: one role per target ARN of `grants`; `None` when
/// every trust is pending.
fn grants_stack(grants: &[Grant], description: &str) -> Option<Value> {
    let mut used = Vec::new();
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for (arn, grants) in by_target(grants) {
        let Some(trust) = target_trust(&grants) else {
            continue;
        };
        let (_, name) = path_and_name(&arn);
        let id = logical_id("Role", &[&name], &mut used);
        let sources: Vec<String> = grants
            .iter()
            .map(|g| format!("{}/{}/{}", g.account, g.namespace, g.service_account))
            .collect();
        let role_description = format!("eksvend: assumed by {}", sources.join(", "));
        resources.insert(
            id.clone(),
            role_resource(&arn, &trust, None, &[], &role_description),
        );
        output(&mut outputs, &id, &role_description);
    }
    (!resources.is_empty()).then(|| {
        json!({
            "AWSTemplateFormatVersion": FORMAT,
            "Description": truncate(description, 1024),
            "Resources": resources,
            "Outputs": outputs,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_paths_and_names() {
        assert_eq!(
            path_and_name("arn:aws:iam::1:role/a"),
            ("/".into(), "a".into())
        );
        assert_eq!(
            path_and_name("arn:aws:iam::1:role/x/y/a"),
            ("/x/y/".into(), "a".into())
        );
    }

    #[test]
    fn logical_ids_are_unique() {
        let mut used = Vec::new();
        assert_eq!(logical_id("Role", &["a-b", "c"], &mut used), "RoleABC");
        assert_eq!(logical_id("Role", &["a", "b-c"], &mut used), "RoleABC2");
    }
}
