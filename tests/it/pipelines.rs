//! Pipelines and day-to-day use: plan (text, diff, JSON, exit codes), selection, sharding,
//! init, new, completions and man page.

use std::collections::BTreeSet;

use crate::support::{read_tree, Scenario};

/// Replace the scenario's temporary directory and commit ids in output, for snapshots.
fn scrub(s: &Scenario, text: &str) -> String {
    let dir = s.dir.path().display().to_string();
    let mut out = text.replace(&dir, "[TMP]");
    // commit ids: 12 hex characters after "commit "
    while let Some(i) = out.find("commit ") {
        let end = i + 7 + 12;
        if end <= out.len() && out[i + 7..end].chars().all(|c| c.is_ascii_hexdigit()) {
            out.replace_range(i..end, "COMMIT [ID]");
        } else {
            break;
        }
    }
    out
}

fn accounts_in(stdout: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|w| w.starts_with("repos/"))
        .map(|w| w.trim_start_matches("repos/").to_string())
        .collect()
}

#[test]
fn help_text() {
    let s = Scenario::example();
    insta::assert_snapshot!("help", s.eksvend(&["--help"]).stdout);
    insta::assert_snapshot!("plan_help", s.eksvend(&["plan", "--help"]).stdout);
}

#[test]
fn plan_text_diff_json_and_exit_codes() {
    let s = Scenario::example();
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "-f",
            "fleet",
            "--repos",
            "repos",
            "--only",
            "account=payments-prod",
        ];
        args.extend_from_slice(extra);
        s.eksvend(&args)
    };
    // nothing exists yet: create
    let run = plan(&["--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!("plan_create", scrub(&s, &run.stdout));
    assert_eq!(
        plan(&[]).code,
        0,
        "without --detailed-exitcode pending changes exit 0"
    );
    assert!(!s.path("repos").exists(), "plan writes nothing");

    assert_eq!(s.apply().code, 0);
    let run = plan(&["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("unchanged payments-prod"),
        "{}",
        run.stdout
    );

    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    let before = read_tree(&s.path("repos"));
    let run = plan(&["--diff", "--detailed-exitcode"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("plan_update_diff", scrub(&s, &run.stdout));
    assert!(!run.stdout.contains('\u{1b}'), "no colour when piped");

    let run = plan(&["--format", "json"]);
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["formatVersion"], 1);
    assert_eq!(v["summary"]["update"], 1);
    let repo = &v["repos"][0];
    assert_eq!(repo["account"], "payments-prod");
    assert_eq!(repo["status"], "update");
    assert_eq!(repo["blueprint"], "general@1.0.0");
    let files: Vec<(&str, &str)> = repo["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        vec![
            (".eksvend/state.yaml", "modify"),
            ("tenants/payments/tenant.yaml", "modify")
        ]
    );

    // a conflict: exit 3 with or without --detailed-exitcode
    let tenant = s.path("repos/payments-prod/tenants/payments/tenant.yaml");
    let edited = std::fs::read_to_string(&tenant)
        .unwrap()
        .replace("requests.cpu: \"64\"", "requests.cpu: \"80\"");
    std::fs::write(&tenant, edited).unwrap();
    s.git("repos/payments-prod", &["commit", "-qam", "edit"]);
    let before_conflict = read_tree(&s.path("repos"));
    let run = plan(&[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.stdout.contains("conflict payments-prod"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "! tenants/payments/tenant.yaml  (edited by a person and changed by the generator)"
        ),
        "{}",
        run.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&plan(&["--format", "json"]).stdout).unwrap();
    assert_eq!(json["repos"][0]["status"], "conflict");
    // plan left every repository byte-identical (including .git)
    assert_ne!(before, before_conflict);
    assert_eq!(read_tree(&s.path("repos")), before_conflict);

    let run = s.eksvend(&[
        "plan",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        "tier=gold",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "unknown key \"tier\"; expected one of account, team, environment, blueprint, network"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn plan_never_touches_git_metadata() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    s.edit(
        "fleet/accounts/checkout-dev.yaml",
        "cpu: \"16\"",
        "cpu: \"20\"",
    );
    let snapshot = |s: &Scenario| -> Vec<(String, Vec<u8>)> {
        walkdir::WalkDir::new(s.path("repos"))
            .sort_by_file_name()
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    };
    let before = snapshot(&s);
    for extra in [
        &[][..],
        &["--diff"],
        &["--format", "json"],
        &["--detailed-exitcode"],
    ] {
        let mut args = vec!["plan", "-f", "fleet", "--repos", "repos"];
        args.extend_from_slice(extra);
        s.eksvend(&args);
    }
    assert!(before == snapshot(&s), "plan changed a byte under repos/");
}

#[test]
fn only_selects_by_key_and_glob() {
    let s = Scenario::example();
    let run = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        "environment=prod",
        "--only",
        "blueprint=general",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        accounts_in(&run.stdout),
        BTreeSet::from(["payments-prod".to_string()])
    );
    let run = s.eksvend(&[
        "render",
        "-f",
        "fleet",
        "--out",
        "out",
        "--only",
        "account=*-dev",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dirs: BTreeSet<String> = std::fs::read_dir(s.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        dirs.iter().all(|d| d.ends_with("-dev")) && dirs.contains("checkout-dev"),
        "{dirs:?}"
    );
    let run = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        "team=checkout",
        "--only",
        "team=payments",
    ]);
    assert_eq!(
        accounts_in(&run.stdout),
        BTreeSet::from(["checkout-dev".to_string(), "payments-prod".to_string()])
    );
}

#[test]
fn shards_are_disjoint_and_cover_the_fleet() {
    let s = Scenario::example();
    let names = |shard: &str| -> BTreeSet<String> {
        let run = s.eksvend(&[
            "plan", "-f", "fleet", "--repos", "repos", "--format", "json", "--shard", shard,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        v["repos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["account"].as_str().unwrap().to_string())
            .collect()
    };
    let everyone = names("1/1");
    assert!(everyone.len() >= 3);
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
    let run = s.eksvend(&["plan", "-f", "fleet", "--shard", "5/4"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("expected I/N with 1 <= I <= N"),
        "{}",
        run.stderr
    );
}

#[test]
fn init_validate_apply() {
    let s = Scenario::example();
    let run = s.eksvend(&["init", "starter"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.eksvend(&["validate", "-f", "starter"]).code, 0);
    let run = s.eksvend(&["apply", "-f", "starter", "--repos", "starter-repos"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 created"), "{}", run.stdout);
    let run = s.eksvend(&["init", "starter"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("already exist(s); nothing was written"),
        "{}",
        run.stderr
    );
}

#[test]
fn new_adds_exactly_one_account_and_refuses_duplicates() {
    let s = Scenario::example();
    assert_eq!(s.apply().code, 0);
    let args = [
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
        "general@^1",
        "--identity",
        "irsa",
    ];
    let run = s.eksvend(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("eksvend apply -f fleet --only account=fraud-prod"),
        "{}",
        run.stdout
    );
    assert!(s.path("fleet/accounts/fraud-prod.yaml").exists());
    let run = s.eksvend(&[
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        "account=fraud-prod",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("1 created, 0 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    assert!(s.path("repos/fraud-prod/cluster/cluster.yaml").exists());

    // a duplicate name, a duplicate account ID, a bad region: refused, nothing written
    let listing = read_tree(&s.path("fleet"));
    let run = s.eksvend(&args);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("fraud-prod.yaml: already exists; nothing was written"),
        "{}",
        run.stderr
    );
    let mut dup = args;
    dup[1] = "fraud-prod-2";
    let run = s.eksvend(&dup);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("spec.accountId: duplicate WorkloadAccount accountId \"777788889999\""),
        "{}",
        run.stderr
    );
    let mut bad = args;
    bad[1] = "fraud-dev";
    bad[9] = "222233334444x";
    bad[11] = "us-east-9";
    let run = s.eksvend(&bad);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("fraud-dev.yaml:8:14")
            && run.stderr.contains("is not a 12-digit AWS account ID"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("\"us-east-9\" is not an AWS region"),
        "{}",
        run.stderr
    );
    assert_eq!(read_tree(&s.path("fleet")), listing, "nothing written");
}

#[test]
fn error_output_shows_the_source_line() {
    let s = Scenario::example();
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "accountId: \"111122223333\"",
        "accountId: \"11112222333\"",
    );
    let run = s.eksvend(&["validate", "-f", "fleet"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("error_output", run.stderr);
}

#[test]
fn completions_and_man_page() {
    let s = Scenario::example();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = s.eksvend(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}");
        assert!(
            run.stdout.contains("eksvend") && run.stdout.contains("plan"),
            "{shell}"
        );
    }
    let run = s.eksvend(&["man"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains(".TH eksvend"),
        "{}",
        &run.stdout[..200.min(run.stdout.len())]
    );
}

#[test]
fn quiet_prints_only_errors_and_data() {
    let s = Scenario::example();
    let run = s.eksvend(&["-q", "apply", "-f", "fleet", "--repos", "repos"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "");
    let run = s.eksvend(&[
        "-q", "plan", "-f", "fleet", "--repos", "repos", "--format", "json",
    ]);
    assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok());
}
