//! Remotes: push to a bare repository over file://, to `git daemon` over git://, and to
//! `git http-backend` over http:// with a token — including the remote-moved retry, wrong
//! credentials, and a no-op run that pushes nothing.

use std::path::Path;

use crate::support::servers::{bare_repo, GitDaemon, HttpGit};
use crate::support::{git_in, raise_payments_quota, Cmd, Repo, Test};

const TOKEN: &str = "s3cr3t-token";

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `apply --push` of payments-prod.
fn push(t: &Test) -> Cmd<'_> {
    t.apply()
        .args(["--only", "account=payments-prod", "--push"])
}

/// `author|subject` of the remote's `main`, newest first (none before the first push).
fn remote_log(bare: &Path) -> Vec<String> {
    let remote = Repo::open(bare);
    if remote.has("main") {
        remote.log("main")
    } else {
        Vec::new()
    }
}

#[test]
fn push_to_a_bare_repository_over_file_url() {
    let t = Test::new();
    let bare = t.file_remotes(&["payments-prod"]).remove(0);
    let out = push(&t).success();
    out.stdout_has("created    repos/payments-prod")
        .stdout_has("pushed");
    let log = remote_log(&bare);
    assert!(
        log[0].starts_with("Acme Platform|eksvend: vend payments-prod"),
        "{log:?}"
    );
    Repo::open(&bare).fsck();

    // a no-op run makes no commit and pushes nothing
    let out = push(&t).success();
    assert!(
        out.stdout.contains("unchanged  repos/payments-prod") && !out.stdout.contains("pushed"),
        "{}",
        out.stdout
    );
    assert_eq!(remote_log(&bare), log);

    // a fresh machine (no local repository) builds on the remote head: nothing to do
    std::fs::remove_dir_all(t.path("repos")).unwrap();
    let out = push(&t).success();
    out.stdout_has("unchanged  repos/payments-prod");
    assert_eq!(remote_log(&bare), log);
}

#[test]
fn push_to_git_daemon() {
    let t = Test::new();
    let bare = bare_repo(&t.path("remotes"), "eks-payments-prod");
    let daemon = GitDaemon::start(&t.path("remotes"));
    t.set_remote(&format!("git://127.0.0.1:{}/", daemon.port));
    let out = push(&t).success();
    out.stdout_has("pushed");
    assert!(remote_log(&bare)[0].starts_with("Acme Platform|"));
    // an inventory change goes out as a second commit
    raise_payments_quota(&t);
    push(&t).success();
    assert_eq!(remote_log(&bare).len(), 2);
}

/// Receive-pack POSTs the server has answered.
fn pushes(server: &HttpGit) -> usize {
    let posts = server.requests();
    posts
        .iter()
        .filter(|r| r.starts_with("POST") && r.contains("git-receive-pack"))
        .count()
}

#[test]
fn push_over_http_with_a_token_and_retry_when_the_remote_moved() {
    let t = Test::new();
    let remotes = t.path("remotes");
    let bare = bare_repo(&remotes, "eks-payments-prod");
    let server = HttpGit::start(&remotes, "x-access-token", TOKEN, None);
    let first = format!("http://127.0.0.1:{}/", server.port);
    t.set_remote(&first);

    // wrong credentials: a clear error, nothing pushed
    let out = push(&t).env("EKSVEND_GIT_TOKEN", "wrong").run().code(1);
    assert!(
        out.stderr.contains("authentication") || out.stderr.contains("401"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("wrong"),
        "the token is never printed: {}",
        out.stderr
    );
    assert_eq!(remote_log(&bare), Vec::<String>::new());

    let out = push(&t).env("EKSVEND_GIT_TOKEN", TOKEN).success();
    out.stdout_has("pushed");
    assert!(remote_log(&bare)[0].starts_with("Acme Platform|"));
    let config = t.read("repos/payments-prod/.git/config");
    assert!(
        !config.contains(TOKEN),
        "no credentials stored in the repository"
    );

    // a no-op run pushes nothing
    let before = pushes(&server);
    push(&t).env("EKSVEND_GIT_TOKEN", TOKEN).success();
    assert_eq!(pushes(&server), before, "{:?}", server.requests());
    drop(server);

    // the remote moves while eksvend pushes: fetch, regenerate on the new head, retry once
    let person = t.path("person");
    git_in(
        &remotes,
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            person.to_str().unwrap(),
        ],
    );
    let (moved, person_dir) = (bare.clone(), person.clone());
    let hook = Box::new(move || {
        let readme = person_dir.join("README.md");
        let text = std::fs::read_to_string(&readme).unwrap();
        std::fs::write(&readme, format!("{text}\nOn-call: #payments\n")).unwrap();
        git_in(&person_dir, &["commit", "-qam", "on-call"]);
        git_in(
            &person_dir,
            &["push", "-q", moved.to_str().unwrap(), "main"],
        );
    });
    let server = HttpGit::start(&remotes, "x-access-token", TOKEN, Some(hook));
    t.edit(
        "fleet/fleet.yaml",
        &first,
        &format!("http://127.0.0.1:{}/", server.port),
    );
    raise_payments_quota(&t);
    push(&t).env("EKSVEND_GIT_TOKEN", TOKEN).success();
    let log = remote_log(&bare);
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log[0].starts_with("Acme Platform|") && log[1] == "A Person|on-call",
        "{log:?}"
    );
    let remote = Repo::open(&bare).files_at("main");
    assert!(
        remote["README.md"].contains("On-call: #payments"),
        "the person's commit is kept"
    );
    assert!(remote["tenants/payments/tenant.yaml"].contains("requests.cpu: \"96\""));
    assert!(pushes(&server) >= 2, "{:?}", server.requests());
}

#[test]
fn an_unreachable_remote_is_a_clear_error_and_leaves_nothing_behind() {
    let t = Test::new();
    let port = closed_port();
    t.set_remote(&format!("https://127.0.0.1:{port}/"));
    let out = t
        .apply()
        .args(["--only", "account=payments-prod", "--fetch"])
        .run()
        .code(1);
    let expected = format!("fetch failed: https://127.0.0.1:{port}/eks-payments-prod.git");
    out.stderr_has(&expected);
    assert!(
        !t.exists("repos/payments-prod"),
        "no empty repository left behind"
    );
}

#[test]
fn credentials_in_a_remote_url_are_never_printed() {
    let t = Test::new();
    let port = closed_port();
    t.set_remote(&format!("https://me:s3cr3t@127.0.0.1:{port}/"));
    // Refused by validation now (issue 10), before anything is fetched; still never printed.
    let out = t.apply().args(["--fetch"]).run().code(1);
    out.stderr_has("spec.git.remote: \"https://me:***@127.0.0.1:");
    out.stderr_has("use EKSVEND_GIT_TOKEN or a git credential helper");
    assert!(!out.stderr.contains("s3cr3t"), "{}", out.stderr);
}
