//! Vended repositories on a real control plane (issue 11): each repository applied to an empty
//! cluster the way its GitOps engine would (`support::cluster::{flux, argocd}`), then the isolation
//! matrix of every tenant identity asked of the API server (`support::cluster::matrix`).
//!
//! Needs `KUBEBUILDER_ASSETS` (the folder with kube-apiserver, etcd and kube-controller-manager;
//! `.ci/run` sets it to `../shared/k8s/bin`): without it the tests say so and pass, with `CI=true`
//! they fail. One control plane per repository (an empty cluster each), at most three at a time.

use std::path::Path;
use std::sync::Mutex;

use crate::support::cluster::{self, Check, ControlPlane, Converge};
use crate::support::Test;

/// The URL eksvend writes as the repository's own (`spec.git.remote` of the example fleet).
fn repo_url(account: &str) -> String {
    format!("https://git.acme.example/platform/eks-{account}.git")
}

/// One repository's result.
struct Outcome {
    account: String,
    converge: Converge,
    matrix: Vec<Check>,
}

fn run_repo(assets: &Path, out: &Path, account: &str) -> Outcome {
    let cp = ControlPlane::start(assets);
    let repo = out.join(account);
    let url = repo_url(account);
    let converge = if repo.join("bootstrap/flux").is_dir() {
        cluster::flux(&cp, &repo, &url)
    } else {
        cluster::argocd(&cp, &repo, &url)
    };
    let matrix = cluster::matrix(&cp);
    Outcome {
        account: account.to_string(),
        converge,
        matrix,
    }
}

/// Render the fleet of `t`, apply every repository on its own control plane, and fail with every
/// rejected object, blocked unit and matrix violation.
#[allow(
    clippy::print_stderr,
    reason = "the figures of each repository, shown with --nocapture"
)]
fn converge_fleet(t: &Test) {
    let Some(assets) = cluster::assets() else {
        return;
    };
    t.render("out").success();
    let out = t.path("out");
    let mut accounts: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    accounts.sort();
    let work = Mutex::new(accounts.clone());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let Some(account) = work.lock().unwrap().pop() else {
                    break;
                };
                let outcome = run_repo(&assets, &out, &account);
                results.lock().unwrap().push(outcome);
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.account.cmp(&b.account));
    assert_eq!(results.len(), accounts.len(), "a worker panicked");
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for r in &results {
        let c = &r.converge;
        let violations: Vec<&Check> = r
            .matrix
            .iter()
            .filter(|c| c.allowed != c.expect_allowed)
            .collect();
        summary.push(format!(
            "{}: {} objects applied, {} rejected, {} units ({} blocked), matrix {} checks ({} violated)",
            r.account,
            c.applied,
            c.rejected.len(),
            c.units.len(),
            c.blocked().len(),
            r.matrix.len(),
            violations.len()
        ));
        for e in &c.rejected {
            failures.push(format!("{}: rejected {e}", r.account));
        }
        for b in c.blocked() {
            failures.push(format!("{}: not ready {b}", r.account));
        }
        for v in violations {
            failures.push(format!(
                "{}: {} {} was {} (expected {}) {}",
                r.account,
                v.who,
                v.what,
                if v.allowed { "allowed" } else { "denied" },
                if v.expect_allowed {
                    "allowed"
                } else {
                    "denied"
                },
                v.detail.lines().next().unwrap_or_default()
            ));
        }
    }
    eprintln!("{}", summary.join("\n"));
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}\n\n{}",
        failures.len(),
        failures.join("\n"),
        summary.join("\n")
    );
}

#[test]
fn example_fleet_converges_and_keeps_tenants_in_their_lanes() {
    converge_fleet(&Test::new());
}
