//! Which files the inventory is, wherever it lives: vended repositories, `render --out`
//! folders and `.git` below it are skipped; symlinked files are followed inside it and refused
//! when they leave it. And `render --out` writes only into a folder of its own.

use std::os::unix::fs::symlink;

use crate::support::Test;

/// Before: `eksvend init .` then its own next step `apply -f . --repos repos` read every YAML of
/// the vended repositories as inventory (25 errors).
#[test]
fn repositories_below_the_inventory_are_not_inventory() {
    let t = Test::new();
    t.args(["apply", "-f", "fleet", "--repos", "fleet/repos"])
        .success();
    let again = t
        .args(["apply", "-f", "fleet", "--repos", "fleet/repos"])
        .success();
    again.stdout_has("0 created");
    t.args(["validate", "-f", "fleet"]).success();
}

/// Before: `render --out fleet/out` made the next load read the rendered files.
#[test]
fn render_out_folders_below_the_inventory_are_not_inventory() {
    let t = Test::new();
    t.render("fleet/out").success();
    t.render("fleet/out").success();
    t.validate().success();
}

#[test]
fn a_git_folder_below_the_inventory_is_not_inventory() {
    let t = Test::new();
    t.file("fleet/team/.git/config.yaml", "not: inventory\n");
    t.file("fleet/team/.git/x/HEAD.yml", "[\n");
    t.validate().success();
}

/// Before: a symlinked inventory file was silently skipped and its account never vended.
#[test]
fn a_symlinked_file_inside_the_inventory_is_followed() {
    let t = Test::new();
    std::fs::create_dir(t.path("fleet/shared")).unwrap();
    std::fs::rename(
        t.path("fleet/accounts/payments-prod.yaml"),
        t.path("fleet/shared/payments.txt"),
    )
    .unwrap();
    symlink(
        "../shared/payments.txt",
        t.path("fleet/accounts/payments-prod.yaml"),
    )
    .unwrap();
    t.validate().success().stdout_has("5 accounts");
}

#[test]
fn a_symlink_to_a_file_loaded_anyway_adds_nothing() {
    let t = Test::new();
    symlink(
        "payments-prod.yaml",
        t.path("fleet/accounts/payments-again.yaml"),
    )
    .unwrap();
    t.validate().success().stdout_has("5 accounts");
}

#[test]
fn symlinks_that_leave_dangle_or_name_a_folder_are_refused() {
    let t = Test::new();
    t.file("outside/extra.yaml", "apiVersion: x\n");
    symlink(
        "../../outside/extra.yaml",
        t.path("fleet/accounts/extra.yaml"),
    )
    .unwrap();
    symlink("missing.yaml", t.path("fleet/accounts/dangling.yaml")).unwrap();
    symlink("loop.yaml", t.path("fleet/accounts/loop.yaml")).unwrap();
    symlink("..", t.path("fleet/accounts/up")).unwrap();
    let out = t.validate().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    error: fleet/accounts/dangling.yaml: a symlink that cannot be followed (No such file or directory (os error 2)); point it at an inventory file or remove it
    error: fleet/accounts/extra.yaml: a symlink to [TEMP]/outside/extra.yaml, outside the inventory folder [TEMP]/fleet; eksvend follows symlinks only inside it (copy the file in instead)
    error: fleet/accounts/loop.yaml: a symlink that cannot be followed (Too many levels of symbolic links (os error 40)); point it at an inventory file or remove it
    error: fleet/accounts/up: a symlink to a folder; eksvend does not follow folder symlinks in the inventory (they can loop); link the files, or move the folder
    4 errors found; nothing was written
    "#);
}

/// Before: `render --out repos` replaced the vended repositories (`.git`, history and a person's
/// committed file), exit 0.
#[test]
fn render_out_refuses_the_repos_folder_and_never_removes_a_git() {
    let t = Test::new();
    t.apply().success();
    let before = t.tree("repos");
    let out = t.render("repos").run().code(1);
    insta::assert_snapshot!(out.stderr, @"error: repos: holds files that `eksvend render` did not write (checkout-dev, ml-research-dev, payments-prod, …); it writes only into a new or empty folder, or one it wrote before (it holds .eksvend-render); pass another --out, or use `eksvend apply --repos` for repositories; nothing was written");
    assert_eq!(t.tree("repos"), before, "the repositories are untouched");

    // even in a folder render wrote, an account folder that became a repository is kept
    t.render("out").success();
    t.file("out/payments-prod/.git/HEAD", "ref: refs/heads/main\n");
    let out = t.render("out").run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    warning: checkout-dev: spec.cluster.oidcIssuer is not set: the IRSA trust policies of 1 service account(s) are pending; eksctl creates those roles (iam.serviceAccounts) until you set it
    warning: payments-prod: the trust policy of target role arn:aws:iam::555566667777:role/fx-rates-reader for payments/fx-rates is pending: the external ID of the Pod Identity association payments/fx-rates is known once EKS creates it; record it in spec.tenants[].serviceAccounts[].externalIds of WorkloadAccount payments-prod
    error: out/payments-prod: holds a .git: `render --out` never replaces a repository; use `eksvend apply --repos` for repositories, or pass another --out; nothing was written
    "#);
    assert!(t.exists("out/payments-prod/.git/HEAD"));
}

#[test]
fn render_out_refuses_a_folder_holding_other_files() {
    let t = Test::new();
    t.file("out/notes.md", "mine\n");
    let out = t.render("out").run().code(1);
    insta::assert_snapshot!(out.stderr, @"error: out: holds files that `eksvend render` did not write (notes.md); it writes only into a new or empty folder, or one it wrote before (it holds .eksvend-render); pass another --out, or use `eksvend apply --repos` for repositories; nothing was written");
    assert_eq!(t.read("out/notes.md"), "mine\n");
    assert!(!t.exists("out/payments-prod"));
    t.file("file", "x");
    t.render("file").run().code(1).stderr_has("is not a folder");
}

#[test]
fn render_out_rewrites_its_own_folder() {
    let t = Test::new();
    t.render("out").success();
    assert!(t.exists("out/.eksvend-render"));
    t.file("out/payments-prod/stale.yaml", "x: 1\n");
    t.render("out").success();
    assert!(!t.exists("out/payments-prod/stale.yaml"));
    assert!(t.exists("out/payments-prod/README.md"));
}

/// The issue's exact path: `eksvend init .`, then the step it prints, twice.
#[test]
fn init_dot_then_its_own_next_step_twice() {
    let t = Test::empty();
    t.args(["init", "."]).success();
    for _ in 0..2 {
        t.args(["apply", "-f", ".", "--repos", "repos"]).success();
    }
    t.args(["validate", "-f", "."]).success();
}
