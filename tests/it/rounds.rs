//! A seeded loop of rounds on several repositories (issue 10). Each round the generator changes
//! something — an inventory value every round, a blueprint version bump or a template change
//! every few rounds — and a person does something to each repository: edit, add, delete,
//! rename, chmod a generated file, commit a symlink pointing outside, leave an untracked file,
//! stage without committing, edit the line the generator changes (a conflict, resolved from
//! diff3 markers the next step) or rewrite eksvend's last commit (as a rebase would).
//!
//! After every round: `plan` predicted apply's exit code; no person's edit, file, deletion,
//! rename or mode is lost; every conflict is one the round provoked, and once resolved and
//! committed it never returns; nothing was written outside (a sentinel folder stays
//! byte-identical); `git fsck --strict` is clean. The same rounds run on fresh `git clone`s of
//! pushed bare remotes.

use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, PermissionsExt};

use crate::support::{root, Cmd, Output, Test};

/// (account, inventory file, tenant namespace, the CPU quota in the example).
const REPOS: [(&str, &str, &str, u32); 2] = [
    (
        "payments-prod",
        "fleet/accounts/payments-prod.yaml",
        "payments",
        64,
    ),
    (
        "checkout-dev",
        "fleet/accounts/checkout-dev.yaml",
        "checkout",
        16,
    ),
];

const ROUNDS: u32 = 20;

/// A generated file no generator change of these rounds touches: a person may delete it.
const DELETABLE: &str = "network/handoff.yaml";

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

/// What a person did to one repository, checked after every round.
#[derive(Default)]
struct Person {
    /// Their value of the LimitRange default memory request, once they edited it.
    memory: Option<u64>,
    /// Untracked files (workspace paths) and whether they survive a clone (they do not).
    untracked: Vec<String>,
    /// Files they added and committed: repository path → content.
    added: BTreeMap<String, String>,
    /// Paths they deleted or renamed away.
    gone: Vec<String>,
    /// Whether they made the tenant file executable.
    executable: bool,
    /// Lines they appended to README.md.
    readme: Vec<String>,
}

