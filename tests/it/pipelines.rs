//! Pipelines and day-to-day use: plan (text, diff, JSON, exit codes), selection, sharding,
//! init, new, completions and man page.

use std::collections::BTreeSet;

use crate::support::{raise_payments_quota, Test};

/// The accounts named in apply's report lines (`created    repos/NAME  …`).
fn accounts_in(stdout: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|w| w.strip_prefix("repos/"))
        .map(str::to_string)
        .collect()
}

/// The accounts of a plan's JSON report.
fn accounts_in_json(stdout: &str) -> BTreeSet<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).unwrap();
    v["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn help_text() {
    let t = Test::empty();
    insta::assert_snapshot!("help", t.args(["--help"]).success().stdout);
    insta::assert_snapshot!("plan_help", t.args(["plan", "--help"]).success().stdout);
}

#[test]
fn plan_text_diff_json_and_exit_codes() {
    let t = Test::new();
    let plan = || t.plan().args(["--only", "account=payments-prod"]);
    // nothing exists yet: create
    let out = plan().args(["--detailed-exitcode"]).run().code(2);
    insta::assert_snapshot!(out.stdout, @r#"
    create payments-prod (general@2.0.0, repos/payments-prod)
      + 65 files
    1 to create, 0 to update, 0 unchanged, 0 conflict
    "#);
    plan().success(); // without --detailed-exitcode pending changes exit 0
    assert!(!t.exists("repos"), "plan writes nothing");

    t.apply().success();
    let out = plan().args(["--detailed-exitcode"]).success();
    assert!(
        out.stdout.starts_with("unchanged payments-prod"),
        "{}",
        out.stdout
    );

    raise_payments_quota(&t);
    let out = plan().args(["--diff", "--detailed-exitcode"]).run().code(2);
    insta::assert_snapshot!(out.stdout, @r#"
    update payments-prod (general@2.0.0, repos/payments-prod)
      ~ .eksvend/state.yaml
      ~ tenants/payments/tenant.yaml
        --- a/tenants/payments/tenant.yaml
        +++ b/tenants/payments/tenant.yaml
        @@ -59,7 +59,7 @@
             eksvend.dev/baseline: "true"
         spec:
           hard:
        -    requests.cpu: "64"
        +    requests.cpu: "96"
             requests.memory: "256Gi"
             pods: "500"
         ---
    0 to create, 1 to update, 0 unchanged, 0 conflict
    "#);
    assert!(!out.stdout.contains('\u{1b}'), "no colour when piped");

    let out = plan().args(["--format", "json"]).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["formatVersion"], 1);
    assert_eq!(v["summary"]["update"], 1);
    let repo = &v["repos"][0];
    assert_eq!(
        (&repo["account"], &repo["status"], &repo["blueprint"]),
        (
            &"payments-prod".into(),
            &"update".into(),
            &"general@2.0.0".into()
        )
    );
    let files: Vec<(&str, &str)> = repo["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            (".eksvend/state.yaml", "modify"),
            ("tenants/payments/tenant.yaml", "modify")
        ]
    );

    // a conflict: exit 3 with or without --detailed-exitcode
    t.edit(
        "repos/payments-prod/tenants/payments/tenant.yaml",
        "requests.cpu: \"64\"",
        "requests.cpu: \"80\"",
    );
    t.repo("payments-prod").commit_all("edit");
    let before = t.tree("repos");
    let out = plan().run().code(3);
    out.stdout_has("conflict payments-prod");
    out.stdout_has(
        "! tenants/payments/tenant.yaml  (edited by a person and changed by the generator)",
    );
    let out = plan().args(["--format", "json"]).run().code(3);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["repos"][0]["status"], "conflict");
    assert!(
        before == t.tree("repos"),
        "plan changed a byte under repos/"
    );
}

#[test]
fn plan_never_touches_a_byte_under_repos() {
    let t = Test::new();
    t.apply().success();
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "cpu: \"16\"",
        "cpu: \"20\"",
    );
    let before = t.tree("repos");
    for (extra, code) in [
        (&[][..], 0),
        (&["--diff"], 0),
        (&["--format", "json"], 0),
        (&["--detailed-exitcode"], 2),
    ] {
        t.plan().args(extra).run().code(code);
    }
    assert!(
        before == t.tree("repos"),
        "plan changed a byte under repos/"
    );
}

#[test]
fn only_selects_by_key_and_glob() {
    let t = Test::new();
    let only = ["--only", "environment=prod", "--only", "blueprint=general"];
    let out = t.apply().args(only).success();
    assert_eq!(
        accounts_in(&out.stdout),
        BTreeSet::from(["payments-prod".into()])
    );
    t.render("out").args(["--only", "account=*-dev"]).success();
    let dirs: BTreeSet<String> = std::fs::read_dir(t.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        dirs,
        BTreeSet::from(
            [
                ".eksvend-render",
                "checkout-dev",
                "ml-research-dev",
                "vision-aiml-dev"
            ]
            .map(String::from)
        )
    );
    let out = t
        .apply()
        .args(["--only", "team=checkout", "--only", "team=payments"])
        .success();
    assert_eq!(
        accounts_in(&out.stdout),
        BTreeSet::from(["checkout-dev".into(), "payments-prod".into()])
    );
}

