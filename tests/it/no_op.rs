//! The no-op fast path: apply reports an account unchanged without rendering it when the
//! repository's rendering record (`.git/eksvend-rendered`) says the branch tip holds the
//! rendering of the account's digest — everything that determines its rendering. It must
//! never hide a real change: each kind of input is changed here and seen as an update (the
//! eksvend version is covered by `pipeline`'s unit test: one binary has one version).

use crate::support::{root, Output, Test};

const PAY: &str = "payments-prod";
const RISK: &str = "risk-batch-prod";

/// Apply with stage counts on; the run's output.
fn apply(t: &Test, extra: &[&str]) -> Output {
    let mut args = vec!["apply", "-f", "fleet", "--repos", "repos"];
    args.extend_from_slice(extra);
    t.args(args).env("EKSVEND_STAGE_COUNTS", "1").run()
}

/// How many accounts the run rendered.
fn rendered(out: &Output) -> usize {
    let counts = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("stage counts: "))
        .unwrap_or_else(|| panic!("no stage counts in:\n{}", out.stderr));
    counts
        .split(", ")
        .find_map(|c| c.strip_prefix("render "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no render count in {counts:?}"))
}

/// A person writes `content` to `path` in payments-prod's repository and commits it.
fn commit(t: &Test, path: &str, content: &str) {
    std::fs::write(t.path(&format!("repos/{PAY}/{path}")), content).unwrap();
    t.repo(PAY).commit_all("a person's commit");
}

fn vended() -> Test {
    let t = Test::new();
    let first = apply(&t, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(rendered(&first), 5);
    t
}

#[test]
fn a_second_apply_renders_nothing_and_reports_every_repository_unchanged() {
    let t = vended();
    let again = apply(&t, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    again.stdout_has("0 created, 0 updated, 5 unchanged, 0 conflict, 0 failed");
    assert_eq!(rendered(&again), 0, "{}", again.stderr);
}

#[test]
fn an_inventory_field_renders_that_account_again() {
    let t = vended();
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    let out = apply(&t, &[]);
    assert_eq!(rendered(&out), 1, "{}", out.stderr);
    out.stdout_has("1 updated, 4 unchanged");
    assert!(t
        .repo(PAY)
        .file("tenants/payments/tenant.yaml")
        .contains("requests.cpu: \"96\""));
}

#[test]
fn a_blueprint_file_renders_every_account_on_it_again() {
    let t = vended();
    let general = std::fs::read_to_string(root().join("blueprints/general/blueprint.yaml"))
        .unwrap()
        .replacen(
            "      values: {}\n",
            "      values:\n        replicas: 2\n",
            1,
        );
    t.file("custom/general/blueprint.yaml", &general);
    for policy in std::fs::read_dir(root().join("blueprints/general/policies")).unwrap() {
        let policy = policy.unwrap();
        let text = std::fs::read_to_string(policy.path()).unwrap();
        t.file(
            &format!(
                "custom/general/policies/{}",
                policy.file_name().to_string_lossy()
            ),
            &text,
        );
    }
    let out = apply(&t, &["--blueprints", "custom"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // the catalog is one input of every account: all render, those on general change
    assert_eq!(rendered(&out), 5, "{}", out.stderr);
    out.stdout_has("updated    ");
    let again = apply(&t, &["--blueprints", "custom"]);
    assert_eq!(rendered(&again), 0, "{}", again.stderr);
}

#[test]
fn a_template_renders_every_account_again() {
    let t = vended();
    let readme = std::fs::read_to_string(root().join("templates/network/README.md")).unwrap();
    t.file(
        "custom/templates/network/README.md",
        &format!("{readme}\nAsk #network-team for help.\n"),
    );
    let out = apply(&t, &["--blueprints", "custom"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rendered(&out), 5, "{}", out.stderr);
    out.stdout_has("0 created, 5 updated, 0 unchanged");
    assert!(t
        .repo(PAY)
        .file("network/README.md")
        .contains("Ask #network-team for help."));
}

#[test]
fn a_grant_from_another_account_renders_the_target_account_again() {
    let t = vended();
    // payments-prod's ledger-api gains a second role in risk-batch-prod: only the two render
    t.edit(
        "fleet/accounts/payments-prod.yaml",
        "            - arn:aws:iam::555566667777:role/risk-scenarios-reader\n",
        "            - arn:aws:iam::555566667777:role/risk-scenarios-reader\n            - arn:aws:iam::555566667777:role/risk-limits-reader\n",
    );
    let out = apply(&t, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rendered(&out), 2, "{}", out.stderr);
    out.stdout_has(&format!("updated    repos/{RISK}"));
    let target = t.repo(RISK);
    assert!(
        target
            .files()
            .values()
            .any(|text| text.contains("risk-limits-reader")),
        "risk-batch-prod's repository names the new incoming grant"
    );
}

#[test]
fn a_recorded_digest_from_another_eksvend_renders_again_and_records_the_current_one() {
    let t = vended();
    let record = t.path(&format!("repos/{PAY}/.git/eksvend-rendered"));
    let text = std::fs::read_to_string(&record).expect("apply leaves the rendering record");
    let digest = text
        .lines()
        .find(|l| l.starts_with("digest sha256:"))
        .expect("the record names the digest")
        .to_string();
    // what another eksvend version (another digest) would have recorded
    std::fs::write(&record, text.replace(&digest, "digest sha256:0000")).unwrap();
    let out = apply(&t, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(rendered(&out), 1, "{}", out.stderr);
    out.stdout_has("5 unchanged");
    assert!(std::fs::read_to_string(&record).unwrap().contains(&digest));
    // the record is the repository's own: nothing of it is committed
    assert!(!t.repo(PAY).files().contains_key(".git/eksvend-rendered"));
    assert_eq!(t.repo(PAY).status(), "");
}

#[test]
fn a_persons_commit_makes_the_next_apply_go_the_full_way_once() {
    let t = vended();
    commit(&t, "README.md", "our own README\n");
    let out = apply(&t, &[]);
    assert_eq!(rendered(&out), 1, "{}", out.stderr);
    out.stdout_has("payments-prod: kept 1 edited file");
    let again = apply(&t, &[]);
    assert_eq!(rendered(&again), 0, "{}", again.stderr);
}

#[test]
fn an_uncommitted_edit_is_refused_as_before_not_reported_unchanged() {
    let t = vended();
    std::fs::write(t.path("repos/payments-prod/README.md"), "half-done\n").unwrap();
    let out = apply(&t, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(rendered(&out), 1, "{}", out.stderr);
    out.stdout_has(&format!("failed     repos/{PAY}"));
}

#[test]
fn a_staged_edit_is_refused_as_before_once_the_index_is_recorded() {
    let t = vended();
    // settled runs record the index file that holds the branch's tree
    for _ in 0..2 {
        assert_eq!(rendered(&apply(&t, &[])), 0);
    }
    let record =
        std::fs::read_to_string(t.path(&format!("repos/{PAY}/.git/eksvend-rendered"))).unwrap();
    assert!(record.lines().any(|l| l.starts_with("index ")), "{record}");
    // a person stages an edit: the worktree matches the index, the index no longer HEAD
    std::fs::write(t.path(&format!("repos/{PAY}/README.md")), "staged\n").unwrap();
    // a clock tick later, so that the entry is not racily clean: only the index tells
    std::thread::sleep(std::time::Duration::from_millis(50));
    let repo = git2::Repository::open(t.path(&format!("repos/{PAY}"))).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new("README.md")).unwrap();
    index.write().unwrap();
    let out = apply(&t, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(rendered(&out), 1, "{}", out.stderr);
    out.stdout_has(&format!("failed     repos/{PAY}"));
}

/// Trees beyond apply's memory bound are rendered again in its second pass, without a second
/// verify: with the bound at 0 bytes every account takes that path, and every repository gets
/// the same commit tree as when the trees are kept.
#[test]
fn trees_rendered_again_past_the_memory_bound_are_the_trees_kept() {
    let kept = Test::new();
    kept.apply().run().code(0);
    let again = Test::new();
    again
        .apply()
        .env("EKSVEND_KEEP_RENDERED_BYTES", "0")
        .run()
        .code(0);
    for account in [
        "checkout-dev",
        "ml-research-dev",
        PAY,
        RISK,
        "vision-aiml-dev",
    ] {
        assert_eq!(
            again.repo(account).tree(),
            kept.repo(account).tree(),
            "{account}"
        );
    }
}
