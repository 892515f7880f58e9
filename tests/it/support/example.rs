//! Steps of scenarios on the bundled example inventory, shared by several test modules.

use super::Test;

// The example inventory's files, relative to `fleet/` (for `refused`).
pub const FLEET: &str = "fleet.yaml";
pub const NET: &str = "networks.yaml";
pub const PAY: &str = "accounts/payments-prod.yaml";
pub const CHK: &str = "accounts/checkout-dev.yaml";
pub const ML: &str = "accounts/ml-research-dev.yaml";
pub const RISK: &str = "accounts/risk-batch-prod.yaml";

/// The example inventory with `edits` (file under `fleet/`, from, to): validate, apply and
/// render must each exit 1 with the same stderr and write nothing. Returns that stderr.
pub fn refused(edits: &[(&str, &str, &str)]) -> String {
    let t = Test::new();
    for (file, from, to) in edits {
        t.edit(&format!("fleet/{file}"), from, to);
    }
    let stderr = t.validate().run().code(1).stderr;
    for cmd in [t.apply(), t.render("out")] {
        let out = cmd.run().code(1);
        assert_eq!(
            out.stderr, stderr,
            "apply and render say what validate says"
        );
    }
    assert!(!t.exists("repos") && !t.exists("out"), "nothing is written");
    stderr
}

/// The example with a user catalog `custom/` holding [`GENERAL_1_1`].
pub fn with_general_1_1() -> Test {
    let t = Test::new();
    t.file("custom/blueprints/general-1.1/blueprint.yaml", GENERAL_1_1);
    t
}

/// The platform team raises payments-prod's CPU quota from 64 to 96 in the inventory.
pub fn raise_payments_quota(t: &Test) {
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
}

/// The example applied; then a person raises payments-prod's CPU quota to 80 in its repository
/// (committed) and the platform team to 96 in the inventory: the next apply conflicts.
/// Returns the tenant file's path under the workspace.
pub fn quota_conflict(t: &Test) -> String {
    t.apply().success();
    let file = "repos/payments-prod/tenants/payments/tenant.yaml";
    t.edit(file, "requests.cpu: \"64\"", "requests.cpu: \"80\"");
    t.repo("payments-prod").commit_all("more cpu");
    raise_payments_quota(t);
    file.to_string()
}

/// A new version of the built-in `general` blueprint that only pins the node image: a user
/// catalog's blueprint extending the built-in one.
pub const GENERAL_1_1: &str = "apiVersion: eksvend.dev/v1alpha1
kind: Blueprint
metadata: {name: general}
spec:
  version: 2.1.0
  description: General-purpose cluster, node images pinned
  extends: general@2.0.0
  parameters:
    amiAlias:
      default: al2023@v20261001
";
