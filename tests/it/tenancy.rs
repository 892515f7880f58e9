//! The tenancy model as rendered (issue 11): the baseline egress of a Network with and without
//! VPC endpoints, the security team's cluster-scoped kinds, and the order in which each engine
//! applies ACK objects after the ACK controller that serves their CRDs. `cluster.rs` shows the
//! same repositories converge on a real API server.

use crate::support::Test;

/// The baseline egress rule to TCP 443 of a rendered tenant, from `allow-dns-and-pod-identity`.
fn https_egress(t: &Test, account: &str, ns: &str) -> serde_json::Value {
    let text = t.read(&format!("out/{account}/tenants/{ns}/tenant.yaml"));
    let policy = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_json::Value::deserialize(d).unwrap())
        .find(|d| d["metadata"]["name"] == "allow-dns-and-pod-identity")
        .expect("the baseline egress policy");
    policy["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["ports"][0]["port"] == 443)
        .cloned()
        .expect("a 443 rule")
}

use serde::Deserialize;

#[test]
fn https_egress_goes_only_to_the_vpc_endpoints_a_network_declares() {
    let t = Test::new();
    t.render("out").success();
    // dev-euw1 declares its endpoints: 443 only to them.
    let declared = https_egress(&t, "vision-aiml-dev", "vision");
    assert_eq!(
        declared["to"],
        serde_json::json!([
            {"ipBlock": {"cidr": "10.20.240.0/24"}},
            {"ipBlock": {"cidr": "10.20.241.0/24"}},
            {"ipBlock": {"cidr": "10.20.242.0/24"}},
        ])
    );
    // prod-use1 declares none: 443 to any address, and the team README says so.
    let open = https_egress(&t, "payments-prod", "payments");
    assert!(open.get("to").is_none(), "{open}");
    let readme = t.read("out/payments-prod/README.md");
    assert!(
        readme.contains("HTTPS (443) to any address")
            && readme.contains("network `prod-use1` declares no VPC endpoints"),
        "{readme}"
    );
    let readme = t.read("out/vision-aiml-dev/README.md");
    assert!(
        readme.contains("HTTPS (443) only to the VPC endpoints of network `dev-euw1`")
            && readme.contains("`10.20.240.0/24`, `10.20.241.0/24`, `10.20.242.0/24`"),
        "{readme}"
    );
}

#[test]
fn endpoint_cidrs_are_validated_at_their_field() {
    let t = Test::new();
    t.edit(
        "fleet/networks.yaml",
        "cidrs: [10.20.240.0/24, 10.20.241.0/24, 10.20.242.0/24]",
        "cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]",
    );
    let out = t.validate().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: fleet/networks.yaml:38:13: spec.endpoints.cidrs[0]: "10.20.240.1/24" is not an IPv4 CIDR block: expected a.b.c.d/n with n from 1 to 32 and no host bits set, e.g. "10.0.128.0/24" (0.0.0.0/0 is what leaving the list out means) (document 2)
       |
    38 |     cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]
       |             ^
    error: fleet/networks.yaml:38:29: spec.endpoints.cidrs[1]: "0.0.0.0/0" is not an IPv4 CIDR block: expected a.b.c.d/n with n from 1 to 32 and no host bits set, e.g. "10.0.128.0/24" (0.0.0.0/0 is what leaving the list out means) (document 2)
       |
    38 |     cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]
       |                             ^
    error: fleet/networks.yaml:38:56: spec.endpoints.cidrs[3]: duplicate CIDR block "10.20.242.0/24" (document 2)
       |
    38 |     cidrs: [10.20.240.1/24, 0.0.0.0/0, 10.20.242.0/24, 10.20.242.0/24]
       |                                                        ^
    3 errors found; nothing was written
    "#);
}
