//! IAM values: role and managed policy ARNs, actions, STS external IDs, and the cluster's OIDC
//! issuer that IRSA roles trust.

use super::aws::{is_account_id, ArnFields};
use super::newtype::{checked_string, str_traits, try_from_string};
use super::{ensure, limits, AccountId, Partition, Region};

use super::Invalid;

/// `resource` is `prefix` + an IAM path and a non-empty name of IAM's characters, at most
/// [`limits::IAM_PATH`] characters together.
fn iam_path_and_name(resource: &str, prefix: &str) -> bool {
    resource.strip_prefix(prefix).is_some_and(|rest| {
        // no empty, `.` or `..` segment: names and paths end up in file paths of the repo
        rest.split('/').all(|seg| !matches!(seg, "" | "." | ".."))
            && rest.len() <= limits::IAM_PATH
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    })
}

/// An IAM role ARN, `arn:<partition>:iam::<account>:role/<path/>name`, without wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleArn {
    text: String,
    partition: Partition,
    account: AccountId,
}

impl RoleArn {
    /// The ARN as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The account the role is in.
    #[must_use]
    pub fn account_id(&self) -> &AccountId {
        &self.account
    }

    /// The role name: the last segment of the resource path.
    #[must_use]
    pub fn name(&self) -> &str {
        self.text
            .rsplit_once('/')
            .map_or(self.text.as_str(), |(_, name)| name)
    }

    /// The ARN's partition.
    #[must_use]
    pub fn partition(&self) -> Partition {
        self.partition
    }
}

impl TryFrom<&str> for RoleArn {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let parsed = ArnFields::of(s).and_then(|p| {
            let ok =
                p.service == "iam" && p.region.is_empty() && iam_path_and_name(p.resource, "role/");
            let account = AccountId::try_from(p.account).ok().filter(|_| ok)?;
            Some((p.partition, account))
        });
        match parsed {
            Some((partition, account)) => Ok(Self {
                text: s.to_owned(),
                partition,
                account,
            }),
            None => Err(Invalid::new("expected an IAM role ARN such as arn:aws:iam::444455556666:role/ledger-reader (roles only, no wildcards)")),
        }
    }
}

try_from_string!(RoleArn);
str_traits!(RoleArn);

fn policy_arn(s: &str) -> Result<(), Invalid> {
    let ok = ArnFields::of(s).is_some_and(|p| {
        p.service == "iam"
            && p.region.is_empty()
            && (p.account == "aws" || is_account_id(p.account))
            && iam_path_and_name(p.resource, "policy/")
    });
    ensure(
        ok,
        "expected an IAM managed policy ARN such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
}

checked_string!(
    /// An IAM managed policy ARN: AWS managed (`arn:aws:iam::aws:policy/Name`) or customer
    /// managed (`arn:aws:iam::123456789012:policy/path/Name`).
    PolicyArn,
    policy_arn
);

impl PolicyArn {
    /// The policy name: the last segment of the resource path.
    #[must_use]
    pub fn name(&self) -> &str {
        self.0
            .rsplit_once('/')
            .map_or(self.0.as_str(), |(_, name)| name)
    }

    /// Whether AWS manages the policy (account `aws`).
    #[must_use]
    pub fn is_aws_managed(&self) -> bool {
        ArnFields::of(&self.0).is_some_and(|p| p.account == "aws")
    }
}

fn iam_action(s: &str) -> Result<(), Invalid> {
    let ok = s.split_once(':').is_some_and(|(service, action)| {
        !service.is_empty()
            && service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !action.is_empty()
            && action != "*"
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '*')
    });
    ensure(ok, "expected a specific IAM action such as s3:GetObject (\"*\" and \"service:*\" are not least privilege)")
}

checked_string!(
    /// A specific IAM action, `service:Action`, possibly with wildcards inside the action
    /// (`s3:Get*`) but not `*` or `service:*`.
    IamAction,
    iam_action
);

impl IamAction {
    /// The service prefix, e.g. `s3`.
    #[must_use]
    pub fn service(&self) -> &str {
        self.0.split_once(':').map_or("", |(service, _)| service)
    }
}

