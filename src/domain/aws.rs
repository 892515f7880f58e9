//! AWS partitions, regions, Availability Zone IDs, account IDs, VPC and subnet IDs, and RAM
//! resource shares: the facts accounts and shared subnets are made of.

use super::newtype::{checked_string, str_traits, try_from_string};
use super::{ensure, suggest, Invalid};

/// An AWS partition: the first field of every ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-us-gov`: the regions for US government workloads.
    AwsUsGov,
    /// `aws-cn`: the China regions.
    AwsCn,
}

impl Partition {
    /// The partition as ARNs write it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsUsGov => "aws-us-gov",
            Self::AwsCn => "aws-cn",
        }
    }
}

impl TryFrom<&str> for Partition {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        match s {
            "aws" => Ok(Self::Aws),
            "aws-us-gov" => Ok(Self::AwsUsGov),
            "aws-cn" => Ok(Self::AwsCn),
            _ => Err(Invalid::new(
                "expected an AWS partition: aws, aws-us-gov or aws-cn",
            )),
        }
    }
}

try_from_string!(Partition);
str_traits!(Partition);

/// An AWS region eksvend knows: its name, the prefix of its AZ IDs, and its partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionInfo {
    /// Region name, e.g. `us-east-1`.
    pub name: &'static str,
    /// AZ ID prefix, e.g. `use1` (AZ IDs are `use1-az1`, `use1-az2`, …).
    pub zone_prefix: &'static str,
    /// ARN partition.
    pub partition: Partition,
}

const fn r(name: &'static str, zone_prefix: &'static str, partition: Partition) -> RegionInfo {
    RegionInfo {
        name,
        zone_prefix,
        partition,
    }
}

/// The AWS commercial, US government and China regions.
pub const REGIONS: &[RegionInfo] = &[
    r("us-east-1", "use1", Partition::Aws),
    r("us-east-2", "use2", Partition::Aws),
    r("us-west-1", "usw1", Partition::Aws),
    r("us-west-2", "usw2", Partition::Aws),
    r("af-south-1", "afs1", Partition::Aws),
    r("ap-east-1", "ape1", Partition::Aws),
    r("ap-east-2", "ape2", Partition::Aws),
    r("ap-south-1", "aps1", Partition::Aws),
    r("ap-south-2", "aps2", Partition::Aws),
    r("ap-southeast-1", "apse1", Partition::Aws),
    r("ap-southeast-2", "apse2", Partition::Aws),
    r("ap-southeast-3", "apse3", Partition::Aws),
    r("ap-southeast-4", "apse4", Partition::Aws),
    r("ap-southeast-5", "apse5", Partition::Aws),
    r("ap-southeast-6", "apse6", Partition::Aws),
    r("ap-southeast-7", "apse7", Partition::Aws),
    r("ap-northeast-1", "apne1", Partition::Aws),
    r("ap-northeast-2", "apne2", Partition::Aws),
    r("ap-northeast-3", "apne3", Partition::Aws),
    r("ca-central-1", "cac1", Partition::Aws),
    r("ca-west-1", "caw1", Partition::Aws),
    r("eu-central-1", "euc1", Partition::Aws),
    r("eu-central-2", "euc2", Partition::Aws),
    r("eu-west-1", "euw1", Partition::Aws),
    r("eu-west-2", "euw2", Partition::Aws),
    r("eu-west-3", "euw3", Partition::Aws),
    r("eu-south-1", "eus1", Partition::Aws),
    r("eu-south-2", "eus2", Partition::Aws),
    r("eu-north-1", "eun1", Partition::Aws),
    r("il-central-1", "ilc1", Partition::Aws),
    r("me-south-1", "mes1", Partition::Aws),
    r("me-central-1", "mec1", Partition::Aws),
    r("mx-central-1", "mxc1", Partition::Aws),
    r("sa-east-1", "sae1", Partition::Aws),
    r("us-gov-east-1", "usge1", Partition::AwsUsGov),
    r("us-gov-west-1", "usgw1", Partition::AwsUsGov),
    r("cn-north-1", "cnn1", Partition::AwsCn),
    r("cn-northwest-1", "cnnw1", Partition::AwsCn),
];

