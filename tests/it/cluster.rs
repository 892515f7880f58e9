//! Vended repositories on a real control plane (issue 11): each repository applied to an empty
//! cluster the way its GitOps engine would (`support::cluster::{flux, argocd}`), then the isolation
//! matrix of every tenant identity asked of the API server (`support::cluster::matrix`).
//!
//! Needs `KUBEBUILDER_ASSETS` (the folder with kube-apiserver, etcd and kube-controller-manager;
//! `.ci/run` sets it to `../shared/k8s/bin`): without it the tests say so and pass, with `CI=true`
//! they fail. Two control planes per test, each reset to an empty cluster (CRDs only) before
//! each repository.

use std::path::Path;
use std::sync::Mutex;

use serde::Deserialize;

use crate::support::cluster::{self, Check, ControlPlane, Converge, Declared, Who};
use crate::support::Test;

/// The URL eksvend writes as the repository's own (`spec.git.remote` of the example fleet).
fn repo_url(account: &str) -> String {
    format!("https://git.acme.example/platform/eks-{account}.git")
}

/// Control planes per test: each applies its share of the repositories one after the other,
/// reset to an empty cluster before each.
const WORKERS: usize = 2;

/// One repository's result.
struct Outcome {
    account: String,
    timing: String,
    converge: Converge,
    matrix: Vec<Check>,
    /// Objects of `platform/load-balancing/` not found on the cluster after converging.
    load_balancing: Vec<String>,
}

/// The load balancer classes (issue 12, point 2) are on the cluster, with the subnet IDs the
/// repository names: every IngressClass and IngressClassParams of
/// `platform/load-balancing/ingressclasses.yaml`, read back from the API server.
fn missing_load_balancing(cp: &ControlPlane, repo: &Path) -> Vec<String> {
    let file = repo.join("platform/load-balancing/ingressclasses.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut missing = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let doc = serde_json::Value::deserialize(doc).unwrap();
        let name = doc["metadata"]["name"].as_str().unwrap();
        let resource = match doc["kind"].as_str().unwrap() {
            "IngressClass" => "ingressclasses.networking.k8s.io",
            "IngressClassParams" => "ingressclassparams.elbv2.k8s.aws",
            other => panic!("{}: unexpected kind {other}", file.display()),
        };
        let got = cp.kubectl(&["get", resource, name, "-o", "json"], None);
        if !got.ok {
            missing.push(format!("{resource}/{name}: {}", got.stderr.trim()));
            continue;
        }
        let live: serde_json::Value = serde_json::from_str(&got.stdout).unwrap();
        if live["spec"] != doc["spec"] {
            missing.push(format!(
                "{resource}/{name}: spec {} on the cluster, {} in the repository",
                live["spec"], doc["spec"]
            ));
        }
    }
    missing
}

