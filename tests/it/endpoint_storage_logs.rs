//! Smaller gaps of issue 14 (point 6): the API endpoint is private in prod by default and
//! limited to the inventory's CIDRs when public, control-plane logs are on, and gp3 is the
//! default StorageClass.

use crate::support::Test;

#[test]
fn prod_endpoints_are_private_by_default_and_public_ones_take_the_inventorys_cidrs() {
    let t = Test::new();
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "  blueprint: general",
        "  parameters:\n    publicAccessCidrs: \"203.0.113.0/24, 198.51.100.7/32\"\n  blueprint: general",
    );
    t.render("out").success();
    let prod = t.read("out/payments-prod/cluster/cluster.yaml");
    assert!(prod.contains("    publicAccess: false\n"), "{prod}");
    assert!(!prod.contains("publicAccessCIDRs"), "{prod}");
    let dev = t.read("out/checkout-dev/cluster/cluster.yaml");
    assert!(
        dev.contains("    publicAccess: true\n  # Who may reach the public endpoint (parameter publicAccessCidrs; without it 0.0.0.0/0).\n  publicAccessCIDRs:\n    - \"203.0.113.0/24\"\n    - \"198.51.100.7/32\"\n"),
        "{dev}"
    );
    // An explicit value wins over the environment's default.
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "  parameters:\n",
        "  parameters:\n    publicEndpoint: true\n",
    );
    t.render("out2").success();
    assert!(t
        .read("out2/payments-prod/cluster/cluster.yaml")
        .contains("    publicAccess: true\n"));
}

#[test]
fn control_plane_logs_and_the_gp3_default_storage_class() {
    let t = Test::new();
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "  blueprint: general",
        "  parameters:\n    controlPlaneLogTypes: audit\n    controlPlaneLogRetentionDays: 30\n  blueprint: general",
    );
    t.render("out").success();
    let prod = t.read("out/payments-prod/cluster/cluster.yaml");
    assert!(
        prod.contains("cloudWatch:\n  clusterLogging:\n    enableTypes:\n      - \"api\"\n      - \"audit\"\n      - \"authenticator\"\n    logRetentionInDays: 90\n"),
        "{prod}"
    );
    let dev = t.read("out/checkout-dev/cluster/cluster.yaml");
    assert!(
        dev.contains("    enableTypes:\n      - \"audit\"\n    logRetentionInDays: 30\n"),
        "{dev}"
    );
    for account in ["payments-prod", "risk-batch-prod", "vision-aiml-dev"] {
        let class = t.read(&format!("out/{account}/platform/storage/gp3.yaml"));
        assert!(
            class.contains("storageclass.kubernetes.io/is-default-class: \"true\"")
                && class.contains("provisioner: ebs.csi.aws.com"),
            "{class}"
        );
        let k = t.read(&format!("out/{account}/platform/kustomization.yaml"));
        assert!(k.contains("  - storage/gp3.yaml\n"), "{k}");
    }
}