/// The generator's side: what every repository must show after the round.
struct Generator {
    cpu: Vec<u32>,
    /// The blueprint version's AMI alias.
    ami: String,
    bumps: u32,
    /// The README template's revision (0: the built-in one).
    template: u32,
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

fn tenant(account: &str, ns: &str) -> String {
    format!("repos/{account}/tenants/{ns}/tenant.yaml")
}

/// A user catalog version of `general` whose only change is its AMI alias.
fn bump_blueprint(t: &Test, g: &mut Generator) {
    g.bumps += 1;
    g.ami = format!("al2023@v2025{:04}", 1100 + g.bumps);
    t.file(
        &format!("custom/blueprints/general-2.0.{}/blueprint.yaml", g.bumps),
        &format!(
            "apiVersion: eksvend.dev/v1alpha1\nkind: Blueprint\nmetadata: {{name: general}}\nspec:\n  version: 2.0.{}\n  description: General-purpose cluster, node image {}\n  extends: general@2.0.0\n  parameters:\n    amiAlias:\n      default: {}\n",
            g.bumps, g.ami, g.ami
        ),
    );
}

/// A user catalog template replacing the built-in README template with a new first line.
fn change_template(t: &Test, g: &mut Generator) {
    g.template += 1;
    let builtin = std::fs::read_to_string(root().join("templates/repo/README.md")).unwrap();
    t.file(
        "custom/templates/repo/README.md",
        &format!("<!-- template revision {} -->\n{builtin}", g.template),
    );
}

fn rounds(remote: bool) {
    let t = Test::new();
    t.file("outside/keep.txt", "sentinel\n");
    t.edit(
        "fleet/fleet.yaml",
        "spec:\n",
        "spec:\n  blueprints: [../custom]\n",
    );
    let mut g = Generator {
        cpu: REPOS.iter().map(|r| r.3).collect(),
        ami: String::new(),
        bumps: 0,
        template: 0,
    };
    bump_blueprint(&t, &mut g);
    if remote {
        t.file_remotes(&REPOS.map(|r| r.0));
    }
    let only = || {
        REPOS
            .iter()
            .flat_map(|(a, ..)| ["--only".to_string(), format!("account={a}")])
    };
    let apply = |extra: &[&str]| -> Cmd<'_> {
        let cmd = t.apply().args(only()).args(extra);
        if remote {
            cmd.args(["--push"])
        } else {
            cmd
        }
    };
    let plan = |extra: &[&str]| t.plan().args(only()).args(extra);
    apply(&[]).success();
    let outside = t.tree("outside");
    let mut rng = Lcg(10);
    let mut people: Vec<Person> = REPOS.iter().map(|_| Person::default()).collect();
    let mut counts = BTreeMap::<&str, u32>::new();
    for round in 0..ROUNDS {
        for (i, (_, inventory, ..)) in REPOS.iter().enumerate() {
            let next = 200 + round * 2 + u32::try_from(i).unwrap();
            t.edit(
                inventory,
                &format!("cpu: \"{}\"", g.cpu[i]),
                &format!("cpu: \"{next}\""),
            );
            g.cpu[i] = next;
        }
        match round % 6 {
            2 => bump_blueprint(&t, &mut g),
            5 => change_template(&t, &mut g),
            _ => {}
        }
        let mut conflicted = Vec::new();
        for (i, (account, _, ns, _)) in REPOS.iter().enumerate() {
            let action = act(&t, &mut rng, remote, round, account, ns, &mut people[i]);
            *counts.entry(action).or_default() += 1;
            if action == "conflict" {
                conflicted.push(*account);
            }
        }
        run_round(&t, round, &conflicted, &plan, &apply);
        assert_eq!(
            t.tree("outside"),
            outside,
            "round {round}: nothing written outside"
        );
        for (i, (account, _, ns, _)) in REPOS.iter().enumerate() {
            check(&t, round, account, ns, &people[i], &g, i);
        }
        if remote {
            // the next round runs on fresh clones (untracked files stay behind)
            for (i, (account, ..)) in REPOS.iter().enumerate() {
                people[i].untracked.clear();
                std::fs::remove_dir_all(t.path(&format!("repos/{account}"))).unwrap();
                let bare = t.path(&format!("remotes/eks-{account}.git"));
                t.git("repos", &["clone", "-q", bare.to_str().unwrap(), account]);
            }
        }
    }
    // every kind of person action happened (the seed is fixed; this guards the mix)
    let kinds = [
        "edit",
        "untracked",
        "symlink",
        "stage",
        "add",
        "delete",
        "rename",
        "chmod",
        "conflict",
    ];
    for kind in kinds {
        assert!(
            counts.contains_key(kind),
            "{kind} never happened: {counts:?}"
        );
    }
    if remote {
        for (account, ..) in REPOS {
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
    } else {
        assert!(counts.contains_key("rewrite"), "{counts:?}");
    }
}

/// One person action on one repository; returns its kind.
fn act(
    t: &Test,
    rng: &mut Lcg,
    remote: bool,
    round: u32,
    account: &str,
    ns: &str,
    p: &mut Person,
) -> &'static str {
    let repo = format!("repos/{account}");
    let tenant = tenant(account, ns);
    let mut action = rng.next(10);
    // rewriting a pushed commit would need a force push: people do not do that to a shared branch
    if remote && action == 9 {
        action = 0;
    }
    match action {
        0 | 9 => {
            let value = 2 + rng.next(50);
            let from = p
                .memory
                .map_or("\"128Mi\"".to_string(), |m| format!("{m}Gi"));
            t.edit(
                &tenant,
                &format!("        memory: {from}\n"),
                &format!("        memory: {value}Gi\n"),
            );
            p.memory = Some(value);
            if t.repo(account).status().is_empty() {
                return "edit";
            }
            if action == 9 {
                // fold the edit into eksvend's last commit, rewriting it as a rebase would
                t.git(&repo, &["commit", "-qa", "--amend", "--no-edit"]);
                return "rewrite";
            }
            t.repo(account).commit_all("our memory limit");
            "edit"
        }
        1 => {
            let file = format!("{repo}/notes/round-{round}.txt");
            t.file(&file, "ours\n");
            p.untracked.push(file);
            "untracked"
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
            "symlink"
        }
        3 => {
            let line = format!("round {round}: our note");
            let readme = format!("{repo}/README.md");
            t.file(&readme, &format!("{}\n{line}\n", t.read(&readme)));
            t.git(&repo, &["add", "README.md"]);
            p.readme.push(line);
            "stage"
        }
        5 if !p.gone.iter().any(|g| g == DELETABLE) => {
            t.git(&repo, &["rm", "-q", DELETABLE]);
            t.git(&repo, &["commit", "-qm", "we do not need the hand-off"]);
            p.gone.push(DELETABLE.to_string());
            "delete"
        }
        6 if p.added.keys().any(|k| k.contains("/added-")) => {
            let from = p
                .added
                .keys()
                .find(|k| k.contains("/added-"))
                .unwrap()
                .clone();
            let content = p.added.remove(&from).unwrap();
            let to = from.replace("added-", "renamed-");
            t.git(&repo, &["mv", &from, &to]);
            t.git(&repo, &["commit", "-qm", "rename our doc"]);
            p.gone.push(from);
            p.added.insert(to, content);
            "rename"
        }
        7 if !p.executable => {
            let path = t.path(&tenant);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            t.repo(account).commit_all("executable, for our tooling");
            p.executable = true;
            "chmod"
        }
        8 => {
            // the person changes the very line the generator changes this round
            let text = t.read(&tenant);
            let line = text
                .lines()
                .find(|l| l.contains("requests.cpu:"))
                .unwrap()
                .to_string();
            t.file(
                &tenant,
                &text.replacen(&line, "    requests.cpu: \"999\"", 1),
            );
            t.repo(account).commit_all("more cpu, now");
            "conflict"
        }
        _ => {
            let path = format!("docs/added-{round}.md");
            let content = format!("our runbook, round {round}\n");
            t.file(&format!("{repo}/{path}"), &content);
            t.git(&repo, &["add", &path]);
            t.git(&repo, &["commit", "-qm", "our doc"]);
            p.added.insert(path, content);
            "add"
        }
    }
}

