//! Kubernetes-side names and values: DNS-1123 labels, label values, minor versions, resource
//! quantities, and `name@requirement` blueprint references.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use super::newtype::{checked_string, str_traits, try_from_string};
use super::{ensure, limits, Invalid};

const DNS_LABEL: &str = "expected a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit";

fn dns_label(s: &str) -> Result<(), Invalid> {
    let ok = !s.is_empty()
        && s.len() <= limits::DNS_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    ensure(ok, DNS_LABEL)
}

checked_string!(
    /// A Kubernetes DNS-1123 label: 1-63 lowercase letters, digits or `-`, alphanumeric ends.
    /// Namespaces, service accounts, cluster, team and repository names. A label can never
    /// become a path outside the repository.
    DnsLabel,
    dns_label
);

fn label_value(s: &str) -> Result<(), Invalid> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = !s.is_empty()
        && s.len() <= limits::LABEL_VALUE
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && alnum(s.chars().next())
        && alnum(s.chars().last());
    ensure(ok, "expected a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
}

checked_string!(
    /// A non-empty Kubernetes label value: 1-63 of `[A-Za-z0-9-_.]`, alphanumeric ends
    /// (teams, environments).
    LabelValue,
    label_value
);

fn quantity(s: &str) -> Result<(), Invalid> {
    const SUFFIXES: [&str; 14] = [
        "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.');
    ensure(
        number_ok && SUFFIXES.contains(&suffix),
        "expected a Kubernetes quantity such as \"64\", \"500m\" or \"256Gi\"",
    )
}

checked_string!(
    /// A Kubernetes resource quantity such as `64`, `500m` or `256Gi`: a decimal number and an
    /// optional SI (`m`, `k`, `M` … `E`) or binary (`Ki` … `Ei`) suffix.
    Quantity,
    quantity
);

/// A Kubernetes minor version such as `1.33`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KubernetesVersion {
    /// Compared first, so versions sort numerically (`1.9` < `1.10`).
    minor: u16,
    text: String,
}

impl KubernetesVersion {
    /// The version as written, e.g. `1.33`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The minor version: 33 for `1.33`.
    #[must_use]
    pub fn minor(&self) -> u16 {
        self.minor
    }
}

impl TryFrom<&str> for KubernetesVersion {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let minor = s
            .split_once('.')
            .filter(|(major, minor)| {
                *major == "1"
                    && (1..=3).contains(&minor.len())
                    && minor.bytes().all(|b| b.is_ascii_digit())
            })
            .and_then(|(_, minor)| minor.parse().ok());
        match minor {
            Some(minor) => Ok(Self {
                minor,
                text: s.to_owned(),
            }),
            None => Err(Invalid::new(
                "expected a Kubernetes minor version such as \"1.33\" (quoted)",
            )),
        }
    }
}

try_from_string!(KubernetesVersion);
str_traits!(KubernetesVersion);

/// A blueprint reference `name` or `name@requirement`, e.g. `general@^1.2`. A full version
/// without an operator means exactly that version (`general@1.0.0` is `=1.0.0`).
///
/// Equality, hashing and order are those of the text as written.
#[derive(Debug, Clone)]
pub struct BlueprintRef {
    text: String,
    name: DnsLabel,
    req: Option<semver::VersionReq>,
}

impl BlueprintRef {
    /// The reference as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The blueprint's name.
    #[must_use]
    pub fn name(&self) -> &DnsLabel {
        &self.name
    }

    /// The version requirement, when the reference has one.
    #[must_use]
    pub fn req(&self) -> Option<&semver::VersionReq> {
        self.req.as_ref()
    }
}

impl TryFrom<&str> for BlueprintRef {
    type Error = Invalid;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let (name, req) = match s.split_once('@') {
            Some((n, r)) => (n, Some(r)),
            None => (s, None),
        };
        let name = DnsLabel::try_from(name)
            .map_err(|e| Invalid::new(format!("blueprint name {name:?}: {e}")))?;
        let req = req.map(version_req).transpose()?;
        Ok(Self {
            text: s.to_owned(),
            name,
            req,
        })
    }
}

