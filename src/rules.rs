//! Shape rules for the values of the inventory and the catalog: names, IDs, ARNs, URLs,
//! versions, repository paths. Shared by every stage that checks a value.
//!
//! Each predicate returns `Err(expected)` describing what would be valid.

/// A Kubernetes DNS-1123 label: lowercase alphanumerics and `-`, at most 63 characters.
/// Names that pass can never become a path outside the repository.
pub fn dns_label(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    ok.then_some(()).ok_or_else(|| {
        "expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit".to_string()
    })
}

/// A Kubernetes label value (non-empty here): at most 63 of `[A-Za-z0-9-_.]`, alphanumeric ends.
pub fn label_value(s: &str) -> Result<(), String> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && alnum(s.chars().next())
        && alnum(s.chars().last());
    ok.then_some(()).ok_or_else(|| {
        "expected a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit".to_string()
    })
}

/// A 12-digit AWS account ID.
pub fn account_id(s: &str) -> Result<(), String> {
    (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        .then_some(())
        .ok_or_else(|| "is not a 12-digit AWS account ID (write it as a quoted string)".to_string())
}

/// A Kubernetes minor version such as `1.33`.
pub fn kubernetes_version(s: &str) -> Result<(), String> {
    let ok = s.split_once('.').is_some_and(|(major, minor)| {
        major == "1" && (1..=3).contains(&minor.len()) && minor.bytes().all(|b| b.is_ascii_digit())
    });
    ok.then_some(())
        .ok_or_else(|| "expected a Kubernetes minor version such as \"1.33\" (quoted)".to_string())
}

/// A git URL eksvend and the GitOps engines can use, free of whitespace and quotes.
pub fn git_url(s: &str) -> Result<(), String> {
    let clean = !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | '`'));
    let scheme = ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .find(|p| s.starts_with(**p));
    let scp_like = s.split_once(':').is_some_and(|(user_host, path)| {
        user_host.contains('@') && !user_host.contains('/') && !path.is_empty()
    });
    let has_host = scheme
        .is_some_and(|p| s.len() > p.len() && (p == &"file://" || !s[p.len()..].starts_with('/')));
    (clean && (has_host || scp_like)).then_some(()).ok_or_else(|| {
        "expected a git URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path".to_string()
    })
}

/// A relative path inside a repository: no `..`, no leading `/`, no odd characters.
pub fn repo_path(s: &str) -> Result<(), String> {
    let ok = !s.starts_with('/')
        && !s.split('/').any(|seg| seg == "..")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    ok.then_some(()).ok_or_else(|| {
        "expected a relative path inside the repository (letters, digits, '-', '_', '.', '/'; no '..')".to_string()
    })
}

/// A git revision: a branch, tag or commit name without whitespace or special characters.
pub fn git_revision(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && !s.contains("..")
        && !s.starts_with(['-', '/'])
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    ok.then_some(()).ok_or_else(|| {
        "expected a branch, tag or commit name such as `main` or `v1.2.0`".to_string()
    })
}

/// A Kubernetes resource quantity such as `64`, `500m` or `256Gi`.
pub fn quantity(s: &str) -> Result<(), String> {
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.');
    let suffixes = [
        "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    (number_ok && suffixes.contains(&suffix))
        .then_some(())
        .ok_or_else(|| {
            "expected a Kubernetes quantity such as \"64\", \"500m\" or \"256Gi\"".to_string()
        })
}

/// The ARN partition and the rest, for `arn:<partition>:<service>:…`.
fn arn_parts(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn" && ["aws", "aws-us-gov", "aws-cn"].contains(&parts[1]))
        .then_some(parts)
}

fn iam_path_and_name(resource: &str, prefix: &str) -> bool {
    resource.strip_prefix(prefix).is_some_and(|rest| {
        let name = rest.rsplit('/').next().unwrap_or("");
        !name.is_empty()
            && rest.len() <= 512
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    })
}

/// An IAM managed policy ARN: `arn:aws:iam::aws:policy/Name` or `arn:aws:iam::123456789012:policy/path/Name`.
pub fn policy_arn(s: &str) -> Result<(), String> {
    let ok = arn_parts(s).is_some_and(|p| {
        p[2] == "iam"
            && p[3].is_empty()
            && (p[4] == "aws" || account_id(p[4]).is_ok())
            && iam_path_and_name(p[5], "policy/")
    });
    ok.then_some(()).ok_or_else(|| {
        "expected an IAM managed policy ARN such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".to_string()
    })
}

/// An IAM role ARN: `arn:aws:iam::123456789012:role/path/Name` (no wildcards).
pub fn role_arn(s: &str) -> Result<(), String> {
    let ok = arn_parts(s).is_some_and(|p| {
        p[2] == "iam"
            && p[3].is_empty()
            && account_id(p[4]).is_ok()
            && iam_path_and_name(p[5], "role/")
    });
    ok.then_some(()).ok_or_else(|| {
        "expected an IAM role ARN such as arn:aws:iam::444455556666:role/ledger-reader (roles only, no wildcards)".to_string()
    })
}

/// An AWS RAM resource share ARN in `region` of `account`.
pub fn ram_share_arn(s: &str, region: &str, account: &str) -> Result<(), String> {
    let ok = arn_parts(s).is_some_and(|p| {
        p[2] == "ram"
            && p[3] == region
            && p[4] == account
            && p[5].strip_prefix("resource-share/").is_some_and(|id| {
                id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            })
    });
    ok.then_some(()).ok_or_else(|| {
        format!("expected a RAM resource share ARN of the network's region and account: arn:aws:ram:{region}:{account}:resource-share/<uuid>")
    })
}

/// An IAM action that is not a wildcard over everything (`*`, `service:*`).
pub fn iam_action(s: &str) -> Result<(), String> {
    let ok = s.split_once(':').is_some_and(|(service, action)| {
        !service.is_empty()
            && service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !action.is_empty()
            && action != "*"
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '*')
    });
    ok.then_some(()).ok_or_else(|| {
        "expected a specific IAM action such as s3:GetObject (\"*\" and \"service:*\" are not least privilege)".to_string()
    })
}