/// A region of [`REGIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(&'static RegionInfo);

impl Region {
    /// The region name, e.g. `us-east-1`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        self.0.name
    }

    /// The region's entry in [`REGIONS`].
    #[must_use]
    pub fn info(&self) -> &'static RegionInfo {
        self.0
    }

    /// The region's partition.
    #[must_use]
    pub fn partition(&self) -> Partition {
        self.0.partition
    }

    /// The prefix of the region's AZ IDs, e.g. `use1`.
    #[must_use]
    pub fn zone_prefix(&self) -> &'static str {
        self.0.zone_prefix
    }

    /// Every region eksvend knows, in table order.
    pub fn all() -> impl Iterator<Item = Region> {
        REGIONS.iter().map(Region)
    }
}

impl TryFrom<&str> for Region {
    type Error = Invalid;

    /// Unknown names fail with a "did you mean" for a near miss.
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        if let Some(info) = REGIONS.iter().find(|r| r.name == s) {
            return Ok(Self(info));
        }
        let hint = suggest(s, REGIONS.iter().map(|r| r.name))
            .map_or_else(String::new, |name| format!("; did you mean {name:?}?"));
        Err(Invalid::new(format!(
            "is not an AWS region (commercial, GovCloud or China){hint}"
        )))
    }
}

try_from_string!(Region);
str_traits!(Region);

/// An Availability Zone ID such as `use1-az1`, of a known region. AZ IDs, unlike AZ names
/// (`us-east-1a`), name the same zone in every account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneId {
    text: String,
    region: Region,
}

impl ZoneId {
    /// The AZ ID, e.g. `use1-az1`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The region the zone belongs to.
    #[must_use]
    pub fn region(&self) -> Region {
        self.region
    }
}

impl TryFrom<&str> for ZoneId {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let region = s
            .split_once('-')
            .filter(|(_, az)| {
                az.strip_prefix("az")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .and_then(|(prefix, _)| REGIONS.iter().find(|r| r.zone_prefix == prefix));
        match region {
            Some(info) => Ok(Self {
                text: s.to_owned(),
                region: Region(info),
            }),
            None => Err(Invalid::new("is not an AZ ID: expected the AZ *ID* such as use1-az1 (AZ names like us-east-1a differ between accounts)")),
        }
    }
}

try_from_string!(ZoneId);
str_traits!(ZoneId);

fn account_id(s: &str) -> Result<(), Invalid> {
    ensure(
        is_account_id(s),
        "is not a 12-digit AWS account ID (write it as a quoted string)",
    )
}

/// Twelve ASCII digits.
pub(super) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

checked_string!(
    /// A 12-digit AWS account ID (leading zeros are significant: it is text, not a number).
    AccountId,
    account_id
);

/// `prefix-` followed by 8 or 17 lowercase hex digits, the shape of VPC and subnet IDs.
fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17)
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

fn vpc_id(s: &str) -> Result<(), Invalid> {
    ensure(
        is_resource_id(s, "vpc"),
        "is not a VPC ID: expected vpc- followed by 8 or 17 lowercase hex digits",
    )
}

checked_string!(
    /// A VPC ID: `vpc-` and 8 or 17 lowercase hex digits.
    VpcId,
    vpc_id
);

fn subnet_id(s: &str) -> Result<(), Invalid> {
    ensure(
        is_resource_id(s, "subnet"),
        "is not a subnet ID: expected subnet- followed by 8 or 17 lowercase hex digits",
    )
}

checked_string!(
    /// A subnet ID: `subnet-` and 8 or 17 lowercase hex digits.
    SubnetId,
    subnet_id
);

