//! The binary end to end: apply, git read-back, idempotence, edits, conflicts, refusals, and the
//! exact messages of refused command lines.

use crate::support::{quota_conflict, raise_payments_quota, root, Test};

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
        "risk-batch-prod" => "batch@2.0.0",
        "vision-aiml-dev" => "aiml@2.0.0",
        _ => "general@2.0.0",
    }
}

#[test]
fn validate_accepts_the_example() {
    let t = Test::new();
    let out = t.validate().success();
    insta::assert_snapshot!(out.stdout, @"fleet: valid (5 accounts, 2 networks; every repository renders and verifies)");
    assert!(!t.exists("repos"));
}

#[test]
fn apply_commits_what_git_reads_back() {
    let t = Test::new();
    let out = t.apply().success();
    out.stdout_has("5 created, 0 updated, 0 unchanged");
    for account in ACCOUNTS {
        let repo = t.repo(account);
        repo.fsck();
        assert_eq!(repo.branch(), "main");
        assert_eq!(
            repo.signatures(),
            "Acme Platform <platform@acme.example>|Acme Platform <platform@acme.example>"
        );
        let message = repo.message();
        for trailer in [
            format!("Eksvend-Blueprint: {}", blueprint_of(account)),
            "Eksvend-Inventory-Digest: sha256:".to_string(),
            format!("Eksvend-Version: {}", env!("CARGO_PKG_VERSION")),
        ] {
            assert!(message.contains(&trailer), "{account}: {message}");
        }
        assert_eq!(
            repo.status(),
            "",
            "{account}: the worktree matches the commit"
        );
        let files = repo.files();
        for f in [
            "cluster/cluster.yaml",
            ".eksvend/state.yaml",
            "README.md",
            "network/handoff.yaml",
        ] {
            assert!(files.contains_key(f), "{account}: {f} missing");
        }
    }
}

#[test]
fn second_apply_makes_no_commit() {
    let t = Test::new();
    t.apply().success();
    let heads = || ACCOUNTS.map(|a| t.repo(a).head());
    let before = heads();
    let out = t.apply().success();
    out.stdout_has("0 created, 0 updated, 5 unchanged");
    assert_eq!(heads(), before);
}

#[test]
fn same_inputs_give_identical_git_trees() {
    let (a, b) = (Test::new(), Test::new());
    a.apply().success();
    b.apply().success();
    for account in ACCOUNTS {
        assert_eq!(a.repo(account).tree(), b.repo(account).tree(), "{account}");
    }
}

#[test]
fn inventory_change_updates_and_keeps_a_persons_edit() {
    let t = Test::new();
    t.apply().success();
    // A person edits a generated file the next change does not touch, and adds a file.
    let readme = "repos/payments-prod/README.md";
    let text = format!("{}\nOn-call: #payments-oncall\n", t.read(readme));
    t.file(readme, &text)
        .file("repos/payments-prod/NOTES.md", "mine\n");
    t.repo("payments-prod").commit_all("team notes");
    raise_payments_quota(&t);
    let out = t.apply().success();
    out.stdout_has("0 created, 1 updated, 4 unchanged");
    let repo = t.repo("payments-prod");
    assert!(repo
        .file("tenants/payments/tenant.yaml")
        .contains("requests.cpu: \"96\""));
    assert_eq!(
        repo.file("README.md"),
        text,
        "the person's README edit is kept"
    );
    assert_eq!(repo.file("NOTES.md"), "mine\n");
    assert!(repo.signatures().starts_with("Acme Platform <"));
    assert_eq!(repo.status(), "");
    repo.fsck();
}

#[test]
fn conflicting_edit_changes_nothing_in_that_repo_and_exits_3() {
    let t = Test::new();
    let tenant = quota_conflict(&t);
    let edited = t.read(&tenant);
    let head = t.repo("payments-prod").head();
    let other_head = t.repo("checkout-dev").head();
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "cpu: \"16\"",
        "cpu: \"24\"",
    );
    let out = t.apply().run().code(3);
    out.stderr_has("conflict: payments-prod: tenants/payments/tenant.yaml: edited by a person and changed by the generator");
    assert_eq!(
        t.repo("payments-prod").head(),
        head,
        "the conflicting repo is untouched"
    );
    assert_eq!(t.read(&tenant), edited);
    assert_ne!(
        t.repo("checkout-dev").head(),
        other_head,
        "other repos are still applied"
    );
}

