//! Workload identity: IAM role names and the IAM policy documents for service accounts.
//!
//! Policy documents are typed JSON values built here, never hand-typed in templates.

pub mod abac;
pub mod chaining;
pub mod irsa;
pub mod karpenter;
pub mod lint;
pub mod modes;
pub mod pod_identity;
pub mod policy;
pub mod scp;
pub mod statement;

use sha2::{Digest, Sha256};

/// The IAM policy language version.
pub const VERSION: &str = "2012-10-17";

/// ARN of role `name` in `account_id`.
pub fn role_arn(partition: &str, account_id: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account_id}:role/{name}")
}

/// The account ID and the role name (last path segment) of a role ARN.
pub fn role_arn_parts(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (account, resource) = (parts.get(4)?, parts.get(5)?);
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    Some((account, name))
}

/// IAM's limit on role names.
pub const MAX_ROLE_NAME: usize = 64;

/// A role name made of `parts` joined by `_` (a character DNS-1123 names never contain, so
/// distinct inputs never join to the same name), shortened with a hash suffix when too long.
pub fn role_name(parts: &[&str]) -> String {
    let full = parts.join("_");
    if full.len() <= MAX_ROLE_NAME {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let keep = MAX_ROLE_NAME - suffix.len() - 1;
    format!("{}-{suffix}", full[..keep].trim_end_matches(['-', '_']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_fit_and_stay_distinct() {
        assert_eq!(role_name(&["c", "ns", "sa"]), "c_ns_sa");
        assert_ne!(role_name(&["c", "a-b", "c"]), role_name(&["c", "a", "b-c"]));
        let long = "x".repeat(63);
        let a = role_name(&[&long, "payments", "ledger-api"]);
        let b = role_name(&[&long, "payments", "ledger-apj"]);
        assert!(a.len() <= MAX_ROLE_NAME && b.len() <= MAX_ROLE_NAME);
        assert_ne!(a, b);
        assert_eq!(a, role_name(&[&long, "payments", "ledger-api"]));
    }

    #[test]
    fn role_arn_parts_split_account_and_name() {
        assert_eq!(
            role_arn_parts("arn:aws:iam::444455556666:role/team/ledger-reader"),
            Some(("444455556666", "ledger-reader"))
        );
        assert_eq!(role_arn_parts("arn:aws:iam::444455556666:user/bob"), None);
    }
}
