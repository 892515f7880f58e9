//! Regeneration that never loses an edit: merges, deletions, conflict policies, safety.

use std::process::Command;

use crate::support::{git_in, Scenario};

fn read(s: &Scenario, path: &str) -> String {
    std::fs::read_to_string(s.path(path)).unwrap()
}

fn write(s: &Scenario, path: &str, text: &str) {
    std::fs::write(s.path(path), text).unwrap();
}

fn head(s: &Scenario, repo: &str) -> String {
    s.git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn a_persons_edit_is_merged_with_a_blueprint_change() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let repo = "repos/payments-prod";
    let file = format!("{repo}/platform/karpenter/ec2nodeclass.yaml");
    let edited = read(&s, &file).replace("volumeSize: 100Gi", "volumeSize: 200Gi");
    write(&s, &file, &edited);
    s.git(repo, &["commit", "-qam", "bigger root volumes"]);
    std::fs::create_dir_all(s.path("custom/blueprints/general-1.1")).unwrap();
    write(
        &s,
        "custom/blueprints/general-1.1/blueprint.yaml",
        crate::support::GENERAL_1_1,
    );
    let run = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--blueprints",
        "custom",
        "--only",
        "account=payments-prod",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("kept: payments-prod: platform/karpenter/ec2nodeclass.yaml: edited by a person and changed by the generator: merged"), "{}", run.stderr);
    let merged = read(&s, &file);
    assert!(
        merged.contains("volumeSize: 200Gi"),
        "the person's edit survives:\n{merged}"
    );
    assert!(
        merged.contains("alias: \"al2023@v20251117\""),
        "the blueprint change lands:\n{merged}"
    );
    assert_eq!(s.git(repo, &["status", "--porcelain"]), "");
    // and the next run keeps the merged file as it is
    let again = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--blueprints",
        "custom",
        "--only",
        "account=payments-prod",
    ]);
    assert!(
        again.stdout.contains("unchanged  repos/payments-prod"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_persons_edit_is_merged_with_an_inventory_change_and_own_files_are_untouched() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let repo = "repos/payments-prod";
    let readme = format!("{repo}/README.md");
    let edited = format!("{}\n## On-call\n\n#payments-oncall\n", read(&s, &readme));
    write(&s, &readme, &edited);
    write(&s, &format!("{repo}/RUNBOOK.md"), "our runbook\n");
    std::fs::create_dir_all(s.path(&format!("{repo}/tenants/payments/extra"))).unwrap();
    write(
        &s,
        &format!("{repo}/tenants/payments/extra/cm.yaml"),
        "ours: true\n",
    );
    s.git(repo, &["add", "-A"]);
    s.git(repo, &["commit", "-qm", "team additions"]);
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "      - name: security-baseline",
        "      - name: fraud-models\n        team: application\n        url: https://git.acme.example/payments/fraud.git\n        path: deploy\n        namespaces: [payments]\n      - name: security-baseline",
    );
    let run = s.apply();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let merged = read(&s, &readme);
    assert!(merged.contains("#payments-oncall"), "{merged}");
    assert!(
        merged.contains("`fraud-models` (team `application`)"),
        "{merged}"
    );
    assert_eq!(read(&s, &format!("{repo}/RUNBOOK.md")), "our runbook\n");
    assert_eq!(
        read(&s, &format!("{repo}/tenants/payments/extra/cm.yaml")),
        "ours: true\n"
    );
}

#[test]
fn a_removed_tenants_untouched_files_are_deleted_edited_ones_kept() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let repo = "repos/checkout-dev";
    let kust = format!("{repo}/tenants/checkout-jobs/kustomization.yaml");
    write(&s, &kust, &format!("{}# keep me\n", read(&s, &kust)));
    s.git(repo, &["commit", "-qam", "note"]);
    s.edit(
        "fleet/accounts/checkout-dev.yaml",
        "    - namespace: checkout-jobs\n",
        "",
    );
    s.edit(
        "fleet/accounts/checkout-dev.yaml",
        "namespaces: [checkout, checkout-jobs]",
        "namespaces: [checkout]",
    );
    let run = s.apply();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !s.path(&format!("{repo}/tenants/checkout-jobs/tenant.yaml"))
            .exists(),
        "untouched generated file deleted"
    );
    assert!(s.path(&kust).exists(), "edited generated file kept");
    assert!(run.stderr.contains("kept: checkout-dev: tenants/checkout-jobs/kustomization.yaml: no longer generated, but edited"), "{}", run.stderr);
}

