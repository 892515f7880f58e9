//! Regeneration that never loses an edit: merges, deletions, conflict policies, safety.

use crate::support::{quota_conflict, raise_payments_quota, with_general_1_1, Repo, Test};

#[test]
fn a_persons_edit_is_merged_with_a_blueprint_change() {
    let t = with_general_1_1();
    t.apply().success();
    let file = "repos/payments-prod/platform/karpenter/ec2nodeclass.yaml";
    t.edit(file, "volumeSize: 100Gi", "volumeSize: 200Gi");
    t.repo("payments-prod").commit_all("bigger root volumes");
    let apply = || {
        t.apply()
            .args(["--blueprints", "custom", "--only", "account=payments-prod"])
            .success()
    };
    let out = apply();
    out.stdout_has("  payments-prod: merged 1 edited file (-v lists them)");
    assert!(
        !out.stderr.contains("kept"),
        "kept edits are no warnings: {}",
        out.stderr
    );
    let repo = t.repo("payments-prod");
    let merged = repo.file("platform/karpenter/ec2nodeclass.yaml");
    assert!(
        merged.contains("volumeSize: 200Gi"),
        "the person's edit survives:\n{merged}"
    );
    assert!(
        merged.contains("alias: \"al2023@v20261001\""),
        "the blueprint change lands:\n{merged}"
    );
    assert_eq!(repo.status(), "");
    // and the next run keeps the merged file as it is
    let again = apply();
    again.stdout_has("unchanged  repos/payments-prod");
}

#[test]
fn a_persons_edit_is_merged_with_an_inventory_change_and_own_files_are_untouched() {
    let t = Test::new();
    t.apply().success();
    let readme = "repos/payments-prod/README.md";
    t.file(
        readme,
        &format!("{}\n## On-call\n\n#payments-oncall\n", t.read(readme)),
    )
    .file("repos/payments-prod/RUNBOOK.md", "our runbook\n")
    .file(
        "repos/payments-prod/tenants/payments/extra/cm.yaml",
        "ours: true\n",
    );
    t.repo("payments-prod").commit_all("team additions");
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "      - name: security-baseline",
        "      - name: fraud-models\n        team: application\n        url: https://git.acme.example/payments/fraud.git\n        path: deploy\n        namespaces: [payments]\n      - name: security-baseline",
    );
    t.apply().success();
    let repo = t.repo("payments-prod");
    let merged = repo.file("README.md");
    assert!(merged.contains("#payments-oncall"), "{merged}");
    assert!(
        merged.contains("`fraud-models` (team `application`)"),
        "{merged}"
    );
    assert_eq!(repo.file("RUNBOOK.md"), "our runbook\n");
    assert_eq!(repo.file("tenants/payments/extra/cm.yaml"), "ours: true\n");
}

#[test]
fn a_removed_tenants_untouched_files_are_deleted_edited_ones_kept() {
    let t = Test::new();
    t.apply().success();
    let kustomization = "tenants/checkout-jobs/kustomization.yaml";
    let path = format!("repos/checkout-dev/{kustomization}");
    t.file(&path, &format!("{}# keep me\n", t.read(&path)));
    t.repo("checkout-dev").commit_all("note");
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "    - namespace: checkout-jobs\n",
        "",
    )
    .edit(
        "fleet/accounts/checkout-dev.yaml",
        "namespaces: [checkout, checkout-jobs]",
        "namespaces: [checkout]",
    );
    let out = t.apply().args(["-v"]).success();
    let files = t.repo("checkout-dev").files();
    assert!(
        !files.contains_key("tenants/checkout-jobs/tenant.yaml"),
        "untouched generated file deleted"
    );
    assert!(
        files.contains_key(kustomization),
        "edited generated file kept"
    );
    out.stdout_has("  kept   checkout-dev: tenants/checkout-jobs/kustomization.yaml: no longer generated, but edited");
}

#[test]
fn conflicts_report_hunks_and_change_nothing() {
    let t = Test::new();
    let file = quota_conflict(&t);
    let before = t.repo("payments-prod").head();
    let out = t.apply().run().code(3);
    for expect in ["conflict: payments-prod: tenants/payments/tenant.yaml: edited by a person and changed by the generator", "<<<<<<< yours", "requests.cpu: \"80\"", "requests.cpu: \"96\"", ">>>>>>> eksvend (new)"] {
        out.stderr_has(expect);
    }
    assert_eq!(t.repo("payments-prod").head(), before);
    assert!(t.read(&file).contains("requests.cpu: \"80\""));
}