/// plan and apply until the round is through: a staged change refused (exit 1) is committed,
/// a provoked conflict (exit 3) is written as diff3 markers, resolved by taking eksvend's
/// side and committed. Every plan predicts its apply.
fn run_round<'t>(
    t: &'t Test,
    round: u32,
    conflicted: &[&str],
    plan: &dyn Fn(&[&str]) -> Cmd<'t>,
    apply: &dyn Fn(&[&str]) -> Cmd<'t>,
) {
    let step = |extra: &[&str]| -> Output {
        let planned = plan(extra).run();
        let applied = apply(extra).run();
        assert_eq!(
            planned.code, applied.code,
            "round {round}: plan predicted apply\nplan: {}\napply: {}",
            planned.stderr, applied.stderr
        );
        applied
    };
    let mut applied = step(&[]);
    if applied.code == 1 {
        // a staged change was refused (nothing written): the person commits it
        for (account, ..) in REPOS {
            let status = t.repo(account).status();
            if !status.lines().all(|l| l.starts_with("??")) {
                t.repo(account).commit_all("our readme");
            }
        }
        applied = step(&[]);
    }
    if conflicted.is_empty() {
        assert_eq!(applied.code, 0, "round {round}\n{}", applied.stderr);
        return;
    }
    assert_eq!(
        applied.code, 3,
        "round {round}: the conflict is reported\n{}",
        applied.stderr
    );
    for account in REPOS.iter().map(|r| r.0) {
        assert_eq!(
            applied
                .stderr
                .contains(&format!("conflict: {account}: tenants/")),
            conflicted.contains(&account),
            "round {round}: only provoked conflicts\n{}",
            applied.stderr
        );
    }
    // plan predicts the default policy (`fail`), which it did above
    let marked = apply(&["--on-conflict", "markers"]).run();
    assert_eq!(marked.code, 3, "round {round}\n{}", marked.stderr);
    for (account, _, ns, _) in REPOS.iter().filter(|r| conflicted.contains(&r.0)) {
        let file = tenant(account, ns);
        t.file(&file, &take_theirs(&t.read(&file)));
        t.repo(account).commit_all("resolved: eksvend's quota");
    }
    let resolved = step(&[]);
    assert_eq!(
        resolved.code, 0,
        "round {round}: resolved\n{}",
        resolved.stderr
    );
}

