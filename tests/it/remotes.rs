//! Remotes: push to a bare repository over file://, to `git daemon` over git://, and to
//! `git http-backend` over http:// with a token — including the remote-moved retry, wrong
//! credentials, and a no-op run that pushes nothing.

use std::path::Path;
use std::process::Command;

use crate::servers::{bare_repo, GitDaemon, HttpGit};
use crate::support::{git_in, Run, Scenario};

const ACCOUNT: &str = "payments-prod";

/// Point the Fleet's remote at `url` (with `{account}`).
fn set_remote(s: &Scenario, url: &str) {
    s.edit(
        "fleet/fleet.yaml",
        "https://git.acme.example/platform/eks-{account}.git",
        url,
    );
}

fn apply(s: &Scenario, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eksvend"));
    cmd.args([
        "apply",
        "-f",
        "fleet",
        "--repos",
        "repos",
        "--only",
        &format!("account={ACCOUNT}"),
    ])
    .args(extra)
    .current_dir(s.dir.path())
    .env_remove("EKSVEND_GIT_TOKEN")
    .env("GIT_TERMINAL_PROMPT", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap().into()
}

fn remote_log(bare: &Path) -> String {
    String::from_utf8_lossy(&git_in(bare, &["log", "--format=%an|%s", "main"]).stdout).to_string()
}

#[test]
fn push_to_a_bare_repository_over_file_url() {
    let s = Scenario::example();
    let remotes = s.path("remotes");
    let bare = bare_repo(&remotes, &format!("eks-{ACCOUNT}"));
    set_remote(
        &s,
        &format!("file://{}/eks-{{account}}.git", remotes.display()),
    );
    let run = apply(&s, &["--push"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("created    repos/payments-prod") && run.stdout.contains("pushed"),
        "{}",
        run.stdout
    );
    assert!(
        remote_log(&bare).starts_with("Acme Platform|eksvend: render payments-prod"),
        "{}",
        remote_log(&bare)
    );
    assert!(git_in(&bare, &["fsck", "--strict"]).status.success());

    // a no-op run makes no commit and pushes nothing
    let before = remote_log(&bare);
    let run = apply(&s, &["--push"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("unchanged  repos/payments-prod") && !run.stdout.contains("pushed"),
        "{}",
        run.stdout
    );
    assert_eq!(remote_log(&bare), before);

    // a fresh machine (no local repository) builds on the remote head: nothing to do
    std::fs::remove_dir_all(s.path("repos")).unwrap();
    let run = apply(&s, &["--push"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("unchanged  repos/payments-prod"),
        "{}",
        run.stdout
    );
    assert_eq!(remote_log(&bare), before);
}

#[test]
fn push_to_git_daemon() {
    let s = Scenario::example();
    let remotes = s.path("remotes");
    let bare = bare_repo(&remotes, &format!("eks-{ACCOUNT}"));
    let daemon = GitDaemon::start(&remotes);
    set_remote(
        &s,
        &format!("git://127.0.0.1:{}/eks-{{account}}.git", daemon.port),
    );
    let run = apply(&s, &["--push"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("pushed"), "{}", run.stdout);
    assert!(
        remote_log(&bare).starts_with("Acme Platform|"),
        "{}",
        remote_log(&bare)
    );
    // an inventory change goes out as a second commit
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    let run = apply(&s, &["--push"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(remote_log(&bare).lines().count(), 2);
}

#[test]
fn push_over_http_with_a_token_and_retry_when_the_remote_moved() {
    let s = Scenario::example();
    let remotes = s.path("remotes");
    let bare = bare_repo(&remotes, &format!("eks-{ACCOUNT}"));
    let token = "s3cr3t-token";
    let server = HttpGit::start(&remotes, "x-access-token", token, None);
    set_remote(
        &s,
        &format!("http://127.0.0.1:{}/eks-{{account}}.git", server.port),
    );

    // wrong credentials: a clear error, nothing pushed
    let run = apply(&s, &["--push"], &[("EKSVEND_GIT_TOKEN", "wrong")]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("authentication") || run.stderr.contains("401"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("wrong"),
        "the token is never printed: {}",
        run.stderr
    );
    assert_eq!(remote_log(&bare), "");

    let run = apply(&s, &["--push"], &[("EKSVEND_GIT_TOKEN", token)]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("pushed"), "{}", run.stdout);
    assert!(remote_log(&bare).starts_with("Acme Platform|"));
    let config = std::fs::read_to_string(s.path("repos/payments-prod/.git/config")).unwrap();
    assert!(
        !config.contains(token),
        "no credentials stored in the repository"
    );

    // a no-op run pushes nothing
    let pushes = |srv: &HttpGit| {
        srv.requests()
            .iter()
            .filter(|r| r.starts_with("POST") && r.contains("git-receive-pack"))
            .count()
    };
    let before = pushes(&server);
    let run = apply(&s, &["--push"], &[("EKSVEND_GIT_TOKEN", token)]);
    assert_eq!(run.code, 0);
    assert_eq!(pushes(&server), before, "{:?}", server.requests());
    let first_port = server.port;
    drop(server);

    // the remote moves while eksvend pushes: fetch, regenerate on the new head, retry once
    let person = s.path("person");
    assert!(Command::new("git")
        .arg("clone")
        .arg("-q")
        .arg(&bare)
        .arg(&person)
        .status()
        .unwrap()
        .success());
    let moved_bare = bare.clone();
    let person_dir = person.clone();
    let hook = Box::new(move || {
        let readme = person_dir.join("README.md");
        let text = std::fs::read_to_string(&readme).unwrap();
        std::fs::write(&readme, format!("{text}\nOn-call: #payments\n")).unwrap();
        assert!(git_in(&person_dir, &["commit", "-qam", "on-call"])
            .status
            .success());
        assert!(git_in(
            &person_dir,
            &["push", "-q", moved_bare.to_str().unwrap(), "main"]
        )
        .status
        .success());
    });
    let server = HttpGit::start(&remotes, "x-access-token", token, Some(hook));
    s.edit(
        "fleet/fleet.yaml",
        &format!("127.0.0.1:{first_port}"),
        &format!("127.0.0.1:{}", server.port),
    );
    s.edit(
        "fleet/accounts/payments-prod.yaml",
        "cpu: \"64\"",
        "cpu: \"96\"",
    );
    let run = apply(&s, &["--push"], &[("EKSVEND_GIT_TOKEN", token)]);
    assert_eq!(
        run.code,
        0,
        "{}\n{}\n{:?}",
        run.stdout,
        run.stderr,
        server.requests()
    );
    let log = remote_log(&bare);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(
        lines[0].starts_with("Acme Platform|") && lines[1] == "A Person|on-call",
        "{log}"
    );
    let readme =
        String::from_utf8_lossy(&git_in(&bare, &["show", "main:README.md"]).stdout).to_string();
    assert!(
        readme.contains("On-call: #payments"),
        "the person's commit is kept"
    );
    let tenant = String::from_utf8_lossy(
        &git_in(&bare, &["show", "main:tenants/payments/tenant.yaml"]).stdout,
    )
    .to_string();
    assert!(tenant.contains("requests.cpu: \"96\""));
    assert!(pushes(&server) >= 2, "{:?}", server.requests());
}

#[test]
fn an_unreachable_remote_is_a_clear_error_and_leaves_nothing_behind() {
    let s = Scenario::example();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    set_remote(&s, &format!("https://127.0.0.1:{port}/eks-{{account}}.git"));
    let run = apply(&s, &["--fetch"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "fetch failed: https://127.0.0.1:{port}/eks-payments-prod.git"
        )),
        "{}",
        run.stderr
    );
    assert!(
        !s.path("repos/payments-prod").exists(),
        "no empty repository left behind"
    );
}

#[test]
fn credentials_in_a_remote_url_are_never_printed() {
    let s = Scenario::example();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    set_remote(
        &s,
        &format!("https://me:s3cr3t@127.0.0.1:{port}/eks-{{account}}.git"),
    );
    let run = apply(&s, &["--fetch"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "fetch failed: https://127.0.0.1:{port}/eks-payments-prod.git: "
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
}
