//! End-to-end benchmark: a synthetic fleet of N accounts (default 100), rendered and applied.
//!
//! Run: `cargo bench --bench vend` or `cargo bench --bench vend -- 1000` (or 5000).
//! Prints wall time and accounts per second for render (to plain files) and apply (git
//! commits: first vend, then a no-op second run), and the peak resident memory of the process.
#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark reports rates on stdout"
)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use eksvend::blueprint::catalog::Catalog;
use eksvend::{apply, pipeline};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("temporary directory");
    write_fleet(&dir.path().join("fleet"), n);
    let catalog = Catalog::builtin().expect("built-in catalog");

    let t = Instant::now();
    let rendered =
        pipeline::render_fleet(&dir.path().join("fleet"), &catalog, |_| true).expect("render");
    let render_secs = t.elapsed().as_secs_f64();
    let files: usize = rendered.iter().map(|r| r.tree.files.len()).sum();
    report("load+validate+render+verify", n, render_secs);
    println!("  {files} files rendered");

    let repos = dir.path().join("repos");
    let t = Instant::now();
    let reports = apply::apply_all(&rendered, &repos).expect("lock the repositories");
    report("apply (first vend, commits)", n, t.elapsed().as_secs_f64());
    assert!(reports
        .iter()
        .all(|r| matches!(r.outcome, apply::Outcome::Created { .. })));

    let t = Instant::now();
    let rendered =
        pipeline::render_fleet(&dir.path().join("fleet"), &catalog, |_| true).expect("render");
    let reports = apply::apply_all(&rendered, &repos).expect("lock the repositories");
    report(
        "render+apply (no-op second run)",
        n,
        t.elapsed().as_secs_f64(),
    );
    assert!(reports
        .iter()
        .all(|r| matches!(r.outcome, apply::Outcome::Unchanged)));

    println!(
        "peak memory (VmHWM): {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    println!("threads: {}", rayon::current_num_threads());
}

fn report(what: &str, n: usize, secs: f64) {
    println!(
        "{what:<34} {n:>6} accounts  {secs:>8.3} s  {:>9.1} accounts/s",
        n as f64 / secs
    );
}

fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}

/// A Fleet, two Networks and `n` WorkloadAccounts with two tenants each.
fn write_fleet(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir.join("accounts")).expect("fleet dir");
    std::fs::write(
        dir.join("fleet.yaml"),
        "apiVersion: eksvend.dev/v1alpha1\nkind: Fleet\nmetadata: {name: bench}\nspec:\n  git:\n    remote: \"https://git.example.com/eks-{account}.git\"\n",
    )
    .expect("fleet.yaml");
    std::fs::write(dir.join("networks.yaml"), NETWORKS).expect("networks.yaml");
    for i in 0..n {
        let (net, region) = if i % 2 == 0 {
            ("net-use1", "us-east-1")
        } else {
            ("net-euw1", "eu-west-1")
        };
        let engine = if i % 3 == 0 { "flux" } else { "argocd" };
        let mut doc = String::new();
        let _ = write!(
            doc,
            "apiVersion: eksvend.dev/v1alpha1\nkind: WorkloadAccount\nmetadata: {{name: team{i}-prod}}\nspec:\n  accountId: \"{:012}\"\n  team: team{i}\n  environment: prod\n  region: {region}\n  network: {net}\n  blueprint: general\n  gitops:\n    engine: {engine}\n    repos:\n      - {{name: apps, team: application, url: \"https://git.example.com/team{i}/apps.git\", path: deploy, namespaces: [app{i}]}}\n  tenants:\n",
            100_000_000_000u64 + i as u64
        );
        for t in 0..2 {
            let _ = write!(
                doc,
                "    - namespace: app{i}-{t}\n      quota: {{cpu: \"32\", memory: 64Gi}}\n      serviceAccounts:\n        - name: api\n          policyArns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n        - name: worker\n          identity: irsa\n          statements:\n            - {{Effect: Allow, Action: [sqs:ReceiveMessage], Resource: [\"arn:aws:sqs:{region}:{:012}:jobs\"]}}\n",
                100_000_000_000u64 + i as u64
            );
        }
        std::fs::write(dir.join(format!("accounts/team{i}.yaml")), doc).expect("account file");
    }
}

const NETWORKS: &str = "apiVersion: eksvend.dev/v1alpha1
kind: Network
metadata: {name: net-use1}
spec:
  accountId: \"999988887777\"
  region: us-east-1
  vpcId: vpc-0a1b2c3d4e5f67890
  ramShareArn: arn:aws:ram:us-east-1:999988887777:resource-share/7ab63972-b505-4d47-9a3c-0123456789ab
  subnets:
    private:
      - {id: subnet-0aaa1111bbbb22223, zoneId: use1-az1}
      - {id: subnet-0ccc3333dddd44445, zoneId: use1-az2}
---
apiVersion: eksvend.dev/v1alpha1
kind: Network
metadata: {name: net-euw1}
spec:
  accountId: \"999988887777\"
  region: eu-west-1
  vpcId: vpc-0f9e8d7c6b5a43210
  ramShareArn: arn:aws:ram:eu-west-1:999988887777:resource-share/0c7e2a51-3f4d-4e8b-9a6c-fedcba987654
  subnets:
    private:
      - {id: subnet-0f1e2d3c4b5a69788, zoneId: euw1-az1}
      - {id: subnet-0a9b8c7d6e5f40312, zoneId: euw1-az2}
";