#[test]
fn dirty_worktree_is_refused_and_kept() {
    let t = Test::new();
    t.apply().success();
    let file = "repos/checkout-dev/cluster/cluster.yaml";
    let dirty = format!("{}# uncommitted\n", t.read(file));
    t.file(file, &dirty);
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "cpu: \"16\"",
        "cpu: \"24\"",
    );
    let out = t.apply().run().code(1);
    insta::assert_snapshot!(out.stderr, @r#"
    warning: checkout-dev: spec.cluster.oidcIssuer is not set: the IRSA trust policies of 1 service account(s) are pending; eksctl creates those roles (iam.serviceAccounts) until you set it
    warning: payments-prod: the trust policy of target role arn:aws:iam::555566667777:role/fx-rates-reader for payments/fx-rates is pending: the external ID of the Pod Identity association payments/fx-rates is known once EKS creates it; record it in spec.tenants[].serviceAccounts[].externalIds of WorkloadAccount payments-prod
    error: [TEMP]/repos/checkout-dev/: the working tree has uncommitted changes (cluster/cluster.yaml); commit or stash them, then run eksvend again
    "#);
    assert_eq!(t.read(file), dirty);
}

#[test]
fn untracked_file_in_the_way_is_a_conflict() {
    let t = Test::new();
    t.file("repos/checkout-dev/README.md", "the team's own readme\n");
    t.git("repos/checkout-dev", &["init", "-q", "-b", "main"]);
    let out = t.apply().run().code(3);
    out.stderr_has("checkout-dev: README.md: an untracked file of the same name exists");
    assert_eq!(
        t.read("repos/checkout-dev/README.md"),
        "the team's own readme\n"
    );
}

#[test]
fn schema_prints_json_schema_for_each_kind() {
    let t = Test::new();
    for kind in [
        &[][..],
        &["Fleet"],
        &["Network"],
        &["WorkloadAccount"],
        &["Blueprint"],
    ] {
        let out = t.args(["schema"]).args(kind).success();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert!(v.get("$schema").is_some(), "{kind:?}");
    }
}

#[test]
fn example_validates_against_its_own_schema() {
    let t = Test::new();
    let out = t.args(["schema"]).success();
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut documents = 0;
    for (path, text) in t.tree("fleet") {
        for doc in serde_yaml::Deserializer::from_str(&String::from_utf8(text).unwrap()) {
            let v: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{path}: {errors:?}");
            documents += 1;
        }
    }
    assert!(
        documents >= 8,
        "only {documents} documents in the example fleet"
    );
}

#[test]
fn the_bundled_editor_schema_is_current() {
    let out = Test::empty().args(["schema"]).success();
    let bundled = std::fs::read_to_string(root().join("examples/eksvend.schema.json")).unwrap();
    assert!(
        out.stdout == bundled,
        "examples/eksvend.schema.json is stale; regenerate with: cargo run -- schema > examples/eksvend.schema.json"
    );
}

/// The exact message of each refused command line: exit code 1 and one error.
mod refused {
    use super::Test;

    fn stderr(t: &Test, args: &[&str]) -> String {
        t.args(args).run().code(1).stderr
    }