/// `r` as a semver requirement; a bare full version means exactly that version.
fn version_req(r: &str) -> Result<semver::VersionReq, Invalid> {
    let text = if semver::Version::parse(r).is_ok() {
        format!("={r}")
    } else {
        r.to_owned()
    };
    semver::VersionReq::parse(&text).map_err(|e| {
        Invalid::new(format!(
            "{r:?} is not a semver requirement such as ^1.2: {e}"
        ))
    })
}

try_from_string!(BlueprintRef);
str_traits!(BlueprintRef);

impl PartialEq for BlueprintRef {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for BlueprintRef {}

impl Hash for BlueprintRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for BlueprintRef {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BlueprintRef {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.cmp(&other.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{assert_table, ok_and_bad};

    #[test]
    fn dns_labels() {
        let long = "x".repeat(63);
        let too_long = "x".repeat(64);
        assert_table::<DnsLabel>(&ok_and_bad(
            &["payments", "a-1", "a", "0", &long],
            &[
                "", "Payments", "../etc", "a\nb: c", "-x", "x-", "a_b", "a.b", &too_long,
            ],
            DNS_LABEL,
        ));
    }

    #[test]
    fn label_values() {
        let long = "x".repeat(63);
        let too_long = "x".repeat(64);
        assert_table::<LabelValue>(&ok_and_bad(
            &["Payments_Team.x", "prod", "a", "A-1", &long],
            &["", "-x", "x.", "_x", "a b", "a/b", &too_long],
            "expected a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        ));
    }

    #[test]
    fn quantities() {
        assert_table::<Quantity>(&ok_and_bad(
            &["64", "500m", "256Gi", "1.5", "0", "2Ei", "3k"],
            &[
                "", "64 cores", ".5", "5.", "1.2.3", "Gi", "5g", "5K", "-1", "5Gib",
            ],
            "expected a Kubernetes quantity such as \"64\", \"500m\" or \"256Gi\"",
        ));
    }

    #[test]
    fn kubernetes_versions() {
        assert_table::<KubernetesVersion>(&ok_and_bad(
            &["1.33", "1.9", "1.100", "1.0"],
            &[
                "", "1.3x", "1.33.1", "2.1", "1.", "1.1000", "v1.33", "1.-1", "1",
            ],
            "expected a Kubernetes minor version such as \"1.33\" (quoted)",
        ));
        let v = |s: &str| KubernetesVersion::try_from(s).map(|v| v.minor());
        assert_eq!(v("1.33"), Ok(33));
        let (v9, v10) = (
            KubernetesVersion::try_from("1.9").expect("valid"),
            KubernetesVersion::try_from("1.10").expect("valid"),
        );
        assert!(v9 < v10);
    }

    #[test]
    fn blueprint_refs() {
        let label = DNS_LABEL;
        assert_table::<BlueprintRef>(&[
            ("general", Ok(())),
            ("general@^1.2", Ok(())),
            ("general@1.0.0", Ok(())),
            ("general@>=1, <2", Ok(())),
            ("General", Err(&format!("blueprint name \"General\": {label}"))),
            ("@1", Err(&format!("blueprint name \"\": {label}"))),
            (
                "general@x.y",
                Err("\"x.y\" is not a semver requirement such as ^1.2: unexpected character after wildcard in version req"),
            ),
        ]);
        let r = BlueprintRef::try_from("general@1.0.0").expect("valid");
        assert_eq!(r.name().as_str(), "general");
        assert_eq!(r.req().map(ToString::to_string), Some("=1.0.0".to_string()));
        assert_eq!(
            BlueprintRef::try_from("general").expect("valid").req(),
            None
        );
    }
}
