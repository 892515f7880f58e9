//! The account's hosted zones (`spec.dns.zones`) as the values of the `${dns.*}` list
//! placeholders of Helm values and policy files, and the warning for an add-on that filters on
//! zones the inventory does not declare.

use crate::blueprint::Blueprint;
use crate::domain::{arn, Partition};
use crate::fleet::model as fleet;

use super::{AddonView, PrivateZoneView};

/// The account's private zones, in inventory order.
pub(super) fn private_zones(a: &fleet::Account) -> Vec<PrivateZoneView> {
    a.dns_zones
        .iter()
        .filter(|z| z.private)
        .map(|z| PrivateZoneView {
            domain: z.domain.to_string(),
            hosted_zone_id: z.id.as_ref().map(ToString::to_string),
        })
        .collect()
}

/// The values of [`crate::blueprint::VALUE_LIST_PLACEHOLDERS`] and
/// [`crate::blueprint::POLICY_LIST_PLACEHOLDERS`] for one account.
pub(super) struct DnsLists {
    domains: Vec<String>,
    hosted_zone_ids: Vec<String>,
    zone_type: Vec<String>,
    /// `${dns.hostedZoneArns}`: the named zones, or every zone when none is named.
    pub(super) hosted_zone_arns: Vec<String>,
}

impl DnsLists {
    pub(super) fn new(a: &fleet::Account, partition: Partition) -> Self {
        let mut domains: Vec<String> = a.dns_zones.iter().map(|z| z.domain.to_string()).collect();
        domains.sort();
        domains.dedup();
        let mut hosted_zone_ids: Vec<String> = a
            .dns_zones
            .iter()
            .filter_map(|z| z.id.as_ref().map(ToString::to_string))
            .collect();
        hosted_zone_ids.sort();
        let kind = |private: bool| if private { "private" } else { "public" };
        let mut kinds: Vec<&str> = a.dns_zones.iter().map(|z| kind(z.private)).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let zone_type = match kinds.as_slice() {
            [one] => vec![(*one).to_string()],
            _ => Vec::new(),
        };
        let hosted_zone_arns = if hosted_zone_ids.is_empty() {
            vec![arn::route53_hosted_zone(partition, None)]
        } else {
            hosted_zone_ids
                .iter()
                .map(|id| arn::route53_hosted_zone(partition, Some(id)))
                .collect()
        };
        DnsLists {
            domains,
            hosted_zone_ids,
            zone_type,
            hosted_zone_arns,
        }
    }

    /// (`${name}`, values) of the Helm values' list placeholders.
    pub(super) fn values(&self) -> [(&'static str, &[String]); 3] {
        [
            ("${dns.domains}", &self.domains),
            ("${dns.hostedZoneIds}", &self.hosted_zone_ids),
            ("${dns.zoneType}", &self.zone_type),
        ]
    }
}

/// A warning for each installed add-on that filters on the account's zones when it declares
/// none (validation refuses it in the add-on's `dnsZonesRequiredIn` environments).
pub(super) fn unfiltered_warnings(
    addons: &[AddonView],
    a: &fleet::Account,
    bp: &Blueprint,
) -> Vec<String> {
    if !a.dns_zones.is_empty() {
        return Vec::new();
    }
    // The views' values have their placeholders replaced: the blueprint's entries say which
    // of the installed add-ons use them.
    bp.spec
        .addons
        .iter()
        .filter(|x| x.uses_dns_zones() && addons.iter().any(|v| v.addon.name == x.name))
        .map(|x| {
            format!(
                "add-on {} of blueprint {} runs without zone filters: spec.dns.zones is empty, so it may change records in every Route 53 hosted zone of account {} that its role reaches; list the zones it manages",
                x.name,
                bp.id(),
                a.account_id
            )
        })
        .collect()
}