    #[test]
    fn schema_of_an_unknown_kind() {
        let err = stderr(&Test::empty(), &["schema", "Cluster"]);
        insta::assert_snapshot!(err, @r#"error: unknown kind "Cluster"; expected one of Fleet, Network, WorkloadAccount, Blueprint"#);
    }

    #[test]
    fn only_with_an_unknown_key() {
        let t = Test::new();
        let err = stderr(&t, &["plan", "-f", "fleet", "--only", "tier=gold"]);
        insta::assert_snapshot!(err, @r#"error: --only "tier=gold": unknown key "tier"; expected one of account, team, environment, blueprint, network"#);
    }

    #[test]
    fn only_without_a_value() {
        let t = Test::new();
        let err = stderr(&t, &["plan", "-f", "fleet", "--only", "team"]);
        insta::assert_snapshot!(err, @r#"error: --only "team": expected KEY=VALUE with KEY one of account, team, environment, blueprint, network"#);
    }

    #[test]
    fn shard_out_of_range() {
        let t = Test::new();
        let err = stderr(&t, &["plan", "-f", "fleet", "--shard", "5/4"]);
        insta::assert_snapshot!(err, @r#"error: --shard "5/4": expected I/N with 1 <= I <= N, e.g. 2/4"#);
    }

    #[test]
    fn blueprint_with_a_typo() {
        let err = stderr(&Test::empty(), &["blueprints", "show", "genral"]);
        insta::assert_snapshot!(err, @r#"error: no blueprint named "genral"; available: aiml@2.0.0, batch@2.0.0, general@2.0.0"#);
    }

    #[test]
    fn branch_that_is_not_a_branch_name() {
        let t = Test::new();
        let args = [
            "apply", "-f", "fleet", "--repos", "repos", "--branch", "../x",
        ];
        let err = stderr(&t, &args);
        // refused before the inventory is read: no warnings about it
        insta::assert_snapshot!(err, @r#"error: --branch "../x": expected a branch, tag or commit name such as `main` or `v1.2.0`"#);
    }

    #[test]
    fn init_over_an_existing_inventory() {
        let t = Test::new();
        let err = stderr(&t, &["init", "fleet"]);
        insta::assert_snapshot!(err, @"error: fleet/fleet.yaml, fleet/networks.yaml already exist(s); nothing was written");
    }

    #[test]
    fn unknown_subcommand() {
        let err = Test::empty().args(["vend"]).run().code(2).stderr;
        insta::assert_snapshot!(err, @r#"
        error: unrecognized subcommand 'vend'

          tip: a similar subcommand exists: 'render'

        Usage: eksvend [OPTIONS] <COMMAND>

        For more information, try '--help'.
        "#);
    }
}

/// `validate` prints the warnings plan and apply print, each distinct warning once: the
/// accounts it concerns are named up to three, counted beyond (all named with `-v`).
#[test]
fn validate_prints_warnings_once_per_kind_with_the_accounts_counted() {
    let t = Test::new();
    let checkout = t.read("fleet/accounts/checkout-dev.yaml");
    for i in 1..=3 {
        t.file(
            &format!("fleet/accounts/checkout-dev{i}.yaml"),
            &checkout
                .replace("name: checkout-dev\n", &format!("name: checkout-dev{i}\n"))
                .replace("\"222233334444\"", &format!("\"22223333444{i}\"")),
        );
    }
    let out = t.validate().success();
    let pending = "spec.cluster.oidcIssuer is not set: the IRSA trust policies of 1 service account(s) are pending";
    out.stderr_has(&format!("warning: 4 accounts (-v lists them): {pending}"));
    assert_eq!(out.stderr.matches(pending).count(), 1, "{}", out.stderr);
    let out = t.validate().args(["-v"]).success();
    out.stderr_has(&format!(
        "warning: checkout-dev, checkout-dev1, checkout-dev2, checkout-dev3: {pending}"
    ));
}

/// A selection that keeps no account is a mistake until said otherwise: exit 1, nothing
/// written; `--allow-empty` accepts it (issue 10).
#[test]
fn an_empty_selection_is_refused_unless_allowed() {
    let t = Test::new();
    for command in ["render", "plan", "apply"] {
        let mut args = vec![command, "-f", "fleet", "--only", "team=nobody"];
        args.extend(if command == "render" {
            ["--out", "out"]
        } else {
            ["--repos", "repos"]
        });
        let out = t.args(&args).run().code(1);
        insta::allow_duplicates! {
            insta::assert_snapshot!(out.stderr, @"error: the selection (--only team=nobody) matches none of the fleet's 5 accounts; check the values, or pass --allow-empty when an empty selection is expected (a shard of a small fleet)");
        }
        assert!(!t.exists("out") && !t.exists("repos"), "{command}");
        args.push("--allow-empty");
        t.args(&args).success();
    }
}
