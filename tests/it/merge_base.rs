//! The merge base lives on the generator branch `eksvend/generated/<branch>`: a person's edit
//! keeps merging with every later generator change — after clean merges, `--on-conflict keep`,
//! resolved markers, and on a fresh clone of the pushed remote (issue 10).

use crate::support::{git_in, quota_conflict, Test};

const TENANT: &str = "repos/payments-prod/tenants/payments/tenant.yaml";
const INVENTORY: &str = "fleet/accounts/payments-prod.yaml";

/// A person's edit far from the quota: the LimitRange's default CPU request.
fn edit_limit(t: &Test, file: &str) {
    t.edit(file, "        cpu: \"100m\"\n", "        cpu: \"200m\"\n");
}

/// The generator changes payments' CPU quota from `from` to `to` (the inventory's value).
fn cpu_quota(t: &Test, from: &str, to: &str) {
    t.edit(
        INVENTORY,
        &format!("cpu: \"{from}\""),
        &format!("cpu: \"{to}\""),
    );
}

/// The generator changes payments' pod quota (far enough from the CPU line to merge).
fn pod_quota(t: &Test, from: u32, to: u32) {
    t.edit(INVENTORY, &format!("pods: {from}"), &format!("pods: {to}"));
}

/// `-v`: every kept and merged file is listed.
fn apply_payments(t: &Test) -> crate::support::Output {
    t.apply()
        .args(["-v", "--only", "account=payments-prod"])
        .success()
}

const MERGED: &str =
    "  merged payments-prod: tenants/payments/tenant.yaml: edited by a person and changed by the generator: merged";

/// On the old code the second round was a whole-file conflict ("the previous rendering is not
/// in the repository"): the merged file's pure rendering was recorded but never written.
#[test]
fn three_generator_changes_merge_with_an_edit_every_time() {
    let t = Test::new();
    apply_payments(&t);
    edit_limit(&t, TENANT);
    t.repo("payments-prod").commit_all("bigger default limit");
    for (from, to) in [("64", "96"), ("96", "97"), ("97", "98")] {
        cpu_quota(&t, from, to);
        apply_payments(&t).stdout_has(MERGED);
        let text = t.repo("payments-prod").file("tenants/payments/tenant.yaml");
        assert!(text.contains(&format!("requests.cpu: \"{to}\"")), "{text}");
        assert!(
            text.contains("        cpu: \"200m\"\n"),
            "the edit survives:\n{text}"
        );
    }
    let repo = t.repo("payments-prod");
    assert_eq!(repo.status(), "");
    repo.fsck();
    // the bases survive garbage collection: they are reachable from the generator branch
    repo.git(&["gc", "-q", "--prune=now"]);
    pod_quota(&t, 500, 600);
    apply_payments(&t).stdout_has(MERGED);
}

/// After `--on-conflict keep` the person's version stands; the next generator change to
/// another line of the same file merges (old code: whole-file conflict).
#[test]
fn an_edit_kept_by_on_conflict_keep_merges_next_time() {
    let t = Test::new();
    quota_conflict(&t);
    t.apply()
        .args(["--only", "account=payments-prod", "--on-conflict", "keep"])
        .success();
    for (from, to) in [(500, 600), (600, 700)] {
        pod_quota(&t, from, to);
        apply_payments(&t).stdout_has(MERGED);
        let text = t.repo("payments-prod").file("tenants/payments/tenant.yaml");
        assert!(text.contains("requests.cpu: \"80\""), "{text}");
        assert!(text.contains(&format!("pods: \"{to}\"")), "{text}");
    }
}

/// Markers are diff3 style (the base between the sides); once resolved and committed, the
/// next generator change merges (old code: whole-file conflict).
#[test]
fn resolved_markers_merge_next_time() {
    let t = Test::new();
    quota_conflict(&t);
    t.apply()
        .args([
            "--only",
            "account=payments-prod",
            "--on-conflict",
            "markers",
        ])
        .run()
        .code(3);
    let text = t.read(TENANT);
    let conflict = "<<<<<<< yours\n    requests.cpu: \"80\"\n||||||| eksvend (previous)\n    requests.cpu: \"64\"\n=======\n    requests.cpu: \"96\"\n>>>>>>> eksvend (new)\n";
    assert!(text.contains(conflict), "{text}");
    t.file(
        TENANT,
        &text.replace(conflict, "    requests.cpu: \"80\"\n"),
    );
    t.repo("payments-prod").commit_all("resolved");
    // no file changes; an empty commit records the trailers the person's commit lacks
    apply_payments(&t).stdout_has("updated    repos/payments-prod  0 files changed");
    apply_payments(&t).stdout_has("unchanged  repos/payments-prod");
    pod_quota(&t, 500, 600);
    apply_payments(&t).stdout_has(MERGED);
    let text = t.repo("payments-prod").file("tenants/payments/tenant.yaml");
    assert!(
        text.contains("requests.cpu: \"80\"") && text.contains("pods: \"600\""),
        "{text}"
    );
}

/// The base travels with the pushed remote: a fresh machine (no local repository) after a
/// person pushed an edit and one merge happened still merges the next change (old code: the
/// base blob was in no pushed commit, a whole-file conflict).
#[test]
fn the_base_survives_a_clone_of_the_pushed_remote() {
    let t = Test::new();
    let bare = t.file_remotes(&["payments-prod"]).remove(0);
    let push = || {
        t.apply()
            .args(["-v", "--only", "account=payments-prod", "--push"])
            .success()
    };
    push();
    // a person clones, edits and pushes
    git_in(
        &t.path(""),
        &["clone", "-q", bare.to_str().unwrap(), "work"],
    );
    edit_limit(&t, "work/tenants/payments/tenant.yaml");
    let work = crate::support::Repo::open(&t.path("work"));
    work.commit_all("bigger default limit");
    work.git(&["push", "-q", "origin", "main"]);
    for (from, to) in [("64", "96"), ("96", "97")] {
        // every round on a fresh machine
        std::fs::remove_dir_all(t.path("repos")).unwrap();
        cpu_quota(&t, from, to);
        push().stdout_has(MERGED);
    }
    work.git(&["pull", "-q", "--ff-only"]);
    let text = t.read("work/tenants/payments/tenant.yaml");
    assert!(
        text.contains("requests.cpu: \"97\"") && text.contains("        cpu: \"200m\"\n"),
        "{text}"
    );
    // and a plain clone holds the generator branch
    git_in(
        &t.path(""),
        &["clone", "-q", bare.to_str().unwrap(), "second"],
    );
    git_in(
        &t.path("second"),
        &[
            "rev-parse",
            "-q",
            "--verify",
            "origin/eksvend/generated/main",
        ],
    );
    crate::support::Repo::open(&bare).fsck();
}

/// The generator branches are eksvend's own: `--branch` cannot name one.
#[test]
fn branch_cannot_be_a_generator_branch() {
    let t = Test::new();
    let out = t
        .apply()
        .args(["--branch", "eksvend/generated/main"])
        .run()
        .code(1);
    out.stderr_has("error: --branch \"eksvend/generated/main\": `eksvend/generated/main` is where eksvend keeps its own renderings (the merge bases); choose another branch name");
    assert!(!t.exists("repos/payments-prod"));
}
