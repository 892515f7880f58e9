//! Saved plans (issue 15, point 6): `plan --out PLAN` then `apply PLAN` applies exactly the
//! plan; an inventory file, a blueprint file or a repository that moved in between makes apply
//! refuse (exit 1, naming what moved) and write nothing; the plan file holds no credentials.

use crate::support::{raise_payments_quota, with_general_1_1, Test};

/// `plan --out plan.json` (with `extra` arguments).
fn save_plan(t: &Test, extra: &[&str]) -> crate::support::Output {
    t.plan().args(["--out", "plan.json"]).args(extra).success()
}

/// `apply plan.json`.
fn apply_plan(t: &Test) -> crate::support::Cmd<'_> {
    t.args(["apply", "plan.json"])
}

fn saved(t: &Test) -> serde_json::Value {
    serde_json::from_str(&t.read("plan.json")).unwrap()
}

#[test]
fn plan_then_apply_applies_exactly_the_plan() {
    let t = Test::new();
    let out = save_plan(&t, &["--only", "team=payments"]);
    out.stdout_has("saved the plan to plan.json; apply exactly it with `eksvend apply plan.json`");
    assert!(!t.exists("repos"), "plan --out writes only the plan");

    let plan = saved(&t);
    assert_eq!(plan["kind"], "eksvend-plan");
    assert_eq!(plan["formatVersion"], 1);
    assert_eq!(plan["arguments"]["only"][0], "team=payments");
    assert_eq!(plan["repos"].as_array().unwrap().len(), 1);
    let repo = &plan["repos"][0];
    assert_eq!(repo["account"], "payments-prod");
    assert_eq!(repo["status"], "create");
    assert_eq!(repo["head"], serde_json::Value::Null);
    assert_eq!(repo["worktree"], "absent");
    let inputs: Vec<&str> = plan["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(inputs.contains(&"(built-in catalog)"), "{inputs:?}");
    assert!(
        inputs.contains(&"fleet/accounts/payments-prod.yaml"),
        "{inputs:?}"
    );

    // the selection and --repos come from the plan: only payments-prod is applied, into
    // repos/ (the environment's defaults are the plan's business)
    let out = apply_plan(&t)
        .env("EKSVEND_REPOS", "elsewhere")
        .env("EKSVEND_FLEET", "elsewhere")
        .success();
    out.stdout_has("created    repos/payments-prod");
    assert!(!t.exists("repos/checkout-dev"), "{}", out.stdout);
    let head = t.repo("payments-prod").head();

    // an update, planned then applied
    raise_payments_quota(&t);
    save_plan(&t, &["--only", "team=payments"]);
    assert_eq!(saved(&t)["repos"][0]["head"], head.as_str());
    assert_eq!(saved(&t)["repos"][0]["worktree"], "clean");
    apply_plan(&t)
        .success()
        .stdout_has("updated    repos/payments-prod  2 files changed");
    assert!(t
        .repo("payments-prod")
        .file("tenants/payments/tenant.yaml")
        .contains("requests.cpu: \"96\""));

    // the same plan once more: the branch it was made on has moved (by the plan itself)
    let out = apply_plan(&t).run().code(1);
    out.stderr_has("repos/payments-prod: the branch main moved since the plan");
}

#[test]
fn an_inventory_edit_after_the_plan_is_refused_and_nothing_is_written() {
    let t = Test::new();
    t.apply().success();
    raise_payments_quota(&t);
    save_plan(&t, &[]);
    t.edit(
        "fleet/accounts/checkout-dev.yaml",
        "checkout-dev",
        "checkout-dev # reviewed",
    );
    t.file("fleet/accounts/new.yml", "# nothing yet\n");
    let before = t.tree("repos");
    let out = apply_plan(&t).run().code(1);
    insta::assert_snapshot!(out.stderr, @r"
    error: plan.json: refusing to apply this saved plan: 2 things changed since it was made:
      fleet/accounts/checkout-dev.yaml: changed since the plan
      fleet/accounts/new.yml: added since the plan
    nothing was written; make a new plan (`eksvend plan --out PLAN`), review it, and apply that
    ");
    assert!(t.tree("repos") == before, "nothing written");
}

#[test]
fn a_blueprint_edit_after_the_plan_is_refused() {
    let t = with_general_1_1();
    save_plan(&t, &["--blueprints", "custom"]);
    t.edit(
        "custom/blueprints/general-1.1/blueprint.yaml",
        "node images pinned",
        "node images pinned (reviewed)",
    );
    let out = apply_plan(&t).run().code(1);
    out.stderr_has("  custom/blueprints/general-1.1/blueprint.yaml: changed since the plan\n");
    assert!(!t.exists("repos"), "nothing written");
}

#[test]
fn a_commit_in_a_repository_after_the_plan_is_refused() {
    let t = Test::new();
    t.apply().success();
    raise_payments_quota(&t);
    save_plan(&t, &[]);
    let file = "repos/checkout-dev/README.md";
    t.file(file, &format!("{}\nOn-call: #checkout\n", t.read(file)));
    t.repo("checkout-dev").commit_all("on-call");
    let before = t.tree("repos");
    let out = apply_plan(&t).run().code(1);
    out.stderr_has("refusing to apply this saved plan: something changed since it was made:\n")
        .stderr_has("  repos/checkout-dev: the branch main moved since the plan (planned on ");
    assert!(
        t.tree("repos") == before,
        "nothing written, payments-prod included"
    );

    // an uncommitted edit is refused as apply refuses it
    t.git("repos/checkout-dev", &["reset", "-q", "--hard", "HEAD~1"]);
    t.file(file, "edited\n");
    apply_plan(&t)
        .run()
        .code(1)
        .stderr_has("repos/checkout-dev");
    assert_eq!(t.read(file), "edited\n");
}

#[test]
fn the_plan_file_holds_no_credentials_and_only_a_saved_plan_applies() {
    let t = Test::new();
    t.set_remote("https://127.0.0.1:9/");
    t.plan()
        .args(["--out", "plan.json"])
        .env("EKSVEND_GIT_TOKEN", "s3cr3t-token")
        .env("EKSVEND_GIT_USERNAME", "robot-user")
        .success();
    let text = t.read("plan.json");
    assert!(
        !text.contains("s3cr3t-token") && !text.contains("robot-user"),
        "{text}"
    );

    // the JSON report is not a saved plan
    let report = t.plan().args(["--format", "json"]).success().stdout;
    t.file("report.json", &report);
    t.args(["apply", "report.json"])
        .run()
        .code(1)
        .stderr_has("report.json: not a saved plan: no `\"kind\": \"eksvend-plan\"`");
    // the plan's arguments are the plan's: others are refused by the parser
    let out = t
        .args(["apply", "plan.json", "--only", "team=x"])
        .run()
        .code(2);
    out.stderr_has("cannot be used with");
    let out = t.args(["apply", "plan.json", "-f", "fleet"]).run().code(2);
    out.stderr_has("cannot be used with '--fleet <PATH>'");
    assert!(!t.exists("repos"));
}

#[test]
fn a_push_to_the_remote_after_the_plan_is_refused_at_fetch() {
    use crate::support::{git_in, Repo};
    let t = Test::new();
    let bare = t.file_remotes(&["payments-prod"]).remove(0);
    let only = ["--only", "account=payments-prod"];
    t.apply().args(only).args(["--push"]).success();
    raise_payments_quota(&t);
    save_plan(&t, &only);

    // a person pushes to the remote after the plan was reviewed
    let person = t.path("person");
    git_in(
        &t.path("remotes"),
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            person.to_str().unwrap(),
        ],
    );
    std::fs::write(person.join("NOTES.md"), "on-call: #payments\n").unwrap();
    git_in(&person, &["add", "NOTES.md"]);
    git_in(&person, &["commit", "-qm", "notes"]);
    git_in(&person, &["push", "-q", "origin", "main"]);
    let remote_head = Repo::open(&bare).rev("main");

    let out = apply_plan(&t).args(["--push"]).run().code(1);
    out.stderr_has("repos/payments-prod: the branch main is at ")
        .stderr_has("but the saved plan was made on ");
    assert_eq!(Repo::open(&bare).rev("main"), remote_head, "nothing pushed");
    assert!(!t
        .repo("payments-prod")
        .file("tenants/payments/tenant.yaml")
        .contains("requests.cpu: \"96\""));
}
