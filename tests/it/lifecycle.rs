//! Node lifecycle (issue 14, point 2): pinned AMI aliases in prod, disruption budgets per
//! reason, and batch nodes that Karpenter does not disrupt while they run jobs.

use crate::support::example::{refused, RISK};
use crate::support::Test;

#[test]
fn latest_ami_aliases_are_refused_in_prod_and_allowed_elsewhere() {
    let stderr = refused(&[(
        RISK,
        "  parameters:\n",
        "  parameters:\n    amiAlias: al2023@latest\n",
    )]);
    insta::assert_snapshot!(stderr, @r#"
    error: fleet/accounts/risk-batch-prod.yaml:16:15: spec.parameters.amiAlias: "al2023@latest": parameter "amiAlias" of blueprint batch@2.0.0 must name a release in environment "prod" (e.g. al2023@v20260903), not @latest: every new image would replace every node; @latest is allowed in other environments
       |
    16 |     amiAlias: al2023@latest
       |               ^
    1 error found; nothing was written
    "#);
    let t = Test::new();
    t.edit(
        "fleet/accounts/vision-aiml-dev.yaml",
        "  parameters:\n",
        "  parameters:\n    gpuAmiAlias: al2023@latest\n",
    );
    t.validate().success();
}

#[test]
fn batch_nodes_are_not_expired_drifted_or_consolidated_under_running_jobs() {
    let t = Test::new();
    t.render("out").success();
    let pools = t.read("out/risk-batch-prod/platform/karpenter/nodepools.yaml");
    for pool in pools.split("\n---\n").skip(1) {
        assert!(pool.contains("expireAfter: \"Never\""), "{pool}");
        assert!(
            pool.contains("consolidationPolicy: \"WhenEmpty\""),
            "{pool}"
        );
        assert!(
            pool.contains(
                "      - nodes: \"0\"\n        reasons: [\"Drifted\", \"Underutilized\"]"
            ),
            "{pool}"
        );
        assert!(!pool.contains("terminationGracePeriod"), "{pool}");
    }
    let class = t.read("out/risk-batch-prod/platform/karpenter/ec2nodeclass.yaml");
    assert!(class.contains("alias: \"al2023@v20260903\""), "{class}");
}
