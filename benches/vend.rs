//! Fleet benchmark: the release `eksvend` binary on synthetic fleets, each phase a process of
//! its own (so its wall time, CPU time and peak memory are its own), next to a floor measured
//! in the same run: the same repositories made by `cp` and the git CLI (`init`, `add`,
//! `commit`), two at a time like eksvend's two workers on this machine.
//!
//! Run: `cargo bench --bench vend` (N = 100 and 1,000) or `cargo bench --bench vend -- 100 1000
//! 5000`; `--dir DIR` puts the fleets under DIR (default: the system temporary directory; use
//! a tmpfs such as /dev/shm to leave the disk out, or a disk to include fsync).
//!
//! Phases per N: `validate`; `apply` into an empty folder (first vend); `apply` again (no-op);
//! a blueprint bump (a user catalog with the next patch version of `general` that changes one
//! Helm value: the add-on's file, the README's add-on table and the state file change in each
//! repository) applied; `plan` and `render --out` of the bumped fleet. Per phase it prints wall
//! and CPU milliseconds per repository, peak RSS, and the ratio to the floor.
#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a benchmark reports rates on stdout"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What one process cost.
#[derive(Debug, Clone, Copy)]
struct Cost {
    wall_s: f64,
    cpu_s: f64,
    max_rss_kib: i64,
}

fn main() {
    let mut sizes: Vec<usize> = Vec::new();
    let mut base = std::env::temp_dir();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--dir" {
            base = PathBuf::from(args.next().expect("--dir needs a directory"));
        } else if let Ok(n) = a.parse() {
            sizes.push(n);
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 1000];
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_eksvend"));
    println!("eksvend {}  ({})", env!("CARGO_PKG_VERSION"), exe.display());
    println!("fleets under {}", base.display());
    println!(
        "{:>5}  {:<22} {:>9} {:>9} {:>9} {:>10} {:>9}",
        "N", "phase", "wall ms/r", "CPU ms/r", "total s", "peak RSS", "÷ floor"
    );
    for n in sizes {
        bench(exe, &base, n);
    }
}

fn bench(exe: &Path, base: &Path, n: usize) {
    let dir = tempfile::tempdir_in(base).expect("a temporary directory");
    let fleet = dir.path().join("fleet");
    write_fleet(&fleet, n);
    let repos = dir.path().join("repos");
    let eksvend = |args: &[&str]| {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .env("NO_COLOR", "1");
        cmd
    };
    let fleet_s = fleet.to_str().expect("a UTF-8 path");
    let repos_s = repos.to_str().expect("a UTF-8 path");

    let validate = run(eksvend(&["validate", "-f", fleet_s]), "validate");
    let first = run(
        eksvend(&["apply", "-f", fleet_s, "--repos", repos_s]),
        "first apply",
    );
    let noop = run(
        eksvend(&["apply", "-f", fleet_s, "--repos", repos_s]),
        "no-op apply",
    );
    // the first no-op after an apply re-reads what was written in the index's own clock tick
    // (racily clean files, as git would) and records the settled index; later ones need not
    let settled = run(
        eksvend(&["apply", "-f", fleet_s, "--repos", repos_s]),
        "settled no-op apply",
    );
    bump_blueprint(&fleet);
    let bump_out = dir.path().join("bump.out");
    let bump = run_to(
        eksvend(&["apply", "-f", fleet_s, "--repos", repos_s]),
        "bump apply",
        &bump_out,
    );
    let changed = changed_files(&bump_out);
    let plan = run(
        eksvend(&["plan", "-f", fleet_s, "--repos", repos_s]),
        "plan (no change)",
    );
    let out = dir.path().join("rendered");
    let render = run(
        eksvend(&[
            "render",
            "-f",
            fleet_s,
            "--out",
            out.to_str().expect("UTF-8"),
        ]),
        "render --out",
    );
    let floor = floor(&repos.join("team0-prod"), dir.path(), n);

    let row = |phase: &str, c: Cost, vs_floor: bool| {
        let per = |s: f64| s * 1000.0 / n as f64;
        let ratio = if vs_floor {
            format!("{:.2}", c.wall_s / floor.wall_s)
        } else {
            String::new()
        };
        println!(
            "{n:>5}  {phase:<22} {:>9.2} {:>9.2} {:>9.2} {:>7} MiB {ratio:>9}",
            per(c.wall_s),
            per(c.cpu_s),
            c.wall_s,
            c.max_rss_kib / 1024
        );
    };
    row("validate", validate, false);
    row("apply, first vend", first, true);
    row("apply, no-op", noop, false);
    row("apply, no-op again", settled, false);
    row(&format!("apply, bump ({changed:.1} f/r)"), bump, false);
    row("plan, no change", plan, false);
    row("render --out", render, false);
    row("floor: cp + git CLI", floor, true);
    println!(
        "{n:>5}  first apply ÷ floor: wall {:.2}, CPU {:.2}",
        first.wall_s / floor.wall_s,
        first.cpu_s / floor.cpu_s
    );
}

