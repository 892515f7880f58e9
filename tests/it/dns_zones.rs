//! ExternalDNS zones from the inventory (issue 14, point 6): `spec.dns.zones` of a
//! WorkloadAccount become ExternalDNS's domain, zone ID and zone type filters (list placeholders
//! of the add-on's values, no code that knows the add-on), and its IAM policy changes records
//! only in the zones named by ID. Each zone is checked at its file:line:field; an add-on that
//! filters on zones is refused without them in prod and a warning elsewhere.

use crate::support::example::{refused, CHK, PAY};
use crate::support::Test;

/// The zones of the example's payments-prod, as written.
const ZONES: &str =
    "      - {domain: payments.acme.example, type: public, hostedZoneId: Z0PAYMENTS1PUBLIC00AB}
      - {domain: payments.internal.acme.example, type: private, hostedZoneId: Z0PAYMENTS2PRIVATE0CD}
";

#[test]
fn each_zone_is_checked_at_its_field() {
    let bad = r#"      - {domain: "*.payments.acme.example", type: public, hostedZoneId: Z0A1}
      - {domain: payments.acme.example., type: private, hostedZoneId: Z0A2}
      - {domain: example, type: public, hostedZoneId: Z0A3}
      - {domain: Payments.acme.example, type: public, hostedZoneId: /hostedzone/Z0A4}
      - {domain: payments.acme.example, type: public, hostedZoneId: Z0A5}
      - {domain: payments.acme.example, type: public, hostedZoneId: Z0A6}
      - {domain: other.acme.example, type: private, hostedZoneId: Z0A6}
"#;
    let stderr = refused(&[(PAY, ZONES, bad)]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:81:18: spec.dns.zones[0].domain: "*.payments.acme.example" is a wildcard: name the zone's domain itself (e.g. "apps.acme.example"); ExternalDNS's domain filter already covers every name below it
       |
    81 |       - {domain: "*.payments.acme.example", type: public, hostedZoneId: Z0A1}
       |                  ^
    error: fleet/accounts/payments-prod.yaml:82:18: spec.dns.zones[1].domain: "payments.acme.example." is not valid: expected the domain without the trailing dot, e.g. "apps.acme.example"
       |
    82 |       - {domain: payments.acme.example., type: private, hostedZoneId: Z0A2}
       |                  ^
    error: fleet/accounts/payments-prod.yaml:83:18: spec.dns.zones[2].domain: "example" is a top-level domain alone: a filter on it would let ExternalDNS write in every zone under it; name the zone's domain (e.g. "apps.acme.example")
       |
    83 |       - {domain: example, type: public, hostedZoneId: Z0A3}
       |                  ^
    error: fleet/accounts/payments-prod.yaml:84:18: spec.dns.zones[3].domain: "Payments.acme.example" is not valid: expected a domain name such as "apps.acme.example": labels of 1-63 lowercase letters, digits or '-' separated by '.', at most 253 characters
       |
    84 |       - {domain: Payments.acme.example, type: public, hostedZoneId: /hostedzone/Z0A4}
       |                  ^
    error: fleet/accounts/payments-prod.yaml:84:69: spec.dns.zones[3].hostedZoneId: "/hostedzone/Z0A4" is not valid: expected the ID without the "/hostedzone/" prefix: "Z0A4"
       |
    84 |       - {domain: Payments.acme.example, type: public, hostedZoneId: /hostedzone/Z0A4}
       |                                                                     ^
    error: fleet/accounts/payments-prod.yaml:86:18: spec.dns.zones[5].domain: "payments.acme.example" is already the public zone spec.dns.zones[4]; list each zone once
       |
    86 |       - {domain: payments.acme.example, type: public, hostedZoneId: Z0A6}
       |                  ^
    error: fleet/accounts/payments-prod.yaml:87:67: spec.dns.zones[6].hostedZoneId: "Z0A6" is already the ID of spec.dns.zones[5]; a hosted zone has one domain
       |
    87 |       - {domain: other.acme.example, type: private, hostedZoneId: Z0A6}
       |                                                                   ^
    7 errors found; nothing was written
    "#);
}

#[test]
fn ids_are_given_for_every_zone_or_none() {
    let stderr = refused(&[(
        PAY,
        ", type: private, hostedZoneId: Z0PAYMENTS2PRIVATE0CD}",
        ", type: private}",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:82:18: spec.dns.zones[1].domain: "payments.internal.acme.example" has no hostedZoneId while spec.dns.zones[0] has one: give every zone its ID or none (with IDs, ExternalDNS's --zone-id-filter and its IAM policy leave out a zone without one)
       |
    82 |       - {domain: payments.internal.acme.example, type: private}
       |                  ^
    1 error found; nothing was written
    "#);
}

#[test]
fn an_add_on_that_filters_on_zones_needs_them_in_prod_and_warns_without_them_elsewhere() {
    let stderr = refused(&[(PAY, &format!("  dns:\n    zones:\n{ZONES}"), "")]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/payments-prod.yaml:14:18: spec.parameters.externalDns: add-on external-dns of blueprint general@2.0.0 needs spec.dns.zones in environment "prod": without them it may change records in every Route 53 hosted zone of the account; list the zones it manages (domain, type, hostedZoneId)
       |
    14 |     externalDns: true
       |                  ^
    1 error found; nothing was written
    "#);
    let t = Test::new();
    t.edit(
        &format!("fleet/{CHK}"),
        "  blueprint: general\n",
        "  blueprint: general\n  parameters:\n    externalDns: true\n",
    );
    let out = t.validate().success();
    out.stderr_has("warning: checkout-dev: add-on external-dns of blueprint general@2.0.0 runs without zone filters: spec.dns.zones is empty, so it may change records in every Route 53 hosted zone of account 222233334444 that its role reaches; list the zones it manages");
    t.render("out").success();
    let values = addon_values(&t, "checkout-dev");
    assert!(
        values.contains(r#""domainFilters": [], "extraArgs": [], "#),
        "{values}"
    );
    let policy =
        t.read("out/checkout-dev/iam/platform/external-dns-controller/permission-policy.json");
    assert!(
        policy.contains(
            r#""Resource": [
        "arn:aws:route53:::hostedzone/*"
      ]"#
        ),
        "{policy}"
    );
}

/// The external-dns Application's Helm values in an account's rendered repository (Argo CD).
fn addon_values(t: &Test, account: &str) -> String {
    let apps = t.read(&format!("out/{account}/bootstrap/argocd/apps/addons.yaml"));
    let at = apps
        .find("name: \"addon-external-dns\"")
        .expect("external-dns is installed");
    let values = &apps[at..];
    let line = values
        .lines()
        .find(|l| l.trim_start().starts_with("valuesObject:"))
        .unwrap();
    line.trim().to_string()
}

#[test]
fn zones_become_externaldns_filters_and_its_policy_names_the_zones() {
    let t = Test::new();
    t.render("out").success();
    insta::assert_snapshot!(addon_values(&t, "payments-prod"), @r#"
    valuesObject: {"domainFilters": ["payments.acme.example", "payments.internal.acme.example"], "extraArgs": ["--zone-id-filter=Z0PAYMENTS1PUBLIC00AB", "--zone-id-filter=Z0PAYMENTS2PRIVATE0CD"], "provider": {"name": "aws"}, "serviceAccount": {"name": "external-dns"}, "txtOwnerId": "payments-prod"}
    "#);
    let policy =
        t.read("out/payments-prod/iam/platform/external-dns-controller/permission-policy.json");
    insta::assert_snapshot!(policy, @r#"
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "RecordsInTheAccountsHostedZones",
          "Effect": "Allow",
          "Action": [
            "route53:ChangeResourceRecordSets",
            "route53:ListResourceRecordSets",
            "route53:ListTagsForResources"
          ],
          "Resource": [
            "arn:aws:route53:::hostedzone/Z0PAYMENTS1PUBLIC00AB",
            "arn:aws:route53:::hostedzone/Z0PAYMENTS2PRIVATE0CD"
          ]
        },
        {
          "Sid": "FindTheZones",
          "Effect": "Allow",
          "Action": "route53:ListHostedZones",
          "Resource": "*"
        }
      ]
    }
    "#);
    // The eksctl well-known policy (route53:ChangeResourceRecordSets on every zone) is gone:
    // the role is eksvend's, through EKS Pod Identity.
    let cluster = t.read("out/payments-prod/cluster/cluster.yaml");
    assert!(
        cluster.contains("serviceAccountName: \"external-dns\"\n      roleARN: \"arn:aws:iam::111122223333:role/payments-prod_kube-system_external-dns\"\n"),
        "{cluster}"
    );
    assert!(!cluster.contains("externalDNS: true"), "{cluster}");
}

#[test]
fn zones_of_one_type_without_ids_filter_by_type_and_domain() {
    let t = Test::new();
    t.edit(
        &format!("fleet/{CHK}"),
        "  blueprint: general\n",
        "  blueprint: general\n  parameters:\n    externalDns: true\n  dns:\n    zones:\n      - {domain: checkout.internal.acme.example, type: private}\n      - {domain: jobs.internal.acme.example, type: private}\n",
    );
    let out = t.validate().success();
    assert!(!out.stderr.contains("zone filters"), "{}", out.stderr);
    t.render("out").success();
    insta::assert_snapshot!(addon_values(&t, "checkout-dev"), @r#"
    valuesObject: {"domainFilters": ["checkout.internal.acme.example", "jobs.internal.acme.example"], "extraArgs": ["--aws-zone-type=private"], "provider": {"name": "aws"}, "serviceAccount": {"name": "external-dns"}, "txtOwnerId": "checkout-dev"}
    "#);
    let policy =
        t.read("out/checkout-dev/iam/platform/external-dns-controller/permission-policy.json");
    assert!(
        policy.contains("\"arn:aws:route53:::hostedzone/*\""),
        "{policy}"
    );
}

#[test]
fn a_list_placeholder_inside_a_longer_value_is_refused_by_the_catalog() {
    let t = Test::new();
    let general =
        std::fs::read_to_string(crate::support::root().join("blueprints/general/blueprint.yaml"))
            .unwrap();
    let custom = general
        .replace("  version: 2.0.0\n", "  version: 2.0.1\n")
        .replace(
            "txtOwnerId: ${cluster.name}",
            "txtOwnerId: owner-${dns.domains}",
        );
    assert_ne!(custom, general);
    t.file("custom/general/blueprint.yaml", &custom);
    for policy in ["ack-eks-controller.json", "external-dns.json"] {
        let text = std::fs::read_to_string(
            crate::support::root()
                .join("blueprints/general/policies")
                .join(policy),
        )
        .unwrap();
        t.file(&format!("custom/general/policies/{policy}"), &text);
    }
    let out = t.validate().args(["--blueprints", "custom"]).run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: custom/general/blueprint.yaml: spec.addons[3].values: general@2.0.1: /txtOwnerId: a list placeholder (${dns.…}) must be a whole value or an item of a list, not inside a longer string or a key
    1 error found; nothing was written
    "#);
}

#[test]
fn the_networking_account_is_given_the_private_zones_to_associate() {
    let t = Test::new();
    t.render("out").success();
    let readme = t.read("out/payments-prod/network/README.md");
    assert!(
        readme.contains("# payments.internal.acme.example: in account 111122223333, which owns the zone\naws route53 create-vpc-association-authorization --hosted-zone-id Z0PAYMENTS2PRIVATE0CD --vpc VPCRegion=us-east-1,VPCId=vpc-0a1b2c3d4e5f67890\n# in this account (999988887777)\naws route53 associate-vpc-with-hosted-zone --hosted-zone-id Z0PAYMENTS2PRIVATE0CD --vpc VPCRegion=us-east-1,VPCId=vpc-0a1b2c3d4e5f67890\n"),
        "{readme}"
    );
    // The public zone is not associated with VPCs.
    assert!(!readme.contains("Z0PAYMENTS1PUBLIC00AB"), "{readme}");
    // Without private zones the commands keep the placeholder the networking team fills in.
    let other = t.read("out/checkout-dev/network/README.md");
    assert!(
        other.contains("--hosted-zone-id <hosted-zone-id> --vpc"),
        "{other}"
    );
}
