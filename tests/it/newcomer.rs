//! A newcomer's first hour (issue 15), step by step in an empty folder, as README and the
//! messages tell it: `init`, `new`, `validate`, `plan --out`, `apply PLAN`, a person's edit to
//! a generated file, a blueprint version bump, `plan --diff`, `apply`. Every step's output is
//! snapshotted: a change in what a newcomer reads shows up here.

use crate::support::{Output, Test, GENERAL_1_1};

/// One step as a newcomer sees it: exit code, stdout, then stderr; commit ids (which depend
/// on the eksvend version in the trailers) shown as `[COMMIT]`.
fn seen(out: &Output) -> String {
    let mut text = format!("exit {}\n", out.code);
    text.push_str(&out.stdout);
    if !out.stderr.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&out.stderr);
    }
    without_commit_ids(&text)
}

fn without_commit_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("commit ") {
        let (before, after) = rest.split_at(i + "commit ".len());
        out.push_str(before);
        let id_len = after.chars().take_while(char::is_ascii_hexdigit).count();
        if id_len == 12 {
            out.push_str("[COMMIT]");
            rest = &after[id_len..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn a_newcomers_first_hour() {
    let t = Test::empty();
    let run = |args: &[&str]| t.args(args).env("SOURCE_DATE_EPOCH", "1700000000").run();

    insta::assert_snapshot!(seen(&run(&["init"])), @r"
    exit 0
    wrote a starter inventory to fleet/ (fleet.yaml, networks.yaml, accounts/team-a-dev.yaml, eksvend.schema.json)
    next:
      eksvend validate -f fleet
      eksvend plan -f fleet --diff
      eksvend apply -f fleet --repos repos
    ");

    let new = [
        "new",
        "team-b-prod",
        "--team",
        "team-b",
        "--environment",
        "prod",
        "--account-id",
        "123456789012",
        "--region",
        "us-east-1",
        "--network",
        "shared-use1",
        "--blueprint",
        "general",
    ];
    insta::assert_snapshot!(seen(&run(&new)), @r"
    exit 0
    wrote fleet/accounts/team-b-prod.yaml
    next: review it, add tenants and team repositories, then run
      eksvend plan -f fleet --only account=team-b-prod --diff
      eksvend apply -f fleet --only account=team-b-prod
    ");

    insta::assert_snapshot!(seen(&run(&["validate"])), @r"
    exit 0
    fleet: valid (2 accounts, 1 network; every repository renders and verifies)
    ");

    insta::assert_snapshot!(seen(&run(&["plan", "--out", "plan.json"])), @r#"
    exit 0
    create team-a-dev (general@2.0.0, repos/team-a-dev)
      + 35 files
    create team-b-prod (general@2.0.0, repos/team-b-prod)
      + 31 files
    2 to create, 0 to update, 0 unchanged, 0 conflict
    saved the plan to plan.json; apply exactly it with `eksvend apply plan.json`
    "#);
    assert!(!t.exists("repos"), "plan writes only the plan");

    insta::assert_snapshot!(seen(&run(&["apply", "plan.json"])), @r#"
    exit 0
    created    repos/team-a-dev  35 files  commit [COMMIT]
    created    repos/team-b-prod  31 files  commit [COMMIT]
    2 created, 0 updated, 0 unchanged, 0 conflict, 0 failed
    "#);

    // a person gives team-a-dev's nodes bigger disks, in the generated file, and commits
    let nodeclass = "repos/team-a-dev/platform/karpenter/ec2nodeclass.yaml";
    t.edit(nodeclass, "volumeSize: 100Gi", "volumeSize: 200Gi");
    t.git("repos/team-a-dev", &["commit", "-qam", "bigger disks"]);

    // the platform team publishes general 2.1.0 in its own catalog, which the Fleet names
    t.file("platform-catalog/general-1.1/blueprint.yaml", GENERAL_1_1);
    t.edit(
        "fleet/fleet.yaml",
        "  # blueprints: [../platform-catalog]",
        "  blueprints: [../platform-catalog]",
    );

    insta::assert_snapshot!(seen(&run(&["plan", "--diff"])), @r#"
    exit 0
    update team-a-dev (general@2.1.0, repos/team-a-dev)
      ~ .eksvend/state.yaml
      ~ platform/karpenter/ec2nodeclass.yaml  (edited by a person and changed by the generator: merged)
    update team-b-prod (general@2.1.0, repos/team-b-prod)
      ~ .eksvend/state.yaml
      ~ platform/karpenter/ec2nodeclass.yaml
        --- a/platform/karpenter/ec2nodeclass.yaml
        +++ b/platform/karpenter/ec2nodeclass.yaml
        @@ -8,7 +8,7 @@
         spec:
           role: "team-b-prod_karpenter-node"
           amiSelectorTerms:
        -    - alias: "al2023@v20260903"
        +    - alias: "al2023@v20261001"
           subnetSelectorTerms:
             - id: "subnet-0aaa1111bbbb22223"
             - id: "subnet-0ccc3333dddd44445"
    0 to create, 2 to update, 0 unchanged, 0 conflict
    "#);

    insta::assert_snapshot!(seen(&run(&["apply"])), @r#"
    exit 0
    updated    repos/team-a-dev  2 files changed  commit [COMMIT]
      team-a-dev: merged 1 edited file (-v lists them)
    updated    repos/team-b-prod  2 files changed  commit [COMMIT]
    0 created, 2 updated, 0 unchanged, 0 conflict, 0 failed
    "#);

    // both changes are in the file: the person's disks and the new blueprint's image
    let merged = t
        .repo("team-a-dev")
        .file("platform/karpenter/ec2nodeclass.yaml");
    assert!(
        merged.contains("volumeSize: 200Gi") && merged.contains("al2023@v20261001"),
        "{merged}"
    );
    assert!(run(&["apply"])
        .stdout
        .contains("0 created, 0 updated, 2 unchanged"));
}

#[test]
fn commit_ids_are_hidden() {
    assert_eq!(
        without_commit_ids("a commit 0123456789ab b\ncommit to x"),
        "a commit [COMMIT] b\ncommit to x"
    );
}
