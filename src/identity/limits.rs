//! IAM size and count limits, measured the way IAM measures them (whitespace not counted).

use serde_json::Value;

/// IAM's default quota for a role trust policy; accounts may have it raised.
pub const TRUST_DEFAULT: usize = 2048;
/// The largest trust policy quota IAM grants.
pub const TRUST_MAX: usize = 8192;
/// All inline policies of one role together.
pub const INLINE: usize = 10_240;
/// One customer managed policy.
pub const MANAGED: usize = 6_144;
/// A session policy (plain text).
pub const SESSION: usize = 2_048;
/// Managed policies attached to one role.
pub const MANAGED_PER_ROLE: usize = 10;

/// The size of a policy document as IAM counts it: its JSON without whitespace.
pub fn chars(doc: &Value) -> usize {
    serde_json::to_string(doc)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// `Err(message)` when `doc` is larger than `limit`.
pub fn check(doc: &Value, what: &str, limit: usize, hint: &str) -> Result<(), String> {
    let n = chars(doc);
    if n <= limit {
        return Ok(());
    }
    Err(format!(
        "the {what} would be {n} characters (whitespace not counted); IAM allows {limit}{hint}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whitespace_is_not_counted() {
        let v = json!({"A": "b c"});
        assert_eq!(chars(&v), r#"{"A":"bc"}"#.len());
        assert!(check(&v, "x", 10, "").is_ok());
        let err = check(&v, "trust policy", 9, "; raise it").unwrap_err();
        assert_eq!(
            err,
            "the trust policy would be 10 characters (whitespace not counted); IAM allows 9; raise it"
        );
    }
}
