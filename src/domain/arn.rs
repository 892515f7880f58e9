//! Every ARN eksvend writes and every service principal that differs by partition, built in
//! one place, and the IAM role names eksvend derives.

use sha2::{Digest, Sha256};

use super::{limits, AccountId, DnsLabel, OidcIssuer, Partition, Region};

/// The service principal that assumes EKS Pod Identity roles, in every partition.
pub const POD_IDENTITY_PRINCIPAL: &str = "pods.eks.amazonaws.com";

/// The EC2 service principal: the trust of node roles and `iam:PassedToService` of Karpenter.
/// China's differs (`ec2.amazonaws.com.cn`).
#[must_use]
pub fn ec2_service_principal(partition: Partition) -> &'static str {
    match partition {
        Partition::AwsCn => "ec2.amazonaws.com.cn",
        Partition::Aws | Partition::AwsUsGov => "ec2.amazonaws.com",
    }
}

/// ARN of role `name` in `account`: `arn:<p>:iam::<account>:role/<name>`.
#[must_use]
pub fn role(partition: Partition, account: &AccountId, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

/// ARN of the AWS managed policy `name` (with its path, e.g. `service-role/X`, if it has one):
/// `arn:<p>:iam::aws:policy/<name>`.
#[must_use]
pub fn aws_managed_policy(partition: Partition, name: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/{name}")
}

/// ARN of the customer managed policy `name` of `account`: `arn:<p>:iam::<account>:policy/<name>`.
#[must_use]
pub fn customer_managed_policy(partition: Partition, account: &AccountId, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:policy/{name}")
}

/// ARN of the EKS access policy `name`: `arn:<p>:eks::aws:cluster-access-policy/<name>`.
#[must_use]
pub fn eks_access_policy(partition: Partition, name: &str) -> String {
    format!("arn:{partition}:eks::aws:cluster-access-policy/{name}")
}

/// ARN of EKS cluster `cluster`: `arn:<p>:eks:<region>:<account>:cluster/<cluster>`.
#[must_use]
pub fn eks_cluster(region: &Region, account: &AccountId, cluster: &DnsLabel) -> String {
    format!(
        "arn:{}:eks:{region}:{account}:cluster/{cluster}",
        region.partition()
    )
}

/// ARN of the IAM OIDC provider for `issuer` registered in `account`:
/// `arn:<p>:iam::<account>:oidc-provider/<issuer without https://>`.
#[must_use]
pub fn oidc_provider(partition: Partition, account: &AccountId, issuer: &OidcIssuer) -> String {
    format!(
        "arn:{partition}:iam::{account}:oidc-provider/{}",
        issuer.host_path()
    )
}

/// ARN pattern of every instance profile of `account`: `arn:<p>:iam::<account>:instance-profile/*`.
#[must_use]
pub fn instance_profiles(partition: Partition, account: &AccountId) -> String {
    format!("arn:{partition}:iam::{account}:instance-profile/*")
}

/// ARN pattern of every EKS Pod Identity association of `cluster`:
/// `arn:<p>:eks:<region>:<account>:podidentityassociation/<cluster>/*`
/// (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html>).
#[must_use]
pub fn pod_identity_associations(
    region: &Region,
    account: &AccountId,
    cluster: &DnsLabel,
) -> String {
    format!(
        "arn:{}:eks:{region}:{account}:podidentityassociation/{cluster}/*",
        region.partition()
    )
}

/// ARN of EC2 `resource` (e.g. `instance/*`) in `region`, in any account:
/// `arn:<p>:ec2:<region>:*:<resource>`.
#[must_use]
pub fn ec2_any_account(region: &Region, resource: &str) -> String {
    format!("arn:{}:ec2:{region}:*:{resource}", region.partition())
}

/// ARN of Route 53 hosted zone `id`, or of every hosted zone with `None`:
/// `arn:<p>:route53:::hostedzone/<id>` (global: no region, no account).
#[must_use]
pub fn route53_hosted_zone(partition: Partition, id: Option<&str>) -> String {
    format!("arn:{partition}:route53:::hostedzone/{}", id.unwrap_or("*"))
}

/// ARN of subnet `subnet` owned by `owner` (the networking account), as AWS RAM shares it:
/// `arn:<p>:ec2:<region>:<owner>:subnet/<subnet>`.
#[must_use]
pub fn ec2_subnet(region: &Region, owner: &str, subnet: &str) -> String {
    format!(
        "arn:{}:ec2:{region}:{owner}:subnet/{subnet}",
        region.partition()
    )
}

/// ARN of an EC2 `resource` whose ARN has no account, AMIs and snapshots (`image/*`,
/// `snapshot/*`): `arn:<p>:ec2:<region>::<resource>`.
#[must_use]
pub fn ec2_without_account(region: &Region, resource: &str) -> String {
    format!("arn:{}:ec2:{region}::{resource}", region.partition())
}

/// ARN pattern of the public SSM parameters AWS publishes (EKS-optimized AMI IDs):
/// `arn:<p>:ssm:<region>::parameter/aws/service/*`.
#[must_use]
pub fn ssm_aws_service_parameters(region: &Region) -> String {
    format!(
        "arn:{}:ssm:{region}::parameter/aws/service/*",
        region.partition()
    )
}

/// A role name made of `parts` joined by `_` (a character DNS-1123 names never contain, so
/// distinct inputs never join to the same name). When longer than [`limits::ROLE_NAME`], it is
/// cut and ends in `-` and the first 8 hex digits of the SHA-256 of the full name, so distinct
/// long names stay distinct.
#[must_use]
pub fn role_name(parts: &[&str]) -> String {
    let full = parts.join("_");
    if full.len() <= limits::ROLE_NAME {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let suffix = format!(
        "{:08x}",
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    );
    let mut keep = limits::ROLE_NAME - suffix.len() - 1;
    while !full.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}-{suffix}", full[..keep].trim_end_matches(['-', '_']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(name: &str) -> Region {
        Region::try_from(name).expect("known region")
    }

    fn account() -> AccountId {
        AccountId::try_from("111122223333").expect("valid")
    }

    fn cluster() -> DnsLabel {
        DnsLabel::try_from("payments-prod").expect("valid")
    }

    #[test]
    fn arns_match_what_eksvend_writes_today() {
        let (us, gov, cn) = (
            region("us-east-1"),
            region("us-gov-west-1"),
            region("cn-north-1"),
        );
        let issuer = OidcIssuer::parse("https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC", &cn)
            .expect("valid");
        let cases = [
            (
                role(Partition::Aws, &account(), "c_ns_sa"),
                "arn:aws:iam::111122223333:role/c_ns_sa",
            ),
            (
                aws_managed_policy(Partition::AwsCn, "AmazonEKSWorkerNodePolicy"),
                "arn:aws-cn:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            ),
            (
                eks_cluster(&us, &account(), &cluster()),
                "arn:aws:eks:us-east-1:111122223333:cluster/payments-prod",
            ),
            (
                oidc_provider(Partition::AwsCn, &account(), &issuer),
                "arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC",
            ),
            (
                instance_profiles(Partition::AwsUsGov, &account()),
                "arn:aws-us-gov:iam::111122223333:instance-profile/*",
            ),
            (
                pod_identity_associations(&us, &account(), &cluster()),
                "arn:aws:eks:us-east-1:111122223333:podidentityassociation/payments-prod/*",
            ),
            (
                ec2_any_account(&gov, "instance/*"),
                "arn:aws-us-gov:ec2:us-gov-west-1:*:instance/*",
            ),
            (
                ec2_without_account(&cn, "image/*"),
                "arn:aws-cn:ec2:cn-north-1::image/*",
            ),
            (
                ssm_aws_service_parameters(&us),
                "arn:aws:ssm:us-east-1::parameter/aws/service/*",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn ec2_principal_differs_in_china() {
        let cases = [
            (Partition::Aws, "ec2.amazonaws.com"),
            (Partition::AwsUsGov, "ec2.amazonaws.com"),
            (Partition::AwsCn, "ec2.amazonaws.com.cn"),
        ];
        for (partition, want) in cases {
            assert_eq!(ec2_service_principal(partition), want);
        }
        assert_eq!(POD_IDENTITY_PRINCIPAL, "pods.eks.amazonaws.com");
    }

    #[test]
    fn role_names_are_those_of_today() {
        let x63 = "x".repeat(63);
        let y54 = "y".repeat(54);
        let cases: [(&[&str], &str); 6] = [
            (&["c", "ns", "sa"], "c_ns_sa"),
            (
                &[&x63, "payments", "ledger-api"],
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-2c4c2e1b",
            ),
            (
                &[&x63, "payments", "ledger-apj"],
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-716ab52a",
            ),
            (
                &[
                    "payments-prod-use1-cluster",
                    "payments-ledger",
                    "ledger-reconciler",
                ],
                "payments-prod-use1-cluster_payments-ledger_ledger-reconciler",
            ),
            (
                &[
                    "a-very-long-cluster-name-for-the-payments-team-x",
                    "kube-system",
                    "karpenter",
                ],
                "a-very-long-cluster-name-for-the-payments-team-x_kube-s-4fb3ca30",
            ),
            (
                &[&y54, "b-c"],
                "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy_b-c",
            ),
        ];
        for (parts, want) in cases {
            let got = role_name(parts);
            assert_eq!(got, want, "{parts:?}");
            assert!(got.len() <= limits::ROLE_NAME);
        }
        assert_ne!(role_name(&["c", "a-b", "c"]), role_name(&["c", "a", "b-c"]));
    }
}
