//! Remotes: fetch the account's branch before building on it, push the result.
//!
//! Credentials are never stored in a repository or printed: ssh URLs use the SSH agent or the
//! usual key files; http(s) URLs use `EKSVEND_GIT_TOKEN` (user `EKSVEND_GIT_USERNAME`, default
//! `x-access-token`) or git's credential helpers.

use std::cell::Cell;
use std::path::PathBuf;

use git2::{Cred, CredentialType, FetchOptions, PushOptions, RemoteCallbacks, Repository};

pub use crate::error::{PushError, RemoteError};

/// Name of the remote eksvend manages.
pub const REMOTE: &str = "origin";

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
    let mut remote = repo.find_remote(REMOTE).map_err(no_remote)?;
    let url = printable_url(&remote);
    let failed = |source| RemoteError {
        remote: Some(url.clone()),
        source,
    };
    let attempts = Cell::new(0);
    let mut opts = FetchOptions::new();
    opts.remote_callbacks(callbacks(repo, &attempts));
    let advertised: Vec<String> = {
        remote
            .connect_auth(
                git2::Direction::Fetch,
                Some(callbacks(repo, &Cell::new(0))),
                None,
            )
            .map_err(failed)?;
        let names = remote
            .list()
            .map_err(failed)?
            .iter()
            .map(|h| h.name().to_string())
            .collect();
        remote.disconnect().map_err(failed)?;
        names
    };
    let specs: Vec<String> = branches
        .iter()
        .filter(|b| advertised.iter().any(|a| a == &format!("refs/heads/{b}")))
        .map(|b| format!("+refs/heads/{b}:refs/remotes/{REMOTE}/{b}"))
        .collect();
    if specs.is_empty() {
        return Ok(());
    }
    remote
        .fetch(&specs, Some(&mut opts), Some("eksvend: fetch"))
        .map_err(failed)
}

/// Push `branches` to `origin` (in one push).
pub fn push(repo: &Repository, branches: &[&str]) -> Result<(), PushError> {
    let mut remote = repo.find_remote(REMOTE).map_err(no_remote)?;
    let url = printable_url(&remote);
    let attempts = Cell::new(0);
    let refused: std::cell::RefCell<Option<(String, String)>> = std::cell::RefCell::new(None);
    let mut cb = callbacks(repo, &attempts);
    cb.push_update_reference(|refname, status| {
        if let Some(s) = status {
            *refused.borrow_mut() = Some((refname.to_string(), s.to_string()));
        }
        Ok(())
    });
    let mut opts = PushOptions::new();
    opts.remote_callbacks(cb);
    let specs: Vec<String> = branches
        .iter()
        .map(|b| format!("refs/heads/{b}:refs/heads/{b}"))
        .collect();
    match remote.push(&specs, Some(&mut opts)) {
        Err(source) if source.code() == git2::ErrorCode::NotFastForward => {
            Err(PushError::NotFastForward {
                remote: url,
                source,
            })
        }
        Err(source) => Err(PushError::Transport {
            source: RemoteError {
                remote: Some(url),
                source,
            },
        }),
        Ok(()) => match refused.take() {
            Some((refname, status)) => Err(PushError::Refused {
                remote: url,
                refname,
                status,
            }),
            None => Ok(()),
        },
    }
}

/// The repository has no `origin` (or it cannot be read).
fn no_remote(source: git2::Error) -> RemoteError {
    RemoteError {
        remote: None,
        source,
    }
}

/// The remote's URL as it may be printed: credentials removed; a URL that is not UTF-8 is
/// shown with replacement characters (it only ever appears in messages).
fn printable_url(remote: &git2::Remote<'_>) -> String {
    credential_free(&String::from_utf8_lossy(remote.url_bytes()))
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

/// The error as a person should read it: which remote, what to check.
fn callbacks<'a>(repo: &'a Repository, attempts: &'a Cell<u32>) -> RemoteCallbacks<'a> {
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |url, username, allowed| {
        attempts.set(attempts.get() + 1);
        if attempts.get() > 3 {
            return Err(git2::Error::from_str(&format!(
                "authentication failed for {}; check the credentials (EKSVEND_GIT_TOKEN for http(s), the SSH agent or ~/.ssh keys for ssh)",
                credential_free(url)
            )));
        }
        credential(repo, url, username, allowed, attempts.get())
    });
    cb
}

fn credential(
    repo: &Repository,
    url: &str,
    username: Option<&str>,
    allowed: CredentialType,
    attempt: u32,
) -> Result<Cred, git2::Error> {
    if allowed.contains(CredentialType::SSH_KEY) {
        let user = username.unwrap_or("git");
        if attempt == 1 {
            if let Ok(c) = Cred::ssh_key_from_agent(user) {
                return Ok(c);
            }
        }
        // Without a home directory there are no usual key files to try.
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        for key in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let Some(private) = home.as_ref().map(|h| h.join(".ssh").join(key)) else {
                break;
            };
            if private.exists() {
                return Cred::ssh_key(user, None, &private, None);
            }
        }
    }
    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
        if let Some(token) = std::env::var("EKSVEND_GIT_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
        {
            if attempt > 1 {
                return Err(git2::Error::from_str(&format!(
                    "{}: the server rejected EKSVEND_GIT_TOKEN (authentication failed)",
                    credential_free(url)
                )));
            }
            let user = std::env::var("EKSVEND_GIT_USERNAME")
                .ok()
                .filter(|u| !u.is_empty());
            return Cred::userpass_plaintext(
                user.as_deref().or(username).unwrap_or("x-access-token"),
                &token,
            );
        }
        let config = repo.config()?;
        return Cred::credential_helper(&config, url, username);
    }
    if allowed.contains(CredentialType::DEFAULT) {
        return Cred::default();
    }
    Err(git2::Error::from_str(&format!(
        "{}: no credentials available for {allowed:?}",
        credential_free(url)
    )))
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
}
