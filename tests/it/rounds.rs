//! A seeded loop of rounds on several repositories: each round the generator changes a quota
//! and a person does something (edit a generated file, leave an untracked file, commit a
//! symlink pointing outside, stage without committing). After every round: `plan` predicted
//! apply's exit code, no edit is lost, nothing was written outside (a sentinel folder stays
//! byte-identical) and `git fsck --strict` is clean (issue 10).

use std::os::unix::fs::symlink;

use crate::support::servers::bare_repo;
use crate::support::{Cmd, Test};

/// (account, inventory file, the CPU quota in the example).
const REPOS: [(&str, &str, u32); 2] = [
    ("payments-prod", "fleet/accounts/payments-prod.yaml", 64),
    ("checkout-dev", "fleet/accounts/checkout-dev.yaml", 16),
];

/// A small deterministic generator (no dependency, same sequence every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn tenant(account: &str) -> String {
    let ns = if account == "payments-prod" {
        "payments"
    } else {
        "checkout"
    };
    format!("repos/{account}/tenants/{ns}/tenant.yaml")
}

#[test]
fn twenty_rounds_of_people_and_generator_changes() {
    rounds(false);
}

/// The same rounds with `--push` to bare remotes, each repository replaced by a fresh
/// `git clone` of its remote after every round: the merge bases travel with the remote.
#[test]
fn twenty_rounds_on_fresh_clones_of_the_pushed_remotes() {
    rounds(true);
}

fn rounds(remote: bool) {
    let t = Test::new();
    t.file("outside/keep.txt", "sentinel\n");
    if remote {
        for (account, _, _) in REPOS {
            bare_repo(&t.path("remotes"), &format!("eks-{account}"));
        }
        t.edit(
            "fleet/fleet.yaml",
            "https://git.acme.example/platform/",
            &format!("file://{}/", t.path("remotes").display()),
        );
    }
    let only = || {
        REPOS
            .iter()
            .flat_map(|(a, _, _)| ["--only".to_string(), format!("account={a}")])
    };
    let apply = || -> Cmd<'_> {
        let cmd = t.apply().args(only());
        if remote {
            cmd.args(["--push"])
        } else {
            cmd
        }
    };
    let plan = || t.plan().args(only());
    apply().success();
    let outside = t.tree("outside");
    let mut rng = Lcg(10);
    let mut cpu: Vec<u32> = REPOS.iter().map(|r| r.2).collect();
    // the person's value of the LimitRange default memory limit, once they edited it
    let mut memory: Vec<Option<u64>> = vec![None; REPOS.len()];
    let mut untracked: Vec<String> = Vec::new();
    for round in 0..20u32 {
        for (i, (account, inventory, _)) in REPOS.iter().enumerate() {
            let next = 200 + round * 2 + u32::try_from(i).unwrap();
            t.edit(
                inventory,
                &format!("cpu: \"{}\"", cpu[i]),
                &format!("cpu: \"{next}\""),
            );
            cpu[i] = next;
            let repo = format!("repos/{account}");
            match rng.next(4) {
                0 => {
                    let value = 2 + rng.next(50);
                    let from = memory[i].map_or("1Gi".to_string(), |m| format!("{m}Gi"));
                    t.edit(
                        &tenant(account),
                        &format!("        memory: {from}\n"),
                        &format!("        memory: {value}Gi\n"),
                    );
                    if memory[i] != Some(value) {
                        t.repo(account).commit_all("our memory limit");
                    }
                    memory[i] = Some(value);
                }
                1 => {
                    let file = format!("{repo}/notes/round-{round}.txt");
                    t.file(&file, "ours\n");
                    untracked.push(file);
                }
                2 => {
                    std::fs::create_dir_all(t.path(&format!("{repo}/links"))).unwrap();
                    symlink(
                        "../../../outside",
                        t.path(&format!("{repo}/links/round-{round}")),
                    )
                    .unwrap();
                    t.git(&repo, &["add", "links"]);
                    t.git(&repo, &["commit", "-qm", "a link"]);
                }
                _ => {
                    let readme = format!("{repo}/README.md");
                    t.file(&readme, &format!("{}\nround {round}\n", t.read(&readme)));
                    t.git(&repo, &["add", "README.md"]);
                }
            }
        }
        let planned = plan().run();
        let applied = apply().run();
        assert_eq!(
            planned.code, applied.code,
            "round {round}: plan predicted apply\n{}\n{}",
            planned.stderr, applied.stderr
        );
        if applied.code == 1 {
            // a staged change was refused: the person commits it, and the next run is clean
            for (account, _, _) in REPOS {
                if !t
                    .repo(account)
                    .status()
                    .lines()
                    .all(|l| l.starts_with("??"))
                {
                    t.repo(account).commit_all("our readme");
                }
            }
            let planned = plan().run();
            let applied = apply().run();
            assert_eq!(
                (planned.code, applied.code),
                (0, 0),
                "round {round}\n{}",
                applied.stderr
            );
        }
        assert_ne!(
            applied.code, 3,
            "round {round}: no conflict\n{}",
            applied.stderr
        );
        assert_eq!(
            t.tree("outside"),
            outside,
            "round {round}: nothing written outside"
        );
        for (i, (account, _, _)) in REPOS.iter().enumerate() {
            let repo = t.repo(account);
            repo.fsck();
            let text = t.read(&tenant(account));
            assert!(
                text.contains(&format!("requests.cpu: \"{}\"", cpu[i])),
                "round {round}: {account}\n{text}"
            );
            if let Some(m) = memory[i] {
                assert!(
                    text.contains(&format!("        memory: {m}Gi\n")),
                    "round {round}: {account}: the edit survives\n{text}"
                );
            }
        }
        for file in &untracked {
            assert_eq!(t.read(file), "ours\n", "round {round}");
        }
        if remote {
            // the next round runs on fresh clones (untracked files stay behind)
            untracked.clear();
            for (account, _, _) in REPOS {
                std::fs::remove_dir_all(t.path(&format!("repos/{account}"))).unwrap();
                let bare = t.path(&format!("remotes/eks-{account}.git"));
                t.git("repos", &["clone", "-q", bare.to_str().unwrap(), account]);
            }
        }
    }
    if remote {
        for (account, _, _) in REPOS {
            let bare = crate::support::Repo::open(&t.path(&format!("remotes/eks-{account}.git")));
            bare.fsck();
            assert!(
                bare.has("eksvend/generated/main"),
                "{account}: the bases were pushed"
            );
            assert!(
                bare.log("main").len() > 20,
                "{account}: every round was pushed"
            );
        }
    }
}