/// Run `cmd` to completion (output discarded); its cost. Panics when it fails.
fn run(cmd: Command, what: &str) -> Cost {
    run_to(cmd, what, Path::new("/dev/null"))
}

/// Run `cmd` with stdout and stderr into `out`; its cost. Panics when it fails.
fn run_to(mut cmd: Command, what: &str, out: &Path) -> Cost {
    let file = std::fs::File::create(out).expect("output file");
    cmd.stdout(file.try_clone().expect("output file"))
        .stderr(file);
    let t = Instant::now();
    // reaped by wait4 below (Child::wait would not return the resource usage)
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    let (status, usage) = wait(child.id());
    let wall_s = t.elapsed().as_secs_f64();
    if status != 0 {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        panic!("{what} failed (wait status {status}):\n{text}");
    }
    Cost {
        wall_s,
        cpu_s: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
    }
}

/// Wait for the process `pid` and return its status and resource usage (its own, and of the
/// children it waited for).
fn wait(pid: u32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct, and wait4 only
    // writes into the two locals for a child of this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = libc::pid_t::try_from(pid).expect("a pid");
    let got = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    assert_eq!(got, pid, "wait4: {}", std::io::Error::last_os_error());
    (status, usage)
}

fn seconds(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}

/// The floor: `n` copies of one vended repository's files, each made a repository with the
/// git CLI (`init`, `add -A`, `commit`), two at a time.
fn floor(repo: &Path, scratch: &Path, n: usize) -> Cost {
    let files = scratch.join("floor-files");
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["checkout-index", "-a", "--prefix"])
        .arg(format!("{}/", files.display()))
        .status()
        .expect("git checkout-index");
    assert!(status.success(), "git checkout-index failed");
    let dest = scratch.join("floor");
    std::fs::create_dir_all(&dest).expect("floor dir");
    let script = r#"cp -r "$1" "$2/r$3" && cd "$2/r$3" && git init -q -b main . && git add -A && git -c user.name=bench -c user.email=bench@example.com commit -q -m vend"#;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "seq 1 {n} | xargs -P 2 -I{{}} sh -c '{}' _ '{}' '{}' {{}}",
            script.replace('\'', r"'\''"),
            files.display(),
            dest.display()
        ))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", scratch);
    run(cmd, "floor")
}

/// A user catalog with the next patch version of the built-in `general` blueprint, whose
/// metrics-server add-on gains one Helm value, and the Fleet pointing at it.
fn bump_blueprint(fleet: &Path) {
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/general/blueprint.yaml");
    let text = std::fs::read_to_string(&builtin).expect("the general blueprint");
    let version_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("version: ") && l.starts_with("  version"))
        .expect("spec.version in general/blueprint.yaml");
    let version: semver::Version = version_line
        .trim()
        .trim_start_matches("version: ")
        .parse()
        .expect("a semantic version");
    let next = semver::Version::new(version.major, version.minor, version.patch + 1);
    let mut bumped = text.replacen(version_line, &format!("  version: {next}"), 1);
    let anchor = "      chart: metrics-server\n";
    let at = bumped.find(anchor).expect("the metrics-server add-on") + anchor.len();
    let values = bumped[at..]
        .find("      values: {}")
        .map(|i| at + i)
        .expect("metrics-server's `values: {}`");
    bumped.replace_range(
        values..values + "      values: {}".len(),
        "      values:\n        replicas: 2",
    );
    // beside the inventory, not in it (the inventory holds only inventory documents)
    let dir = fleet.with_file_name("catalog").join("general");
    std::fs::create_dir_all(dir.join("policies")).expect("catalog dir");
    // the policy documents its add-ons name are read beside it
    let policies = builtin.with_file_name("policies");
    for policy in std::fs::read_dir(&policies).into_iter().flatten().flatten() {
        std::fs::copy(policy.path(), dir.join("policies").join(policy.file_name()))
            .expect("policy document");
    }
    std::fs::write(dir.join("blueprint.yaml"), bumped).expect("bumped blueprint");
    let fleet_file = fleet.join("fleet.yaml");
    let mut f = std::fs::read_to_string(&fleet_file).expect("fleet.yaml");
    f.push_str("  blueprints: [../catalog]\n");
    std::fs::write(&fleet_file, f).expect("fleet.yaml");
}

/// Files changed per updated repository, from apply's `updated … N files changed` lines.
fn changed_files(out: &Path) -> f64 {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    let counts: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with("updated"))
        .filter_map(|l| {
            let before = l.split(" files changed").next()?;
            before.split_whitespace().last()?.parse().ok()
        })
        .collect();
    counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64
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
