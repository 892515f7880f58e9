//! Every AWS and Kubernetes limit eksvend checks, each with the page it comes from, and the
//! size of a policy document measured the way IAM measures it.

use serde_json::Value;

/// Role trust policy length, IAM's default quota (characters, whitespace not counted); an
/// account may have it raised up to [`TRUST_MAX`].
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const TRUST_DEFAULT: usize = 2_048;

/// The largest role trust policy quota IAM grants.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const TRUST_MAX: usize = 8_192;

/// All inline policies of one role together (characters, whitespace not counted).
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const INLINE: usize = 10_240;

/// One customer managed policy (characters, whitespace not counted).
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const MANAGED: usize = 6_144;

/// Managed policies attached to one role: IAM's default quota.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const MANAGED_PER_ROLE: usize = 10;

/// Managed policies attached to one role: the largest quota IAM grants on request.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const MANAGED_PER_ROLE_MAX: usize = 20;

/// Role names.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const ROLE_NAME: usize = 64;

/// IAM paths. eksvend bounds the path and name of a role or policy ARN together by it.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
pub const IAM_PATH: usize = 512;

/// `RoleSessionName` of `sts:AssumeRole`: at least this many characters.
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>
pub const ROLE_SESSION_NAME_MIN: usize = 2;

/// `RoleSessionName` of `sts:AssumeRole`: at most this many characters.
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>
pub const ROLE_SESSION_NAME: usize = 64;

/// `ExternalId` of `sts:AssumeRole`: at least this many characters.
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>
pub const EXTERNAL_ID_MIN: usize = 2;

/// `ExternalId` of `sts:AssumeRole`: at most this many characters.
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>
pub const EXTERNAL_ID_MAX: usize = 1_224;

/// A session policy (the plain text of `Policy` in `sts:AssumeRole`, and of a Pod Identity
/// association's session policy).
/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>
pub const SESSION: usize = 2_048;

/// A service control policy document (characters).
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html>
pub const SCP: usize = 5_120;

/// A Kubernetes DNS-1123 label: namespaces, service accounts and most object names.
/// <https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names>
pub const DNS_LABEL: usize = 63;

/// A Kubernetes label value.
/// <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set>
pub const LABEL_VALUE: usize = 63;

/// The size of a policy document as IAM counts it: its JSON without whitespace.
#[must_use]
pub fn chars(doc: &Value) -> usize {
    match doc {
        Value::Null => 4,
        Value::Bool(b) => 4 + usize::from(!*b),
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => string_chars(s),
        Value::Array(items) => {
            2 + items.len().saturating_sub(1) + items.iter().map(chars).sum::<usize>()
        }
        Value::Object(o) => {
            2 + o.len().saturating_sub(1)
                + o.iter()
                    .map(|(k, v)| string_chars(k) + 1 + chars(v))
                    .sum::<usize>()
        }
    }
}

/// The characters of a JSON string as serde_json writes it (quotes and escapes included),
/// whitespace not counted: counted from the string, never written out.
fn string_chars(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            c if u32::from(c) < 0x20 => 6,
            c if c.is_whitespace() => 0,
            _ => 1,
        })
        .sum::<usize>()
}

/// A policy document larger than its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {what} would be {chars} characters (whitespace not counted); IAM allows {limit}{hint}"
)]
pub struct LimitExceeded {
    /// What the document is, e.g. `trust policy`.
    pub what: String,
    /// Its size, as [`chars`] counts it.
    pub chars: usize,
    /// The limit it exceeds.
    pub limit: usize,
    /// Appended to the message: empty, or `; ` and what to do.
    pub hint: String,
}

/// `Err` when `doc` (a `what`) is larger than `limit`; `hint` ends the message.
///
/// # Errors
/// When [`chars`] of `doc` exceeds `limit`.
pub fn check(doc: &Value, what: &str, limit: usize, hint: &str) -> Result<(), LimitExceeded> {
    let n = chars(doc);
    if n <= limit {
        return Ok(());
    }
    Err(LimitExceeded {
        what: what.to_owned(),
        chars: n,
        limit,
        hint: hint.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whitespace_is_not_counted() {
        let v = json!({"A": "b c", "L": [1, 2]});
        assert_eq!(chars(&v), r#"{"A":"bc","L":[1,2]}"#.len());
        // characters, not bytes; Unicode whitespace not counted either; escapes as written
        let v = json!({"Ä": "é\u{a0}ü\n\"x"});
        let text = v.to_string();
        let expected = text.chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(chars(&v), expected);
        assert_eq!(expected, r#"{"Ä":"éü\n\"x"}"#.chars().count());
    }

    #[test]
    fn chars_counts_what_serde_json_writes() {
        let written = |v: &Value| v.to_string().chars().filter(|c| !c.is_whitespace()).count();
        for v in [
            json!(null),
            json!(true),
            json!(false),
            json!(-12.5),
            json!(18_446_744_073_709_551_615_u64),
            json!(""),
            json!("a b\tc\u{1}\u{1f}\u{7f}\\/\"\r\n\u{8}\u{c}\u{2003}é😀"),
            json!([]),
            json!({}),
            json!([1, [2, {}], {"k": []}]),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*"],
                "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/k 1": "v\"x"}}}]}),
        ] {
            assert_eq!(chars(&v), written(&v), "{v}");
        }
    }

    #[test]
    fn check_reports_size_limit_and_hint() {
        let v = json!({"A": "b c"});
        assert_eq!(check(&v, "x", 10, ""), Ok(()));
        let err = check(&v, "trust policy", 9, "; raise it").expect_err("too large");
        assert_eq!(
            err.to_string(),
            "the trust policy would be 10 characters (whitespace not counted); IAM allows 9; raise it"
        );
        assert_eq!((err.chars, err.limit), (10, 9));
    }
}
