//! The domain model: value types that can only hold valid names, IDs, ARNs, URLs, versions and
//! paths, the ARN builders and principals of every partition, and the AWS and Kubernetes limits.
//!
//! Each type is built with `TryFrom<&str>` / `TryFrom<String>` (or `parse` when the check needs
//! context such as the region); the error is one [`Invalid`] whose text says what would be valid.
//! Nothing here is a wire format: wire structs deserialize strings, then convert to these.

pub mod arn;
pub mod limits;

mod aws;
mod date;
mod dns;
mod git;
mod iam;
mod names;
mod newtype;
mod suggest;

pub use aws::{
    AccountId, Ipv4Cidr, Partition, RamShareArn, Region, RegionInfo, SubnetId, VpcId, ZoneId,
    REGIONS,
};
pub use date::{Date, TODAY_VAR};
pub use dns::{DnsDomain, HostedZoneId};
pub use git::{redact_credentials, GitRef, GitUrl, RepoPath, TeamRepoPath};
pub use iam::{ExternalId, IamAction, OidcIssuer, PolicyArn, RoleArn};
pub use limits::LimitExceeded;
pub use names::{
    cluster_kind_refusal, ApiGroup, BlueprintRef, DnsLabel, KindName, KubernetesVersion,
    LabelValue, Quantity,
};
pub use suggest::suggest;

/// A value that does not have the shape its type requires.
///
/// The text is what would be valid. Texts starting with `is ` read after the quoted value
/// (`"11112222333" is not a 12-digit AWS account ID …`); the others after
/// `"<value>" is not valid: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{expected}")]
pub struct Invalid {
    /// What a valid value looks like.
    pub expected: String,
}

impl Invalid {
    /// An error saying what was `expected`.
    pub fn new(expected: impl Into<String>) -> Self {
        Self {
            expected: expected.into(),
        }
    }

    /// The message about `value`: `"<value>" is …` when the text starts with `is `, otherwise
    /// `"<value>" is not valid: …`.
    #[must_use]
    pub fn message_for(&self, value: &str) -> String {
        let value = git::redact_credentials(value);
        if self.expected.starts_with("is ") {
            format!("{value:?} {}", self.expected)
        } else {
            format!("{value:?} is not valid: {}", self.expected)
        }
    }
}

/// `Ok(())` when `ok`, otherwise `Invalid` with the text `expected`.
fn ensure(ok: bool, expected: &str) -> Result<(), Invalid> {
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(expected))
    }
}

#[cfg(test)]
mod tests {
    use super::Invalid;

    /// One row: the input, and `Ok(())` or `Err(exact error text)`.
    pub(super) type Row<'a> = (&'a str, Result<(), &'a str>);

    /// Every `ok` input is valid; every `bad` one fails with `text`.
    pub(super) fn ok_and_bad<'a>(ok: &[&'a str], bad: &[&'a str], text: &'a str) -> Vec<Row<'a>> {
        ok.iter()
            .map(|s| (*s, Ok(())))
            .chain(bad.iter().map(|s| (*s, Err(text))))
            .collect()
    }

    /// `T::try_from` (from `&str` and from `String`) agrees with every row, and a valid value
    /// keeps its text.
    pub(super) fn assert_table<T>(table: &[Row<'_>])
    where
        T: for<'s> TryFrom<&'s str, Error = Invalid>
            + TryFrom<String, Error = Invalid>
            + AsRef<str>
            + std::fmt::Display
            + std::fmt::Debug,
    {
        for (input, want) in table {
            let got = T::try_from(*input);
            match (want, &got) {
                (Ok(()), Ok(v)) => {
                    assert_eq!(v.as_ref(), *input);
                    assert_eq!(v.to_string(), *input);
                }
                (Err(text), Err(e)) => assert_eq!(e.to_string(), *text, "{input:?}"),
                _ => panic!("{input:?}: want {want:?}, got {got:?}"),
            }
            let owned = T::try_from((*input).to_string());
            assert_eq!(
                owned.map(|v| v.to_string()),
                got.map(|v| v.to_string()),
                "{input:?} as String"
            );
        }
    }
}
