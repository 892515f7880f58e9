//! IAM for Karpenter's nodes: the role of the nodes it launches. The controller's policy is
//! blueprint data (`blueprints/base/policies/karpenter-controller.json`, versioned with the
//! chart); `oracle` (test-only) keeps the Rust builder it was ported from, as a test oracle for that file.

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

/// The controller policy as Rust code built it before it became blueprint data: the blueprint
/// tests check that the shipped file, substituted, is exactly this for every partition.
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

    /// The controller's permission policy.
    pub(crate) fn controller_policy(s: &Scope<'_>) -> Value {
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
        json!({
            "Version": "2012-10-17",
            "Statement": [
                {
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
                    "Effect": "Allow",
                    "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                    "Resource": ec2("launch-template/*"),
                    "Condition": {
                        "StringEquals": {owned.clone(): "owned"},
                        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
                    }
                },
                {
                    "Effect": "Allow",
                    "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                    "Resource": launched,
                    "Condition": {
                        "StringEquals": {req_owned.clone(): "owned", "aws:RequestTag/eks:eks-cluster-name": s.cluster},
                        "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}
                    }
                },
                {
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
                    "Effect": "Allow",
                    "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                    "Resource": [ec2("instance/*"), ec2("launch-template/*")],
                    "Condition": {
                        "StringEquals": {owned.clone(): "owned"},
                        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
                    }
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "ec2:DescribeAvailabilityZones",
                        "ec2:DescribeCapacityReservations",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstances",
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
                    "Effect": "Allow",
                    "Action": "ssm:GetParameter",
                    "Resource": arn::ssm_aws_service_parameters(s.region)
                },
                {
                    "Effect": "Allow",
                    "Action": "pricing:GetProducts",
                    "Resource": "*"
                },
                {
                    "Effect": "Allow",
                    "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                    "Resource": format!("arn:{}:sqs:{region}:{}:{}", s.region.partition().as_str(), s.account_id.as_str(), s.cluster)
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": s.node_role_arn,
                    "Condition": {"StringEquals": {"iam:PassedToService": passed_to}}
                },
                {
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
                    "Effect": "Allow",
                    "Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
                    "Resource": profile,
                    "Condition": {
                        "StringEquals": {owned: "owned", "aws:ResourceTag/topology.kubernetes.io/region": region},
                        "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}
                    }
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:GetInstanceProfile",
                    "Resource": profile
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:ListInstanceProfiles",
                    "Resource": "*"
                },
                {
                    "Effect": "Allow",
                    "Action": "arc-zonal-shift:GetManagedResource",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": s.cluster_arn}}
                },
                {
                    "Effect": "Allow",
                    "Action": "eks:DescribeCluster",
                    "Resource": s.cluster_arn
                }
            ]
        })
    }
}
