//! The binary end to end: apply, git read-back, idempotence, edits, conflicts, refusals.

use crate::support::{git_in, Scenario};

const ACCOUNTS: [&str; 5] = [
    "checkout-dev",
    "ml-research-dev",
    "payments-prod",
    "risk-batch-prod",
    "vision-aiml-dev",
];

/// The blueprint each example account is vended from.
fn blueprint_of(account: &str) -> &'static str {
    match account {
        "risk-batch-prod" => "batch@1.0.0",
        "vision-aiml-dev" => "aiml@1.0.0",
        _ => "general@1.0.0",
    }
}

#[test]
fn validate_accepts_the_example() {
    let s = Scenario::example();
    let run = s.eksvend(&["validate", "-f", "fleet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("valid (5 accounts, 2 networks; every repository renders and verifies)"),
        "{}",
        run.stdout
    );
    assert!(!s.path("repos").exists());
}

#[test]
fn apply_commits_what_git_reads_back() {
    let s = Scenario::example();
    let run = s.apply();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("5 created, 0 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    for account in ACCOUNTS {
        let repo = format!("repos/{account}");
        s.git(&repo, &["fsck", "--strict", "--no-dangling"]);
        assert_eq!(
            s.git(&repo, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
            "main"
        );
        assert_eq!(
            s.git(&repo, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
                .trim(),
            "Acme Platform <platform@acme.example>|Acme Platform <platform@acme.example>"
        );
        let trailers = s.git(&repo, &["log", "-1", "--format=%(trailers:only,unfold)"]);
        assert!(
            trailers.contains(&format!("Eksvend-Blueprint: {}", blueprint_of(account))),
            "{trailers}"
        );
        assert!(
            trailers.contains("Eksvend-Inventory-Digest: sha256:"),
            "{trailers}"
        );
        assert!(
            trailers.contains(&format!("Eksvend-Version: {}", env!("CARGO_PKG_VERSION"))),
            "{trailers}"
        );
        assert_eq!(
            s.git(&repo, &["status", "--porcelain"]),
            "",
            "worktree matches the commit"
        );
        let files = s.git(&repo, &["ls-files"]);
        for f in [
            "cluster/cluster.yaml",
            ".eksvend/state.yaml",
            "README.md",
            "network/handoff.yaml",
        ] {
            assert!(
                files.lines().any(|l| l == f),
                "{account}: {f} missing in\n{files}"
            );
        }
    }
}

#[test]
fn second_apply_makes_no_commit() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let before: Vec<String> = ACCOUNTS
        .iter()
        .map(|a| s.git(&format!("repos/{a}"), &["rev-parse", "HEAD"]))
        .collect();
    let run = s.apply();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("0 created, 0 updated, 5 unchanged"),
        "{}",
        run.stdout
    );
    let after: Vec<String> = ACCOUNTS
        .iter()
        .map(|a| s.git(&format!("repos/{a}"), &["rev-parse", "HEAD"]))
        .collect();
    assert_eq!(before, after);
}

#[test]
fn same_inputs_give_identical_git_trees() {
    let a = Scenario::example();
    let b = Scenario::example();
    assert_eq!(a.apply().code, 0);
    assert_eq!(b.apply().code, 0);
    for account in ACCOUNTS {
        let repo = format!("repos/{account}");
        assert_eq!(
            a.git(&repo, &["rev-parse", "HEAD^{tree}"]),
            b.git(&repo, &["rev-parse", "HEAD^{tree}"])
        );
    }
}

#[test]
fn inventory_change_updates_and_keeps_a_persons_edit() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let repo = "repos/payments-prod";
    // A person edits a generated file the next change does not touch, and adds a file.
    let readme = s.path(&format!("{repo}/README.md"));
    let mut text = std::fs::read_to_string(&readme).unwrap();
    text.push_str("\nOn-call: #payments-oncall\n");
    std::fs::write(&readme, &text).unwrap();
    std::fs::write(s.path(&format!("{repo}/NOTES.md")), "mine\n").unwrap();
    s.git(repo, &["add", "-A"]);
    s.git(repo, &["commit", "-qm", "team notes"]);
    // The platform team raises the quota.
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    let run = s.apply();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("0 created, 1 updated, 4 unchanged"),
        "{}",
        run.stdout
    );
    let tenant =
        std::fs::read_to_string(s.path(&format!("{repo}/tenants/payments/tenant.yaml"))).unwrap();
    assert!(tenant.contains("requests.cpu: \"96\""), "{tenant}");
    assert_eq!(
        std::fs::read_to_string(&readme).unwrap(),
        text,
        "the person's README edit is kept"
    );
    assert_eq!(
        std::fs::read_to_string(s.path(&format!("{repo}/NOTES.md"))).unwrap(),
        "mine\n"
    );
    assert_eq!(
        s.git(repo, &["log", "-1", "--format=%an"]).trim(),
        "Acme Platform"
    );
    s.git(repo, &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn conflicting_edit_changes_nothing_in_that_repo_and_exits_3() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let repo = "repos/payments-prod";
    let tenant = s.path(&format!("{repo}/tenants/payments/tenant.yaml"));
    let edited = std::fs::read_to_string(&tenant)
        .unwrap()
        .replace("requests.cpu: \"64\"", "requests.cpu: \"80\"");
    std::fs::write(&tenant, &edited).unwrap();
    s.git(repo, &["commit", "-qam", "more cpu"]);
    let head = s.git(repo, &["rev-parse", "HEAD"]);
    let other_head = s.git("repos/checkout-dev", &["rev-parse", "HEAD"]);
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    s.edit(
        "fleet/accounts/checkout-dev.yaml",
        "cpu: \"16\"",
        "cpu: \"24\"",
    );
    let run = s.apply();
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("conflict: payments-prod: tenants/payments/tenant.yaml: edited by a person and changed by the generator"), "{}", run.stderr);
    assert_eq!(
        s.git(repo, &["rev-parse", "HEAD"]),
        head,
        "the conflicting repo is untouched"
    );
    assert_eq!(std::fs::read_to_string(&tenant).unwrap(), edited);
    assert_ne!(
        s.git("repos/checkout-dev", &["rev-parse", "HEAD"]),
        other_head,
        "other repos are still applied"
    );
}