/// `a.b.c.d/n`: four decimal octets (no leading zeros), a prefix length 1-32, no host bits set.
fn ipv4_cidr(s: &str) -> Result<(), Invalid> {
    const TEXT: &str = "is not an IPv4 CIDR block: expected a.b.c.d/n with n from 1 to 32 and no host bits set, e.g. \"10.0.128.0/24\" (0.0.0.0/0 is what leaving the list out means)";
    let parsed = s.split_once('/').and_then(|(addr, len)| {
        let decimal = |t: &str| {
            !t.is_empty()
                && t.len() <= 3
                && t.bytes().all(|b| b.is_ascii_digit())
                && (t == "0" || !t.starts_with('0'))
        };
        let len: u32 = if decimal(len) {
            len.parse().ok()?
        } else {
            return None;
        };
        let octets: Vec<&str> = addr.split('.').collect();
        if octets.len() != 4 || !octets.iter().all(|o| decimal(o)) {
            return None;
        }
        let mut ip: u32 = 0;
        for o in octets {
            ip = (ip << 8) | u32::from(o.parse::<u8>().ok()?);
        }
        Some((ip, len))
    });
    let ok = parsed
        .is_some_and(|(ip, len)| (1..=32).contains(&len) && ip & !(u32::MAX << (32 - len)) == 0);
    ensure(ok, TEXT)
}

checked_string!(
    /// An IPv4 CIDR block in canonical form (`10.0.128.0/24`): a NetworkPolicy `ipBlock.cidr`.
    Ipv4Cidr,
    ipv4_cidr
);

/// The fields of `arn:<partition>:<service>:<region>:<account>:<resource>`.
pub(super) struct ArnFields<'a> {
    /// A partition eksvend knows.
    pub partition: Partition,
    /// `iam`, `ram`, `eks`, …
    pub service: &'a str,
    /// Empty for global services such as IAM.
    pub region: &'a str,
    /// The account ID, `aws` for AWS-managed IAM policies, or empty.
    pub account: &'a str,
    /// Everything after the fifth `:`.
    pub resource: &'a str,
}

impl<'a> ArnFields<'a> {
    /// The fields of `s`, when it is an ARN of a known partition.
    pub(super) fn of(s: &'a str) -> Option<Self> {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let ["arn", partition, service, region, account, resource] = parts[..] else {
            return None;
        };
        Some(Self {
            partition: Partition::try_from(partition).ok()?,
            service,
            region,
            account,
            resource,
        })
    }
}

/// An AWS RAM resource share ARN, `arn:aws:ram:<region>:<account>:resource-share/<uuid>`, of
/// the network's region and account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RamShareArn(String);

impl RamShareArn {
    /// The share ARN `s`, when it is a resource share of `region` in `account`.
    ///
    /// # Errors
    /// When `s` is not such an ARN.
    pub fn parse(s: &str, region: &Region, account: &AccountId) -> Result<Self, Invalid> {
        let ok = ArnFields::of(s).is_some_and(|p| {
            p.service == "ram"
                && p.region == region.as_str()
                && p.account == account.as_str()
                && p.resource
                    .strip_prefix("resource-share/")
                    .is_some_and(|id| {
                        id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                    })
        });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid::new(format!("expected a RAM resource share ARN of the network's region and account: arn:aws:ram:{region}:{account}:resource-share/<uuid>")))
        }
    }

    /// The ARN as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

