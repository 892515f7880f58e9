//! What eksvend says (issue 15, point 4): the catalog `blueprints` shows follows `-f`; kept
//! edits are information, listed with `-v`; a conflict is followed by the commands that
//! resolve it; `--repos` problems in words, and its default beside the inventory; the JSON
//! plan carries the warnings.

use crate::support::example::{quota_conflict, with_general_1_1};
use crate::support::Test;

#[test]
fn blueprints_list_and_show_use_the_fleets_catalog_with_f() {
    let t = with_general_1_1();
    t.edit(
        "fleet/fleet.yaml",
        "spec:\n",
        "spec:\n  blueprints: [../custom]\n",
    );
    let builtin = t.args(["blueprints", "list"]).success().stdout;
    assert!(!builtin.contains("2.1.0"), "{builtin}");
    let out = t.args(["blueprints", "list", "-f", "fleet"]).success();
    insta::assert_snapshot!(out.stdout, @r"
    NAME     VERSION   DESCRIPTION
    aiml     2.0.0     AI/ML cluster with NVIDIA GPU pools, the NVIDIA device plugin, Kueue job queueing and optional FSx for Lustre
    batch    2.0.0     Batch cluster with spot-first Karpenter pools, Kueue job queueing and priority classes
    general  2.0.0     General-purpose cluster with Karpenter on-demand and spot pools, load balancing and metrics
    general  2.1.0     General-purpose cluster, node images pinned
    ");
    let out = t
        .args(["blueprints", "show", "general", "-f", "fleet"])
        .success();
    assert!(
        out.stdout
            .starts_with("general@2.1.0  General-purpose cluster, node images pinned\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn kept_edits_are_information_listed_with_v() {
    let t = Test::new();
    t.args(["apply", "--only", "account=payments-prod"])
        .success();
    t.edit(
        "repos/payments-prod/README.md",
        "## Editing",
        "## Editing (read this first)",
    );
    t.repo("payments-prod").commit_all("README: a note");
    let out = t
        .args(["apply", "--only", "account=payments-prod"])
        .success();
    assert!(
        !out.stderr.contains("kept"),
        "not a warning: {}",
        out.stderr
    );
    insta::assert_snapshot!(out.stdout, @r"
    unchanged  repos/payments-prod
      payments-prod: kept 1 edited file (-v lists them)
    0 created, 0 updated, 1 unchanged, 0 conflict, 0 failed
    ");
    let out = t
        .args(["apply", "-v", "--only", "account=payments-prod"])
        .success();
    out.stdout_has(
        "  kept   payments-prod: README.md: edited by a person; the generator's output is unchanged",
    );
}

#[test]
fn a_conflict_is_followed_by_the_commands_that_resolve_it() {
    let t = Test::new();
    quota_conflict(&t);
    let out = t
        .args(["apply", "-q", "--only", "account=payments-prod"])
        .run()
        .code(3);
    insta::assert_snapshot!(out.stderr, @r#"
    conflict: payments-prod: tenants/payments/tenant.yaml: edited by a person and changed by the generator
      <<<<<<< yours
          requests.cpu: "80"
      =======
          requests.cpu: "96"
      >>>>>>> eksvend (new)
    to resolve tenants/payments/tenant.yaml, one of:
      eksvend apply -f fleet --only account=payments-prod --on-conflict keep        # keep the version in the repository
      eksvend apply -f fleet --only account=payments-prod --on-conflict overwrite   # take the new rendering
      eksvend apply -f fleet --only account=payments-prod --on-conflict markers     # merge by hand: conflict markers in repos/payments-prod; edit, commit, apply again
    "#);
    // plan names the same commands before anything is applied
    let plan = t
        .args(["plan", "-q", "--only", "account=payments-prod"])
        .run()
        .code(3);
    for line in out.stderr.lines().filter(|l| l.contains("eksvend apply")) {
        plan.stderr_has(line);
    }
    // the first command it names resolves it
    t.args([
        "apply",
        "-f",
        "fleet",
        "--only",
        "account=payments-prod",
        "--on-conflict",
        "keep",
    ])
    .success();
}

#[test]
fn repos_that_is_a_file_is_refused_in_words() {
    let t = Test::new();
    t.file("repos.txt", "not a folder\n");
    for cmd in ["plan", "apply"] {
        let out = t.args([cmd, "-q", "--repos", "repos.txt"]).run().code(1);
        insta::allow_duplicates! {
            insta::assert_snapshot!(out.stderr, @"error: --repos repos.txt: is a file, not a folder; --repos names the folder that holds one git repository per account (`<folder>/<account>/`): pass a folder, or move the file away");
        }
    }
}

#[test]
fn repos_defaults_to_beside_the_inventory() {
    let t = Test::new();
    std::fs::create_dir_all(t.path("acme")).unwrap();
    std::fs::rename(t.path("fleet"), t.path("acme/fleet")).unwrap();
    t.args([
        "apply",
        "-f",
        "acme/fleet",
        "--only",
        "account=checkout-dev",
    ])
    .success()
    .stdout_has("created    acme/repos/checkout-dev");
    assert!(!t.exists("repos"), "nothing in the current directory");
    t.args(["plan", "-f", "acme/fleet", "--only", "account=checkout-dev"])
        .success()
        .stdout_has("unchanged checkout-dev");
}

#[test]
fn the_json_plan_carries_the_warnings() {
    let t = Test::new();
    let out = t
        .args(["plan", "--format", "json", "--only", "account=checkout-dev"])
        .success();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    insta::assert_snapshot!(serde_json::to_string_pretty(&plan["warnings"]).unwrap(), @r#"
    [
      {
        "message": "spec.cluster.oidcIssuer is not set: the IRSA trust policies of 1 service account(s) are pending; eksctl creates those roles (iam.serviceAccounts) until you set it",
        "accounts": [
          "checkout-dev"
        ]
      }
    ]
    "#);
}
