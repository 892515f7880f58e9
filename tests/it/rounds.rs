//! A seeded loop of rounds on several repositories: each round the generator changes a quota
//! and a person does something (edit a generated file, leave an untracked file, commit a
//! symlink pointing outside, stage without committing). After every round: `plan` predicted
//! apply's exit code, no edit is lost, nothing was written outside (a sentinel folder stays
//! byte-identical) and `git fsck --strict` is clean (issue 10).

use std::os::unix::fs::symlink;

use crate::support::Test;

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
    let t = Test::new();
    t.file("outside/keep.txt", "sentinel\n");
    t.apply().success();
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
        let plan = t.plan().run();
        let apply = t.apply().run();
        assert_eq!(
            plan.code, apply.code,
            "round {round}: plan predicted apply\n{}\n{}",
            plan.stderr, apply.stderr
        );
        if apply.code == 1 {
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
            let plan = t.plan().run();
            let apply = t.apply().run();
            assert_eq!(
                (plan.code, apply.code),
                (0, 0),
                "round {round}\n{}",
                apply.stderr
            );
        }
        assert_ne!(
            apply.code, 3,
            "round {round}: no conflict\n{}",
            apply.stderr
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
    }
}