/// Resolve every diff3 conflict block by taking eksvend's new side.
fn take_theirs(text: &str) -> String {
    let mut out = String::new();
    let mut part = None;
    for line in text.split_inclusive('\n') {
        match (part, line) {
            (None, l) if l.starts_with("<<<<<<< ") => part = Some("ours"),
            (Some(_), l) if l.starts_with("||||||| ") => part = Some("base"),
            (Some(_), "=======\n") => part = Some("theirs"),
            (Some(_), l) if l.starts_with(">>>>>>> ") => part = None,
            (Some("theirs") | None, l) => out.push_str(l),
            _ => {}
        }
    }
    assert!(!out.contains("<<<<<<<"), "{out}");
    out
}

/// After a round: the generator's changes and every one of the person's are there.
fn check(t: &Test, round: u32, account: &str, ns: &str, p: &Person, g: &Generator, i: usize) {
    let repo = t.repo(account);
    repo.fsck();
    assert_eq!(
        repo.status()
            .lines()
            .filter(|l| !l.starts_with("??"))
            .count(),
        0,
        "round {round}: {account}: clean\n{}",
        repo.status()
    );
    let tenant = tenant(account, ns);
    let text = t.read(&tenant);
    assert!(
        text.contains(&format!("requests.cpu: \"{}\"", g.cpu[i])),
        "round {round}: {account}\n{text}"
    );
    if let Some(m) = p.memory {
        assert!(
            text.contains(&format!("        memory: {m}Gi\n")),
            "round {round}: {account}: the edit survives\n{text}"
        );
    }
    let nodes = t.read(&format!(
        "repos/{account}/platform/karpenter/ec2nodeclass.yaml"
    ));
    assert!(
        nodes.contains(&g.ami),
        "round {round}: {account}: bump\n{nodes}"
    );
    let readme = t.read(&format!("repos/{account}/README.md"));
    if g.template > 0 {
        let first = format!("<!-- template revision {} -->\n", g.template);
        assert!(
            readme.starts_with(&first),
            "round {round}: {account}: template"
        );
    }
    for line in &p.readme {
        assert!(readme.contains(line), "round {round}: {account}: {line}");
    }
    for file in &p.untracked {
        assert_eq!(t.read(file), "ours\n", "round {round}");
    }
    let head = repo.files();
    for (path, content) in &p.added {
        assert_eq!(
            head.get(path),
            Some(content),
            "round {round}: {account}: {path}"
        );
        assert_eq!(&t.read(&format!("repos/{account}/{path}")), content);
    }
    for path in &p.gone {
        assert!(
            !head.contains_key(path),
            "round {round}: {account}: {path} stays gone"
        );
        assert!(!t.exists(&format!("repos/{account}/{path}")));
    }
    if p.executable {
        let mode = std::fs::metadata(t.path(&tenant))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o111,
            0o111,
            "round {round}: {account}: still executable"
        );
        let staged = repo.git(&["ls-files", "-s", &format!("tenants/{ns}/tenant.yaml")]);
        assert!(staged.starts_with("100755"), "round {round}: {staged}");
    }
}