str_traits!(RamShareArn);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{assert_table, ok_and_bad};

    #[test]
    fn ipv4_cidrs() {
        assert_table::<Ipv4Cidr>(&ok_and_bad(
            &["10.0.128.0/24", "10.0.0.5/32", "172.16.0.0/12", "0.0.0.0/1"],
            &["", "10.0.128.1/24", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/0", "10.0.0.256/32", "10.00.0.0/16", "10.0.0/16", "fd00::/8", "10.0.0.0/016"],
            "is not an IPv4 CIDR block: expected a.b.c.d/n with n from 1 to 32 and no host bits set, e.g. \"10.0.128.0/24\" (0.0.0.0/0 is what leaving the list out means)",
        ));
    }

    #[test]
    fn partitions() {
        assert_table::<Partition>(&ok_and_bad(
            &["aws", "aws-us-gov", "aws-cn"],
            &["", "AWS", "aws-iso"],
            "expected an AWS partition: aws, aws-us-gov or aws-cn",
        ));
    }

    #[test]
    fn regions() {
        assert_table::<Region>(&[
            ("us-east-1", Ok(())),
            ("cn-northwest-1", Ok(())),
            ("us-gov-west-1", Ok(())),
            (
                "us-east-9",
                Err("is not an AWS region (commercial, GovCloud or China); did you mean \"us-east-1\"?"),
            ),
            ("mars-1", Err("is not an AWS region (commercial, GovCloud or China)")),
            ("", Err("is not an AWS region (commercial, GovCloud or China)")),
        ]);
        let r = Region::try_from("cn-north-1").expect("known");
        assert_eq!((r.partition(), r.zone_prefix()), (Partition::AwsCn, "cnn1"));
        assert_eq!(Region::all().count(), REGIONS.len());
    }

    #[test]
    fn zone_ids() {
        assert_table::<ZoneId>(&ok_and_bad(
            &["use1-az1", "euw1-az2", "apse2-az3", "usgw1-az1", "cnnw1-az12"],
            &["us-east-1a", "use1-azx", "xxx1-az1", "use1-az", "use1", ""],
            "is not an AZ ID: expected the AZ *ID* such as use1-az1 (AZ names like us-east-1a differ between accounts)",
        ));
        let region = |z: &str| ZoneId::try_from(z).map(|z| z.region().as_str());
        assert_eq!(region("apse2-az3"), Ok("ap-southeast-2"));
        assert_eq!(region("cnnw1-az2"), Ok("cn-northwest-1"));
    }

    #[test]
    fn account_ids() {
        assert_table::<AccountId>(&ok_and_bad(
            &["111122223333", "012345678901"],
            &[
                "11112222333",
                "1111222233334",
                "11112222333a",
                "",
                "１11122223333",
            ],
            "is not a 12-digit AWS account ID (write it as a quoted string)",
        ));
    }

    #[test]
    fn vpc_and_subnet_ids() {
        assert_table::<VpcId>(&ok_and_bad(
            &["vpc-0a1b2c3d4e5f67890", "vpc-0a1b2c3d"],
            &[
                "vpc-0a1b2c3",
                "vpc-0A1B2C3D",
                "subnet-0a1b2c3d",
                "vpc0a1b2c3d",
                "vpc-0a1b2c3g",
            ],
            "is not a VPC ID: expected vpc- followed by 8 or 17 lowercase hex digits",
        ));
        assert_table::<SubnetId>(&ok_and_bad(
            &["subnet-0a1b2c3d", "subnet-0a1b2c3d4e5f67890"],
            &[
                "subnet-0a1b2c3",
                "subnet-0A1B2C3D",
                "vpc-0a1b2c3d",
                "subnet-0a1b2c3d4",
            ],
            "is not a subnet ID: expected subnet- followed by 8 or 17 lowercase hex digits",
        ));
    }

    #[test]
    fn ram_share_arns_belong_to_the_network() {
        let region = Region::try_from("us-east-1").expect("known");
        let account = AccountId::try_from("111122223333").expect("valid");
        let share = "arn:aws:ram:us-east-1:111122223333:resource-share/7ab63972-b505-4f2e-a3b1-123456789abc";
        let expected = "expected a RAM resource share ARN of the network's region and account: arn:aws:ram:us-east-1:111122223333:resource-share/<uuid>";
        let cases = [
            (share.to_string(), Ok(())),
            (share.replace("us-east-1", "us-west-2"), Err(expected)),
            (share.replace("111122223333", "444455556666"), Err(expected)),
            (share.replace(":ram:", ":iam:"), Err(expected)),
            (share.replace("arn:aws:", "arn:aws-iso:"), Err(expected)),
            (
                share.replace("-123456789abc", "-123456789ab"),
                Err(expected),
            ),
            (share.replace("resource-share/", "share/"), Err(expected)),
        ];
        for (input, want) in cases {
            let got = RamShareArn::parse(&input, &region, &account);
            assert_eq!(
                got.as_ref()
                    .map(RamShareArn::as_str)
                    .map_err(ToString::to_string),
                want.map(|()| input.as_str()).map_err(str::to_string),
                "{input}"
            );
        }
    }
}