/// payments-prod's tenant quota edited by a person (64 → 80) and by the inventory (64 → 96).
fn conflicting(s: &Scenario) -> String {
    assert_eq!(s.apply().code, 0);
    let repo = "repos/payments-prod";
    let file = format!("{repo}/tenants/payments/tenant.yaml");
    write(
        s,
        &file,
        &read(s, &file).replace("requests.cpu: \"64\"", "requests.cpu: \"80\""),
    );
    s.git(repo, &["commit", "-qam", "more cpu"]);
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    file
}

#[test]
fn conflicts_report_hunks_and_change_nothing() {
    let s = Scenario::example();
    let file = conflicting(&s);
    let before = head(&s, "repos/payments-prod");
    let run = s.apply();
    assert_eq!(run.code, 3);
    for expect in ["conflict: payments-prod: tenants/payments/tenant.yaml: edited by a person and changed by the generator", "<<<<<<< yours", "requests.cpu: \"80\"", "requests.cpu: \"96\"", ">>>>>>> eksvend (new)"] {
        assert!(run.stderr.contains(expect), "missing {expect:?}:\n{}", run.stderr);
    }
    assert_eq!(head(&s, "repos/payments-prod"), before);
    assert!(read(&s, &file).contains("requests.cpu: \"80\""));
}

#[test]
fn on_conflict_keep_overwrite_and_markers() {
    for (policy, code, expect_cpu, committed) in [
        ("keep", 0, "\"80\"", true),
        ("overwrite", 0, "\"96\"", true),
        ("markers", 3, "<<<<<<< yours", false),
    ] {
        let s = Scenario::example();
        let file = conflicting(&s);
        let before = head(&s, "repos/payments-prod");
        let run = s.eksvend(&[
            "apply",
            "-f",
            "fleet",
            "--repos",
            "repos",
            "--on-conflict",
            policy,
        ]);
        assert_eq!(run.code, code, "{policy}: {}\n{}", run.stdout, run.stderr);
        let text = read(&s, &file);
        assert!(text.contains(expect_cpu), "{policy}:\n{text}");
        assert_eq!(
            head(&s, "repos/payments-prod") != before,
            committed,
            "{policy}"
        );
        if policy == "markers" {
            let status = s.git("repos/payments-prod", &["status", "--porcelain"]);
            assert!(
                status.contains(" M tenants/payments/tenant.yaml")
                    && status.contains(" M .eksvend/state.yaml"),
                "{status}"
            );
            // the person resolves and commits; the next run is clean
            write(
                &s,
                &file,
                &text
                    .replace("<<<<<<< yours\n", "")
                    .replace("    requests.cpu: \"80\"\n=======\n", "")
                    .replace(">>>>>>> eksvend (new)\n", ""),
            );
            s.git("repos/payments-prod", &["commit", "-qam", "resolved"]);
            let next = s.apply();
            assert_eq!(next.code, 0, "{}\n{}", next.stdout, next.stderr);
            assert!(
                next.stdout.contains("unchanged  repos/payments-prod"),
                "{}",
                next.stdout
            );
        } else {
            let next = s.apply();
            assert!(
                next.stdout.contains("unchanged  repos/payments-prod"),
                "{policy}: {}",
                next.stdout
            );
        }
    }
}

#[test]
fn a_concurrent_run_is_stopped_by_the_lock() {
    let s = Scenario::example();
    std::fs::create_dir_all(s.path("repos")).unwrap();
    write(
        &s,
        "repos/.eksvend.lock",
        &format!("{}\n", std::process::id()),
    );
    let run = s.apply();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "another eksvend run (pid {}) is writing to these repositories",
            std::process::id()
        )),
        "{}",
        run.stderr
    );
    assert!(!s.path("repos/payments-prod").exists());
    std::fs::remove_file(s.path("repos/.eksvend.lock")).unwrap();
    assert_eq!(s.apply().code, 0);
    assert!(!s.path("repos/.eksvend.lock").exists(), "released");
}

