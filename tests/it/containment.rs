//! Writes never leave the repository, and untracked content is never destroyed: symlinks,
//! submodules and untracked files at managed paths are conflicts in every `--on-conflict` mode
//! (issue 10). A sentinel folder `outside/` beside the repositories stays byte-identical.

use std::os::unix::fs::symlink;

use crate::support::{raise_payments_quota, Test};

const POLICIES: [&str; 4] = ["fail", "keep", "overwrite", "markers"];

/// The inventory gives payments a new service account: files under `iam/payments/audit/`.
fn add_service_account(t: &Test) {
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "        - name: statements-exporter\n",
        "        - name: audit\n          statements:\n            - Effect: Allow\n              Action: [s3:GetObject]\n              Resource: [arn:aws:s3:::acme-audit/*]\n        - name: statements-exporter\n",
    );
}

fn sentinel(t: &Test) {
    t.file("outside/keep.txt", "sentinel\n");
}

fn apply_with(t: &Test, policy: &str) -> crate::support::Output {
    t.apply()
        .args(["--only", "account=payments-prod", "--on-conflict", policy])
        .run()
}

/// Old code: exit 0, `role.json` and `trust-policy.json` written into `outside/`, the
/// symlink dropped from the commit.
#[test]
fn a_committed_directory_symlink_is_a_conflict_in_every_mode() {
    let t = Test::new();
    t.apply().success();
    sentinel(&t);
    std::fs::remove_dir_all(t.path("repos/payments-prod/iam/payments")).unwrap();
    symlink(
        "../../../outside",
        t.path("repos/payments-prod/iam/payments"),
    )
    .unwrap();
    t.repo("payments-prod").commit_all("our own iam folder");
    add_service_account(&t);
    let (head, outside) = (t.repo("payments-prod").head(), t.tree("outside"));
    for policy in POLICIES {
        let out = apply_with(&t, policy).code(3);
        out.stderr_has("conflict: payments-prod: iam/payments/audit/role.json: `iam/payments` is a symbolic link on the branch; eksvend never writes through one");
        assert_eq!(
            t.tree("outside"),
            outside,
            "{policy}: nothing written outside"
        );
        assert_eq!(t.repo("payments-prod").head(), head, "{policy}");
        if policy != "markers" {
            assert_eq!(t.repo("payments-prod").status(), "", "{policy}");
        }
    }
}

/// Old code: the conflict markers were written through the symlink into `outside/`.
#[test]
fn markers_never_write_through_a_committed_file_symlink() {
    let t = Test::new();
    t.apply().success();
    let file = "repos/payments-prod/tenants/payments/tenant.yaml";
    t.file(
        "outside/tenant.yaml",
        &t.read(file).replace("\"64\"", "\"80\""),
    );
    std::fs::remove_file(t.path(file)).unwrap();
    symlink("../../../../outside/tenant.yaml", t.path(file)).unwrap();
    t.repo("payments-prod")
        .commit_all("the tenant lives elsewhere");
    raise_payments_quota(&t);
    let outside = t.tree("outside");
    for policy in POLICIES {
        let out = apply_with(&t, policy).code(3);
        out.stderr_has("conflict: payments-prod: tenants/payments/tenant.yaml: `tenants/payments/tenant.yaml` is a symbolic link on the branch; eksvend never writes through one");
        assert_eq!(
            t.tree("outside"),
            outside,
            "{policy}: nothing written outside"
        );
    }
}

/// Old code: `markers` replaced the untracked file with the rendering, `overwrite` silently.
#[test]
fn an_untracked_file_at_a_generated_path_survives_every_mode() {
    let t = Test::new();
    t.apply().success();
    add_service_account(&t);
    let file = "repos/payments-prod/iam/payments/audit/role.json";
    t.file(file, "mine\n");
    for policy in POLICIES {
        let out = apply_with(&t, policy).code(3);
        out.stderr_has("conflict: payments-prod: iam/payments/audit/role.json: an untracked file of the same name exists in the working tree");
        assert_eq!(t.read(file), "mine\n", "{policy}");
    }
}

/// Old code: the submodule was dropped from the commit and files written into its checkout.
#[test]
fn a_committed_submodule_at_a_generated_path_is_a_conflict() {
    let t = Test::new();
    t.apply().success();
    let sub = "repos/payments-prod/iam/payments";
    std::fs::remove_dir_all(t.path(sub)).unwrap();
    t.file(&format!("{sub}/ours.txt"), "ours\n");
    t.git(sub, &["init", "-q", "-b", "main"]);
    crate::support::Repo::open(&t.path(sub)).commit_all("our iam");
    t.git(
        "repos/payments-prod",
        &["rm", "-r", "-q", "--cached", "iam/payments"],
    );
    t.git("repos/payments-prod", &["add", "iam/payments"]);
    t.git(
        "repos/payments-prod",
        &["commit", "-qm", "iam as a submodule"],
    );
    add_service_account(&t);
    let (head, inside) = (t.repo("payments-prod").head(), t.tree(sub));
    for policy in POLICIES {
        let out = apply_with(&t, policy).code(3);
        out.stderr_has("conflict: payments-prod: iam/payments/audit/role.json: `iam/payments` is a submodule on the branch; eksvend never writes into one");
        assert_eq!(
            t.tree(sub),
            inside,
            "{policy}: nothing written into the submodule"
        );
        assert_eq!(t.repo("payments-prod").head(), head, "{policy}");
    }
}
