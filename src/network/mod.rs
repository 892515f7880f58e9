//! AWS regions, partitions and Availability Zone IDs: the facts shared subnets depend on.

pub mod handoff;

/// An AWS region eksvend knows: its name, the prefix of its AZ IDs, and its partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Region name, e.g. `us-east-1`.
    pub name: &'static str,
    /// AZ ID prefix, e.g. `use1` (AZ IDs are `use1-az1`, `use1-az2`, …).
    pub zone_prefix: &'static str,
    /// ARN partition: `aws`, `aws-us-gov` or `aws-cn`.
    pub partition: &'static str,
}

const fn r(name: &'static str, zone_prefix: &'static str, partition: &'static str) -> Region {
    Region {
        name,
        zone_prefix,
        partition,
    }
}

/// The AWS commercial, GovCloud and China regions.
pub const REGIONS: &[Region] = &[
    r("us-east-1", "use1", "aws"),
    r("us-east-2", "use2", "aws"),
    r("us-west-1", "usw1", "aws"),
    r("us-west-2", "usw2", "aws"),
    r("af-south-1", "afs1", "aws"),
    r("ap-east-1", "ape1", "aws"),
    r("ap-east-2", "ape2", "aws"),
    r("ap-south-1", "aps1", "aws"),
    r("ap-south-2", "aps2", "aws"),
    r("ap-southeast-1", "apse1", "aws"),
    r("ap-southeast-2", "apse2", "aws"),
    r("ap-southeast-3", "apse3", "aws"),
    r("ap-southeast-4", "apse4", "aws"),
    r("ap-southeast-5", "apse5", "aws"),
    r("ap-southeast-6", "apse6", "aws"),
    r("ap-southeast-7", "apse7", "aws"),
    r("ap-northeast-1", "apne1", "aws"),
    r("ap-northeast-2", "apne2", "aws"),
    r("ap-northeast-3", "apne3", "aws"),
    r("ca-central-1", "cac1", "aws"),
    r("ca-west-1", "caw1", "aws"),
    r("eu-central-1", "euc1", "aws"),
    r("eu-central-2", "euc2", "aws"),
    r("eu-west-1", "euw1", "aws"),
    r("eu-west-2", "euw2", "aws"),
    r("eu-west-3", "euw3", "aws"),
    r("eu-south-1", "eus1", "aws"),
    r("eu-south-2", "eus2", "aws"),
    r("eu-north-1", "eun1", "aws"),
    r("il-central-1", "ilc1", "aws"),
    r("me-south-1", "mes1", "aws"),
    r("me-central-1", "mec1", "aws"),
    r("mx-central-1", "mxc1", "aws"),
    r("sa-east-1", "sae1", "aws"),
    r("us-gov-east-1", "usge1", "aws-us-gov"),
    r("us-gov-west-1", "usgw1", "aws-us-gov"),
    r("cn-north-1", "cnn1", "aws-cn"),
    r("cn-northwest-1", "cnnw1", "aws-cn"),
];

/// The region called `name`, if AWS has one.
pub fn region(name: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.name == name)
}

/// The region an AZ ID such as `use1-az1` belongs to, if its shape and prefix are known.
pub fn region_of_zone_id(zone_id: &str) -> Option<&'static Region> {
    let (prefix, az) = zone_id.split_once('-')?;
    let n = az.strip_prefix("az")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    REGIONS.iter().find(|r| r.zone_prefix == prefix)
}

/// `prefix-` followed by 8 or 17 lowercase hex digits, the shape of VPC and subnet IDs.
pub fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17)
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_map_to_their_region() {
        let cases = [
            ("use1-az1", Some("us-east-1")),
            ("euw1-az2", Some("eu-west-1")),
            ("apse2-az3", Some("ap-southeast-2")),
            ("usgw1-az1", Some("us-gov-west-1")),
            ("cnnw1-az2", Some("cn-northwest-1")),
            ("us-east-1a", None),
            ("use1-azx", None),
            ("xxx1-az1", None),
        ];
        for (zone, want) in cases {
            assert_eq!(region_of_zone_id(zone).map(|r| r.name), want, "{zone}");
        }
    }

    #[test]
    fn resource_id_shapes() {
        assert!(is_resource_id("vpc-0a1b2c3d4e5f67890", "vpc"));
        assert!(is_resource_id("subnet-0a1b2c3d", "subnet"));
        assert!(!is_resource_id("subnet-0a1b2c3", "subnet"));
        assert!(!is_resource_id("subnet-0A1B2C3D", "subnet"));
        assert!(!is_resource_id("vpc-0a1b2c3d", "subnet"));
    }
}
