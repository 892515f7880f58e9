//! Git values: repository URLs, branch/tag/commit names, and paths inside a repository.

use super::newtype::checked_string;
use super::{ensure, Invalid};

/// The text for URLs that carry credentials.
const CREDENTIALS: &str = "credentials in a git URL are refused (they would be committed to the repositories and printed); remove them and use EKSVEND_GIT_TOKEN or a git credential helper";

/// The user information (`user` or `user:password`) and scheme of a `scheme://user@host/…` URL.
fn userinfo(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (user, _host) = authority.rsplit_once('@')?;
    Some((scheme, user))
}

/// `s` with the password of a `scheme://user:password@host` URL replaced by `***`, wherever such
/// a URL occurs in `s` (messages and source lines never show a password).
#[must_use]
pub fn redact_credentials(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rsplit_once('@') {
            Some((user, host)) if user.contains(':') => {
                let name = user.split_once(':').map_or(user, |(n, _)| n);
                out.push_str(name);
                out.push_str(":***@");
                out.push_str(host);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Characters a shell would act on (a URL ends up in commands the READMEs tell people to run).
const SHELL_META: &[char] = &['"', '\'', '\\', '`', '$', ';', '|', '&', '<', '>', '(', ')'];

fn git_url(s: &str) -> Result<(), Invalid> {
    if let Some((scheme, user)) = userinfo(s) {
        let http = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
        ensure(
            !user.contains(':') && (!http || user.is_empty()),
            CREDENTIALS,
        )?;
    }
    let clean = !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || SHELL_META.contains(&c));
    let scheme = ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .find(|p| s.starts_with(**p));
    let scp_like = s.split_once(':').is_some_and(|(user_host, path)| {
        user_host.contains('@') && !user_host.contains('/') && !path.is_empty()
    });
    let has_host = scheme
        .is_some_and(|p| s.len() > p.len() && (p == &"file://" || !s[p.len()..].starts_with('/')));
    ensure(
        clean && (has_host || scp_like),
        "expected a git URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path",
    )
}

checked_string!(
    /// A git URL eksvend, Argo CD and Flux can use (`https://`, `http://`, `ssh://`,
    /// `git://` with a host, `file://`, or scp-like `user@host:path`), free of whitespace,
    /// control characters and quotes.
    GitUrl,
    git_url
);

fn git_ref(s: &str) -> Result<(), Invalid> {
    // `git check-ref-format`: no `..` or `//`, no component starting with `.` or ending in
    // `.lock`, no trailing `/` or `.`, not `HEAD`; the characters below exclude the rest
    // (`@{`, `@`, control characters, space, `~^:?*[\`).
    let ok = !s.is_empty()
        && !s.contains("..")
        && !s.starts_with(['-', '/'])
        && !s.ends_with(['/', '.'])
        && s != "HEAD"
        && s.split('/')
            .all(|c| !c.is_empty() && !c.starts_with('.') && !c.ends_with(".lock"))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    ensure(
        ok,
        "expected a branch, tag or commit name such as `main` or `v1.2.0`",
    )
}

checked_string!(
    /// A git branch, tag or commit name such as `main` or `v1.2.0`: letters, digits, `-`, `_`,
    /// `.` and `/`, no `..`, not starting with `-` or `/`.
    GitRef,
    git_ref
);

/// The text for paths that the characters or `..` rule rejects (the message of old).
const REPO_PATH: &str =
    "expected a relative path inside the repository (letters, digits, '-', '_', '.', '/'; no '..')";

/// The text for paths rejected only by the segment rules.
const REPO_PATH_SEGMENTS: &str = "expected a relative path inside the repository (letters, digits, '-', '_', '.', '/'; no '..', '.' or '.git' segments, no empty segments)";

/// Relative, no `..` segment, only letters, digits, `-`, `_`, `.` and `/`.
fn relative_path(s: &str) -> Result<(), Invalid> {
    let ok = !s.starts_with('/')
        && !s.split('/').any(|seg| seg == "..")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    ensure(ok, REPO_PATH)
}

checked_string!(
    /// A directory of a team's repository that Argo CD or Flux reads
    /// (`spec.gitops.repos[].path`): `.` for the repository root, or a relative path of letters,
    /// digits, `-`, `_`, `.` and `/` without `..` segments. It names a path in *another*
    /// repository, resolved by the GitOps engine, so `.` and `./x` are fine here; files eksvend
    /// writes are [`RepoPath`]s.
    TeamRepoPath,
    relative_path
);

fn repo_path(s: &str) -> Result<(), Invalid> {
    relative_path(s)?;
    let segments_ok = s
        .split('/')
        .all(|seg| !seg.is_empty() && seg != "." && !seg.eq_ignore_ascii_case(".git"));
    ensure(segments_ok, REPO_PATH_SEGMENTS)
}

checked_string!(
    /// A relative path inside a repository, made of plain segments: letters, digits, `-`, `_`
    /// and `.`, separated by `/`; no `..`, `.` or `.git` (any case) segment, no empty segment
    /// (so no leading or trailing `/` and no `//`), not empty. Such a path can never leave the
    /// repository or reach into its `.git`.
    RepoPath,
    repo_path
);

impl RepoPath {
    /// The path's segments.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{assert_table, ok_and_bad};

    #[test]
    fn git_urls() {
        assert_table::<GitUrl>(&ok_and_bad(
            &[
                "https://git.acme.example/p/a.git",
                "http://git.acme.example/a",
                "ssh://git@git.acme.example/p/a.git",
                "git://host/a",
                "git@github.com:acme/a.git",
                "file:///tmp/x.git",
            ],
            &[
                "",
                "not a url",
                "https://",
                "https:///path",
                "git@github.com:",
                "github.com:acme/a.git",
                "https://host/a\"b",
                "https://host/a'b",
                "https://host/`x`",
                "ftp://host/a",
                "/tmp/x.git",
                "https://host/$(id)",
                "https://host/a;b",
                "https://host/a|b",
                "https://host/a&b",
                "https://host/a<b>",
                "https://host/a\\b",
                "https://host/a\u{85}b",
            ],
            "expected a git URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path",
        ));
    }

    #[test]
    fn credentials_in_git_urls() {
        assert_table::<GitUrl>(&ok_and_bad(
            &["ssh://git@host/a.git", "git@host:a.git", "https://host/a@b"],
            &[
                "https://alice:secret@host/a.git",
                "https://alice@host/a.git",
                "http://token@host/a",
                "ssh://git:pw@host/a.git",
                "HTTPS://a:b@host/x",
            ],
            CREDENTIALS,
        ));
        assert_eq!(
            redact_credentials("url: https://alice:s3cr:et@host/a.git and ssh://git@h/x"),
            "url: https://alice:***@host/a.git and ssh://git@h/x"
        );
    }

    #[test]
    fn git_refs() {
        assert_table::<GitRef>(&ok_and_bad(
            &["main", "v1.2.0", "release/1.x", "0123abc", "a_b-c"],
            &[
                "", "-main", "/main", "a..b", "a b", "a~1", "a^", "a:b", "refs@{1}", "HEAD",
                "a//b", "a/", "a.", ".a", "a/.b", "a.lock", "a.lock/b", "@", "a\u{1}b", "a?", "a*",
                "a[", "a\\b",
            ],
            "expected a branch, tag or commit name such as `main` or `v1.2.0`",
        ));
    }

    #[test]
    fn repo_paths() {
        let mut table = ok_and_bad(
            &[
                "deploy/prod",
                "a",
                "a.b/c-d_e",
                "..a/b..",
                ".github/x",
                "a/.gitignore",
            ],
            &["../up", "a/../b", "/abs", "a b", "a\\b", "ä", "a/..", "~/x"],
            REPO_PATH,
        );
        table.extend(ok_and_bad(
            &[],
            &[
                "",
                ".",
                "./a",
                "a/./b",
                "a/.",
                ".git",
                ".git/config",
                "a/.GIT/x",
                "a/.Git",
                "a//b",
                "a/",
            ],
            REPO_PATH_SEGMENTS,
        ));
        assert_table::<RepoPath>(&table);
        let team_ok: Vec<&str> = table
            .iter()
            .filter(|(_, want)| *want != Err(REPO_PATH))
            .map(|(input, _)| *input)
            .collect();
        let team_bad: Vec<&str> = table
            .iter()
            .filter(|(_, want)| *want == Err(REPO_PATH))
            .map(|(input, _)| *input)
            .collect();
        assert!(team_ok.contains(&".") && team_ok.contains(&"deploy/prod"));
        assert_table::<TeamRepoPath>(&ok_and_bad(&team_ok, &team_bad, REPO_PATH));
        let path = RepoPath::try_from("deploy/prod").expect("valid");
        assert_eq!(path.segments().collect::<Vec<_>>(), ["deploy", "prod"]);
    }
}
