//! IAM for Karpenter's nodes: the role of the nodes it launches. The controller's policies are
//! blueprint data (`blueprints/base/policies/karpenter-controller/*.json`, versioned with the
//! chart); `oracle` (test-only) keeps the Rust builder they were ported from, as a test oracle
//! for those files.

use serde_json::{json, Value};

use crate::domain::{arn, Partition};

/// Managed policies of the node role.
pub const NODE_MANAGED_POLICIES: &[&str] = &[
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
];

/// Trust policy of the node role: EC2 instances.
pub fn node_trust(partition: Partition) -> Value {
    let service = arn::ec2_service_principal(partition);
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// The controller policies as Rust code builds them: the blueprint tests check that the shipped
/// files, substituted, are exactly these for every partition.
#[cfg(test)]
pub(crate) mod oracle {
    use serde_json::{json, Value};

    use crate::domain::{arn, AccountId, Region};

    /// The facts the policies are scoped by.
    pub(crate) struct Scope<'a> {
        /// Region (its partition is the ARNs').
        pub(crate) region: &'a Region,
        /// Workload account ID.
        pub(crate) account_id: &'a AccountId,
        /// Cluster name.
        pub(crate) cluster: &'a str,
        /// Cluster ARN.
        pub(crate) cluster_arn: &'a str,
        /// ARN of the node role.
        pub(crate) node_role_arn: &'a str,
    }

    /// The controller's permission policies, by policy name, as Karpenter's getting-started
    /// CloudFormation (1.15) splits them into managed policies: node lifecycle, IAM
    /// integration, EKS integration, interruption, zonal shift, resource discovery.
    pub(crate) fn controller_policies(s: &Scope<'_>) -> Vec<(&'static str, Value)> {
        let ec2 = |r: &str| arn::ec2_any_account(s.region, r);
        let region = s.region.as_str();
        let owned = format!("aws:ResourceTag/kubernetes.io/cluster/{}", s.cluster);
        let req_owned = format!("aws:RequestTag/kubernetes.io/cluster/{}", s.cluster);
        let launched: Vec<String> = [
            "fleet/*",
            "instance/*",
            "volume/*",
            "network-interface/*",
            "launch-template/*",
            "spot-instances-request/*",
        ]
        .iter()
        .map(|r| ec2(r))
        .collect();
        let profile = arn::instance_profiles(s.region.partition(), s.account_id);
        let passed_to = arn::ec2_service_principal(s.region.partition());
        let doc = |statements: Value| json!({"Version": "2012-10-17", "Statement": statements});
        vec![
            (
                "node-lifecycle",
                doc(json!([
                    {
                        "Sid": "AllowScopedEC2InstanceAccessActions",
                        "Effect": "Allow",
                        "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                        "Resource": [
                            arn::ec2_without_account(s.region, "image/*"),
                            arn::ec2_without_account(s.region, "snapshot/*"),
                            ec2("security-group/*"),
                            ec2("subnet/*"),
                            ec2("capacity-reservation/*"),
                            ec2("placement-group/*")
                        ]
                    },
                    {
                        "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
                        "Effect": "Allow",
                        "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                        "Resource": ec2("launch-template/*"),
                        "Condition": {
                            "StringEquals": {owned.clone(): "owned"},
                            "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
                        }
                    },
                    {
                        "Sid": "AllowScopedEC2InstanceActionsWithTags",
                        "Effect": "Allow",
                        "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                        "Resource": launched,
                        "Condition": {
                            "StringEquals": {req_owned.clone(): "owned", "aws:RequestTag/eks:eks-cluster-name": s.cluster},
                            "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}
                        }
                    },
                    {
                        "Sid": "AllowScopedResourceCreationTagging",
                        "Effect": "Allow",
                        "Action": "ec2:CreateTags",
                        "Resource": launched,
                        "Condition": {
                            "StringEquals": {
                                req_owned.clone(): "owned",
                                "aws:RequestTag/eks:eks-cluster-name": s.cluster,
                                "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]
                            },
                            "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}
                        }
                    },
                    {
                        "Sid": "AllowScopedResourceTagging",
                        "Effect": "Allow",
                        "Action": "ec2:CreateTags",
                        "Resource": ec2("instance/*"),
                        "Condition": {
                            "StringEquals": {owned.clone(): "owned"},
                            "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                            "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": s.cluster},
                            "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]}
                        }
                    },
                    {
                        "Sid": "AllowScopedDeletion",
                        "Effect": "Allow",
                        "Action": ["ec2:TerminateInstances", "ec2:RebootInstances", "ec2:DeleteLaunchTemplate"],
                        "Resource": [ec2("instance/*"), ec2("launch-template/*")],
                        "Condition": {
                            "StringEquals": {owned.clone(): "owned"},
                            "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
                        }
                    }
                ])),
            ),
            (
                "iam-integration",
                doc(json!([
                    {
                        "Sid": "AllowPassingInstanceRole",
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "Resource": s.node_role_arn,
                        "Condition": {"StringEquals": {"iam:PassedToService": passed_to}}
                    },
                    {
                        "Sid": "AllowScopedInstanceProfileCreationActions",
                        "Effect": "Allow",
                        "Action": "iam:CreateInstanceProfile",
                        "Resource": profile,
                        "Condition": {
                            "StringEquals": {
                                req_owned.clone(): "owned",
                                "aws:RequestTag/eks:eks-cluster-name": s.cluster,
                                "aws:RequestTag/topology.kubernetes.io/region": region
                            },
                            "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}
                        }
                    },
                    {
                        "Sid": "AllowScopedInstanceProfileTagActions",
                        "Effect": "Allow",
                        "Action": "iam:TagInstanceProfile",
                        "Resource": profile,
                        "Condition": {
                            "StringEquals": {
                                owned.clone(): "owned",
                                "aws:ResourceTag/topology.kubernetes.io/region": region,
                                req_owned: "owned",
                                "aws:RequestTag/eks:eks-cluster-name": s.cluster,
                                "aws:RequestTag/topology.kubernetes.io/region": region
                            },
                            "StringLike": {
                                "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                                "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"
                            }
                        }
                    },
                    {
                        "Sid": "AllowScopedInstanceProfileActions",
                        "Effect": "Allow",
                        "Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
                        "Resource": profile,
                        "Condition": {
                            "StringEquals": {owned: "owned", "aws:ResourceTag/topology.kubernetes.io/region": region},
                            "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}
                        }
                    }
                ])),
            ),
            (
                "eks-integration",
                doc(json!([
                    {
                        "Sid": "AllowAPIServerEndpointDiscovery",
                        "Effect": "Allow",
                        "Action": "eks:DescribeCluster",
                        "Resource": s.cluster_arn
                    }
                ])),
            ),
            (
                "interruption",
                doc(json!([
                    {
                        "Sid": "AllowInterruptionQueueActions",
                        "Effect": "Allow",
                        "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                        "Resource": format!("arn:{}:sqs:{region}:{}:{}", s.region.partition().as_str(), s.account_id.as_str(), s.cluster)
                    }
                ])),
            ),
            (
                "zonal-shift",
                doc(json!([
                    {
                        "Sid": "AllowZonalShiftStatusReadOnly",
                        "Effect": "Allow",
                        "Action": "arc-zonal-shift:GetManagedResource",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": s.cluster_arn}}
                    }
                ])),
            ),
            (
                "resource-discovery",
                doc(json!([
                    {
                        "Sid": "AllowRegionalReadActions",
                        "Effect": "Allow",
                        "Action": [
                            "ec2:DescribeCapacityReservations",
                            "ec2:DescribeImages",
                            "ec2:DescribeInstances",
                            "ec2:DescribeInstanceStatus",
                            "ec2:DescribeInstanceTypeOfferings",
                            "ec2:DescribeInstanceTypes",
                            "ec2:DescribeLaunchTemplates",
                            "ec2:DescribePlacementGroups",
                            "ec2:DescribeSecurityGroups",
                            "ec2:DescribeSpotPriceHistory",
                            "ec2:DescribeSubnets"
                        ],
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:RequestedRegion": region}}
                    },
                    {
                        "Sid": "AllowSSMReadActions",
                        "Effect": "Allow",
                        "Action": "ssm:GetParameter",
                        "Resource": arn::ssm_aws_service_parameters(s.region)
                    },
                    {
                        "Sid": "AllowPricingReadActions",
                        "Effect": "Allow",
                        "Action": "pricing:GetProducts",
                        "Resource": "*"
                    },
                    {
                        "Sid": "AllowUnscopedInstanceProfileListAction",
                        "Effect": "Allow",
                        "Action": "iam:ListInstanceProfiles",
                        "Resource": "*"
                    },
                    {
                        "Sid": "AllowInstanceProfileReadActions",
                        "Effect": "Allow",
                        "Action": "iam:GetInstanceProfile",
                        "Resource": profile
                    }
                ])),
            ),
        ]
    }
}