#[test]
fn on_conflict_keep_overwrite_and_markers() {
    for (policy, code, expect_cpu, committed) in [
        ("keep", 0, "requests.cpu: \"80\"", true),
        ("overwrite", 0, "requests.cpu: \"96\"", true),
        ("markers", 3, "<<<<<<< yours", false),
    ] {
        let t = Test::new();
        let file = quota_conflict(&t);
        let before = t.repo("payments-prod").head();
        t.apply().args(["--on-conflict", policy]).run().code(code);
        let text = t.read(&file);
        assert!(text.contains(expect_cpu), "{policy}:\n{text}");
        assert_eq!(
            t.repo("payments-prod").head() != before,
            committed,
            "{policy}"
        );
        if policy == "markers" {
            let status = t.repo("payments-prod").status();
            assert!(
                status.contains(" M tenants/payments/tenant.yaml")
                    && status.contains(" M .eksvend/state.yaml"),
                "{status}"
            );
            // the person resolves and commits; the next run is clean
            let resolved = text
                .replace("<<<<<<< yours\n", "")
                .replace(
                    "    requests.cpu: \"80\"\n||||||| eksvend (previous)\n    requests.cpu: \"64\"\n=======\n",
                    "",
                )
                .replace(">>>>>>> eksvend (new)\n", "");
            t.file(&file, &resolved);
            t.repo("payments-prod").commit_all("resolved");
            // the person's commit has no trailers: an empty commit records them
            t.apply()
                .success()
                .stdout_has("updated    repos/payments-prod  0 files changed");
        }
        // then the next run has nothing to do
        t.apply()
            .success()
            .stdout_has("unchanged  repos/payments-prod");
    }
}

#[test]
fn a_concurrent_run_is_stopped_by_the_lock() {
    let t = Test::new();
    // pid 1 always runs, so the lock is held, not stale
    t.file("repos/.eksvend.lock", "1\n");
    let out = t.apply().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    warning: checkout-dev: spec.cluster.oidcIssuer is not set: the IRSA trust policies of 1 service account(s) are pending; eksctl creates those roles (iam.serviceAccounts) until you set it
    warning: payments-prod: the trust policy of target role arn:aws:iam::555566667777:role/fx-rates-reader for payments/fx-rates is pending: the external ID of the Pod Identity association payments/fx-rates is known once EKS creates it; record it in spec.tenants[].serviceAccounts[].externalIds of WorkloadAccount payments-prod
    error: repos: another eksvend run (pid 1) is writing to these repositories; wait for it to finish (if no eksvend is running, delete repos/.eksvend.lock)
    "#);
    assert!(!t.exists("repos/payments-prod"));
    std::fs::remove_file(t.path("repos/.eksvend.lock")).unwrap();
    t.apply().success();
    assert!(!t.exists("repos/.eksvend.lock"), "released");
}

/// The lock a killed run left: it names a pid that no longer runs (a child that has exited).
fn stale_lock(t: &Test) {
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    t.file("repos/.eksvend.lock", &format!("{}\n", gone.id()));
}

#[test]
fn a_stale_lock_of_a_killed_run_is_taken_over() {
    let t = Test::new();
    stale_lock(&t);
    t.apply().success();
    assert!(!t.exists("repos/.eksvend.lock"), "released");
}

/// A run killed between writing a worktree file's temporary copy and renaming it leaves
/// `.NAME.eksvend-tmp` behind (here: after the branch moved, so the next run finds the repository
/// unchanged); the next run must not leave it in the worktree (a person's
/// `git add -A` would commit it). Found by `a_killed_apply_never_leaves_a_broken_repository`.
#[test]
fn a_killed_writes_temporary_file_is_cleaned_up() {
    let t = Test::new();
    t.apply().success();
    t.file(
        "repos/payments-prod/.eksvend/.state.yaml.eksvend-tmp",
        "partial",
    );
    stale_lock(&t);
    t.apply()
        .success()
        .stdout_has("unchanged  repos/payments-prod");
    assert_eq!(t.repo("payments-prod").status(), "");
}

#[test]
fn bare_repositories_work() {
    let t = Test::new();
    std::fs::create_dir_all(t.path("repos")).unwrap();
    t.git(
        "repos",
        &["init", "-q", "--bare", "-b", "main", "payments-prod"],
    );
    let apply = || {
        t.apply()
            .args(["--only", "account=payments-prod"])
            .success()
    };
    apply();
    let repo = t.repo("payments-prod");
    assert!(repo.files_at("main").contains_key("cluster/cluster.yaml"));
    repo.fsck();
    apply().stdout_has("unchanged  repos/payments-prod");
}

#[test]
fn branch_for_pull_requests() {
    let t = Test::new();
    t.apply().success();
    let main = t.repo("payments-prod").head();
    raise_payments_quota(&t);
    let apply = || {
        t.apply()
            .args([
                "--only",
                "account=payments-prod",
                "--branch",
                "eksvend/quota-bump",
            ])
            .success()
    };
    apply();
    let repo = t.repo("payments-prod");
    assert_eq!(repo.head(), main, "main (checked out) did not move");
    assert_eq!(
        repo.rev("eksvend/quota-bump^"),
        main,
        "the branch starts at main"
    );
    assert!(
        repo.files_at("eksvend/quota-bump")["tenants/payments/tenant.yaml"]
            .contains("requests.cpu: \"96\"")
    );
    assert_eq!(repo.status(), "");
    // a second run updates the existing branch (here: nothing to do)
    let again = apply();
    again.stdout_has("unchanged");
}