/// An EKS OIDC issuer URL such as `https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`.
pub fn oidc_issuer(s: &str, region: &str) -> Result<(), String> {
    let ok = s
        .strip_prefix(&format!("https://oidc.eks.{region}.amazonaws.com"))
        .map(|rest| rest.strip_prefix(".cn").unwrap_or(rest))
        .and_then(|rest| rest.strip_prefix("/id/"))
        .is_some_and(|id| {
            !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
        });
    ok.then_some(()).ok_or_else(|| {
        format!("expected the cluster's OIDC issuer URL: https://oidc.eks.{region}.amazonaws.com/id/<ID>")
    })
}

/// The closest of `options` to `s`, when it is close enough to be a likely typo.
pub fn suggest<'a>(s: &str, options: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    options
        .into_iter()
        .map(|o| (edit_distance(s, o), o))
        .filter(|(d, o)| *d <= 2.max(o.len() / 4))
        .min()
        .map(|(_, o)| o)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A relative path of plain segments: no `..`, no absolute path, no `.git`.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg != ".git"
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rule = fn(&str) -> Result<(), String>;

    #[test]
    fn table() {
        let ok: &[(&str, Rule)] = &[
            ("payments", dns_label),
            ("a-1", dns_label),
            ("Payments_Team.x", label_value),
            ("111122223333", account_id),
            ("1.33", kubernetes_version),
            ("https://git.acme.example/p/a.git", git_url),
            ("git@github.com:acme/a.git", git_url),
            ("file:///tmp/x.git", git_url),
            ("deploy/prod", repo_path),
            ("256Gi", quantity),
            ("500m", quantity),
            (
                "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
                policy_arn,
            ),
            ("arn:aws:iam::111122223333:policy/team/x", policy_arn),
            ("arn:aws:iam::444455556666:role/ledger-reader", role_arn),
            ("s3:GetObject", iam_action),
            ("s3:Get*", iam_action),
        ];
        for (v, f) in ok {
            assert!(f(v).is_ok(), "{v} should be valid");
        }
        let bad: &[(&str, Rule)] = &[
            ("Payments", dns_label),
            ("../etc", dns_label),
            ("a\nb: c", dns_label),
            ("-x", label_value),
            ("11112222333", account_id),
            ("1.3x", kubernetes_version),
            ("1.33.1", kubernetes_version),
            ("not a url", git_url),
            ("https://", git_url),
            ("../up", repo_path),
            ("/abs", repo_path),
            ("64 cores", quantity),
            ("arn:aws:iam::aws:role/x", policy_arn),
            ("arn:aws:iam::444455556666:user/bob", role_arn),
            ("arn:aws:iam::*:role/x", role_arn),
            ("*", iam_action),
            ("s3:*", iam_action),
        ];
        for (v, f) in bad {
            assert!(f(v).is_err(), "{v:?} should be invalid");
        }
    }

    #[test]
    fn suggestions_for_typos() {
        assert_eq!(
            suggest("prod-use", ["prod-use1", "dev-euw1"]),
            Some("prod-use1")
        );
        assert_eq!(suggest("zzz", ["prod-use1"]), None);
    }
}
