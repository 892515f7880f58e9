//! Remotes: fetch the account's branch before building on it, push the result.
//!
//! libgit2 does all the local object work; talking to a remote is done by the machine's `git`
//! (as cargo's `net.git-fetch-with-cli`), run as a child process with arguments (never through
//! a shell) and `GIT_TERMINAL_PROMPT=0`, so that it never waits for a password. This keeps
//! OpenSSL and libssh2 out of the build and uses the transports, proxies and credential helpers
//! people already configured for git.
//!
//! Credentials are never stored in a repository, put on a command line or printed: ssh URLs use
//! git's ssh (the SSH agent, `~/.ssh` keys, `core.sshCommand`); http(s) URLs use
//! `EKSVEND_GIT_TOKEN` (user `EKSVEND_GIT_USERNAME`, else the URL's user, else
//! `x-access-token`) or git's credential helpers. The token reaches git only through the child's
//! environment: a `credential.helper` given as environment-only configuration
//! (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`) that echoes it from the
//! environment, and every message git prints has it replaced by `***`.

use std::ffi::OsString;
use std::process::{Command, Stdio};

use git2::Repository;

pub use crate::error::{PushError, RemoteError};

/// Name of the remote eksvend manages.
pub const REMOTE: &str = "origin";

/// The credential helper given to git when `EKSVEND_GIT_TOKEN` is set: it answers `get` from
/// the environment (so the token is in no file and no argument) and ignores `store`/`erase`.
const TOKEN_HELPER: &str = "!f() { test \"$1\" = get || exit 0; echo \"username=$EKSVEND_GIT_USERNAME\"; echo \"password=$EKSVEND_GIT_TOKEN\"; }; f";

/// Point `origin` at `url` (creating or correcting it).
pub fn ensure_remote(repo: &Repository, url: &str) -> Result<(), git2::Error> {
    match repo.find_remote(REMOTE) {
        Ok(r) if r.url().ok() == Some(url) => Ok(()),
        Ok(_) => repo.remote_set_url(REMOTE, url),
        Err(_) => repo.remote(REMOTE, url).map(|_| ()),
    }
}

/// Fetch `branches` from `origin` into `refs/remotes/origin/*`; a branch the remote lacks is fine.
pub fn fetch(repo: &Repository, branches: &[&str]) -> Result<(), RemoteError> {
    let url = printable_url(repo)?;
    let failed = |message| RemoteError {
        remote: Some(url.clone()),
        message,
    };
    let wanted: Vec<String> = branches.iter().map(|b| format!("refs/heads/{b}")).collect();
    let mut args = vec!["ls-remote".to_string(), REMOTE.to_string()];
    args.extend(wanted.iter().cloned());
    let listed = run_git(repo, &url, &args).map_err(failed)?;
    if !listed.success {
        return Err(failed(listed.message()));
    }
    let advertised: Vec<&str> = listed
        .stdout
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, name)| name.trim()))
        .collect();
    let specs: Vec<String> = branches
        .iter()
        .filter(|b| advertised.contains(&format!("refs/heads/{b}").as_str()))
        .map(|b| format!("+refs/heads/{b}:refs/remotes/{REMOTE}/{b}"))
        .collect();
    if specs.is_empty() {
        return Ok(());
    }
    let mut args = vec![
        "fetch".to_string(),
        "--quiet".to_string(),
        "--no-tags".to_string(),
        REMOTE.to_string(),
    ];
    args.extend(specs);
    let fetched = run_git(repo, &url, &args).map_err(failed)?;
    if fetched.success {
        Ok(())
    } else {
        Err(failed(fetched.message()))
    }
}

/// Push `branches` to `origin` (in one push).
pub fn push(repo: &Repository, branches: &[&str]) -> Result<(), PushError> {
    let url = printable_url(repo)?;
    let mut args = vec![
        "push".to_string(),
        "--porcelain".to_string(),
        REMOTE.to_string(),
    ];
    args.extend(
        branches
            .iter()
            .map(|b| format!("refs/heads/{b}:refs/heads/{b}")),
    );
    let transport = |message| PushError::Transport {
        source: RemoteError {
            remote: Some(url.clone()),
            message,
        },
    };
    let pushed = run_git(repo, &url, &args).map_err(transport)?;
    if pushed.success {
        return Ok(());
    }
    // `--porcelain`: one line per ref, `!<TAB>from:to<TAB>summary (reason)` for a refused one.
    for line in pushed.stdout.lines() {
        let mut fields = line.split('\t');
        if fields.next() != Some("!") {
            continue;
        }
        let refname = fields
            .next()
            .and_then(|r| r.split_once(':'))
            .map_or("", |(_, to)| to)
            .to_string();
        let summary = fields.next().unwrap_or("").trim().to_string();
        if summary.starts_with("[rejected]") {
            return Err(PushError::NotFastForward {
                remote: url,
                message: format!("{refname}: {summary}"),
            });
        }
        let status = summary
            .split_once('(')
            .map_or(summary.as_str(), |(_, reason)| reason.trim_end_matches(')'))
            .to_string();
        return Err(PushError::Refused {
            remote: url,
            refname,
            status,
        });
    }
    Err(transport(pushed.message()))
}

/// The remote's URL as it may be printed; the repository has no `origin` (or it cannot be read).
fn printable_url(repo: &Repository) -> Result<String, RemoteError> {
    let remote = repo.find_remote(REMOTE).map_err(|e| RemoteError {
        remote: None,
        message: e.message().to_string(),
    })?;
    // a URL that is not UTF-8 is shown with replacement characters (only ever in messages)
    Ok(credential_free(&String::from_utf8_lossy(
        remote.url_bytes(),
    )))
}

