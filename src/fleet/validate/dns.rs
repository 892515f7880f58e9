//! `spec.dns.zones`: each zone's domain and ID, no zone twice, IDs for every zone or none; and
//! zones declared where an installed add-on's blueprint requires them.

use std::collections::BTreeMap;

use super::Check;
use crate::blueprint::catalog::Catalog;
use crate::domain::{DnsDomain, HostedZoneId};
use crate::fleet::wire::{Document, WorkloadAccountSpec};

/// Check the account's hosted zones.
pub(super) fn check_zones(c: &mut Check<'_, Document<WorkloadAccountSpec>>) {
    let zones = &c.src.doc.spec.dns.zones;
    let mut domains = BTreeMap::new();
    let mut ids = BTreeMap::new();
    let first_with_id = zones.iter().position(|z| z.hosted_zone_id.is_some());
    for (i, z) in zones.iter().enumerate() {
        let f = |s: &str| format!("spec.dns.zones[{i}].{s}");
        if c.parse::<DnsDomain>(&f("domain"), &z.domain).is_some() {
            if let Some(first) = domains.insert((z.domain.clone(), z.kind), i) {
                domains.insert((z.domain.clone(), z.kind), first);
                c.error(
                    &f("domain"),
                    format!(
                        "{:?} is already the {} zone spec.dns.zones[{first}]; list each zone once",
                        z.domain,
                        z.kind.as_str()
                    ),
                );
            }
        }
        match (&z.hosted_zone_id, first_with_id) {
            (Some(id), _) => {
                if c.parse::<HostedZoneId>(&f("hostedZoneId"), id).is_some() {
                    if let Some(first) = ids.insert(id.clone(), i) {
                        ids.insert(id.clone(), first);
                        c.error(
                            &f("hostedZoneId"),
                            format!("{id:?} is already the ID of spec.dns.zones[{first}]; a hosted zone has one domain"),
                        );
                    }
                }
            }
            (None, Some(first)) => c.error(
                &f("domain"),
                format!(
                    "{:?} has no hostedZoneId while spec.dns.zones[{first}] has one: give every zone its ID or none (with IDs, ExternalDNS's --zone-id-filter and its IAM policy leave out a zone without one)",
                    z.domain
                ),
            ),
            (None, None) => {}
        }
    }
}

/// An account without zones whose blueprint installs an add-on that requires them in the
/// account's environment (`dnsZonesRequiredIn`).
pub(super) fn check_required(c: &mut Check<'_, Document<WorkloadAccountSpec>>, catalog: &Catalog) {
    let spec = &c.src.doc.spec;
    if !spec.dns.zones.is_empty() {
        return;
    }
    let Ok(bp) = catalog.lookup(&spec.blueprint) else {
        return;
    };
    let on = |flag: &str| super::parameter_on(spec, bp, flag);
    let mut found = Vec::new();
    for a in &bp.spec.addons {
        let installed = a.when.as_deref().is_none_or(on);
        if installed && a.uses_dns_zones() && a.dns_zones_required_in.contains(&spec.environment) {
            let field = match &a.when {
                Some(flag) if spec.parameters.contains_key(flag) => {
                    format!("spec.parameters.{flag}")
                }
                _ => "spec.blueprint".to_string(),
            };
            found.push((field, a.name.clone()));
        }
    }
    for (field, name) in found {
        c.error(
            &field,
            format!(
                "add-on {name} of blueprint {} needs spec.dns.zones in environment {:?}: without them it may change records in every Route 53 hosted zone of the account; list the zones it manages (domain, type, hostedZoneId)",
                bp.id(),
                spec.environment
            ),
        );
    }
}
