//! The pipeline's shape, observed from outside: each command resolves the fleet once, checks
//! each account's policy documents once and builds an account's IAM files in full only when it
//! renders (counted by the binary when `EKSVEND_STAGE_COUNTS` is set), and an account that
//! cannot resolve is reported, never dropped.

use crate::support::{Output, Test};

fn counted(s: &Test, args: &[&str]) -> Output {
    s.args(args).env("EKSVEND_STAGE_COUNTS", "1").run()
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
        let run = counted(&s, args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("stage counts: resolve 1, check 5, iam 5, render 5"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // a no-op apply checks every account and builds no stack: nothing renders
    let run = counted(&s, &["apply", "-f", "fleet", "--repos", "repos"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("stage counts: resolve 1, check 5, iam 0, render 0"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_selection_renders_only_what_it_selects_but_checks_the_whole_fleet() {
    let s = Test::new();
    let run = counted(
        &s,
        &[
            "render",
            "-f",
            "fleet",
            "--out",
            "out",
            "--only",
            "account=payments-prod",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("stage counts: resolve 1, check 5, iam 1, render 1"),
        "{}",
        run.stderr
    );
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
    let run = counted(&s, &["render", "-f", "fleet", "--out", "out"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("stage counts: resolve 0, check 0, iam 0, render 0"),
        "{}",
        run.stderr
    );
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