fn external_id(s: &str) -> Result<(), Invalid> {
    let ok = (limits::EXTERNAL_ID_MIN..=limits::EXTERNAL_ID_MAX).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
    ensure(
        ok,
        "is not an STS external ID: 2-1224 of letters, digits and +=,.@:/-_",
    )
}

checked_string!(
    /// An STS external ID (`sts:ExternalId`): 2-1224 of `[A-Za-z0-9+=,.@:/_-]`.
    ExternalId,
    external_id
);

/// The longest OIDC issuer ID eksvend accepts. EKS issues 32 hex digits; this is a sanity
/// bound, not an AWS quota.
const MAX_ISSUER_ID: usize = 64;

/// The OIDC issuer URL of an EKS cluster in a given region, e.g.
/// `https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`
/// (`….amazonaws.com.cn/…` in China).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OidcIssuer(String);

impl OidcIssuer {
    /// The issuer `s`, when it is an EKS issuer URL of `region`.
    ///
    /// # Errors
    /// When `s` is not such a URL.
    pub fn parse(s: &str, region: &Region) -> Result<Self, Invalid> {
        let ok = s
            .strip_prefix(&format!("https://oidc.eks.{region}.amazonaws.com"))
            .map(|rest| rest.strip_prefix(".cn").unwrap_or(rest))
            .and_then(|rest| rest.strip_prefix("/id/"))
            .is_some_and(|id| {
                !id.is_empty()
                    && id.len() <= MAX_ISSUER_ID
                    && id.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid::new(format!("expected the cluster's OIDC issuer URL: https://oidc.eks.{region}.amazonaws.com/id/<ID>")))
        }
    }

    /// The URL as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL without `https://`, as IAM writes it in provider ARNs and condition keys.
    #[must_use]
    pub fn host_path(&self) -> &str {
        self.0.strip_prefix("https://").unwrap_or(&self.0)
    }
}