/// The accounts the killed-apply test changes, with their CPU quota in the example.
const KILLED: [(&str, u32); 3] = [
    ("payments-prod", 64),
    ("checkout-dev", 16),
    ("ml-research-dev", 128),
];

/// How far the run `pid` has come: whether it holds the lock, and how many of `KILLED` have
/// moved their branch away from `heads`.
fn progress(t: &Test, pid: u32, heads: &[String]) -> (bool, usize) {
    let moved = KILLED
        .iter()
        .zip(heads)
        .filter(|((account, _), head)| {
            let main = t.path(&format!("repos/{account}/.git/refs/heads/main"));
            std::fs::read_to_string(main).is_ok_and(|id| id.trim() != head.as_str())
        })
        .count();
    let lock = std::fs::read_to_string(t.path("repos/.eksvend.lock")).unwrap_or_default();
    (lock.trim() == pid.to_string(), moved)
}

/// Kill `child` once it has come as far as `stop` (0: lock taken, k: k repositories moved),
/// or let it finish. Returns whether it was still running when killed.
fn kill_at(t: &Test, child: &mut std::process::Child, stop: usize, heads: &[String]) -> bool {
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let (locked, moved) = progress(t, child.id(), heads);
        if (stop == 0 && locked) || (stop > 0 && moved >= stop) {
            let running = child.try_wait().unwrap().is_none();
            let _ = child.kill();
            let _ = child.wait();
            return running;
        }
        std::thread::yield_now();
    }
}

/// Every repository under `repos/` is sound and its branch points at a complete eksvend tree.
fn assert_sound(t: &Test, round: usize) {
    for (account, _) in KILLED {
        let repo = Repo::open(&t.path(&format!("repos/{account}")));
        repo.fsck();
        let files = repo.files_at("main");
        let state = &files[".eksvend/state.yaml"];
        for path in state
            .lines()
            .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
        {
            assert!(
                files.contains_key(path),
                "round {round}: {account} lacks {path}"
            );
        }
    }
}

/// Killed at points chosen by progress, not by time: as soon as it holds the lock, and as soon
/// as one, two or three repositories have moved their branch (`--jobs 1`, so the next one is
/// mid-write). After every kill, every repository is sound; a final run finishes the job.
#[test]
fn a_killed_apply_never_leaves_a_broken_repository() {
    let t = Test::new();
    t.apply().success();
    let mut killed_mid_run = 0;
    for round in 0..12 {
        let heads: Vec<String> = KILLED.iter().map(|(a, _)| t.repo(a).head()).collect();
        for (account, cpu) in KILLED {
            let file = format!("fleet/accounts/{account}.yaml");
            let from = if round == 0 {
                cpu
            } else {
                100 + u32::try_from(round).expect("12 rounds") - 1
            };
            t.edit(
                &file,
                &format!("cpu: \"{from}\""),
                &format!("cpu: \"{}\"", 100 + round),
            );
        }
        let mut child = t.apply().args(["--jobs", "1"]).spawn();
        if kill_at(&t, &mut child, round % 4, &heads) {
            killed_mid_run += 1;
        }
        assert_sound(&t, round);
    }
    assert!(
        killed_mid_run >= 6,
        "only {killed_mid_run} of 12 runs were killed while running"
    );
    // an uninterrupted run afterwards finishes the job and leaves clean worktrees
    t.apply().success();
    for (account, _) in KILLED {
        let repo = t.repo(account);
        assert_eq!(repo.status(), "", "{account}");
        let quota = "requests.cpu: \"111\"";
        assert!(
            repo.files().values().any(|f| f.contains(quota)),
            "{account}"
        );
    }
}

/// A killed *first* apply (no repository had a commit before) is finished by the next run:
/// killed as soon as it holds the lock, and as soon as one, two or three repositories have a
/// branch. Old code: the rerun refused them ("could not find repository", "uncommitted
/// changes"), and committing as advised recorded the deletion of every file.
#[test]
fn a_killed_first_apply_is_finished_by_the_next_run() {
    let none = vec![String::new(); KILLED.len()];
    for stop in 0..4 {
        let t = Test::new();
        let mut child = t.apply().args(["--jobs", "1"]).spawn();
        kill_at(&t, &mut child, stop, &none);
        t.apply().success();
        assert_sound(&t, stop);
        for (account, _) in KILLED {
            assert_eq!(t.repo(account).status(), "", "stop {stop}: {account}");
        }
    }
}
