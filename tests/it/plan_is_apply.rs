//! `plan` computes exactly what `apply` would do, with the same exit code: dirty trees,
//! untracked collisions and symlinks included (issue 10).

use std::os::unix::fs::symlink;

use crate::support::{raise_payments_quota, Test};

fn plan_payments(t: &Test) -> crate::support::Output {
    t.plan().args(["--only", "account=payments-prod"]).run()
}

fn apply_payments(t: &Test) -> crate::support::Output {
    t.apply().args(["--only", "account=payments-prod"]).run()
}

/// Old code: plan exited 0 showing an update; apply refused the dirty tree.
#[test]
fn plan_refuses_a_dirty_repository_like_apply() {
    let t = Test::new();
    t.apply().success();
    let file = "repos/payments-prod/tenants/payments/tenant.yaml";
    t.file(file, &format!("{}# mine\n", t.read(file)));
    raise_payments_quota(&t);
    let plan = plan_payments(&t).code(1);
    let apply = apply_payments(&t).code(1);
    let error = plan
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(error.contains("tenants/payments/tenant.yaml"), "{error}");
    apply.stderr_has(error);
}

/// Old code: plan showed `+ file` (exit 0) where apply reported a conflict (exit 3).
#[test]
fn plan_shows_an_untracked_collision_as_a_conflict() {
    let t = Test::new();
    t.apply().success();
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "        - name: statements-exporter\n",
        "        - name: audit\n          statements:\n            - Effect: Allow\n              Action: [s3:GetObject]\n              Resource: [arn:aws:s3:::acme-audit/*]\n        - name: statements-exporter\n",
    );
    t.file("repos/payments-prod/iam/payments/audit/role.json", "mine\n");
    plan_payments(&t)
        .code(3)
        .stdout_has("! iam/payments/audit/role.json  (an untracked file of the same name exists in the working tree)");
    apply_payments(&t).code(3);
}

/// Old code: plan showed `~ tenants/payments/tenant.yaml` (exit 0) through the symlink.
#[test]
fn plan_shows_a_symlinked_path_as_a_conflict() {
    let t = Test::new();
    t.apply().success();
    let file = "repos/payments-prod/tenants/payments/tenant.yaml";
    t.file("outside/tenant.yaml", &t.read(file));
    std::fs::remove_file(t.path(file)).unwrap();
    symlink("../../../../outside/tenant.yaml", t.path(file)).unwrap();
    t.repo("payments-prod").commit_all("elsewhere");
    raise_payments_quota(&t);
    plan_payments(&t).code(3).stdout_has(
        "! tenants/payments/tenant.yaml  (`tenants/payments/tenant.yaml` is a symbolic link on the branch; eksvend never writes through one)",
    );
    apply_payments(&t).code(3);
}

/// Old code: the first repository apply would refuse stopped the plan: the others' changes and
/// the other refused repositories went unreported, where apply reports each.
#[test]
fn plan_reports_every_refused_repository_and_plans_the_others() {
    let t = Test::new();
    t.apply().success();
    for account in ["payments-prod", "checkout-dev"] {
        let readme = format!("repos/{account}/README.md");
        t.file(&readme, &format!("{}mine\n", t.read(&readme)));
    }
    raise_payments_quota(&t);
    t.edit("fleet/accounts/risk-batch-prod.yaml", "cpu: \"", "cpu: \"1");
    let plan = t.plan().run().code(1);
    for account in ["payments-prod", "checkout-dev"] {
        plan.stderr_has(&format!(
            "repos/{account}/: the working tree has uncommitted changes"
        ));
    }
    plan.stdout_has("update risk-batch-prod");
    plan.stdout_has("2 refused (apply would fail on them)");
    let apply = t.apply().run().code(1);
    apply.stdout_has("updated    repos/risk-batch-prod");
    apply.stdout_has("2 failed");
}