/// What a `git` child process said.
struct GitOutput {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

impl GitOutput {
    /// git's error lines (without hints and progress), as one line.
    fn message(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
            .collect();
        if lines.is_empty() {
            format!("git exited with {}", self.status)
        } else {
            lines.join("; ")
        }
    }
}

/// Run `git --git-dir <repo> <args>` without a terminal, the token (if any) in its environment
/// only; its output with the token and URL credentials removed.
fn run_git(repo: &Repository, url: &str, args: &[String]) -> Result<GitOutput, String> {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(repo.path())
        .args(args)
        .stdin(Stdio::null())
        .env("GIT_TERMINAL_PROMPT", "0")
        // messages are parsed and shown as git words them in English
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C");
    if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
        // never ask for a passphrase or a host key confirmation on a terminal
        cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    let token = token();
    if let Some(token) = &token {
        let is_http = url.starts_with("http://") || url.starts_with("https://");
        if is_http {
            let user = std::env::var("EKSVEND_GIT_USERNAME")
                .ok()
                .filter(|u| !u.is_empty())
                .or_else(|| url_user(url))
                .unwrap_or_else(|| "x-access-token".to_string());
            cmd.env("EKSVEND_GIT_TOKEN", token)
                .env("EKSVEND_GIT_USERNAME", user);
            // An empty helper resets the list: only the token is tried. Configuration already
            // given through the environment is kept.
            let base: usize = std::env::var("GIT_CONFIG_COUNT")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let entries = [
                ("credential.helper", ""),
                ("credential.helper", TOKEN_HELPER),
            ];
            for (i, (key, value)) in entries.iter().enumerate() {
                cmd.env(format!("GIT_CONFIG_KEY_{}", base + i), key)
                    .env(format!("GIT_CONFIG_VALUE_{}", base + i), value);
            }
            cmd.env("GIT_CONFIG_COUNT", (base + entries.len()).to_string());
        }
    }
    let out = cmd.output().map_err(|e| {
        format!("cannot run `git` (eksvend uses the git command for --fetch and --push): {e}; install git or put it on PATH")
    })?;
    let clean = |bytes: &[u8]| redact(&String::from_utf8_lossy(bytes), token.as_deref());
    Ok(GitOutput {
        success: out.status.success(),
        status: out.status.to_string(),
        stdout: clean(&out.stdout),
        stderr: clean(&out.stderr),
    })
}

/// `EKSVEND_GIT_TOKEN`, when set and not empty.
fn token() -> Option<String> {
    std::env::var_os("EKSVEND_GIT_TOKEN")
        .filter(|t| !t.is_empty())
        .map(OsString::into_string)
        .and_then(Result::ok)
}

/// The user name of an http(s) URL (`https://me@host/…`), if any.
fn url_user(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let (userinfo, _) = authority.rsplit_once('@')?;
    let user = userinfo.split(':').next().unwrap_or("");
    (!user.is_empty()).then(|| user.to_string())
}

/// `text` with the token replaced by `***` and credentials removed from every URL in it.
fn redact(text: &str, token: Option<&str>) -> String {
    let text = match token {
        Some(t) if !t.is_empty() => text.replace(t, "***"),
        _ => text.to_string(),
    };
    text.split_inclusive(|c: char| c.is_whitespace() || c == '\'' || c == '"')
        .map(|word| {
            let end = word
                .find(|c: char| c.is_whitespace() || c == '\'' || c == '"')
                .unwrap_or(word.len());
            let (url, tail) = word.split_at(end);
            if url.contains("://") {
                format!("{}{tail}", credential_free(url))
            } else {
                word.to_string()
            }
        })
        .collect()
}

/// `url` without credentials, for messages: http(s) URLs lose their user information (a
/// token is often given as the user name), other URLs keep the user name but not a password.
/// scp-like addresses (`git@host:path`) name only a user.
pub fn credential_free(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    let user = match userinfo.split_once(':') {
        _ if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") => "",
        Some((user, _password)) => user,
        None => userinfo,
    };
    let at = if user.is_empty() { "" } else { "@" };
    format!("{scheme}://{user}{at}{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials() {
        for (url, printable) in [
            ("https://git.example/a.git", "https://git.example/a.git"),
            (
                "https://tok3n@git.example/a.git",
                "https://git.example/a.git",
            ),
            (
                "https://me:s3cr3t@git.example:8443/a.git",
                "https://git.example:8443/a.git",
            ),
            ("HTTP://me:s3cr3t@git.example", "HTTP://git.example"),
            ("ssh://git@git.example/a.git", "ssh://git@git.example/a.git"),
            (
                "ssh://git:s3cr3t@git.example/a.git",
                "ssh://git@git.example/a.git",
            ),
            ("git@git.example:team/a.git", "git@git.example:team/a.git"),
            ("file:///srv/git/a.git", "file:///srv/git/a.git"),
            ("https://git.example/a@b.git", "https://git.example/a@b.git"),
        ] {
            assert_eq!(credential_free(url), printable, "{url}");
        }
    }

    #[test]
    fn messages_lose_the_token_and_url_credentials() {
        assert_eq!(
            redact(
                "fatal: unable to access 'https://me:pw@h/a.git/': t0k3n rejected",
                Some("t0k3n")
            ),
            "fatal: unable to access 'https://h/a.git/': *** rejected"
        );
        assert_eq!(
            redact("plain words\nline two", None),
            "plain words\nline two"
        );
    }

    #[test]
    fn url_users() {
        assert_eq!(url_user("https://me@h/a.git").as_deref(), Some("me"));
        assert_eq!(url_user("https://h/a@b.git"), None);
        assert_eq!(url_user("https://h/a.git"), None);
    }
}