/// The cluster-scoped kinds the account's team repositories declare (`clusterResources`), with
/// the identities the tenancy model gives them to: the sync identity (Argo CD: `argocd-<team>`
/// in the team's first namespace, one per team; Flux: `flux-<repository>` in the repository's
/// first namespace) writes them, the team's group reads them.
fn declared_kinds(fleet: &Path, account: &str) -> Vec<Declared> {
    let text = std::fs::read_to_string(fleet.join(format!("accounts/{account}.yaml"))).unwrap();
    let doc = cluster::documents(&text).into_iter().next().unwrap();
    let spec = &doc["spec"];
    let flux = spec["gitops"]["engine"] == "flux";
    let repos = spec["gitops"]["repos"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let namespaces = |r: &serde_json::Value| -> Vec<String> {
        match r["namespaces"].as_array() {
            Some(ns) if !ns.is_empty() => {
                ns.iter().map(|n| n.as_str().unwrap().to_string()).collect()
            }
            _ => vec![r["team"].as_str().unwrap().to_string()],
        }
    };
    let mut out = Vec::new();
    for r in &repos {
        let team = r["team"].as_str().unwrap();
        let writer = if flux {
            Who::sa(
                &namespaces(r)[0],
                &format!("flux-{}", r["name"].as_str().unwrap()),
            )
        } else {
            let mut team_ns: Vec<String> = repos
                .iter()
                .filter(|o| o["team"] == team)
                .flat_map(namespaces)
                .collect();
            team_ns.sort();
            Who::sa(&team_ns[0], &format!("argocd-{team}"))
        };
        for k in r["clusterResources"].as_array().into_iter().flatten() {
            let kind = k["kind"].as_str().unwrap().to_lowercase();
            let resource = k["resource"].as_str().map_or_else(
                || {
                    if kind.ends_with('s') {
                        format!("{kind}es")
                    } else if let Some(stem) = kind.strip_suffix('y') {
                        format!("{stem}ies")
                    } else {
                        format!("{kind}s")
                    }
                },
                ToString::to_string,
            );
            out.push(Declared {
                writer: writer.clone(),
                reader: Who::person(team),
                group: k["group"].as_str().unwrap().to_string(),
                resource,
            });
        }
    }
    out
}

fn run_repo(cp: &ControlPlane, fleet: &Path, out: &Path, account: &str) -> Outcome {
    let started = std::time::Instant::now();
    cp.reset();
    let up = started.elapsed();
    let repo = out.join(account);
    let url = repo_url(account);
    let converge = if repo.join("bootstrap/flux").is_dir() {
        cluster::flux(cp, &repo, &url)
    } else {
        cluster::argocd(cp, &repo, &url)
    };
    let converged = started.elapsed();
    let load_balancing = missing_load_balancing(cp, &repo);
    let mut matrix = cluster::matrix(cp);
    matrix.extend(cluster::access_groups(cp, &repo));
    matrix.extend(cluster::cluster_kinds(cp, &declared_kinds(fleet, account)));
    let timing = format!(
        "{:.0?} reset, {:.0?} converge, {:.0?} matrix",
        up,
        converged.saturating_sub(up),
        started.elapsed().saturating_sub(converged)
    );
    Outcome {
        timing,
        account: account.to_string(),
        converge,
        matrix,
        load_balancing,
    }
}

/// Render the fleet of `t`, apply every repository on its own control plane, and fail with every
/// rejected object, blocked unit and matrix violation.
#[allow(
    clippy::print_stderr,
    reason = "the figures of each repository, shown with --nocapture"
)]
fn converge_fleet(t: &Test) {
    t.render("out").success();
    let Some(assets) = cluster::assets() else {
        return;
    };
    let out = t.path("out");
    let fleet = t.path("fleet");
    let mut accounts: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.')) // render's marker
        .collect();
    accounts.sort();
    let work = Mutex::new(accounts.clone());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                let cp = ControlPlane::start(&assets);
                loop {
                    let Some(account) = work.lock().unwrap().pop() else {
                        break;
                    };
                    let outcome = run_repo(&cp, &fleet, &out, &account);
                    results.lock().unwrap().push(outcome);
                }
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
            "{}: {} objects applied, {} rejected, {} units ({} blocked), matrix {} checks ({} violated); {}",
            r.account,
            c.applied,
            c.rejected.len(),
            c.units.len(),
            c.blocked().len(),
            r.matrix.len(),
            violations.len(),
            r.timing
        ));
        for e in &c.rejected {
            failures.push(format!("{}: rejected {e}", r.account));
        }
        for b in c.blocked() {
            failures.push(format!("{}: not ready {b}", r.account));
        }
        for m in &r.load_balancing {
            failures.push(format!("{}: load balancing {m}", r.account));
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

/// A fleet of one account per blueprint × engine whose service accounts use both identity modes
/// (the account's default and the other one, set on the service account; the account default
/// alternates, so every engine × blueprint and every engine × default mode occurs). Each has an
/// application repository over two namespaces (one with a quota and service accounts) and a
/// security repository without namespaces (its own `security` namespace and group) that
/// declares two cluster-scoped kinds (a built-in one and a CRD's).
fn generated_fleet() -> Test {
    let t = Test::empty();
    t.file("fleet/fleet.yaml", &t_example("fleet.yaml"));
    t.file("fleet/networks.yaml", &t_example("networks.yaml"));
    let modes = ["podIdentity", "irsa"];
    let mut n = 0u32;
    for blueprint in ["general", "batch", "aiml"] {
        for engine in ["argocd", "flux"] {
            n += 1;
            let identity = modes[(n as usize) % 2];
            let other = modes[(n as usize + 1) % 2];
            let name = format!("{blueprint}-{engine}");
            let team = format!("team{n}");
            let id = 100_000_000_000u64 + u64::from(n);
            // ACK under both engines: its objects must wait for the ACK chart's CRDs.
            let params = if blueprint == "general" {
                "  parameters:\n    ackPodIdentity: true\n"
            } else {
                ""
            };
            t.file(
                &format!("fleet/accounts/{name}.yaml"),
                &format!(
                    "apiVersion: eksvend.dev/v1alpha1
kind: WorkloadAccount
metadata:
  name: {name}
spec:
  accountId: \"{id:012}\"
  team: {team}
  environment: dev
  region: us-east-1
  network: prod-use1
  blueprint: {blueprint}
  identity: {identity}
{params}  gitops:
    engine: {engine}
    repos:
      - name: apps
        team: application
        url: ssh://git@git.acme.example/{team}/apps.git
        path: deploy/dev
        namespaces: [{team}, {team}-jobs]
      - name: baseline
        team: security
        url: https://git.acme.example/security/baseline.git
        clusterResources:
          - {{group: storage.k8s.io, kind: StorageClass}}
          - {{group: kyverno.io, kind: ClusterPolicy}}
  tenants:
    - namespace: {team}
      quota: {{cpu: \"64\", memory: 256Gi, pods: 200}}
      serviceAccounts:
        - name: api
          policyArns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
        - name: worker
          identity: {other}
          statements:
            - Effect: Allow
              Action: [sqs:ReceiveMessage]
              Resource: [arn:aws:sqs:us-east-1:{id:012}:jobs]
    - namespace: {team}-jobs
  access:
    platformAdmins: [arn:aws:iam::{id:012}:role/platform-admin]
    teams:
      {team}: [arn:aws:iam::{id:012}:role/{team}-developer]
      security: [arn:aws:iam::{id:012}:role/security-engineer]
"
                ),
            );
        }
    }
    t
}

/// A file of the bundled example fleet.
fn t_example(rel: &str) -> String {
    std::fs::read_to_string(crate::support::root().join("examples/fleet").join(rel)).unwrap()
}

#[test]
fn generated_fleet_of_every_blueprint_engine_and_identity_mode_converges() {
    converge_fleet(&generated_fleet());
}
