//! Truthful outcomes: the worktree and the branch both move or neither does, and a person's
//! staged change is never taken for an interrupted eksvend update (issue 10).

use crate::support::{raise_payments_quota, Test};

fn apply_payments(t: &Test) -> crate::support::Output {
    t.apply().args(["--only", "account=payments-prod"]).run()
}

/// Old code: "unchanged", and the staged file was reset to HEAD (the interrupted-update
/// recovery took any file holding HEAD's parent's content for an interrupted update).
#[test]
fn a_staged_revert_of_a_generated_file_is_refused_as_dirty() {
    let t = Test::new();
    t.apply().success();
    raise_payments_quota(&t);
    t.apply().success();
    let file = "tenants/payments/tenant.yaml";
    t.git("repos/payments-prod", &["checkout", "HEAD~1", "--", file]);
    let head = t.repo("payments-prod").head();
    let out = apply_payments(&t).code(1);
    out.stderr_has(file);
    assert_eq!(t.repo("payments-prod").head(), head);
    assert_eq!(t.repo("payments-prod").status(), format!("M  {file}\n"));
    assert!(t
        .read(&format!("repos/payments-prod/{file}"))
        .contains("requests.cpu: \"64\""));
}

/// Writing the worktree fails (here: a folder stands where the temporary file goes, which
/// no permission check lets through): the branch is put back and the worktree with it, so
/// "failed … nothing written" is true. Old code: the branch moved, the worktree half-updated,
/// and the next run said "unchanged".
#[test]
fn a_failed_worktree_write_moves_neither_branch_nor_worktree() {
    let t = Test::new();
    t.apply().success();
    let blocker = "repos/payments-prod/tenants/payments/.tenant.yaml.eksvend-tmp";
    std::fs::create_dir_all(t.path(blocker)).unwrap();
    raise_payments_quota(&t);
    let head = t.repo("payments-prod").head();
    let out = apply_payments(&t).code(1);
    out.stdout_has("failed     repos/payments-prod  nothing written");
    assert_eq!(
        t.repo("payments-prod").head(),
        head,
        "the branch did not move"
    );
    assert_eq!(
        t.repo("payments-prod").status(),
        "",
        "the worktree did not move"
    );
    assert!(!t.exists("repos/payments-prod/.git/eksvend-update"));
    std::fs::remove_dir(t.path(blocker)).unwrap();
    apply_payments(&t)
        .code(0)
        .stdout_has("updated    repos/payments-prod");
}

/// A person's committed file `tenants/newns` where a new tenant's folder goes is a conflict
/// naming it. Old code: exit 1 "nothing written" while the commit landed and deleted the file.
#[test]
fn a_committed_file_where_a_new_folder_goes_is_a_conflict() {
    let t = Test::new();
    t.apply().success();
    t.file("repos/checkout-dev/tenants/newns", "ours\n");
    t.repo("checkout-dev").commit_all("a note");
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "    - namespace: checkout-jobs\n",
        "    - namespace: newns\n    - namespace: checkout-jobs\n",
    );
    let head = t.repo("checkout-dev").head();
    let out = t
        .apply()
        .args(["--only", "account=checkout-dev"])
        .run()
        .code(3);
    out.stderr_has("`tenants/newns` is a file on the branch where eksvend needs a folder");
    assert_eq!(t.repo("checkout-dev").head(), head);
    assert_eq!(t.repo("checkout-dev").file("tenants/newns"), "ours\n");
    assert_eq!(t.repo("checkout-dev").status(), "");
}

/// A run killed after moving the branch and before writing the worktree leaves its record; a
/// person then edits a file that update changed. The next run finishes the update for every
/// other path and refuses the edited one as an uncommitted change, the edit kept. Old code:
/// the recovery force-checked-out HEAD and overwrote the edit.
#[test]
fn finishing_an_interrupted_update_keeps_an_edit_made_after_the_kill() {
    let t = Test::new();
    t.apply().success();
    let old = t.repo("payments-prod").head();
    raise_payments_quota(&t);
    apply_payments(&t).code(0);
    let new = t.repo("payments-prod").head();
    let repo = "repos/payments-prod";
    // the state a kill leaves: branch at the new commit, worktree and index at the old one
    t.git(repo, &["read-tree", "--reset", "-u", &old]);
    t.file(
        &format!("{repo}/.git/eksvend-update"),
        &format!("branch refs/heads/main\nold {old}\nnew {new}\n"),
    );
    let file = "tenants/payments/tenant.yaml";
    t.edit(
        &format!("{repo}/{file}"),
        "requests.cpu: \"64\"",
        "requests.cpu: \"72\"",
    );
    let out = apply_payments(&t).code(1);
    out.stderr_has(file);
    assert!(t
        .read(&format!("{repo}/{file}"))
        .contains("requests.cpu: \"72\""));
    assert_eq!(t.repo("payments-prod").head(), new);
    assert_eq!(
        t.repo("payments-prod").status(),
        format!(" M {file}\n"),
        "every other path the update changed was finished"
    );
    assert!(!t.exists(&format!("{repo}/.git/eksvend-update")));
}