#[test]
fn bare_repositories_work() {
    let s = Scenario::example();
    std::fs::create_dir_all(s.path("repos")).unwrap();
    assert!(git_in(
        &s.path("repos"),
        &["init", "-q", "--bare", "-b", "main", "payments-prod"]
    )
    .status
    .success());
    let run = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        "account=payments-prod",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = s.git(
        "repos/payments-prod",
        &["ls-tree", "-r", "--name-only", "main"],
    );
    assert!(files.contains("cluster/cluster.yaml"));
    s.git("repos/payments-prod", &["fsck", "--strict"]);
    let again = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        "account=payments-prod",
    ]);
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
}

#[test]
fn branch_for_pull_requests() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let repo = "repos/payments-prod";
    let main = head(&s, repo);
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    let args = [
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        "account=payments-prod",
        "--branch",
        "eksvend/quota-bump",
    ];
    let run = s.eksvend(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(head(&s, repo), main, "main (checked out) did not move");
    assert_eq!(
        s.git(repo, &["rev-parse", "eksvend/quota-bump^"]),
        main,
        "the branch starts at main"
    );
    let on_branch = s.git(
        repo,
        &["show", "eksvend/quota-bump:tenants/payments/tenant.yaml"],
    );
    assert!(on_branch.contains("requests.cpu: \"96\""));
    assert_eq!(s.git(repo, &["status", "--porcelain"]), "");
    // a second run updates the existing branch (here: nothing to do)
    let again = s.eksvend(&args);
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    let bad = s.eksvend(&[
        "apply", "-f", "fleet", "--repos", "repos", "--branch", "../x",
    ]);
    assert_eq!(bad.code, 1);
}

#[test]
fn a_killed_apply_never_leaves_a_broken_repository() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    for i in 0..24u64 {
        // each round changes every account so that apply has commits to make
        let cpu = |n: u64| format!("cpu: \"{}\"", 100 + n);
        for (file, base) in [
            ("payments-prod", "cpu: \"64\""),
            ("checkout-dev", "cpu: \"16\""),
            ("ml-research-dev", "cpu: \"128\""),
        ] {
            let path = format!("fleet/accounts/{file}.yaml");
            let from = if i == 0 { base.to_string() } else { cpu(i - 1) };
            s.edit(&path, &from, &cpu(i));
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_eksvend"))
            .args(["apply", "-f", "fleet", "--repos", "repos"])
            .current_dir(s.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(i * 9 % 200));
        let _ = child.kill();
        let _ = child.wait();
        for entry in std::fs::read_dir(s.path("repos")).unwrap() {
            let dir = entry.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let fsck = git_in(&dir, &["fsck", "--strict", "--no-dangling"]);
            assert!(
                fsck.status.success(),
                "round {i}: fsck {}: {}",
                dir.display(),
                String::from_utf8_lossy(&fsck.stderr)
            );
            // the branch points at a complete eksvend tree: its state file lists files that exist
            let state = git_in(&dir, &["show", "main:.eksvend/state.yaml"]);
            assert!(state.status.success(), "round {i}: {}", dir.display());
            let listed = String::from_utf8_lossy(
                &git_in(&dir, &["ls-tree", "-r", "--name-only", "main"]).stdout,
            )
            .to_string();
            for line in String::from_utf8_lossy(&state.stdout).lines() {
                if let Some(path) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                    assert!(
                        listed.lines().any(|l| l == path),
                        "round {i}: {} lacks {path}",
                        dir.display()
                    );
                }
            }
        }
    }
    // an uninterrupted run afterwards finishes the job and leaves clean worktrees
    let run = s.apply();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for a in ["payments-prod", "checkout-dev", "ml-research-dev"] {
        assert_eq!(
            s.git(&format!("repos/{a}"), &["status", "--porcelain"]),
            "",
            "{a}"
        );
        let t = read(&s, &format!("repos/{a}/cluster/cluster.yaml"));
        assert!(!t.is_empty());
    }
}