str_traits!(OidcIssuer);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{assert_table, ok_and_bad};

    const ROLE: &str = "expected an IAM role ARN such as arn:aws:iam::444455556666:role/ledger-reader (roles only, no wildcards)";

    #[test]
    fn role_arns() {
        let long_path = format!("arn:aws:iam::444455556666:role/{}xy", "p/".repeat(255));
        let too_long = format!("arn:aws:iam::444455556666:role/{}xyz", "p/".repeat(255));
        assert_table::<RoleArn>(&ok_and_bad(
            &[
                "arn:aws:iam::444455556666:role/ledger-reader",
                "arn:aws:iam::444455556666:role/team/ledger-reader",
                "arn:aws-cn:iam::444455556666:role/r+=,.@_-",
                "arn:aws-us-gov:iam::444455556666:role/r",
                &long_path,
            ],
            &[
                "arn:aws:iam::444455556666:user/bob",
                "arn:aws:iam::*:role/x",
                "arn:aws:iam::444455556666:role/*",
                "arn:aws:iam::444455556666:role/team/",
                "arn:aws:iam::444455556666:role/",
                "arn:aws:iam::444455556666:role/..",
                "arn:aws:iam::444455556666:role/x/..",
                "arn:aws:iam::444455556666:role/a/../b",
                "arn:aws:iam::444455556666:role/./b",
                "arn:aws:iam::444455556666:role/a//b",
                "arn:aws:iam:us-east-1:444455556666:role/x",
                "arn:aws:sts::444455556666:role/x",
                "arn:aws-iso:iam::444455556666:role/x",
                "arn:aws:iam::aws:role/x",
                "arn:aws:iam::444455556666",
                "role/x",
                "",
                &too_long,
            ],
            ROLE,
        ));
        let arn = RoleArn::try_from("arn:aws-cn:iam::444455556666:role/team/ledger-reader")
            .expect("valid");
        assert_eq!(arn.account_id().as_str(), "444455556666");
        assert_eq!(arn.name(), "ledger-reader");
        assert_eq!(arn.partition(), Partition::AwsCn);
    }

    #[test]
    fn policy_arns() {
        assert_table::<PolicyArn>(&ok_and_bad(
            &[
                "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
                "arn:aws:iam::111122223333:policy/team/x",
                "arn:aws:iam::aws:policy/service-role/AmazonEKS_CNI_Policy",
            ],
            &[
                "arn:aws:iam::aws:role/x",
                "arn:aws:iam::aws:policy/",
                "arn:aws:iam::*:policy/x",
                "arn:aws:iam::1111:policy/x",
                "arn:aws:iam::aws:policy/a b",
                "AmazonS3ReadOnlyAccess",
            ],
            "expected an IAM managed policy ARN such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ));
        let managed = PolicyArn::try_from("arn:aws:iam::aws:policy/service-role/X").expect("valid");
        assert_eq!((managed.name(), managed.is_aws_managed()), ("X", true));
        let own = PolicyArn::try_from("arn:aws:iam::111122223333:policy/team/y").expect("valid");
        assert_eq!((own.name(), own.is_aws_managed()), ("y", false));
    }

    #[test]
    fn iam_actions() {
        assert_table::<IamAction>(&ok_and_bad(
            &["s3:GetObject", "s3:Get*", "ec2:Describe*Instances", "route53-recovery:Get"],
            &["*", "s3:*", "s3:", ":GetObject", "S3:GetObject", "s3:Get-Object", "s3GetObject", "s3:Get?"],
            "expected a specific IAM action such as s3:GetObject (\"*\" and \"service:*\" are not least privilege)",
        ));
        assert_eq!(
            IamAction::try_from("s3:GetObject").map(|a| a.service().to_string()),
            Ok("s3".into())
        );
    }

    #[test]
    fn external_ids() {
        let longest = "x".repeat(1224);
        let too_long = "x".repeat(1225);
        assert_table::<ExternalId>(&ok_and_bad(
            &["ab", "ext-1", "A+=,.@:/-_z", &longest],
            &["", "x", "a b", "a*b", "ä1", &too_long],
            "is not an STS external ID: 2-1224 of letters, digits and +=,.@:/-_",
        ));
    }

    #[test]
    fn oidc_issuers_belong_to_the_region() {
        let us = Region::try_from("us-east-1").expect("known");
        let id = "EXAMPLED539D4633E53DE1B71EXAMPLE";
        let expected = "expected the cluster's OIDC issuer URL: https://oidc.eks.us-east-1.amazonaws.com/id/<ID>";
        let cases = [
            (
                format!("https://oidc.eks.us-east-1.amazonaws.com/id/{id}"),
                Ok(()),
            ),
            (
                format!("https://oidc.eks.us-east-1.amazonaws.com.cn/id/{id}"),
                Ok(()),
            ),
            (
                format!("https://oidc.eks.us-west-2.amazonaws.com/id/{id}"),
                Err(expected),
            ),
            (
                format!("http://oidc.eks.us-east-1.amazonaws.com/id/{id}"),
                Err(expected),
            ),
            (
                "https://oidc.eks.us-east-1.amazonaws.com/id/".to_string(),
                Err(expected),
            ),
            (
                format!("https://oidc.eks.us-east-1.amazonaws.com/id/{id}/"),
                Err(expected),
            ),
            (
                format!(
                    "https://oidc.eks.us-east-1.amazonaws.com/id/{}",
                    "A".repeat(65)
                ),
                Err(expected),
            ),
        ];
        for (input, want) in cases {
            let got = OidcIssuer::parse(&input, &us);
            assert_eq!(
                got.as_ref()
                    .map(OidcIssuer::as_str)
                    .map_err(ToString::to_string),
                want.map(|()| input.as_str()).map_err(str::to_string),
                "{input}"
            );
        }
        let issuer = OidcIssuer::parse(
            &format!("https://oidc.eks.us-east-1.amazonaws.com/id/{id}"),
            &us,
        )
        .expect("valid");
        assert_eq!(
            issuer.host_path(),
            format!("oidc.eks.us-east-1.amazonaws.com/id/{id}")
        );
    }
}