#[test]
fn dirty_worktree_is_refused_and_kept() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let repo = "repos/checkout-dev";
    let file = s.path(&format!("{repo}/cluster/cluster.yaml"));
    let dirty = format!("{}# uncommitted\n", std::fs::read_to_string(&file).unwrap());
    std::fs::write(&file, &dirty).unwrap();
    s.edit(
        "fleet/accounts/checkout-dev.yaml",
        "cpu: \"16\"",
        "cpu: \"24\"",
    );
    let run = s.apply();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("uncommitted changes (cluster/cluster.yaml); commit or stash them"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), dirty);
}

#[test]
fn untracked_file_in_the_way_is_a_conflict() {
    let s = Scenario::example();
    std::fs::create_dir_all(s.path("repos/checkout-dev")).unwrap();
    assert!(
        git_in(&s.path("repos/checkout-dev"), &["init", "-q", "-b", "main"])
            .status
            .success()
    );
    std::fs::write(
        s.path("repos/checkout-dev/README.md"),
        "the team's own readme\n",
    )
    .unwrap();
    let run = s.apply();
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("checkout-dev: README.md: an untracked file of the same name exists"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(s.path("repos/checkout-dev/README.md")).unwrap(),
        "the team's own readme\n"
    );
}

#[test]
fn schema_prints_json_schema_for_each_kind() {
    let s = Scenario::example();
    for kind in ["", "Fleet", "Network", "WorkloadAccount", "Blueprint"] {
        let args: Vec<&str> = if kind.is_empty() {
            vec!["schema"]
        } else {
            vec!["schema", kind]
        };
        let run = s.eksvend(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(v.get("$schema").is_some(), "{kind}");
    }
    let run = s.eksvend(&["schema", "Cluster"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("expected one of Fleet, Network, WorkloadAccount, Blueprint"),
        "{}",
        run.stderr
    );
}

#[test]
fn example_validates_against_its_own_schema() {
    let s = Scenario::example();
    let run = s.eksvend(&["schema"]);
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for entry in walkdir::WalkDir::new(s.path("fleet")) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", entry.path().display());
        }
    }
}

#[test]
fn the_bundled_editor_schema_is_current() {
    let s = Scenario::example();
    let run = s.eksvend(&["schema"]);
    let bundled =
        std::fs::read_to_string(crate::support::root().join("examples/eksvend.schema.json"))
            .unwrap();
    assert_eq!(
        run.stdout, bundled,
        "regenerate with: cargo run -- schema > examples/eksvend.schema.json"
    );
}