#[test]
fn shards_are_disjoint_and_cover_the_fleet() {
    let t = Test::new();
    let names = |shard: &str| {
        let out = t
            .plan()
            .args(["--format", "json", "--shard", shard])
            .success();
        accounts_in_json(&out.stdout)
    };
    let everyone = names("1/1");
    assert_eq!(everyone.len(), 5);
    for n in [2, 3, 4] {
        let shards: Vec<BTreeSet<String>> = (1..=n).map(|i| names(&format!("{i}/{n}"))).collect();
        let union: BTreeSet<String> = shards.iter().flatten().cloned().collect();
        assert_eq!(union, everyone, "shards of {n} cover the fleet");
        assert_eq!(
            shards.iter().map(BTreeSet::len).sum::<usize>(),
            everyone.len(),
            "shards of {n} are disjoint"
        );
    }
}

#[test]
fn init_validate_apply() {
    let t = Test::empty();
    t.args(["init", "starter"]).success();
    t.args(["validate", "-f", "starter"]).success();
    let out = t
        .args(["apply", "-f", "starter", "--repos", "starter-repos"])
        .success();
    out.stdout_has("1 created");
}

const NEW_FRAUD_PROD: [&str; 18] = [
    "new",
    "fraud-prod",
    "-f",
    "fleet",
    "--team",
    "fraud",
    "--environment",
    "prod",
    "--account-id",
    "777788889999",
    "--region",
    "us-east-1",
    "--network",
    "prod-use1",
    "--blueprint",
    "general@^2",
    "--identity",
    "irsa",
];

#[test]
fn new_adds_exactly_one_account() {
    let t = Test::new();
    t.apply().success();
    let out = t.args(NEW_FRAUD_PROD).success();
    out.stdout_has("eksvend apply -f fleet --only account=fraud-prod");
    assert!(t.exists("fleet/accounts/fraud-prod.yaml"));
    let out = t.apply().success();
    out.stdout_has("1 created, 0 updated, 5 unchanged");
    t.repo("fraud-prod").fsck();
}

/// `eksvend new` with `NEW_FRAUD_PROD` after it was run once, changed at (index, value):
/// refused with exit 1, and nothing written. Returns stderr.
fn new_refused(changes: &[(usize, &str)]) -> String {
    let t = Test::new();
    t.args(NEW_FRAUD_PROD).success();
    let fleet = t.tree("fleet");
    let mut args = NEW_FRAUD_PROD;
    for (i, v) in changes {
        args[*i] = v;
    }
    let stderr = t.args(args).run().code(1).stderr;
    assert_eq!(t.tree("fleet"), fleet, "nothing written");
    stderr
}

#[test]
fn new_refuses_a_duplicate_name() {
    insta::assert_snapshot!(new_refused(&[]), @"error: fleet/accounts/fraud-prod.yaml: already exists; nothing was written");
}

#[test]
fn new_refuses_a_duplicate_account_id() {
    insta::assert_snapshot!(new_refused(&[(1, "fraud-prod-2")]), @r#"
    error: --account-id: duplicate WorkloadAccount accountId "777788889999": already used at fleet/accounts/fraud-prod.yaml:8; each must be unique
    1 error found; nothing was written
    "#);
}

#[test]
fn new_refuses_a_bad_account_id_and_region() {
    let stderr = new_refused(&[(1, "fraud-dev"), (9, "222233334444x"), (11, "us-east-9")]);
    insta::assert_snapshot!(stderr, @r#"
    error: --account-id: "222233334444x" is not a 12-digit AWS account ID
    error: --region: "us-east-9" differs from the region of network "prod-use1" (us-east-1); the cluster must be in its network's region
    error: --region: "us-east-9" is not an AWS region (commercial, GovCloud or China); did you mean "us-east-1"?
    3 errors found; nothing was written
    "#);
}

#[test]
fn completions_and_man_page() {
    let t = Test::empty();
    for (shell, marker) in [
        ("bash", "_eksvend()"),
        ("zsh", "#compdef eksvend"),
        ("fish", "complete -c eksvend"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = t.args(["completions", shell]).success();
        assert!(
            out.stdout.contains(marker) && out.stdout.contains("plan"),
            "{shell}"
        );
    }
    let out = t.args(["man"]).success();
    out.stdout_has("\n.TH eksvend 1 ");
}

#[test]
fn quiet_prints_only_errors_and_data() {
    let t = Test::new();
    let out = t
        .args(["-q", "apply", "-f", "fleet", "--repos", "repos"])
        .success();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let out = t
        .args([
            "-q", "plan", "-f", "fleet", "--repos", "repos", "--format", "json",
        ])
        .success();
    assert_eq!(out.stderr, "");
    assert_eq!(accounts_in_json(&out.stdout).len(), 5);
}
