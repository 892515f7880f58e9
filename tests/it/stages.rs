//! The pipeline's shape, observed from outside: each command resolves the fleet once, checks
//! each account's policy documents once and builds an account's IAM files in full only when it
//! renders (counted by the binary when `EKSVEND_STAGE_COUNTS` is set), and an account that
//! cannot resolve is reported, never dropped.

use crate::support::{Output, Test};

fn counted(s: &Test, args: &[&str]) -> Output {
    s.args(args).env("EKSVEND_STAGE_COUNTS", "1").run()
}

/// Run `args` and expect `code` and the stage counts `counts` (`resolve 1, check 5, …`).
fn expect_counts(s: &Test, args: &[&str], code: i32, counts: &str) {
    let run = counted(s, args);
    assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    assert!(
        run.stderr.contains(&format!("stage counts: {counts}")),
        "{args:?}: {}",
        run.stderr
    );
}

#[test]
fn every_command_resolves_once_and_checks_and_builds_iam_documents_once_per_account() {
    let s = Test::new();
    for args in [
        &["validate", "-f", "fleet"][..],
        &["render", "-f", "fleet", "--out", "out"],
        &["plan", "-f", "fleet", "--repos", "repos"],
        &["apply", "-f", "fleet", "--repos", "repos"],
    ] {
        expect_counts(&s, args, 0, "resolve 1, check 5, iam 5, render 5");
    }
    // a no-op apply checks every account and builds no stack: nothing renders
    let apply = ["apply", "-f", "fleet", "--repos", "repos"];
    expect_counts(&s, &apply, 0, "resolve 1, check 5, iam 0, render 0");
}

#[test]
fn a_selection_renders_only_what_it_selects_but_checks_the_whole_fleet() {
    let s = Test::new();
    let only = [
        "render",
        "-f",
        "fleet",
        "--out",
        "out",
        "--only",
        "account=payments-prod",
    ];
    expect_counts(&s, &only, 0, "resolve 1, check 5, iam 1, render 1");
}

#[test]
fn an_account_whose_network_does_not_resolve_is_reported_not_dropped() {
    let s = Test::new();
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "network: prod-use1",
        "network: nowhere",
    );
    let run = s.validate().run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("payments-prod.yaml:11:12: spec.network: no Network named \"nowhere\""),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    // Resolve never ran on the invalid inventory, so nothing could be dropped silently.
    let render = ["render", "-f", "fleet", "--out", "out"];
    expect_counts(&s, &render, 1, "resolve 0, check 0, iam 0, render 0");
    assert!(!s.exists("out"));
}

#[test]
fn resolve_reports_an_unresolvable_account_at_its_field_instead_of_dropping_it() {
    let catalog = eksvend::blueprint::catalog::Catalog::builtin().unwrap();
    let fleet = crate::support::root().join("examples/fleet");
    let mut inv = eksvend::fleet::load::load(&fleet).unwrap();
    let n = inv.accounts.len();
    let model = eksvend::fleet::model::convert(&inv).unwrap();
    assert_eq!(
        eksvend::resolve::resolve(&model, &catalog).unwrap().len(),
        n
    );
    inv.accounts[1].doc.spec.network = "nowhere".into();
    let model = eksvend::fleet::model::convert(&inv).unwrap();
    let err = eksvend::resolve::resolve(&model, &catalog)
        .unwrap_err()
        .locate(&inv);
    let text = err.to_string();
    assert_eq!(err.len(), 1, "{text}");
    assert!(
        text.contains("spec.network: no Network named \"nowhere\""),
        "{text}"
    );
}
